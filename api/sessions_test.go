package api_test

import (
	"testing"
	"time"
)

func TestSessionLifecycle(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 2, 10000))
	var created struct {
		ID, SessionID, State, StoreID string
		Configuration                 []struct{ Type string }
	}
	e.must(200, request{method: "POST", path: "/v1/payment-sessions", body: c}).decode(t, &created)
	if created.SessionID == "" || created.ID != created.SessionID || created.State != "created" || created.StoreID != "1000000000" {
		t.Fatalf("created session = %+v, want id = sessionId, state created, the default store", created)
	}
	if len(created.Configuration) != 1 || created.Configuration[0].Type != "invoice" {
		t.Errorf("configuration = %+v, want one invoice entry", created.Configuration)
	}
	path := "/v1/payment-sessions/" + created.SessionID

	// An update replaces all lines.
	upd := cart(line("B", 1, 5000), line("C", 1, 2000))
	var got struct {
		State string
		Order struct {
			OrderLines       []struct{ Reference string }
			TotalOrderAmount int64
		}
	}
	e.must(200, request{method: "POST", path: path, body: upd}).decode(t, &got)
	if len(got.Order.OrderLines) != 2 || got.Order.OrderLines[0].Reference != "B" || got.Order.TotalOrderAmount != 7000 {
		t.Errorf("after update, order = %+v, want lines B and C totalling 7000", got.Order)
	}

	// Totals must match the lines still.
	bad := cart(line("B", 1, 5000))
	bad["totalOrderAmount"] = 4999
	if resp := e.do(request{method: "POST", path: path, body: bad}); resp.status != 400 || resp.code() != "invalid_request" {
		t.Errorf("update with wrong total = %d %s, want 400 invalid_request", resp.status, resp.body)
	}

	tok := e.authorize(created.SessionID, buyer)
	if tok[:3] != "at_" {
		t.Errorf("token = %q, want an at_ token", tok)
	}
	// Updating a completed session fails with Ledyer's 40061.
	resp := e.do(request{method: "POST", path: path, body: upd})
	if resp.status != 400 || resp.code() != "40061" {
		t.Errorf("update after authorize = %d %s, want 400 with code 40061", resp.status, resp.body)
	}

	var o struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(upd, buyer)}).decode(t, &o)
	var after struct{ State, OrderID string }
	e.must(200, request{method: "GET", path: path}).decode(t, &after)
	if after.State != "authorized" || after.OrderID != o.OrderID {
		t.Errorf("session after order = %+v, want authorized with orderId %s", after, o.OrderID)
	}
	// Completed sessions never read expired.
	e.clock.Advance(8 * 24 * time.Hour)
	e.must(200, request{method: "GET", path: path}).decode(t, &after)
	if after.State != "authorized" {
		t.Errorf("completed session after 8 days = %q, want authorized", after.State)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	id := e.session(cart(line("A", 1, 10000)))
	e.clock.Advance(7 * 24 * time.Hour)
	var s struct{ State string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).decode(t, &s)
	if s.State != "expired" {
		t.Errorf("state after 7 days = %q, want expired (still 200)", s.State)
	}
	if resp := e.do(request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": buyer}}); resp.status != 409 {
		t.Errorf("authorizing an expired session = %d %s, want 409", resp.status, resp.body)
	}
}

func TestLenientNumbersAndLocales(t *testing.T) {
	e := newEnv(t)
	// What WooCommerce and Magento clients send: totals as strings, VAT as a
	// float, the WooCommerce Checkout plugin's unrounded fee VAT, Magento's underscore locale.
	body := `{"country":"se","currency":"sek","locale":"sv_SE",
	  "orderLines":[
	    {"type":"physical","reference":1334227,"description":"Phone","quantity":1.0,"vat":2500.0,"totalAmount":"500000","totalVatAmount":"100000"},
	    {"type":"surcharge","reference":"Fee","description":"Fee","quantity":1,"vat":2500.0,"totalAmount":8333.0,"totalVatAmount":1666.6666666666667}],
	  "totalOrderAmount":"508333","totalOrderVatAmount":101667.0,"totalOrderAmountExclVat":406666.0,"metadata":null,"reference":null}`
	var s struct {
		Order struct {
			Country, Currency, Locale string
			OrderLines                []struct {
				Reference      string
				TotalVATAmount int64 `json:"totalVatAmount"`
			}
		}
	}
	e.must(200, request{method: "POST", path: "/v1/payment-sessions", body: body}).decode(t, &s)
	if s.Order.Locale != "sv-SE" || s.Order.Currency != "SEK" || s.Order.Country != "SE" {
		t.Errorf("normalised = %+v, want sv-SE/SEK/SE", s.Order)
	}
	if s.Order.OrderLines[0].Reference != "1334227" || s.Order.OrderLines[1].TotalVATAmount != 1667 {
		t.Errorf("lines = %+v, want reference \"1334227\" and fee VAT rounded to 1667", s.Order.OrderLines)
	}
}

