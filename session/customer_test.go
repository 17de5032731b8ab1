package session_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

func TestNormalizeLocale(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"sv-SE", "sv-SE", true},
		{"sv_SE", "sv-SE", true},
		{"SV-se", "sv-SE", true},
		{"fi-fi", "fi-FI", true},
		{"en", "en", true},
		{"EN", "en", true},
		{"fil-PH", "fil-PH", true},
		{"  nb_no  ", "nb-NO", true},
		{"", "", true},
		{"   ", "", true},
		{"s", "", false},
		{"swed", "", false},
		{"english", "", false},
		{"sv-", "", false},
		{"sv-SWE", "", false},
		{"sv-S1", "", false},
		{"sv-SE-x", "", false},
		{"12-SE", "", false},
		{"-SE", "", false},
		{"sé-SE", "", false},
		{"sv SE", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := session.NormalizeLocale(tt.in)
			if !tt.ok {
				if got != "" {
					t.Errorf("NormalizeLocale(%q) = %q with its error, want \"\"", tt.in, got)
				}
				wantError(t, "NormalizeLocale("+tt.in+")", err, kassa.EInvalid, "locale")
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeLocale(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNormalizeCompanyID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"5593117314", "559311-7314"},
		{"559311-7314", "559311-7314"},
		{" 5593117314 ", "559311-7314"},
		{"559311731", "559311731"},     // 9 digits: left alone
		{"55931173145", "55931173145"}, // 11 digits: left alone
		{"559311731X", "559311731X"},
		{"923609016", "923609016"}, // a Norwegian number
		{"FI12345678", "FI12345678"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := session.NormalizeCompanyID(tt.in); got != tt.want {
				t.Errorf("NormalizeCompanyID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBuyerCustomer(t *testing.T) {
	billing := order.Address{CompanyName: "Kalles kulor AB", City: "Stockholm", Country: "SE"}
	base := order.Customer{CompanyID: "5593117314", Email: "kalle@kulor.com", BillingAddress: billing}
	with := func(f func(c *order.Customer)) order.Customer {
		c := base
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		in      order.Customer
		country string
		change  func(c *order.Customer) // from base; nil on error
		param   string
	}{
		{"Swedish, dash added, VAT id derived", base, "SE", func(c *order.Customer) {
			c.CompanyID, c.VATID, c.CompanyName, c.InvoiceChannel.Type = "559311-7314", "SE559311731401", "Kalles kulor AB", "email"
		}, ""},
		{"no country is Swedish", base, "", func(c *order.Customer) {
			c.CompanyID, c.VATID, c.CompanyName, c.InvoiceChannel.Type = "559311-7314", "SE559311731401", "Kalles kulor AB", "email"
		}, ""},
		{"VAT id and name kept", with(func(c *order.Customer) { c.VATID, c.CompanyName = "SE000", "Kulor" }), "SE", func(c *order.Customer) {
			c.CompanyID, c.InvoiceChannel.Type = "559311-7314", "email"
		}, ""},
		{"EDI channel kept", with(func(c *order.Customer) {
			c.InvoiceChannel = order.InvoiceChannel{Type: "edi", Details: "7300009000001"}
		}), "SE", func(c *order.Customer) {
			c.CompanyID, c.VATID, c.CompanyName = "559311-7314", "SE559311731401", "Kalles kulor AB"
		}, ""},
		{"Norwegian, no VAT id derived", with(func(c *order.Customer) { c.CompanyID = "923609016" }), "NO", func(c *order.Customer) {
			c.CompanyName, c.InvoiceChannel.Type = "Kalles kulor AB", "email"
		}, ""},
		{"no company id", with(func(c *order.Customer) { c.CompanyID = "  " }), "SE", nil, "customer.companyId"},
		{"Swedish, not an org number", with(func(c *order.Customer) { c.CompanyID = "ABC" }), "SE", nil, "customer.companyId"},
		{"Swedish, nine digits", with(func(c *order.Customer) { c.CompanyID = "559311-731" }), "SE", nil, "customer.companyId"},
		{"Swedish, dash misplaced", with(func(c *order.Customer) { c.CompanyID = "55931-17314" }), "SE", nil, "customer.companyId"},
		{"too long", with(func(c *order.Customer) { c.CompanyID = strings.Repeat("1", 33) }), "NO", nil, "customer.companyId"},
		{"32 characters", with(func(c *order.Customer) { c.CompanyID = strings.Repeat("1", 32) }), "NO", func(c *order.Customer) {
			c.CompanyID, c.CompanyName, c.InvoiceChannel.Type = strings.Repeat("1", 32), "Kalles kulor AB", "email"
		}, ""},
		{"bad email", with(func(c *order.Customer) { c.Email = "kalle" }), "SE", nil, "customer.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := session.BuyerCustomer(tt.in, tt.country)
			if tt.change == nil {
				wantError(t, "BuyerCustomer("+tt.name+")", err, kassa.EInvalid, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("BuyerCustomer(%s) error: %v", tt.name, err)
			}
			want := tt.in
			tt.change(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("BuyerCustomer(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}
