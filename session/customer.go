package session

import (
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

// NormalizeCompanyID writes a Swedish organisation number with its dash
// (NNNNNN-NNNN), which Ledyer requires and some clients leave out; other
// identifiers are only trimmed.
func NormalizeCompanyID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) == 10 && allDigits(id) {
		return id[:6] + "-" + id[6:]
	}
	return id
}

// BuyerCustomer validates the customer a buyer authorizes with and fills in
// what Kassa derives: the dashed company ID and, for Sweden, the VAT number.
func BuyerCustomer(c order.Customer, country string) (order.Customer, error) {
	c.CompanyID = NormalizeCompanyID(c.CompanyID)
	if c.CompanyID == "" {
		return c, kassa.Invalid("customer.companyId", "companyId is required")
	}
	if len(c.CompanyID) > 32 {
		return c, kassa.Invalid("customer.companyId", "companyId is longer than 32 characters")
	}
	swedish := country == "SE" || country == ""
	if swedish && !isSwedishOrgNo(c.CompanyID) {
		return c, kassa.Invalid("customer.companyId", "companyId %q is not a Swedish organisation number (NNNNNN-NNNN)", c.CompanyID)
	}
	if swedish && c.VATID == "" {
		c.VATID = "SE" + c.CompanyID[:6] + c.CompanyID[7:] + "01"
	}
	if c.CompanyName == "" {
		c.CompanyName = c.BillingAddress.CompanyName
	}
	if c.InvoiceChannel.Type == "" {
		c.InvoiceChannel.Type = "email"
	}
	return c, c.Validate("customer")
}

func isSwedishOrgNo(id string) bool {
	return len(id) == 11 && id[6] == '-' && allDigits(id[:6]) && allDigits(id[7:])
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
