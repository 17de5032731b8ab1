package order_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
)

// moreStates extends states with refunds, acknowledgement and expiry.
var moreStates = map[string]func(t *testing.T, c *clock) *order.Order{
	"acknowledged": func(t *testing.T, c *clock) *order.Order { return newOrder(t, c).Acknowledge(c.env()) },
	"partially refunded": func(t *testing.T, c *clock) *order.Order {
		o := captured(t, c, phone(), shipping())
		return must(t, "PartialRefund")(o.PartialRefund(c.env(), o.Captured[0].LedgerID, refundOf(amountLine("", 100, 2500))))
	},
	"fully refunded": func(t *testing.T, c *clock) *order.Order {
		o := captured(t, c, phone(), shipping())
		return must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
	},
	"fully refunded and acknowledged": func(t *testing.T, c *clock) *order.Order {
		o := captured(t, c, phone(), shipping()).Acknowledge(c.env())
		return must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
	},
	"partially captured, that part refunded": func(t *testing.T, c *clock) *order.Order {
		o := states["partially captured"](t, c)
		return must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
	},
	"partially captured, rest cancelled": func(t *testing.T, c *clock) *order.Order {
		return must(t, "Cancel")(states["partially captured"](t, c).Cancel(c.env()))
	},
	"expiry at its maximum": func(t *testing.T, c *clock) *order.Order {
		o := newOrder(t, c)
		for o.ExpiresAt.Before(o.CreatedAt.Add(order.MaxExpiry)) {
			o = must(t, "ExtendExpiry")(o.ExtendExpiry(c.env()))
		}
		return o
	},
}

func state(t *testing.T, c *clock, name string) *order.Order {
	t.Helper()
	if f, ok := states[name]; ok {
		return f(t, c)
	}
	if f, ok := moreStates[name]; ok {
		return f(t, c)
	}
	t.Fatalf("no state %q", name)
	return nil
}

func TestStatus(t *testing.T) {
	tests := []struct {
		state   string
		status  []string
		payment string
	}{
		{"ready", []string{"uncaptured", "unacknowledged"}, order.StatusPaymentConfirmed},
		{"acknowledged", []string{"uncaptured"}, order.StatusPaymentConfirmed},
		{"not ready", []string{"uncaptured", "unacknowledged"}, order.StatusPaymentPending},
		{"ready after its delay", []string{"uncaptured", "unacknowledged"}, order.StatusPaymentConfirmed},
		{"expired", []string{"uncaptured", "unacknowledged"}, order.StatusPaymentConfirmed},
		{"advance invoice", []string{"uncaptured", "unacknowledged"}, order.StatusPaymentConfirmed},
		{"cancelled", []string{"cancelled", "unacknowledged"}, order.StatusOrderCancelled},
		{"partially captured", []string{"partiallyCaptured", "unacknowledged"}, order.StatusOrderCaptured},
		{"fully captured", []string{"fullyCaptured", "unacknowledged"}, order.StatusOrderCaptured},
		{"partially captured, rest cancelled", []string{"fullyCaptured", "unacknowledged"}, order.StatusOrderCaptured},
		{"partially refunded", []string{"fullyCaptured", "partiallyRefunded", "unacknowledged"}, order.StatusOrderCaptured},
		{"fully refunded", []string{"fullyCaptured", "fullyRefunded", "unacknowledged"}, order.StatusOrderRefunded},
		{"fully refunded and acknowledged", []string{"fullyCaptured", "fullyRefunded"}, order.StatusOrderRefunded},
		{"partially captured, that part refunded", []string{"partiallyCaptured", "fullyRefunded", "unacknowledged"}, order.StatusOrderRefunded},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			c := newClock()
			o := state(t, c, tt.state)
			if diff := cmp.Diff(tt.status, o.Status()); diff != "" {
				t.Errorf("Status() in state %s (-want +got):\n%s", tt.state, diff)
			}
			if got := o.PaymentStatus(); got != tt.payment {
				t.Errorf("PaymentStatus() in state %s = %q, want %q", tt.state, got, tt.payment)
			}
		})
	}
}

