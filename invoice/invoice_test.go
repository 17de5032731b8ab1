package invoice

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"pgregory.net/rapid"
)

func TestOCR(t *testing.T) {
	for _, tc := range []struct {
		base, want string
	}{
		{"12345", "1234574"},
		{"1", "133"},
		{"2026000001", "202600000121"},
	} {
		got, err := NewOCR(tc.base)
		if err != nil {
			t.Fatalf("NewOCR(%q): %v", tc.base, err)
		}
		if got != tc.want {
			t.Errorf("NewOCR(%q) = %q, want %q", tc.base, got, tc.want)
		}
		if !ValidOCR(got) {
			t.Errorf("ValidOCR(%q) = false", got)
		}
	}
	for _, bad := range []string{"", "1", "1234575", "1234564", "12a4574", "79927398710", "12345678901234567890123456"} {
		if ValidOCR(bad) {
			t.Errorf("ValidOCR(%q) = true", bad)
		}
	}
	for _, bad := range []string{"", "12x", "12345678901234567890123456"} {
		if _, err := NewOCR(bad); err == nil {
			t.Errorf("NewOCR(%q) succeeded", bad)
		}
	}
	// The Luhn digit itself, on the textbook example.
	if got := luhn("7992739871"); got != '3' {
		t.Errorf("luhn(7992739871) = %c, want 3", got)
	}
}

// Any single-digit error or adjacent transposition (other than 09/90) is
// caught.
func TestOCRCatchesTypos(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := rapid.StringMatching(`[0-9]{1,20}`).Draw(t, "base")
		ref, err := NewOCR(base)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(ref)
		i := rapid.IntRange(0, len(b)-1).Draw(t, "i")
		d := byte('0' + rapid.IntRange(0, 9).Draw(t, "d"))
		if d == b[i] {
			return
		}
		b[i] = d
		if ValidOCR(string(b)) {
			t.Fatalf("%s with digit %d changed to %c still validates", ref, i, d)
		}
	})
}

var day = time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)

func testOrder() *order.Order {
	return &order.Order{
		ID: "or_1", MerchantID: "ac_1", Currency: "SEK", OrderReference: "ABCD1234", Reference: "PO-77",
		PaymentMethod: order.Invoice,
		Customer: order.Customer{
			CompanyID: "559311-3714", CompanyName: "Ledyer AB", VATID: "SE559311371401", Email: "ap@example.com",
			Reference1: "Ref 1", InvoiceChannel: order.InvoiceChannel{Type: "email", Details: "copy@example.com"},
			BillingAddress: order.Address{CompanyName: "Ledyer AB", StreetAddress: "Gatan 1", PostalCode: "111 22", City: "Stockholm", Country: "SE"},
		},
		Captured: []order.Chunk{{LedgerID: "in_c1", Lines: []order.Line{
			{Reference: "A", Description: "Chair", Quantity: 2, VAT: 2500, TotalAmount: 250000, TotalVATAmount: 50000},
			{Reference: "B", Description: "Book", Quantity: 1, VAT: 600, TotalAmount: 10600, TotalVATAmount: 600},
			{Reference: "C", Description: "Lamp", Quantity: 1, VAT: 2500, TotalAmount: 12500, TotalVATAmount: 2500},
		}}},
		Refunded: []order.Chunk{{LedgerID: "in_r1", CapturedLedgerID: "in_c1", Lines: []order.Line{
			{Reference: "C", Description: "Lamp", Quantity: 1, VAT: 2500, TotalAmount: 12500, TotalVATAmount: 2500},
		}}},
	}
}

