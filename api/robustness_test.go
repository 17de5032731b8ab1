package api_test

import (
	"bytes"
	"strings"
	"testing"
)

// Bad input gets a clear 4xx and changes nothing: every mutating endpoint
// is sent malformed bodies, and the order is compared before and after.
func TestBadInputNeverFailsServerSide(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		c := cart(line("A", 2, 10000))
		orderID := e.order(c)
		sessionID := e.session(c)
		o := e.getOrder(orderID, nil)
		before := e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).body

		bodies := []string{
			`{`, `"text"`, `42`, `null`, `[1,2]`, `{"orderLines":"x"}`, `{"orderLines":[{}]}`,
			`{"orderLines":[{"quantity":"many","vat":2500,"totalAmount":1,"totalVatAmount":0}],"totalCaptureAmount":1}`,
			`{"orderLines":[{"quantity":1,"vat":2500,"totalAmount":1e30,"totalVatAmount":0}]}`,
			`{"orderLines":[{"quantity":-1,"vat":2500,"totalAmount":100,"totalVatAmount":20}],"totalCaptureAmount":100,"totalRefundAmount":100,"totalOrderAmount":100,"totalOrderVatAmount":20}`,
			`{"orderLines":[{"quantity":1,"vat":99999,"totalAmount":100,"totalVatAmount":20}],"totalCaptureAmount":100,"totalOrderAmount":100,"totalOrderVatAmount":20}`,
			`{"orderLines":[{"quantity":1,"vat":2500,"totalAmount":-100,"totalVatAmount":-20}],"totalCaptureAmount":-100,"totalOrderAmount":-100,"totalOrderVatAmount":-20}`,
			`{"totalCaptureAmount":20000,"orderLines":[]}`,
			`{"reference":{"a":1}}`, `{"customer":[]}`, `{"email":7,"billingAddress":"x"}`,
			`{"paymentMethod":"advanceInvoice"}`, `{"currency":"XXX","orderLines":[],"totalOrderAmount":0,"totalOrderVatAmount":0}`,
			`{"currency":"SEK","orderLines":[{"quantity":1,"vat":0,"totalAmount":1,"totalVatAmount":5}],"totalOrderAmount":1,"totalOrderVatAmount":5}`,
			"\x00\xff", strings.Repeat("[", 10000),
		}
		paths := []struct{ method, path string }{
			{"POST", "/v1/payment-sessions"},
			{"POST", "/v1/payment-sessions/" + sessionID},
			{"POST", "/v1/sandbox/payment-sessions/" + sessionID + "/authorize"},
			{"POST", "/v1/orders/" + orderID},
			{"POST", "/v1/orders/" + orderID + "/reference"},
			{"POST", "/v1/orders/" + orderID + "/capture"},
			{"POST", "/v1/orders/" + orderID + "/partialcapture"},
			{"POST", "/v1/orders/" + orderID + "/partialrefund/" + o.Uncaptured.LedgerID},
			{"POST", "/v1/orders/" + orderID + "/customer"},
			{"POST", "/v1/orders/" + orderID + "/paymentmethod"},
			{"POST", "/v1/authorization-tokens/at_nope/order"},
		}
		for _, p := range paths {
			for _, b := range bodies {
				resp := e.do(request{method: p.method, path: p.path, body: b})
				if resp.status >= 500 || resp.status < 400 {
					t.Errorf("%s %s with %.40q = %d %s, want a 4xx", p.method, p.path, b, resp.status, resp.body)
				} else if resp.code() == "" {
					t.Errorf("%s %s with %.40q = %d without an error code: %s", p.method, p.path, b, resp.status, resp.body)
				}
			}
		}
		// Text that cannot be stored as text: NUL and invalid UTF-8 in the
		// path, the query and the Idempotency-Key.
		for _, req := range []request{
			{method: "GET", path: "/v1/orders/or_%00"},
			{method: "GET", path: "/v1/orders/or_%ff"},
			{method: "DELETE", path: "/v1/authorization-tokens/at_%00"},
			{method: "GET", path: "/v1/paymentstatus?orderId=%00"},
			{method: "GET", path: "/v1/paymentstatus?sessionId=%c3%28"},
			{method: "POST", path: "/v1/orders/" + orderID + "/reference", body: `{"reference":"x"}`, header: map[string]string{"Idempotency-Key": "k\xff"}},
			{method: "POST", path: "/v1/orders/" + orderID + "/reference", body: `{"reference":"x"}`, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}},
		} {
			if resp := e.do(req); resp.status != 400 || resp.code() == "" {
				t.Errorf("%s %s = %d %s, want 400 with a code", req.method, req.path, resp.status, resp.body)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).body; !bytes.Equal(before, after) {
			t.Errorf("bad requests changed the order:\nbefore %s\nafter  %s", before, after)
		}
	})
}

func TestLimitsAndRouting(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		big := `{"reference":"` + strings.Repeat("x", 2<<20) + `"}`
		if resp := e.do(request{method: "POST", path: "/v1/payment-sessions", body: big}); resp.status != 413 || resp.code() != "request_too_large" {
			t.Errorf("2 MiB body = %d %s, want 413 request_too_large", resp.status, resp.body)
		}
		if resp := e.do(request{method: "GET", path: "/v1/nothing-here"}); resp.status != 404 || resp.code() != "not_found" {
			t.Errorf("unknown path = %d %s, want 404 not_found", resp.status, resp.body)
		}
		if resp := e.do(request{method: "PUT", path: "/v1/orders/or_x"}); resp.status != 405 {
			t.Errorf("PUT on an order = %d, want 405", resp.status)
		}
		if resp := e.do(request{method: "GET", path: "/v1/paymentstatus"}); resp.status != 400 {
			t.Errorf("paymentstatus without an id = %d, want 400", resp.status)
		}
		// One client sends the method in lower case.
		id := e.order(cart(line("A", 1, 100)))
		if resp := e.do(request{method: "post", path: "/v1/orders/" + id + "/acknowledge", body: "[]"}); resp.status != 201 {
			t.Errorf("lower-case post = %d %s, want 201", resp.status, resp.body)
		}
	})
}
