package api_test

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// lowLimitBuyer is the sandbox company whose credit limit is 10,000 SEK.
func lowLimitBuyer() map[string]any {
	b := maps.Clone(buyer)
	b["companyId"] = risk.LowLimitCompany
	return b
}

func (e *env) sandboxAuthorize(sessionID string, customer map[string]any) response {
	return e.do(request{method: "POST", path: "/v1/sandbox/payment-sessions/" + sessionID + "/authorize", body: map[string]any{"customer": customer}})
}

// TestExposureAcrossOrders: the company's orders and live authorizations
// count against its limit; cancelling an order gives the credit back.
func TestExposureAcrossOrders(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 1, 600_000)) // 6,000 SEK of the 10,000 limit
	b := lowLimitBuyer()

	tok := e.authorize(e.session(c), b)
	// A second 6,000 while the first is authorized exceeds the limit.
	second := e.session(c)
	if r := e.sandboxAuthorize(second, b); r.status != 402 || r.code() != "rejected" {
		t.Fatalf("second authorization = %d %s, want 402 rejected", r.status, r.body)
	}
	var o struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(c, b)}).decode(t, &o)
	if r := e.sandboxAuthorize(second, b); r.status != 402 {
		t.Fatalf("authorization while the order is open = %d %s, want 402", r.status, r.body)
	}
	// Another company, and another merchant, are unaffected.
	e.authorize(e.session(c), buyer)

	e.must(200, request{method: "DELETE", path: "/v1/orders/" + o.OrderID})
	tok2 := e.authorize(second, b)

	// The order records its tags; exposure shows as openExposure once a
	// company has some.
	third := e.session(cart(line("B", 1, 100_000)))
	var a struct{ State string }
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + third + "/authorize", body: map[string]any{"customer": b}}).decode(t, &a)
	var o3 struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + e.tokenOf(third) + "/order", body: withCustomer(cart(line("B", 1, 100_000)), b)}).decode(t, &o3)
	var got struct{ RiskProfile struct{ Tags []string } }
	e.must(200, request{method: "GET", path: "/v1/orders/" + o3.OrderID}).decode(t, &got)
	if len(got.RiskProfile.Tags) != 1 || got.RiskProfile.Tags[0] != risk.TagOpenExposure {
		t.Errorf("riskProfile.tags = %v, want [openExposure]", got.RiskProfile.Tags)
	}

	// Cancelling the unused token releases its hold: 6,000 fits again.
	e.must(204, request{method: "DELETE", path: "/v1/authorization-tokens/" + tok2})
	e.authorize(e.session(c), b)
}

// tokenOf reads the current token of an authorized session from the store.
func (e *env) tokenOf(sessionID string) string {
	e.t.Helper()
	ps := e.storedSession(sessionID)
	if ps.Token == "" {
		e.t.Fatalf("session %s has no token", sessionID)
	}
	return ps.Token
}

// TestConcurrentAuthorizationsRespectLimit: many buyers of one company
// authorizing at once never get more than the credit limit granted.
func TestConcurrentAuthorizationsRespectLimit(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		const n = 12
		c := cart(line("A", 1, 300_000)) // 3,000 SEK each: three fit in 10,000
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.session(c)
		}
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() { statuses[i] = e.sandboxAuthorize(id, lowLimitBuyer()).status })
		}
		wg.Wait()
		wantGranted(t, statuses, 3)
	})
}

// TestReplicasCreditLimit: two Kassa servers on one PostgreSQL database
// authorizing one company at once still grant no more than its limit.
func TestReplicasCreditLimit(t *testing.T) {
	cs, _ := replicas(t, nil)
	ctx := t.Context()
	const n = 12
	c := cart(line("A", 1, 300_000))
	ids := make([]string, n)
	for i := range ids {
		var s struct{ SessionID string }
		if _, err := cs[0].Do(ctx, "POST", "/v1/payment-sessions", c, &s); err != nil {
			t.Fatal(err)
		}
		ids[i] = s.SessionID
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			statuses[i], _ = cs[i%2].Do(ctx, "POST", "/v1/sandbox/payment-sessions/"+id+"/authorize", map[string]any{"customer": lowLimitBuyer()}, nil)
		})
	}
	wg.Wait()
	wantGranted(t, statuses, 3)
}

// wantGranted checks that exactly want authorizations got 200 and the
// rest were declined with 402.
func wantGranted(t *testing.T, statuses []int, want int) {
	t.Helper()
	granted := 0
	for i, st := range statuses {
		switch st {
		case 200:
			granted++
		case 402:
		default:
			t.Errorf("authorization %d = %d, want 200 or 402", i, st)
		}
	}
	if granted != want {
		t.Errorf("%d authorizations granted, want exactly %d (3 × 3,000 ≤ 10,000 < 4 × 3,000)", granted, want)
	}
}

// storedSession reads merchant A's session straight from the store.
func (e *env) storedSession(id string) *session.Session {
	e.t.Helper()
	var ps *session.Session
	err := e.store.View(context.Background(), func(tx store.ReadTx) error {
		var err error
		ps, err = tx.Session(context.Background(), e.a.merchantID, id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// TestEditCountsOtherExposure: an order that grows is checked against the
// company's exposure without the order itself.
func TestEditCountsOtherExposure(t *testing.T) {
	e := newEnv(t)
	b := lowLimitBuyer()
	first := cart(line("A", 1, 600_000))
	tok := e.authorize(e.session(first), b)
	var o struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(first, b)}).decode(t, &o)
	second := cart(line("B", 1, 300_000))
	e.authorize(e.session(second), b) // 9,000 of 10,000 in use

	// 6,000 → 7,000 fits (7,000 + 3,000); 6,000 → 7,001 does not.
	if r := e.do(request{method: "POST", path: "/v1/orders/" + o.OrderID, body: cart(line("A", 1, 700_100))}); r.status != 402 || r.code() != "rejected" {
		t.Errorf("edit above the limit = %d %s, want 402 rejected", r.status, r.body)
	}
	e.must(200, request{method: "POST", path: "/v1/orders/" + o.OrderID, body: cart(line("A", 1, 700_000))})
	// The order now holds 7,000: a third purchase of 1 SEK is over the limit.
	if r := e.sandboxAuthorize(e.session(cart(line("C", 1, 100))), b); r.status != 402 {
		t.Errorf("authorization with the limit used up = %d %s, want 402", r.status, r.body)
	}
}
