package order_test

import (
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

// Lines chosen by quantity, as the dashboard's partial capture and
// refund forms choose them: whole lines keep their id, parts are
// priced by unit price or pro rata, and the operations accept them.
func TestPick(t *testing.T) {
	c := newClock()
	o := newOrder(t, c, phone(), shipping(), books(), order.Line{Type: order.TypeService, Reference: "fee", Quantity: 3, VAT: 2500, TotalAmount: 1000, TotalVATAmount: 200})
	u := o.Uncaptured
	phoneID, booksID, feeID := u.Lines[0].ID, u.Lines[2].ID, u.Lines[3].ID

	lines, err := u.Pick(map[string]int64{phoneID: 1, booksID: 1, feeID: 2, u.Lines[1].ID: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0].ID != phoneID || lines[0].TotalAmount != 500000 {
		t.Fatalf("whole phone line: %+v", lines)
	}
	if b := lines[1]; b.ID != "" || b.Quantity != 1 || b.TotalAmount != 12000 || b.TotalVATAmount != 679 || *b.UnitPrice != 12000 {
		t.Errorf("one of two books: %+v", b)
	}
	if f := lines[2]; f.ID != "" || f.Quantity != 2 || f.TotalAmount != 666 || f.UnitPrice != nil || f.TotalVATAmount != 133 {
		t.Errorf("two of three fees, pro rata: %+v", f)
	}
	for i, l := range lines {
		if err := l.Validate("line"); err != nil {
			t.Errorf("line %d: %v", i, err)
		}
	}
	total, _ := order.Sum(lines)
	captured := must(t, "PartialCapture")(o.PartialCapture(c.env(), order.CaptureRequest{Lines: lines, TotalAmount: total}))
	if got := captured.UncapturedAmount(); got != o.UncapturedAmount()-total {
		t.Errorf("left uncaptured %d, want %d", got, o.UncapturedAmount()-total)
	}
	chunk := &captured.Captured[0]
	refund, err := chunk.Pick(map[string]int64{chunk.Lines[1].ID: 1})
	if err != nil {
		t.Fatal(err)
	}
	must(t, "PartialRefund")(captured.PartialRefund(c.env(), chunk.LedgerID, order.RefundRequest{Lines: refund, TotalAmount: 12000}))

	for _, bad := range []map[string]int64{
		{},
		{phoneID: 0},
		{"ol_nonesuch": 1},
		{booksID: -1},
		{booksID: 3},
	} {
		if _, err := u.Pick(bad); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("Pick(%v) error %v, want invalid", bad, err)
		}
	}
}