func TestUncapturedActions(t *testing.T) {
	all := []string{order.ActionCapture, order.ActionPartialCapture, order.ActionCancel, order.ActionEditOrder, order.ActionEditPaymentMethod, order.ActionExtendExpiry}
	tests := []struct {
		state string
		want  []string
	}{
		{"ready", all},
		{"acknowledged", all},
		{"ready after its delay", all},
		{"just before expiry", all},
		{"not ready", []string{order.ActionCancel, order.ActionEditOrder, order.ActionEditPaymentMethod, order.ActionExtendExpiry}},
		{"expired", []string{order.ActionCancel, order.ActionEditOrder, order.ActionEditPaymentMethod, order.ActionExtendExpiry}},
		{"expired then extended", all},
		{"advance invoice", []string{order.ActionExtendExpiry}},
		{"advance invoice acknowledged", []string{order.ActionExtendExpiry}},
		{"advance invoice paid", []string{order.ActionCapture, order.ActionPartialCapture, order.ActionExtendExpiry}},
		{"partially captured", []string{order.ActionCapture, order.ActionPartialCapture, order.ActionCancel, order.ActionEditOrder, order.ActionExtendExpiry}},
		{"expiry at its maximum", []string{order.ActionCapture, order.ActionPartialCapture, order.ActionCancel, order.ActionEditOrder, order.ActionEditPaymentMethod}},
		{"fully captured", []string{}},
		{"cancelled", []string{}},
		{"partially captured, rest cancelled", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			c := newClock()
			o := state(t, c, tt.state)
			got := o.UncapturedActions(c.now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("UncapturedActions(%v) in state %s (-want +got):\n%s", c.now, tt.state, diff)
			}
			// Each action listed works, and each one left out is refused.
			for _, a := range all {
				err := tryUncapturedAction(o, c.env(), a)
				if listed := slices.Contains(got, a); listed != (err == nil) {
					t.Errorf("in state %s %s listed = %v, but the operation returns %v", tt.state, a, listed, err)
				}
			}
		})
	}
}

func TestCapturedActions(t *testing.T) {
	tests := []struct {
		state string
		want  []string
	}{
		{"fully captured", []string{order.ActionRefund, order.ActionPartialRefund}},
		{"partially refunded", []string{order.ActionRefund, order.ActionPartialRefund}},
		{"fully refunded", []string{}},
		{"partially captured, that part refunded", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			c := newClock()
			o := state(t, c, tt.state)
			ch := &o.Captured[0]
			got := o.CapturedActions(ch)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CapturedActions(%s) in state %s (-want +got):\n%s", ch.LedgerID, tt.state, diff)
			}
			for _, a := range []string{order.ActionRefund, order.ActionPartialRefund} {
				err := tryCapturedAction(o, c.env(), ch, a)
				if listed := slices.Contains(got, a); listed != (err == nil) {
					t.Errorf("in state %s %s listed = %v, but the operation returns %v", tt.state, a, listed, err)
				}
			}
		})
	}
}

// tryUncapturedAction performs the simplest request of action on o and
// returns its error. The result is thrown away; o is never changed.
func tryUncapturedAction(o *order.Order, env order.Env, action string) error {
	u := o.UncapturedAmount()
	switch action {
	case order.ActionCapture:
		// Only the sum must match, so one zero-VAT line of the amount does.
		return errOf(o.Capture(env, order.CaptureRequest{
			Lines:       []order.Line{{Type: order.TypePhysical, Reference: "all", Quantity: 1, TotalAmount: u}},
			TotalAmount: u,
		}))
	case order.ActionPartialCapture:
		// Every uncaptured line, without ids, at its full amount.
		var lines []order.Line
		if o.Uncaptured != nil {
			for _, l := range o.Uncaptured.Lines {
				lines = append(lines, order.Line{Type: l.Type, Reference: l.Reference, Quantity: l.Quantity, VAT: l.VAT,
					TotalAmount: l.TotalAmount, TotalVATAmount: money.VATPortion(l.TotalAmount, l.VAT)})
			}
		}
		return errOf(o.PartialCapture(env, order.CaptureRequest{Lines: lines, TotalAmount: u}))
	case order.ActionCancel:
		return errOf(o.Cancel(env))
	case order.ActionEditOrder:
		// The same total, so no credit check.
		l := order.Line{Type: order.TypePhysical, Reference: "same", Quantity: 1, TotalAmount: max(u, 1)}
		return errOf(o.Edit(env, order.EditRequest{Lines: []order.Line{l}, Totals: order.Totals{Amount: l.TotalAmount}},
			func(int64) error { return kassa.Errorf(kassa.ERejected, "no credit check expected") }))
	case order.ActionEditPaymentMethod:
		return errOf(o.EditPaymentMethod(env, order.ProviderLedyer, order.AdvanceInvoice))
	case order.ActionExtendExpiry:
		return errOf(o.ExtendExpiry(env))
	}
	panic("unknown action " + action)
}

