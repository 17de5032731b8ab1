package invoice

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
)

func ptr(n int64) *int64 { return &n }

// issue issues the invoice of o's first captured chunk under s.
func issue(t *testing.T, o *order.Order, s Settings) *Document {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	ocr, _ := NewOCR("3000")
	d, err := Issue(o, Need{KindInvoice, o.Captured[0].LedgerID}, Params{ID: "iv_1", Reference: ocr, Settings: s, Now: day}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// crossBorder is o sold at 0 % to a business in country with VAT number
// vat, in currency: one line of goods and, with services, one service.
func crossBorder(country, vat string, currency money.Currency, services bool) *order.Order {
	o := testOrder()
	o.Currency = currency
	o.Customer.VATID, o.Customer.BillingAddress.Country = vat, country
	o.Captured[0].Lines = []order.Line{{Type: order.TypePhysical, Reference: "A", Description: "Chair", Quantity: 2, VAT: 0, TotalAmount: 200000}}
	if services {
		o.Captured[0].Lines = append(o.Captured[0].Lines, order.Line{Type: order.TypeService, Reference: "S", Description: "Assembly", Quantity: 1, VAT: 0, TotalAmount: 50000})
	}
	return o
}

// A Swedish domestic invoice carries the date of supply (the capture's
// day), unit prices and discounts excluding VAT, the seller's F-tax
// approval, bankgiro and plusgiro, the OCR reference and the interest on
// late payment; its credit note the invoice's date of supply and nothing
// to pay.
func TestIssueSwedishDomestic(t *testing.T) {
	o := testOrder()
	o.Captured[0].CreatedAt = time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC)
	o.Captured[0].Lines[0].UnitPrice, o.Captured[0].Lines[0].UnitDiscountAmount = ptr(135000), 10000 // 2 × (1350 − 100) = 2500
	d := issue(t, o, completeSettings())
	l := d.Lines[0]
	if *l.UnitPrice != 108000 || l.Discount != 16000 || l.Net() != 200000 {
		t.Errorf("line: unit price %d, discount %d, net %d excluding VAT; want 108000, 16000, 200000", *l.UnitPrice, l.Discount, l.Net())
	}
	if *d.Lines[1].UnitPrice != 10000 { // no unit price given: the total per unit
		t.Errorf("book's unit price %d, want 10000", *d.Lines[1].UnitPrice)
	}
	if want := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC); !d.DeliveryDate.Equal(want) {
		t.Errorf("delivery date %s, want %s", d.DeliveryDate, want)
	}
	if !d.FTax || d.Bankgiro != "5050-1055" || d.Plusgiro != "44281-4" || d.IBAN != "" || d.ReferenceScheme != ReferenceOCR {
		t.Errorf("F-tax %v, bankgiro %q, plusgiro %q, IBAN %q, scheme %q", d.FTax, d.Bankgiro, d.Plusgiro, d.IBAN, d.ReferenceScheme)
	}
	if !strings.Contains(d.InterestTerms, "räntelagen") || !strings.Contains(d.InterestTerms, "referensräntan + 8 procentenheter") {
		t.Errorf("interest terms %q", d.InterestTerms)
	}
	if d.VATNotes != nil || d.Missing() != nil {
		t.Errorf("notes %q, missing %q; want none", d.VATNotes, d.Missing())
	}
	d.Number = 5
	ocr, _ := NewOCR("3001")
	cn, err := Issue(o, Need{KindCreditNote, "in_r1"}, Params{ID: "iv_2", Reference: ocr, Settings: completeSettings(), Now: day.AddDate(0, 0, 3)}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cn.DeliveryDate.Equal(d.DeliveryDate) || cn.InterestTerms != "" || cn.Bankgiro != "" || cn.ReferenceScheme != "" || cn.Missing() != nil {
		t.Errorf("credit note: delivery %s, interest %q, bankgiro %q, scheme %q, missing %q", cn.DeliveryDate, cn.InterestTerms, cn.Bankgiro, cn.ReferenceScheme, cn.Missing())
	}
	if *cn.Lines[0].UnitPrice != -10000 {
		t.Errorf("credit note's unit price %d, want -10000", *cn.Lines[0].UnitPrice)
	}
}

// The statements a 0 % line calls for, by where seller and buyer are.
func TestVATNotes(t *testing.T) {
	withNote := completeSettings()
	withNote.VATExemptionNote = "Undantagen från skatteplikt enligt 10 kap. 6 § mervärdesskattelagen."
	finnish := completeSettings()
	finnish.Seller = Party{Name: "Rakennus Oy", OrgNo: "1927400-1", VATID: "FI19274001", StreetAddress: "Katu 1", PostalCode: "00100", City: "Helsinki", Country: "FI"}
	for _, tc := range []struct {
		name     string
		o        *order.Order
		settings Settings
		want     []string // words each note has, in order
		missing  string   // what Missing names for want of a note
	}{
		{"intra-EU goods", crossBorder("DE", "DE136695976", "EUR", false), completeSettings(),
			[]string{"Unionsintern leverans", "Intra-Community supply", "article 138"}, ""},
		{"intra-EU goods and services", crossBorder("DE", "DE136695976", "EUR", true), completeSettings(),
			[]string{"article 138", "Omvänd betalningsskyldighet / Reverse charge", "articles 44 and 196"}, ""},
		{"Finnish seller's reverse charge", crossBorder("SE", "SE556012579001", "EUR", true), finnish,
			[]string{"Veroton yhteisömyynti", "Käännetty verovelvollisuus / Reverse charge"}, ""},
		{"export of goods to Norway", crossBorder("NO", "NO923609016MVA", "EUR", false), completeSettings(),
			[]string{"Export of goods", "article 146"}, ""},
		{"services to Norway", func() *order.Order {
			o := crossBorder("NO", "NO923609016MVA", "EUR", true)
			o.Captured[0].Lines = o.Captured[0].Lines[1:]
			return o
		}(), completeSettings(), []string{"outside the scope of EU VAT", "article 44"}, ""},
		{"intra-EU without the buyer's VAT number", crossBorder("DE", "", "EUR", false), completeSettings(), nil, "customer.vatId"},
		{"domestic 0 % without the seller's note", crossBorder("SE", "SE556012579001", "SEK", false), completeSettings(), nil, "vatExemptionNote"},
		{"domestic 0 % with the seller's note", crossBorder("SE", "SE556012579001", "SEK", false), withNote,
			[]string{"10 kap. 6 § mervärdesskattelagen"}, ""},
		{"25 %", testOrder(), completeSettings(), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := issue(t, tc.o, tc.settings)
			text := strings.Join(d.VATNotes, "\n")
			last := 0
			for _, w := range tc.want {
				i := strings.Index(text[last:], w)
				if i < 0 {
					t.Fatalf("notes %q lack %q (after what came before)", d.VATNotes, w)
				}
				last += i
			}
			if tc.want == nil && d.VATNotes != nil {
				t.Errorf("notes %q, want none", d.VATNotes)
			}
			var got string
			for _, m := range d.Missing() {
				got, _, _ = strings.Cut(m, " ")
			}
			if got != tc.missing {
				t.Errorf("missing %q, want %q", d.Missing(), tc.missing)
			}
		})
	}
}

