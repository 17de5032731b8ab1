package paymod_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
)

// cost is what one call cost its store (store.Stats).
type cost struct{ commits, statements, roundTrips int64 }

func (c cost) String() string {
	return fmt.Sprintf("%d commits, %d statements, %d round trips", c.commits, c.statements, c.roundTrips)
}

// measure returns what fn cost st, which nothing else uses meanwhile.
func measure(t *testing.T, st store.Store, fn func()) cost {
	t.Helper()
	before := st.Stats()
	fn()
	after := st.Stats()
	return cost{after.Updates - before.Updates, after.Statements - before.Statements, after.RoundTrips - before.RoundTrips}
}

// TestAcceptPaymentCost pins what each step of the accept-payment flow
// costs each store: commits, statements and round trips (those are
// PostgreSQL's; SQLite has none). The system provider does no I/O, so
// each step is one transaction; a provider that does I/O takes two for
// each step that calls it (the fake, whose costs are pinned too). A
// change that costs more fails here: re-measure the benchmarks
// (docs/benchmarks.md) before raising a figure.
func TestAcceptPaymentCost(t *testing.T) {
	type want map[string]cost            // by step
	wants := map[string]map[string]want{ // store → provider → step
		"sqlite": {
			paymod.SystemProviderID: {
				"collection": {1, 5, 0}, "session": {1, 9, 0}, "authorize": {1, 11, 0}, "capture": {1, 10, 0}, "refund": {1, 10, 0},
			},
			"pp_fake_default": {
				"collection": {1, 5, 0}, "session": {2, 15, 0}, "authorize": {2, 20, 0}, "capture": {2, 22, 0}, "refund": {2, 22, 0},
			},
		},
		"postgres": {
			paymod.SystemProviderID: {
				"collection": {1, 3, 1}, "session": {1, 7, 2}, "authorize": {1, 9, 2}, "capture": {1, 8, 2}, "refund": {1, 8, 2},
			},
			"pp_fake_default": {
				"collection": {1, 3, 1}, "session": {2, 11, 4}, "authorize": {2, 16, 5}, "capture": {2, 18, 8}, "refund": {2, 18, 8},
			},
		},
	}
	bothStores(t, func(t *testing.T, st store.Store) {
		name := "sqlite"
		if strings.Contains(t.Name(), "postgres") {
			name = "postgres"
		}
		svc, _ := newServiceOn(st)
		for _, provider := range []string{paymod.SystemProviderID, "pp_fake_default"} {
			ctx := t.Context()
			got := want{}
			var (
				c  *payment.Collection
				ps *payment.Session
				a  *paymod.Authorization
			)
			got["collection"] = measure(t, st, func() {
				c = ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
			})
			got["session"] = measure(t, st, func() {
				ps = ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: provider}))
			})
			got["authorize"] = measure(t, st, func() {
				a = ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
			})
			got["capture"] = measure(t, st, func() {
				ok[*payment.Payment](t, "Capture")(svc.Capture(ctx, mid, a.Payment.ID, payment.MovementRequest{}))
			})
			got["refund"] = measure(t, st, func() {
				ok[*payment.Payment](t, "Refund")(svc.Refund(ctx, mid, a.Payment.ID, payment.MovementRequest{Amount: 1000}))
			})
			for step, w := range wants[name][provider] {
				if got[step] != w {
					t.Errorf("%s with %s: %v, want %v", step, provider, got[step], w)
				}
			}
		}
	})
}
