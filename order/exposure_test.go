package order_test

import (
	"testing"
	"time"
)

func TestExposure(t *testing.T) {
	full := int64(500000 + 4900 + 2*12000)
	for name, want := range map[string]int64{
		"ready":              full,
		"cancelled":          0,
		"partially captured": full,
		"fully captured":     full,
	} {
		t.Run(name, func(t *testing.T) {
			if got := states[name](t, newClock()).Exposure(); got != want {
				t.Errorf("Exposure() = %d, want %d", got, want)
			}
		})
	}
	t.Run("fully refunded", func(t *testing.T) {
		c := newClock()
		o := states["fully captured"](t, c)
		o = must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
		if got := o.Exposure(); got != 0 {
			t.Errorf("Exposure() = %d, want 0", got)
		}
	})
}

// Payments lower the exposure: what the buyer has paid of its invoices no
// longer draws on its credit, down to what is still uncaptured, and never
// below 0.
func TestExposureAfterPayments(t *testing.T) {
	const phone, rest = 500000, 4900 + 2*12000 // partially captured: the phone line is invoiced
	tests := []struct {
		name     string
		state    string
		received int64
		want     int64
	}{
		{"nothing paid", "partially captured", 0, phone + rest},
		{"invoice partly paid", "partially captured", 200000, phone - 200000 + rest},
		{"invoice paid", "partially captured", phone, rest},
		{"paid more than invoiced: the uncaptured part still counts", "partially captured", phone + rest, rest},
		{"fully captured and paid", "fully captured", phone + rest, 0},
		{"fully captured, half paid", "fully captured", (phone + rest) / 2, phone + rest - (phone+rest)/2},
		{"nothing invoiced: payments count against nothing", "ready", 1000, phone + rest},
		{"advance invoice paid in part", "advance invoice", 100000, phone + rest - 100000},
		{"advance invoice paid", "advance invoice", phone + rest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			o := states[tt.state](t, c)
			got, ok := o.Receive(c.env(), tt.received)
			if ok != (tt.received != 0) || o.Received != 0 {
				t.Fatalf("Receive(%d): ok %v, input's Received %d", tt.received, ok, o.Received)
			}
			if err := got.Check(); err != nil {
				t.Fatal(err)
			}
			if e := got.Exposure(); e != tt.want {
				t.Errorf("Exposure() = %d, want %d", e, tt.want)
			}
		})
	}
	t.Run("refunded after payment", func(t *testing.T) {
		c := newClock()
		o := states["fully captured"](t, c)
		o, _ = o.Receive(c.env(), o.CapturedAmount())
		o = must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
		if got := o.Exposure(); got != 0 {
			t.Errorf("Exposure() = %d, want 0", got)
		}
	})
	t.Run("credit note then the rest paid", func(t *testing.T) {
		c := newClock()
		o := states["fully captured"](t, c)
		o = must(t, "PartialRefund")(o.PartialRefund(c.env(), o.Captured[0].LedgerID, refundOf(o.Captured[0].Lines[1])))
		owed := o.CapturedAmount() - o.RefundedAmount()
		if got := o.Exposure(); got != owed {
			t.Fatalf("Exposure() after the credit note = %d, want %d", got, owed)
		}
		o, _ = o.Receive(c.env(), owed)
		if got := o.Exposure(); got != 0 {
			t.Errorf("Exposure() once the rest is paid = %d, want 0", got)
		}
	})
}

// Receive changes nothing when the amount is already recorded, adds no
// event, and a negative amount breaks the invariants.
func TestReceive(t *testing.T) {
	c := newClock()
	o := states["fully captured"](t, c)
	c.advance(time.Second)
	paid, ok := o.Receive(c.env(), 4200)
	if !ok || paid.Received != 4200 || len(paid.Events) != len(o.Events) || !paid.UpdatedAt.Equal(c.now) {
		t.Fatalf("Receive: ok %v, received %d, %d events (was %d), updated %v", ok, paid.Received, len(paid.Events), len(o.Events), paid.UpdatedAt)
	}
	if again, ok := paid.Receive(c.env(), 4200); ok || again != paid {
		t.Error("receiving the same amount again changed the order")
	}
	if bad, _ := o.Receive(c.env(), -1); bad.Check() == nil {
		t.Error("Check accepted a negative received amount")
	}
}
