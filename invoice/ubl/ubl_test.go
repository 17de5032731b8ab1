package ubl_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/ubl"
	"github.com/kassa-pay/kassa/order"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func settings() invoice.Settings {
	s := invoice.Settings{
		Seller: invoice.Party{Name: "Byggvaror Söder AB", OrgNo: "556123-4567", VATID: "SE556123456701",
			StreetAddress: "Ringvägen 10", PostalCode: "118 60", City: "Stockholm", Country: "SE", RegisteredOffice: "Stockholm"},
		FTax: true, Bankgiro: "5050-1055",
		Accounts: []invoice.Account{{Currency: "EUR", IBAN: "SE4550000000058398257466", BIC: "ESSESESS"}},
	}
	return s
}

// swedishOrder is a captured order of a Swedish business that asked for
// e-invoices (invoice channel "edi" with its GLN), its lines at 25 %.
func swedishOrder() *order.Order {
	return &order.Order{
		ID: "or_1", MerchantID: "ac_1", Currency: "SEK", OrderReference: "ABCD1234", Reference: "PO-77", PaymentMethod: order.Invoice,
		Customer: order.Customer{
			CompanyID: "559311-3714", CompanyName: "Ledyer AB", VATID: "SE559311371401", Email: "ap@example.com",
			Reference1: "Ref 1", InvoiceChannel: order.InvoiceChannel{Type: "edi", Details: "7350053850019"},
			BillingAddress: order.Address{CompanyName: "Ledyer AB", StreetAddress: "Gatan 1", PostalCode: "111 22", City: "Stockholm", Country: "SE"},
		},
		Captured: []order.Chunk{{LedgerID: "in_c1", CreatedAt: now.Add(-time.Hour), Lines: []order.Line{
			{Type: order.TypePhysical, Reference: "A", Description: "Chair", Quantity: 2, VAT: 2500, TotalAmount: 250000, TotalVATAmount: 50000},
			{Type: order.TypePhysical, Reference: "C", Description: "Lamp", Quantity: 3, VAT: 2500, TotalAmount: 10000, TotalVATAmount: 2000},
		}}},
		Refunded: []order.Chunk{{LedgerID: "in_r1", CapturedLedgerID: "in_c1", Lines: []order.Line{
			{Type: order.TypePhysical, Reference: "C", Description: "Lamp", Quantity: 3, VAT: 2500, TotalAmount: 10000, TotalVATAmount: 2000},
		}}},
	}
}

// mixedOrder has lines at 25, 12 and 6 %, a discounted line and a
// discount line.
func mixedOrder() *order.Order {
	o := swedishOrder()
	up := int64(135000)
	o.Captured[0].Lines = []order.Line{
		{Type: order.TypePhysical, Reference: "A", Description: "Chair", Quantity: 2, VAT: 2500, UnitPrice: &up, UnitDiscountAmount: 10000, TotalAmount: 250000, TotalVATAmount: 50000},
		{Type: order.TypePhysical, Reference: "F", Description: "Lunch", Quantity: 4, VAT: 1200, TotalAmount: 44800, TotalVATAmount: 4800},
		{Type: order.TypePhysical, Reference: "B", Description: "Book", Quantity: 1, VAT: 600, TotalAmount: 10600, TotalVATAmount: 600},
		{Type: order.TypeDiscount, Reference: "D", Description: "Welcome discount", Quantity: 1, VAT: 2500, TotalAmount: -12500, TotalVATAmount: -2500},
	}
	return o
}

// reverseCharge is sold in euros to a German business: goods (an
// intra-Community supply) and a service (reverse charge), both at 0 %.
func reverseCharge() *order.Order {
	o := swedishOrder()
	o.Currency = "EUR"
	o.Customer.CompanyID, o.Customer.VATID, o.Customer.CompanyName = "HRB 12345", "DE123456789", "Baumarkt GmbH"
	o.Customer.InvoiceChannel = order.InvoiceChannel{Type: "edi", Details: "4000001000005"}
	o.Customer.BillingAddress = order.Address{CompanyName: "Baumarkt GmbH", StreetAddress: "Hauptstraße 5", PostalCode: "10115", City: "Berlin", Country: "DE"}
	o.Captured[0].Lines = []order.Line{
		{Type: order.TypePhysical, Reference: "A", Description: "Chair", Quantity: 2, VAT: 0, TotalAmount: 200000},
		{Type: order.TypeService, Reference: "S", Description: "Assembly", Quantity: 1, VAT: 0, TotalAmount: 50000},
	}
	o.Refunded = nil
	return o
}

