package api_test

import (
	"testing"
	"time"

	"github.com/kassa-pay/kassa/provider"
)

// The background jobs change orders as requests do when the wall clock
// has stepped back behind an order's last change: the new events are
// dated no earlier than that change, instead of the job failing each
// time until the clock catches up.
func TestClockSteppedBack(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t, withProvider(func(c *provider.Config) { c.ProcessingDelay = time.Hour }))
		c := cart(line("A", 1, 10000))
		tok := e.authorize(e.session(c), buyer)
		body := withCustomer(c, buyer)
		body["autoCapture"] = map[string]any{"enabled": true, "delayMinutes": 30}
		var created struct{ OrderID string }
		e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: body}).decode(t, &created)
		id := created.OrderID

		// Acknowledged when the clock read two hours on, then the clock
		// steps back to 90 minutes: the order is due to be ready, but its
		// last change is half an hour in the future.
		e.clock.Set(t0.Add(2 * time.Hour))
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		e.clock.Set(t0.Add(90 * time.Minute))
		if n, err := e.app.MarkDueOrdersReady(t.Context()); n != 1 || err != nil {
			t.Fatalf("MarkDueOrdersReady = %d, %v; want 1", n, err)
		}
		// Ready at two hours (no earlier than the acknowledgement), so
		// captured at 2h30; a reference set at four hours, then the clock
		// steps back to three.
		e.clock.Set(t0.Add(4 * time.Hour))
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/reference", body: map[string]any{"reference": "PO-1"}})
		e.clock.Set(t0.Add(3 * time.Hour))
		if n, err := e.app.CaptureDueOrders(t.Context()); n != 1 || err != nil {
			t.Fatalf("CaptureDueOrders = %d, %v; want 1", n, err)
		}
		o := e.getOrder(id, nil)
		if len(o.Captured) != 1 || o.Uncaptured != nil {
			t.Fatalf("order after the jobs: %d captures, uncaptured %v", len(o.Captured), o.Uncaptured)
		}
		if got := eventTypes(o)[:2]; got[0] != "fullCapture" || got[1] != "setReference" { // newest first
			t.Errorf("newest events %v, want fullCapture after setReference", got)
		}
	})
}
