package api_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every merchant-scoped endpoint answers another merchant's IDs with 404,
// exactly as for IDs that do not exist, and changes nothing.
func TestCrossMerchantAccess(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		c := cart(line("A", 2, 10000))
		orderID := e.order(c)
		o := e.getOrder(orderID, nil)
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		e.must(201, request{method: "POST", path: "/v1/orders/" + orderID + "/acknowledge"})
		var captured orderView
		e.must(200, request{method: "POST", path: "/v1/orders/" + orderID + "/partialcapture", body: capture}).decode(t, &captured)
		ledger := captured.Captured[0].LedgerID
		sessionID := e.session(c)
		tok := e.authorize(e.session(c), buyer)
		before := e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).body

		paths := []request{
			{method: "GET", path: "/v1/orders/" + orderID},
			{method: "POST", path: "/v1/orders/" + orderID, body: c},
			{method: "DELETE", path: "/v1/orders/" + orderID},
			{method: "DELETE", path: "/v1/orders/" + orderID + "/" + o.Uncaptured.LedgerID},
			{method: "POST", path: "/v1/orders/" + orderID + "/acknowledge"},
			{method: "POST", path: "/v1/orders/" + orderID + "/reference", body: map[string]any{"reference": "x"}},
			{method: "POST", path: "/v1/orders/" + orderID + "/capture", body: capture},
			{method: "POST", path: "/v1/orders/" + orderID + "/partialcapture", body: capture},
			{method: "POST", path: "/v1/orders/" + orderID + "/refund/" + ledger},
			{method: "POST", path: "/v1/orders/" + orderID + "/partialrefund/" + ledger, body: map[string]any{"orderLines": []any{line("A", 1, 100)}, "totalRefundAmount": 100}},
			{method: "POST", path: "/v1/orders/" + orderID + "/customer", body: map[string]any{"email": "x@example.com"}},
			{method: "POST", path: "/v1/orders/" + orderID + "/paymentmethod", body: map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "advanceInvoice"}}},
			{method: "POST", path: "/v1/orders/" + orderID + "/extendexpiry"},
			{method: "GET", path: "/v1/orders/" + orderID + "/paymentstatus"},
			{method: "GET", path: "/v1/paymentstatus?orderId=" + orderID},
			{method: "GET", path: "/v1/paymentstatus?sessionId=" + sessionID},
			{method: "GET", path: "/v1/payment-sessions/" + sessionID},
			{method: "POST", path: "/v1/payment-sessions/" + sessionID, body: c},
			{method: "DELETE", path: "/v1/payment-sessions/" + sessionID},
			{method: "POST", path: "/v1/sandbox/payment-sessions/" + sessionID + "/authorize", body: map[string]any{"customer": buyer}},
			{method: "POST", path: "/v1/sandbox/payment-sessions/" + sessionID + "/sign"},
			{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(c, buyer)},
			{method: "DELETE", path: "/v1/authorization-tokens/" + tok},
		}
		for _, r := range paths {
			r.as = &e.b
			resp := e.do(r)
			if resp.status != 404 || resp.code() != "not_found" {
				t.Errorf("merchant B: %s %s = %d %s, want 404 not_found", r.method, r.path, resp.status, resp.body)
			}
			if strings.Contains(string(resp.body), e.a.merchantID) {
				t.Errorf("merchant B: %s %s leaks merchant A's id: %s", r.method, r.path, resp.body)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).body; !bytes.Equal(before, after) {
			t.Errorf("merchant B's requests changed merchant A's order")
		}
		// The session and token still work for their owner.
		e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(c, buyer)})
	})
}