func issue(t *testing.T, o *order.Order, need invoice.Need, credited *invoice.Document) *invoice.Document {
	t.Helper()
	ocr, err := invoice.NewOCR("3000")
	if err != nil {
		t.Fatal(err)
	}
	s := settings()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := invoice.Issue(o, need, invoice.Params{ID: "iv_" + need.LedgerID, Reference: ocr, Settings: s, Now: now}, credited, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.Number = 1001
	if credited != nil {
		d.Number, d.Credits = 1002, credited.Number
	}
	return d
}

func invoiceOf(t *testing.T, o *order.Order) *invoice.Document {
	return issue(t, o, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_c1"}, nil)
}

func creditNoteOf(t *testing.T, o *order.Order) *invoice.Document {
	return issue(t, o, invoice.Need{Kind: invoice.KindCreditNote, LedgerID: "in_r1"}, invoiceOf(t, o))
}

// Every kind of document Kassa issues is a valid e-invoice.
func TestKassaDocumentsValidate(t *testing.T) {
	advance := swedishOrder()
	advance.Uncaptured = &order.Chunk{LedgerID: "in_u1", Lines: advance.Captured[0].Lines}
	for name, d := range map[string]*invoice.Document{
		"domestic 25 %":           invoiceOf(t, swedishOrder()),
		"mixed 25/12/6 %":         invoiceOf(t, mixedOrder()),
		"intra-EU reverse charge": invoiceOf(t, reverseCharge()),
		"credit note":             creditNoteOf(t, swedishOrder()),
		"advance invoice":         issue(t, advance, invoice.Need{Kind: invoice.KindAdvance, LedgerID: "in_u1"}, nil),
	} {
		m := ubl.Model(d)
		if vs := ubl.Validate(m); len(vs) > 0 {
			t.Errorf("%s: %v", name, vs)
		}
		if _, err := ubl.Build(d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The golden files pin the XML of an invoice, a credit note and an
// intra-EU invoice; go test -update rewrites them.
func TestGolden(t *testing.T) {
	for name, d := range map[string]*invoice.Document{
		"invoice-mixed.xml":    invoiceOf(t, mixedOrder()),
		"creditnote.xml":       creditNoteOf(t, swedishOrder()),
		"invoice-intra-eu.xml": invoiceOf(t, reverseCharge()),
	} {
		got, err := ubl.Build(d)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file; run go test -update and review the diff", name)
		}
		if err := xml.Unmarshal(got, new(struct{})); err != nil {
			t.Errorf("%s is not well-formed: %v", name, err)
		}
	}
}

// What the model says of each document, beyond its rules.
func TestModel(t *testing.T) {
	cn := ubl.Model(creditNoteOf(t, swedishOrder()))
	if !cn.CreditNote() || cn.CreditNoteTypeCode != "381" || cn.BillingReferences[0].Invoice.ID != "1001" {
		t.Errorf("credit note: %s type %s, references %+v", cn.XMLName.Local, cn.CreditNoteTypeCode, cn.BillingReferences)
	}
	if l := cn.CreditNoteLines[0]; l.LineExtension.Minor != 8000 || l.CreditedQuantity.Value != 3 || cn.Totals.Payable.Minor != 10000 {
		t.Errorf("credit note amounts are not positive: line %d × %d, payable %d", l.CreditedQuantity.Value, l.LineExtension.Minor, cn.Totals.Payable.Minor)
	}
	// 3 lamps for 80.00 excluding VAT: 26.666… each, so the price is for 3.
	inv := ubl.Model(invoiceOf(t, swedishOrder()))
	if p := inv.InvoiceLines[1].Price; p.Amount.Minor != 8000 || p.BaseQuantity == nil || p.BaseQuantity.Value != 3 {
		t.Errorf("lamp's price %+v, want 80.00 for 3 units", p)
	}
	if e := inv.Customer.Party.EndpointID; e.SchemeID != "0088" || e.Value != "7350053850019" {
		t.Errorf("buyer's endpoint %+v, want the invoice channel's GLN", e)
	}
	if e := inv.Supplier.Party.EndpointID; e.SchemeID != "0007" || e.Value != "5561234567" {
		t.Errorf("seller's endpoint %+v, want its organisation number", e)
	}
	eu := ubl.Model(invoiceOf(t, reverseCharge()))
	cats := map[string]string{}
	for _, st := range eu.TaxTotals[0].Subtotals {
		cats[st.Category.ID] = st.Category.ExemptionCode
	}
	if cats["AE"] != "VATEX-EU-AE" || cats["K"] != "VATEX-EU-IC" || len(cats) != 2 {
		t.Errorf("intra-EU categories %v, want AE and K with their exemption codes", cats)
	}
	mixed := ubl.Model(invoiceOf(t, mixedOrder()))
	if l := mixed.InvoiceLines[3]; l.InvoicedQuantity.Value != -1 || l.Price.Amount.Minor != 10000 {
		t.Errorf("discount line: %d × %d, want -1 × 100.00", l.InvoicedQuantity.Value, l.Price.Amount.Minor)
	}
	if l := mixed.InvoiceLines[0]; len(l.Allowances) != 1 || l.Allowances[0].Amount.Minor != 16000 {
		t.Errorf("chair's discount %+v, want an allowance of 160.00", l.Allowances)
	}
}

// A document a rule would refuse is not built: its error is a conflict
// naming the rule.
func TestBuildRefuses(t *testing.T) {
	d := invoiceOf(t, swedishOrder())
	d.BuyerGLN, d.Buyer.Country, d.Buyer.OrgNo = "", "US", "" // no Peppol address
	_, err := ubl.Build(d)
	if kassa.ErrorCode(err) != kassa.EConflict || !strings.Contains(err.Error(), "PEPPOL-EN16931-R010") {
		t.Errorf("err %v, want a conflict naming PEPPOL-EN16931-R010", err)
	}
}