// tryCapturedAction refunds ch in full or by one minor unit.
func tryCapturedAction(o *order.Order, env order.Env, ch *order.Chunk, action string) error {
	switch action {
	case order.ActionRefund:
		return errOf(o.Refund(env, ch.LedgerID, ""))
	case order.ActionPartialRefund:
		// One unit at a rate with something left, if there is one.
		left := map[int64]int64{}
		for _, l := range ch.Lines {
			left[l.VAT] += l.TotalAmount
		}
		for _, r := range o.Refunded {
			if r.CapturedLedgerID == ch.LedgerID {
				for _, l := range r.Lines {
					left[l.VAT] -= l.TotalAmount
				}
			}
		}
		rate := int64(0)
		for _, r := range slices.Sorted(maps.Keys(left)) {
			if left[r] > 0 {
				rate = r
				break
			}
		}
		l := order.Line{Type: order.TypeService, Reference: "one", Quantity: 1, VAT: rate, TotalAmount: 1}
		return errOf(o.PartialRefund(env, ch.LedgerID, order.RefundRequest{Lines: []order.Line{l}, TotalAmount: 1}))
	}
	panic("unknown action " + action)
}

func errOf(_ *order.Order, err error) error { return err }

func TestCheck(t *testing.T) {
	c := newClock()
	base := captured(t, c, phone(), shipping())
	base = must(t, "PartialRefund")(base.PartialRefund(c.env(), base.Captured[0].LedgerID, refundOf(amountLine(order.TypeService, 1000, 2500))))
	partial := state(t, c, "partially captured")
	tests := []struct {
		name    string
		base    *order.Order
		corrupt func(o *order.Order)
	}{
		{"captured above authorized", base, func(o *order.Order) { o.AuthorizedAmount-- }},
		{"total above authorized", partial, func(o *order.Order) { o.Uncaptured.Lines[0].TotalAmount++ }},
		{"refunded above captured", base, func(o *order.Order) { o.Refunded[0].Lines[0].TotalAmount = 600000 }},
		{"negative cancelled amount", base, func(o *order.Order) { o.CancelledAmount = -1 }},
		{"empty uncaptured chunk", partial, func(o *order.Order) { o.Uncaptured.Lines = nil }},
		{"captured chunk of zero", partial, func(o *order.Order) { o.Captured[0].Lines[0].TotalAmount = 0 }},
		{"chunk refunded beyond its total", func() *order.Order {
			o := newOrder(t, c, phone(), books())
			o = must(t, "PartialCapture")(o.PartialCapture(c.env(), captureOf(books())))
			o = must(t, "Capture")(o.Capture(c.env(), captureOf(phone())))
			return must(t, "Refund")(o.Refund(c.env(), o.Captured[1].LedgerID, ""))
		}(), func(o *order.Order) { o.Refunded[0].CapturedLedgerID = o.Captured[0].LedgerID }},
		{"refund of an unknown chunk", base, func(o *order.Order) { o.Refunded[0].CapturedLedgerID = "in_gone" }},
		{"refund chunk of zero", base, func(o *order.Order) { o.Refunded[0].Lines[0].TotalAmount = 0 }},
		{"events out of order", base, func(o *order.Order) { o.Events[len(o.Events)-1].CreatedAt = t0.Add(-time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.base.Check(); err != nil {
				t.Fatalf("Check() before corruption = %v, want nil", err)
			}
			o := snapshot(tt.base)
			tt.corrupt(o)
			if err := o.Check(); err == nil {
				t.Errorf("Check() after %s = nil, want an error", tt.name)
			} else if code := kassa.ErrorCode(err); code != kassa.EInternal {
				t.Errorf("Check() error code = %q, want %q: a broken invariant is a bug, not bad input", code, kassa.EInternal)
			}
		})
	}
}

func TestClone(t *testing.T) {
	c := newClock()
	o := newOrder(t, c, line(order.TypePhysical, "1334227", 2, 250000, 2500), shipping())
	o = must(t, "PartialCapture")(o.PartialCapture(c.env(), captureOf(line(order.TypePhysical, "1334227", 1, 250000, 2500))))
	o = must(t, "PartialRefund")(o.PartialRefund(c.env(), o.Captured[0].LedgerID, refundOf(amountLine(order.TypeService, 100, 2500))))
	o.Metadata = json.RawMessage(`{"a":1}`)
	o.RiskTags = []string{"tag"}
	before := snapshot(o)

	cl := o.Clone()
	if diff := cmp.Diff(o, cl); diff != "" {
		t.Fatalf("Clone() differs (-orig +clone):\n%s", diff)
	}
	cl.Uncaptured.Lines[0].TotalAmount = 1
	cl.Uncaptured.LedgerID = "x"
	cl.Captured[0].Lines[0].Reference = "x"
	cl.Captured[0].LedgerID = "x"
	cl.Refunded[0].Lines[0].Reference = "x"
	cl.RiskTags[0] = "x"
	cl.Metadata[0] = 'x'
	cl.Events[0].Type = "x"
	_ = append(cl.Events[:1], order.Event{Type: "appended"})
	if diff := cmp.Diff(before, o); diff != "" {
		t.Errorf("changing the clone changed the original (-before +after):\n%s", diff)
	}
}
