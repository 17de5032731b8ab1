package order

import (
	"strings"

	"github.com/kassa-pay/kassa"
)

const maxCustomerField = 255

// Validate checks field lengths and the e-mail addresses' shape; param
// prefixes the field names in errors.
func (c *Customer) Validate(param string) error {
	fields := []struct{ name, v string }{
		{"companyId", c.CompanyID}, {"companyName", c.CompanyName}, {"vatId", c.VATID},
		{"email", c.Email}, {"firstName", c.FirstName}, {"lastName", c.LastName}, {"phone", c.Phone},
		{"reference1", c.Reference1}, {"reference2", c.Reference2},
		{"invoiceChannel.type", c.InvoiceChannel.Type}, {"invoiceChannel.details", c.InvoiceChannel.Details},
		{"shippingAddress.contact.email", c.ShippingAddress.Contact.Email},
		{"shippingAddress.contact.firstName", c.ShippingAddress.Contact.FirstName},
		{"shippingAddress.contact.lastName", c.ShippingAddress.Contact.LastName},
		{"shippingAddress.contact.phone", c.ShippingAddress.Contact.Phone},
	}
	for _, a := range []struct {
		name string
		a    *Address
	}{{"billingAddress", &c.BillingAddress}, {"shippingAddress", &c.ShippingAddress.Address}} {
		fields = append(fields,
			struct{ name, v string }{a.name + ".attentionName", a.a.AttentionName},
			struct{ name, v string }{a.name + ".careOf", a.a.CareOf},
			struct{ name, v string }{a.name + ".city", a.a.City},
			struct{ name, v string }{a.name + ".companyName", a.a.CompanyName},
			struct{ name, v string }{a.name + ".country", a.a.Country},
			struct{ name, v string }{a.name + ".postalCode", a.a.PostalCode},
			struct{ name, v string }{a.name + ".streetAddress", a.a.StreetAddress},
		)
	}
	for _, f := range fields {
		if len(f.v) > maxCustomerField {
			return kassa.Invalid(param+"."+f.name, "%s is longer than %d characters", f.name, maxCustomerField)
		}
	}
	for _, f := range []struct{ name, v string }{{"email", c.Email}, {"shippingAddress.contact.email", c.ShippingAddress.Contact.Email}} {
		if f.v != "" && !LooksLikeEmail(f.v) {
			return kassa.Invalid(param+"."+f.name, "%q is not an e-mail address", f.v)
		}
	}
	return nil
}

// LooksLikeEmail is the e-mail address check: something@something, no
// white space.
func LooksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}