// An IBAN account is chosen by currency, the buyer's country's first;
// SEK is paid by bankgiro and plusgiro too.
func TestPaymentChannels(t *testing.T) {
	s := completeSettings()
	s.Accounts = []Account{
		{Currency: "EUR", IBAN: "DE89370400440532013000", BIC: "COBADEFF"},
		{Currency: "EUR", Country: "FI", IBAN: "FI2112345600000785", BIC: "NDEAFIHH"},
		{Currency: "SEK", IBAN: "SE4550000000058398257466", BIC: "ESSESESS"},
	}
	for _, tc := range []struct {
		country            string
		currency           money.Currency
		iban, bankgiro     string
		missingPaymentPath bool
	}{
		{"FI", "EUR", "FI2112345600000785", "", false},
		{"DE", "EUR", "DE89370400440532013000", "", false},
		{"SE", "SEK", "SE4550000000058398257466", "5050-1055", false},
		{"US", "USD", "", "", true},
	} {
		d := issue(t, crossBorder(tc.country, "", tc.currency, false), s)
		if d.IBAN != tc.iban || d.Bankgiro != tc.bankgiro {
			t.Errorf("%s %s: IBAN %q bankgiro %q, want %q %q", tc.currency, tc.country, d.IBAN, d.Bankgiro, tc.iban, tc.bankgiro)
		}
		missing := slices.ContainsFunc(d.Missing(), func(m string) bool { return strings.HasPrefix(m, "accounts") })
		if missing != tc.missingPaymentPath {
			t.Errorf("%s %s: missing %q", tc.currency, tc.country, d.Missing())
		}
	}
}

// Missing names each part of the seller block a document lacks, and the
// way to pay a document that asks for payment.
func TestMissing(t *testing.T) {
	d := issue(t, testOrder(), Settings{Seller: Party{Name: "Shop AB", Country: "SE"}})
	want := []string{"seller.orgNo", "seller.vatId", "seller.streetAddress", "seller.postalCode", "seller.city",
		"bankgiro, plusgiro or accounts (an IBAN for SEK)"}
	if diff := cmp.Diff(want, d.Missing()); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if m := issue(t, testOrder(), completeSettings()).Missing(); m != nil {
		t.Errorf("complete settings: missing %q", m)
	}
}

// Each Nordic seller's document states its country's statutory interest
// on late payment: a reference rate + 8 percentage points.
func TestInterestTerms(t *testing.T) {
	for country, law := range map[string]string{"SE": "räntelagen", "FI": "korkolain", "DK": "renteloven", "NO": "forsinkelsesrenteloven", "DE": "2011/7/EU"} {
		got := interestTerms(country)
		if !strings.Contains(got, law) || !strings.Contains(got, "+ 8 percentage points") {
			t.Errorf("%s: %q", country, got)
		}
	}
}