func TestIssue(t *testing.T) {
	o := testOrder()
	ocr, _ := NewOCR("100001")
	settings := Settings{Seller: Party{Name: "Shop AB", Country: "SE"}, PaymentTerms: 10}
	inv, err := Issue(o, Need{KindInvoice, "in_c1"}, Params{ID: "iv_1", Reference: ocr, Settings: settings, AccessToken: "tok", Now: day}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantVAT := []RateSum{{Rate: 600, Net: 10000, VAT: 600, Total: 10600}, {Rate: 2500, Net: 210000, VAT: 52500, Total: 262500}}
	if diff := cmp.Diff(wantVAT, inv.VAT); diff != "" {
		t.Errorf("VAT per rate (-want +got):\n%s", diff)
	}
	if inv.Total != 273100 || inv.TotalVAT != 53100 || inv.Payable() != 273100 {
		t.Errorf("totals %d, vat %d, payable %d", inv.Total, inv.TotalVAT, inv.Payable())
	}
	if want := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC); !inv.DueDate.Equal(want) || !inv.IssueDate.Equal(day.Truncate(24*time.Hour)) {
		t.Errorf("issue %s due %s, want due %s", inv.IssueDate, inv.DueDate, want)
	}
	if inv.Buyer.Name != "Ledyer AB" || inv.Buyer.OrgNo != "559311-3714" || inv.CopyTo != "copy@example.com" || inv.Reference != ocr || inv.PaymentReference != ocr || inv.Number != 0 {
		t.Errorf("buyer %+v copy %q reference %q payment reference %q number %d", inv.Buyer, inv.CopyTo, inv.Reference, inv.PaymentReference, inv.Number)
	}
	inv.Number = 7 // as numbered after issue

	cnRef, _ := NewOCR("100002")
	cn, err := Issue(o, Need{KindCreditNote, "in_r1"}, Params{ID: "iv_2", Reference: cnRef, Settings: Settings{}, Now: day}, inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cn.Total != -12500 || cn.TotalVAT != -2500 || cn.Credits != 7 || cn.RefersTo != "iv_1" || cn.Reference != cnRef || cn.Payable() != 0 || !cn.DueDate.Equal(cn.IssueDate) {
		t.Errorf("credit note %+v", cn)
	}

	if _, err := Issue(o, Need{KindCreditNote, "in_r1"}, Params{Reference: cnRef, Now: day}, nil, nil); err == nil {
		t.Error("a credit note without its invoice was issued")
	}
	if _, err := Issue(o, Need{KindInvoice, "in_nope"}, Params{Reference: cnRef, Now: day}, nil, nil); err == nil {
		t.Error("an invoice of a missing chunk was issued")
	}
	if _, err := Issue(o, Need{KindInvoice, "in_c1"}, Params{Reference: "123", Now: day}, nil, nil); err == nil {
		t.Error("an invalid OCR was accepted")
	}
	if _, err := Issue(o, Need{KindInvoice, "in_c1"}, Params{Now: day}, nil, nil); err == nil {
		t.Error("a document without a reference was issued")
	}
}

func TestIssueAdvance(t *testing.T) {
	o := testOrder()
	o.PaymentMethod = order.AdvanceInvoice
	o.Uncaptured = &order.Chunk{LedgerID: "in_u", Lines: o.Captured[0].Lines}
	ocr, _ := NewOCR("42")
	adv, err := Issue(o, Need{KindAdvance, "in_u"}, Params{ID: "iv_a", Reference: ocr, Now: day}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if adv.Total != 273100 || adv.Payable() != 273100 || !adv.DueDate.Equal(day.Truncate(24*time.Hour).AddDate(0, 0, DefaultPaymentTerms)) {
		t.Errorf("advance %+v", adv)
	}
	adv.Number = 1
	final, _ := NewOCR("43")
	inv, err := Issue(o, Need{KindInvoice, "in_c1"}, Params{Reference: final, Now: day}, nil, adv)
	if err != nil {
		t.Fatal(err)
	}
	if inv.PaidByAdvance != 1 || inv.RefersTo != "iv_a" || inv.Payable() != 0 || inv.PaymentReference != "" || inv.Reference != final {
		t.Errorf("final invoice of an advance order asks for %d, paid by %d", inv.Payable(), inv.PaidByAdvance)
	}
}

func TestNeeded(t *testing.T) {
	prev := testOrder()
	prev.Captured, prev.Refunded = nil, nil
	prev.Uncaptured = &order.Chunk{LedgerID: "in_u"}
	next := testOrder()
	next.PaymentMethod = order.AdvanceInvoice
	next.Uncaptured = &order.Chunk{LedgerID: "in_u"}
	want := []Need{{KindAdvance, "in_u"}, {KindInvoice, "in_c1"}, {KindCreditNote, "in_r1"}}
	if diff := cmp.Diff(want, Needed(prev, next)); diff != "" {
		t.Errorf("Needed (-want +got):\n%s", diff)
	}
	if n := Needed(next, next); len(n) != 0 {
		t.Errorf("no change needs %v", n)
	}
}

// VAT per rate always sums to the document's totals, net plus VAT is the
// total at every rate, and each rate's VAT is within a minor unit per line
// of the VAT its total contains (half a unit of rounding each, plus the one
// unit a line may be off, plus the rate's own rounding).
func TestSummarizeSums(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rates := []int64{0, 600, 1200, 2500}
		n := rapid.IntRange(0, 30).Draw(t, "n")
		lines := make([]Line, n)
		for i := range lines {
			rate := rapid.SampledFrom(rates).Draw(t, "rate")
			total := rapid.Int64Range(-money.MaxAmount/100, money.MaxAmount/100).Draw(t, "total")
			vat := money.VATPortion(total, rate) + rapid.Int64Range(-1, 1).Draw(t, "off")
			lines[i] = Line{VAT: rate, Total: total, TotalVAT: vat}
		}
		sums, total, totalVAT := Summarize(lines)
		var st, sv int64
		for i, r := range sums {
			if i > 0 && r.Rate <= sums[i-1].Rate {
				t.Fatalf("rates out of order: %v", sums)
			}
			if r.Net+r.VAT != r.Total {
				t.Fatalf("rate %d: net %d + vat %d != total %d", r.Rate, r.Net, r.VAT, r.Total)
			}
			count := int64(0)
			for _, l := range lines {
				if l.VAT == r.Rate {
					count++
				}
			}
			if d := r.VAT - money.VATPortion(r.Total, r.Rate); d > 2*count || -d > 2*count {
				t.Fatalf("rate %d: vat %d is %d off the %d its total contains", r.Rate, r.VAT, d, money.VATPortion(r.Total, r.Rate))
			}
			st += r.Total
			sv += r.VAT
		}
		if st != total || sv != totalVAT {
			t.Fatalf("rates sum to %d/%d, totals are %d/%d", st, sv, total, totalVAT)
		}
	})
}

// A document reference is a 16-digit valid OCR number, the same for the
// same ID.
func TestReferenceFor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		id := rapid.String().Draw(t, "id")
		ref := ReferenceFor(id)
		if len(ref) != 16 || ref[0] == '0' || !ValidOCR(ref) || ReferenceFor(id) != ref {
			t.Fatalf("ReferenceFor(%q) = %q", id, ref)
		}
	})
	if ReferenceFor("doc_1") == ReferenceFor("doc_2") {
		t.Error("two IDs got one reference")
	}
}
