package order_test

import (
	"testing"

	"github.com/kassa-pay/kassa/order"
)

// MarkPaid adds the paid event once, on the order's first ledger, and
// changes nothing the second time.
func TestMarkPaid(t *testing.T) {
	c := newClock()
	o := newOrder(t, c)
	o = must(t, "Capture")(o.Capture(c.env(), captureOf(o.Uncaptured.Lines...)))
	paid, ok := o.MarkPaid(c.env(), 4200)
	if !ok || !paid.Paid || o.Paid {
		t.Fatalf("MarkPaid: ok %v, paid %v, input changed %v", ok, paid.Paid, o.Paid)
	}
	last := paid.Events[len(paid.Events)-1]
	if last.Type != order.EventPaid || last.Amount != 4200 || last.LedgerID != o.FirstLedgerID || len(paid.Events) != len(o.Events)+1 {
		t.Errorf("paid event %+v", last)
	}
	if err := paid.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	if again, ok := paid.MarkPaid(c.env(), 1); ok || again != paid {
		t.Error("a paid order was marked paid again")
	}
}