func TestSignatoryFlow(t *testing.T) {
	e := newEnv(t)
	signatory := map[string]any{}
	for k, v := range buyer {
		signatory[k] = v
	}
	signatory["companyId"] = "556000-0001"
	c := cart(line("A", 1, 10000))

	id := e.session(c)
	var a struct{ State, AuthorizationToken string }
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": signatory}}).decode(t, &a)
	if a.State != "awaitingSignatory" || a.AuthorizationToken != "" {
		t.Fatalf("authorize = %+v, want awaitingSignatory without a token", a)
	}
	var st struct{ Status, Note string }
	e.must(200, request{method: "GET", path: "/v1/paymentstatus?sessionId=" + id}).decode(t, &st)
	if st.Status != "orderPending" || st.Note != "Awaiting signature" {
		t.Errorf("payment status = %+v, want orderPending / Awaiting signature", st)
	}
	var s struct{ State, OrderID string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).decode(t, &s)
	if s.State != "awaitingSignatory" || s.OrderID != "" {
		t.Errorf("session = %+v, want awaitingSignatory with no orderId", s)
	}
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/sign"}).decode(t, &a)
	if a.State != "authorized" || a.AuthorizationToken == "" {
		t.Fatalf("sign = %+v, want authorized with a token", a)
	}
	signedCart := withCustomer(c, signatory)
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + a.AuthorizationToken + "/order", body: signedCart})

	// A second session awaiting a signatory is cancelled instead.
	id2 := e.session(c)
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id2 + "/authorize", body: map[string]any{"customer": signatory}})
	e.must(200, request{method: "DELETE", path: "/v1/payment-sessions/" + id2}).decode(t, &s)
	if s.State != "cancelled" {
		t.Errorf("cancelled session state = %q, want cancelled", s.State)
	}
	if resp := e.do(request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id2 + "/sign"}); resp.status != 409 {
		t.Errorf("signing a cancelled session = %d, want 409", resp.status)
	}
	// Only sessions awaiting a signatory can be cancelled.
	if resp := e.do(request{method: "DELETE", path: "/v1/payment-sessions/" + e.session(c)}); resp.status != 409 {
		t.Errorf("cancelling an open session = %d, want 409", resp.status)
	}
}

func TestRejectedBuyer(t *testing.T) {
	e := newEnv(t)
	blocked := map[string]any{"companyId": "556000-0000"}
	id := e.session(cart(line("A", 1, 10000)))
	resp := e.do(request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": blocked}})
	if resp.status != 402 || resp.code() != "rejected" {
		t.Errorf("authorize blocked company = %d %s, want 402 rejected", resp.status, resp.body)
	}
	// The session stays open for another buyer.
	e.authorize(id, buyer)

	for _, c := range []map[string]any{{}, {"companyId": "12345"}, {"companyId": "559311-3714", "email": "not-an-email"}} {
		resp := e.do(request{method: "POST", path: "/v1/sandbox/payment-sessions/" + e.session(cart(line("A", 1, 100))) + "/authorize", body: map[string]any{"customer": c}})
		if resp.status != 400 {
			t.Errorf("authorize with customer %v = %d %s, want 400", c, resp.status, resp.body)
		}
	}
}

func TestAuthorizationTokens(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 1, 10000))
	id := e.session(c)
	first := e.authorize(id, buyer)
	// Authorizing again (the buyer closed the dialog and retried) supersedes the first token.
	second := e.authorize(id, buyer)
	if resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + first + "/order", body: withCustomer(c, buyer)}); resp.status != 409 {
		t.Errorf("order from a superseded token = %d %s, want 409", resp.status, resp.body)
	}

	mismatch := withCustomer(cart(line("A", 1, 20000)), buyer)
	if resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + second + "/order", body: mismatch}); resp.status != 400 {
		t.Errorf("order not matching the session = %d %s, want 400", resp.status, resp.body)
	}
	other := map[string]any{"companyId": "556677-8899"}
	if resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + second + "/order", body: withCustomer(c, other)}); resp.status != 400 {
		t.Errorf("order for another company = %d %s, want 400", resp.status, resp.body)
	}

	// Cancel the unused token: it can no longer create an order, and the
	// session can be updated and authorized again.
	e.must(204, request{method: "DELETE", path: "/v1/authorization-tokens/" + second})
	if resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + second + "/order", body: withCustomer(c, buyer)}); resp.status != 409 {
		t.Errorf("order from a cancelled token = %d %s, want 409", resp.status, resp.body)
	}
	if resp := e.do(request{method: "DELETE", path: "/v1/authorization-tokens/" + second}); resp.status != 409 {
		t.Errorf("cancelling a cancelled token = %d, want 409", resp.status)
	}
	c2 := cart(line("A", 1, 12000))
	e.must(200, request{method: "POST", path: "/v1/payment-sessions/" + id, body: c2})
	third := e.authorize(id, buyer)
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + third + "/order", body: withCustomer(c2, map[string]any{"companyId": "5593113714"})})
	if resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + third + "/order", body: withCustomer(c2, buyer)}); resp.status != 409 {
		t.Errorf("second order from a used token = %d, want 409", resp.status)
	}
	if resp := e.do(request{method: "DELETE", path: "/v1/authorization-tokens/" + third}); resp.status != 409 {
		t.Errorf("cancelling a used token = %d, want 409", resp.status)
	}

	// Tokens expire with their session.
	id = e.session(c)
	tok := e.authorize(id, buyer)
	e.clock.Advance(7 * 24 * time.Hour)
	if resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(c, buyer)}); resp.status != 409 {
		t.Errorf("order from an expired token = %d, want 409", resp.status)
	}
}