// A storeId names one of the caller's stores: another merchant's is a 400
// wherever a storeId is taken (session create and update, the order from
// a token), and changes nothing; an empty one is the caller's default.
func TestStoreBelongsToCaller(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		const storeA, storeB = "1000000000", "1000000001" // newEnvOn's
		withStore := func(c map[string]any, id string) map[string]any { return with(c, "storeId", id).(map[string]any) }
		c := cart(line("A", 1, 10000))
		refused := func(r request) {
			t.Helper()
			r.as = &e.b
			if resp := e.do(r); resp.status != 400 || resp.code() != "invalid_request" || !strings.Contains(string(resp.body), `"param":"storeId"`) {
				t.Errorf("%s %s with merchant A's storeId = %d %s, want 400 naming storeId", r.method, r.path, resp.status, resp.body)
			}
		}
		var s struct{ SessionID, StoreID string }

		refused(request{method: "POST", path: "/v1/payment-sessions", body: withStore(c, storeA)})
		e.must(200, request{method: "POST", path: "/v1/payment-sessions", body: withStore(c, storeB), as: &e.b}).decode(t, &s)
		if s.StoreID != storeB {
			t.Fatalf("session with its own storeId has store %q, want %s", s.StoreID, storeB)
		}
		path := "/v1/payment-sessions/" + s.SessionID
		before := e.must(200, request{method: "GET", path: path, as: &e.b}).body
		refused(request{method: "POST", path: path, body: withStore(c, storeA)})
		if after := e.must(200, request{method: "GET", path: path, as: &e.b}).body; !bytes.Equal(before, after) {
			t.Errorf("a refused update changed the session:\n%s\n%s", before, after)
		}
		e.must(200, request{method: "POST", path: path, body: withStore(c, ""), as: &e.b}).decode(t, &s)
		if s.StoreID != storeB {
			t.Errorf("after an update with an empty storeId the store is %q, want the default %s", s.StoreID, storeB)
		}

		var a struct{ State, AuthorizationToken string }
		e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + s.SessionID + "/authorize", body: map[string]any{"customer": buyer}, as: &e.b}).decode(t, &a)
		order := "/v1/authorization-tokens/" + a.AuthorizationToken + "/order"
		refused(request{method: "POST", path: order, body: withStore(withCustomer(c, buyer), storeA)})
		var o struct{ OrderID string }
		e.must(200, request{method: "POST", path: order, body: withStore(withCustomer(c, buyer), storeB), as: &e.b}).decode(t, &o)
		var got struct{ StoreID string }
		e.must(200, request{method: "GET", path: "/v1/orders/" + o.OrderID, as: &e.b}).decode(t, &got)
		if got.StoreID != storeB {
			t.Errorf("order store = %q, want %s", got.StoreID, storeB)
		}
	})
}

// Members a client sends that name what Kassa owns (IDs, the merchant,
// states, amounts, the risk profile, expiry) are not taken: request
// bodies decode into types holding only what a client may set.
func TestServerOwnedMembersIgnored(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		c := cart(line("A", 1, 10000))
		for k, v := range map[string]any{
			"id": "ps_mine", "sessionId": "ps_mine", "merchantId": e.b.merchantID, "state": "authorized",
			"expiresAt": "2099-01-01T00:00:00Z", "createdAt": "2000-01-01T00:00:00Z",
		} {
			c[k] = v
		}
		var s struct{ ID, SessionID, MerchantID, State, ExpiresAt string }
		e.must(200, request{method: "POST", path: "/v1/payment-sessions", body: c}).decode(t, &s)
		if !strings.HasPrefix(s.ID, "ps_") || s.ID == "ps_mine" || s.SessionID != s.ID || s.MerchantID != e.a.merchantID ||
			s.State != "created" || s.ExpiresAt != "2026-03-11T10:00:00.000000Z" {
			t.Errorf("session created with server-owned members = %+v", s)
		}

		id := e.order(cart(line("A", 1, 10000)))
		type owned struct {
			MerchantID        string
			Status            []string
			CapturedAmount    struct{ MinorUnits int64 }
			RiskProfile       any
			AuthorizeStatus   string
			MerchantReference string
		}
		var before, after owned
		e.must(200, request{method: "GET", path: "/v1/orders/" + id}).decode(t, &before)
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/reference", body: map[string]any{
			"reference": "R-1", "merchantId": e.b.merchantID, "status": []string{"fullyCaptured"},
			"capturedAmount": map[string]any{"minorUnits": 10000}, "riskProfile": map[string]any{"tags": []string{"blocklisted"}}, "authorizeStatus": "declined",
		}})
		e.must(200, request{method: "GET", path: "/v1/orders/" + id}).decode(t, &after)
		before.MerchantReference = "R-1" // what the request may change
		if diff := cmp.Diff(before, after); diff != "" || after.MerchantID != e.a.merchantID {
			t.Errorf("a reference update with server-owned members changed them (-before +after):\n%s", diff)
		}
	})
}
