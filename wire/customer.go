package wire

import "github.com/kassa-pay/kassa/order"

// Address is an address as clients send it.
type Address struct {
	AttentionName Str `json:"attentionName"`
	CareOf        Str `json:"careOf"`
	City          Str `json:"city"`
	CompanyName   Str `json:"companyName"`
	Country       Str `json:"country"`
	PostalCode    Str `json:"postalCode"`
	StreetAddress Str `json:"streetAddress"`
	Contact       *struct {
		Email     Str `json:"email"`
		FirstName Str `json:"firstName"`
		LastName  Str `json:"lastName"`
		Phone     Str `json:"phone"`
	} `json:"contact"`
}

func (a *Address) address() order.Address {
	return order.Address{
		AttentionName: string(a.AttentionName), CareOf: string(a.CareOf), City: string(a.City),
		CompanyName: string(a.CompanyName), Country: string(a.Country),
		PostalCode: string(a.PostalCode), StreetAddress: string(a.StreetAddress),
	}
}

func (a *Address) shipping() order.ShippingAddress {
	s := order.ShippingAddress{Address: a.address()}
	if c := a.Contact; c != nil {
		s.Contact = order.Contact{Email: string(c.Email), FirstName: string(c.FirstName), LastName: string(c.LastName), Phone: string(c.Phone)}
	}
	return s
}

// Customer is the buyer company as clients send it: in a payment
// session, an order edit, and the buyer's dialog.
type Customer struct {
	CompanyID       Str      `json:"companyId"`
	CompanyName     Str      `json:"companyName"`
	VATID           Str      `json:"vatId"`
	Email           *Str     `json:"email"`
	FirstName       Str      `json:"firstName"`
	LastName        Str      `json:"lastName"`
	Phone           *Str     `json:"phone"`
	Reference1      *Str     `json:"reference1"`
	Reference2      *Str     `json:"reference2"`
	BillingAddress  *Address `json:"billingAddress"`
	ShippingAddress *Address `json:"shippingAddress"`
	InvoiceChannel  *struct {
		Type    Str  `json:"type"`
		Details *Str `json:"details"`
	} `json:"invoiceChannel"`
}

func (c *Customer) Order() order.Customer {
	if c == nil {
		return order.Customer{}
	}
	u := c.Update()
	out := order.Customer{
		CompanyID: string(c.CompanyID), CompanyName: string(c.CompanyName), VATID: string(c.VATID),
		FirstName: string(c.FirstName), LastName: string(c.LastName),
	}
	for dst, src := range map[*string]*string{&out.Email: u.Email, &out.Phone: u.Phone, &out.Reference1: u.Reference1, &out.Reference2: u.Reference2, &out.InvoiceChannel.Details: u.InvoiceChannelDetails} {
		if src != nil {
			*dst = *src
		}
	}
	if c.InvoiceChannel != nil {
		out.InvoiceChannel.Type = string(c.InvoiceChannel.Type)
	}
	if u.BillingAddress != nil {
		out.BillingAddress = *u.BillingAddress
	}
	if u.ShippingAddress != nil {
		out.ShippingAddress = *u.ShippingAddress
	}
	return out
}

// Update is the customer edit: only the fields present change.
func (c *Customer) Update() order.CustomerUpdate {
	u := order.CustomerUpdate{
		Email: c.Email.Ptr(), Phone: c.Phone.Ptr(), Reference1: c.Reference1.Ptr(), Reference2: c.Reference2.Ptr(),
	}
	if c.InvoiceChannel != nil {
		u.InvoiceChannelDetails = c.InvoiceChannel.Details.Ptr()
	}
	if c.BillingAddress != nil {
		a := c.BillingAddress.address()
		u.BillingAddress = &a
	}
	if c.ShippingAddress != nil {
		s := c.ShippingAddress.shipping()
		u.ShippingAddress = &s
	}
	return u
}
