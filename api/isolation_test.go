package api_test

import (
	"bytes"
	"strings"
	"testing"
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
