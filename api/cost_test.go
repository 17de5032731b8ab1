package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/load"
	"github.com/kassa-pay/kassa/store"
)

// opCost is what one request cost the store (store.Stats).
type opCost struct{ commits, statements, roundTrips int64 }

func (c opCost) String() string {
	return fmt.Sprintf("%d commits, %d statements, %d round trips", c.commits, c.statements, c.roundTrips)
}

// TestLifecycleCost pins what each write of the order lifecycle (the
// purchase BenchmarkLifecycle runs, over HTTP with Idempotency-Keys)
// costs each store: commits, statements, and round trips to PostgreSQL
// (SQLite has none). The merchant here is a sandbox merchant, as the
// benchmarks' is: each write reads its test clock, one statement that
// live mode does not make, sent with the Idempotency-Key's read. A change
// that costs more fails here: re-measure the benchmarks
// (docs/benchmarks.md) before raising a figure.
func TestLifecycleCost(t *testing.T) {
	wants := map[string]map[string]opCost{
		"sqlite": {
			"session": {1, 10, 0}, "authorize": {1, 18, 0}, "order": {1, 20, 0},
			"acknowledge": {1, 12, 0}, "capture": {1, 18, 0}, "refund": {1, 20, 0},
		},
		"postgres": {
			"session": {1, 9, 3}, "authorize": {1, 17, 5}, "order": {1, 19, 5},
			"acknowledge": {1, 11, 3}, "capture": {1, 17, 5}, "refund": {1, 19, 5},
		},
	}
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		name := "sqlite"
		if t.Name() == "TestLifecycleCost/postgres" {
			name = "postgres"
		}
		ctx := context.Background()
		c := client.New(e.http.URL, e.a.clientID, e.a.secret, client.WithRetry(client.Retry{Attempts: 1}))
		if _, err := load.Purchase(ctx, c); err != nil { // the access token, prepared statements
			t.Fatal(err)
		}
		got := map[string]opCost{}
		step := func(op string, fn func() error) {
			t.Helper()
			before := e.store.Stats()
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			after := e.store.Stats()
			got[op] = cost(before, after)
		}
		var (
			s     *client.PaymentSession
			token string
			id    string
			o     *client.Order
		)
		cart, buyer := load.SampleCart(), load.SampleBuyer()
		step("session", func() (err error) { s, err = c.CreatePaymentSession(ctx, cart); return err })
		step("authorize", func() error {
			auth, err := c.SandboxAuthorize(ctx, s.SessionID, client.SandboxAuthorizeParams{Customer: buyer})
			if err == nil {
				token = auth.AuthorizationToken
			}
			return err
		})
		step("order", func() (err error) {
			id, err = c.CreateOrder(ctx, token, client.OrderParams{PaymentSessionParams: cart, Customer: buyer})
			return err
		})
		step("acknowledge", func() error { _, err := c.AcknowledgeOrder(ctx, id); return err })
		step("capture", func() (err error) { o, err = c.CaptureOrder(ctx, id, load.SampleCapture()); return err })
		step("refund", func() error {
			_, err := c.PartialRefundOrder(ctx, id, o.Captured[0].LedgerID, load.SampleRefund())
			return err
		})
		for op, w := range wants[name] {
			if got[op] != w {
				t.Errorf("%s: %v, want %v", op, got[op], w)
			}
		}
	})
}

func cost(before, after store.Stats) opCost {
	return opCost{after.Updates - before.Updates, after.Statements - before.Statements, after.RoundTrips - before.RoundTrips}
}
