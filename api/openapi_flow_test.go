package api_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/provider"
)

// validated makes every request of e go through the document's
// validation, and returns the transport, which counts what it saw.
func validated(t *testing.T, e *env) *validating {
	vt := &validating{t: t, v: validatorFor(t), next: http.DefaultTransport, seen: map[string]int{}}
	e.client.Transport = vt
	return vt
}

// A broad flow through every operation of the document, every request
// and response validated against it: payment sessions, the buyer's
// dialog, orders through their life, documents, payments, notifications,
// API clients, the audit log, credit, the payment module, the sandbox,
// and the error answers (400, 401, 402, 403, 404, 409, 413, 422, 429).
func TestOpenAPIFlow(t *testing.T) {
	e := newEnv(t, withProvider(func(c *provider.Config) { c.NotificationKey = notificationKey }))
	vt := validated(t, e)
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}

	// Service routes and the document itself.
	for _, p := range []string{"/healthz", "/readyz", "/assets/invoice.svg", "/bootstrap.js", "/payments/assets/dialog.js", "/payments/assets/kassa.css", "/docs/api"} {
		e.must(200, request{method: "GET", path: p})
	}
	doc := e.must(200, request{method: "GET", path: "/openapi.json"})
	e.must(304, request{method: "GET", path: "/openapi.json", header: map[string]string{"If-None-Match": doc.header.Get("ETag")}})
	e.must(404, request{method: "GET", path: "/payments/assets/nothing.js"})

	// Tokens: refused grant types and credentials, and their backoff.
	e.must(400, request{method: "POST", path: "/oauth/token?grant_type=password", header: invalidRequest})
	for range 5 {
		e.must(401, request{method: "POST", path: "/oauth/token", body: "grant_type=client_credentials",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic Y2xfbm9uZTp3cm9uZw=="}})
	}
	e.must(429, request{method: "POST", path: "/oauth/token", body: "grant_type=client_credentials",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic Y2xfbm9uZTp3cm9uZw=="}})

	// A session through the buyer's dialog to an order.
	c := cart(line("A", 2, 250000), line("SHIP", 1, 4900))
	c["settings"] = map[string]any{"urls": map[string]any{"confirmation": "https://shop.test/checkout", "notification": "https://shop.test/notify"}}
	sid := e.session(c)
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + sid})
	e.must(200, request{method: "POST", path: "/v1/payment-sessions/" + sid, body: c})
	e.must(200, request{method: "GET", path: "/payments/dialog/" + sid + "/status"})
	tok := e.openDialog(sid)
	e.must(204, request{method: "OPTIONS", path: "/payments/dialog/" + sid + "/close"})
	e.must(401, request{method: "POST", path: "/payments/dialog/" + sid + "/assess", header: map[string]string{"X-Kassa-Dialog": "forged.token", invalid: "true"}, body: map[string]any{"customer": buyer}})
	e.must(200, request{method: "POST", path: "/payments/dialog/" + sid + "/assess", header: map[string]string{"X-Kassa-Dialog": tok, "Sec-Fetch-Site": "same-origin"}, body: map[string]any{"customer": buyer}})
	var confirmed struct{ AuthorizationToken string }
	e.dialogPost(sid, "confirm", tok, same, map[string]any{"customer": buyer, "paymentMethod": "invoice"}).decode(t, &confirmed)
	e.must(200, request{method: "POST", path: "/payments/dialog/" + sid + "/close", header: map[string]string{"X-Kassa-Dialog": tok}})
	e.must(409, request{method: "POST", path: "/payments/dialog/" + sid + "/confirm", header: map[string]string{"X-Kassa-Dialog": tok, "Sec-Fetch-Site": "same-origin"}, body: map[string]any{"customer": buyer}})
	e.must(404, request{method: "GET", path: "/payments/dialog/ps_unknown"})
	e.must(400, request{method: "POST", path: "/v1/payment-sessions/" + sid, body: c}) // 40061: authorized
	key := map[string]string{"Idempotency-Key": "flow-order-1"}
	var created struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + confirmed.AuthorizationToken + "/order", body: withCustomer(c, buyer), header: key}).decode(t, &created)
	replay := e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + confirmed.AuthorizationToken + "/order", body: withCustomer(c, buyer), header: key})
	if replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay has no Idempotent-Replayed header")
	}
	e.must(422, request{method: "POST", path: "/v1/authorization-tokens/" + confirmed.AuthorizationToken + "/order", body: withCustomer(cart(line("A", 1, 100)), buyer), header: key})
	e.must(409, request{method: "POST", path: "/v1/authorization-tokens/" + confirmed.AuthorizationToken + "/order", body: withCustomer(c, buyer)})
	id := created.OrderID
	base := "/v1/orders/" + id

	// The order through its life.
	e.must(200, request{method: "GET", path: base})
	e.must(200, request{method: "GET", path: base + "/paymentstatus"})
	e.must(200, request{method: "GET", path: "/v1/paymentstatus?sessionId=" + sid})
	e.must(400, request{method: "GET", path: "/v1/paymentstatus", header: invalidRequest})
	e.must(404, request{method: "GET", path: "/v1/orders/or_unknown"})
	e.must(201, request{method: "POST", path: base + "/acknowledge"})
	e.must(200, request{method: "POST", path: base + "/reference", body: map[string]any{"reference": "WC-1001"}})
	e.must(200, request{method: "POST", path: base + "/customer", body: map[string]any{"email": "ap@buyer.example"}})
	e.must(200, request{method: "POST", path: base + "/extendexpiry"})
	e.must(200, request{method: "POST", path: base, body: map[string]any{"orderLines": []any{line("A", 2, 250000), line("SHIP", 1, 4900)}, "totalOrderAmount": 504900, "totalOrderVatAmount": 100980}})
	e.must(400, request{method: "POST", path: base + "/capture", body: map[string]any{"orderLines": []any{}}, header: invalidRequest})
	o := e.getOrder(id, nil)
	e.must(200, request{method: "POST", path: base + "/partialcapture", body: map[string]any{"orderLines": []any{withID(line("A", 2, 250000), o.Uncaptured.OrderLines[0].ID)}, "totalCaptureAmount": 500000}}).decode(t, &o)
	e.must(200, request{method: "POST", path: base + "/partialrefund/" + o.Captured[0].LedgerID, body: map[string]any{"orderLines": []any{line("A", 1, 250000)}, "totalRefundAmount": 250000, "note": "One returned"}})
	e.must(200, request{method: "POST", path: base + "/refund/" + o.Captured[0].LedgerID, body: map[string]any{"note": "All returned"}})
	e.must(200, request{method: "DELETE", path: base + "/" + o.Uncaptured.LedgerID})
	e.must(409, request{method: "DELETE", path: base})

	// Documents and payments.
	var docs struct {
		Documents []struct{ ID, DocumentURL, PaymentReference string }
	}
	e.must(200, request{method: "GET", path: base + "/documents"}).decode(t, &docs)
	e.must(200, request{method: "GET", path: strings.TrimPrefix(docs.Documents[0].DocumentURL, "https://kassa.test")})
	buyerPath, err := e.documents(id)[0].BuyerPath(kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	e.must(200, request{method: "GET", path: buyerPath})
	e.must(404, request{method: "GET", path: "/invoices/" + strings.Repeat("x", 43)})
	e.must(200, request{method: "PUT", path: "/v1/invoice-settings", body: map[string]any{"seller": map[string]any{"name": "Merchant A AB", "orgNo": "556000-0001"}, "paymentTerms": 10, "bankgiro": "5050-1055"}})
	e.must(200, request{method: "GET", path: "/v1/invoice-settings"})
	e.must(200, request{method: "GET", path: "/v1/sandbox/mails"})
	e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{"paymentReference": docs.Documents[0].PaymentReference, "amount": 100, "currency": "SEK"}})
	e.must(200, request{method: "POST", path: "/v1/payments/import", body: camt054([3]string{"BANK-1", "0000000000000001", "1000.00"}), header: map[string]string{"Content-Type": "application/xml"}})
	e.must(400, request{method: "POST", path: "/v1/payments/import", body: "<not-camt/>", header: map[string]string{"Content-Type": "application/xml", invalid: "true"}})
	var unmatched struct{ Payments []struct{ ID string } }
	e.must(200, request{method: "GET", path: "/v1/payments?unmatched=true"}).decode(t, &unmatched)
	e.must(200, request{method: "POST", path: "/v1/payments/" + unmatched.Payments[0].ID + "/match", body: map[string]any{"documentId": docs.Documents[0].ID}})
	e.must(409, request{method: "POST", path: "/v1/payments/" + unmatched.Payments[0].ID + "/match", body: map[string]any{"documentId": docs.Documents[0].ID}})
	e.must(200, request{method: "GET", path: "/v1/exports/sie?from=2026-03-01&to=2026-03-31"})
	e.must(400, request{method: "GET", path: "/v1/exports/sie?from=2026-03-01", header: invalidRequest})

	// Another order, to advance invoice and cancelled.
	id2 := e.order(cart(line("B", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/orders/" + id2 + "/paymentmethod", body: map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": "advanceInvoice"}}})
	e.must(409, request{method: "DELETE", path: "/v1/orders/" + id2})
	id3 := e.order(cart(line("C", 1, 10000)))
	e.must(200, request{method: "DELETE", path: "/v1/orders/" + id3})

	// A token cancelled, and the sandbox's rejection.
	s2 := e.session(cart(line("D", 1, 10000)))
	at := e.authorize(s2, buyer)
	e.must(204, request{method: "DELETE", path: "/v1/authorization-tokens/" + at})
	blocked := map[string]any{"companyId": "556000-0000", "email": "b@blocked.example"}
	e.must(402, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + s2 + "/authorize", body: map[string]any{"customer": blocked}})

	// A purchase that needs a signatory: the signing page, the sandbox's
	// sign, and one cancelled while it waits.
	signatory := maps.Clone(buyer)
	signatory["companyId"] = "556000-0001"
	s3 := e.session(cart(line("E", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + s3 + "/authorize", body: map[string]any{"customer": signatory}})
	e.must(200, request{method: "GET", path: "/v1/paymentstatus?sessionId=" + s3})
	var parked struct{ SignatoryURL string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + s3}).decode(t, &parked)
	signPath := strings.TrimPrefix(parked.SignatoryURL, "https://kassa.test")
	_, page := e.page(signPath)
	e.must(404, request{method: "GET", path: signPath + "x"})
	e.must(404, request{method: "GET", path: signPath + "/identity"}) // no identity provider in the sandbox
	if r := e.form(signPath, url.Values{"token": {signToken.FindStringSubmatch(page)[1]}, "action": {"approve"}}, same); r.StatusCode != http.StatusSeeOther {
		t.Errorf("approving = %d, want 303", r.StatusCode)
	}
	if r := e.form(signPath, url.Values{"token": {"forged"}, "action": {"approve"}}, same); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged form = %d, want 401", r.StatusCode)
	}
	s4 := e.session(cart(line("F", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + s4 + "/authorize", body: map[string]any{"customer": signatory}})
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + s4 + "/sign"})
	s5 := e.session(cart(line("G", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + s5 + "/authorize", body: map[string]any{"customer": signatory}})
	e.must(200, request{method: "DELETE", path: "/v1/payment-sessions/" + s5})

	// Notifications.
	var ep struct{ ID string }
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "https://hooks.shop.test/kassa", "eventTypes": []string{"com.ledyer.order.create"}}}).decode(t, &ep)
	e.must(400, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "http://127.0.0.1/hook"}})
	e.must(200, request{method: "GET", path: "/v1/notification-endpoints"})
	e.must(200, request{method: "GET", path: "/v1/notification-signing-secret"})
	var notes struct{ Data []struct{ ID string } }
	e.must(200, request{method: "GET", path: "/v1/notifications?limit=50&orderId=" + id}).decode(t, &notes)
	e.must(400, request{method: "GET", path: "/v1/notifications?status=lost", header: invalidRequest})
	first := notes.Data[len(notes.Data)-1].ID // the order's first: to the session's URL and the endpoint
	e.must(200, request{method: "GET", path: "/v1/notifications/" + first})
	e.must(202, request{method: "POST", path: "/v1/notifications/" + first + "/redeliver"})
	e.must(200, request{method: "POST", path: "/v1/notification-endpoints/" + ep.ID + "/rotate-secret", body: map[string]any{"overlapSeconds": 3600}})
	e.must(400, request{method: "POST", path: "/v1/notification-endpoints/" + ep.ID + "/rotate-secret", body: map[string]any{"overlap": 1}, header: invalidRequest})
	e.must(200, request{method: "POST", path: "/v1/notification-endpoints/" + ep.ID + "/disable"})
	e.must(200, request{method: "POST", path: "/v1/notification-endpoints/" + ep.ID + "/enable"})
	e.must(204, request{method: "DELETE", path: "/v1/notification-endpoints/" + ep.ID})
	e.must(400, request{method: "GET", path: "/v1/notifications/stream?cursor=nonsense"})
	e.srv.EndStreams() // so that the stream ends once it has begun, and its answer can be read
	e.must(200, request{method: "GET", path: "/v1/notifications/stream"})
	e.must(200, request{method: "PATCH", path: "/v1/merchant", body: map[string]any{"email": "ops@shop.test"}})
	e.must(200, request{method: "GET", path: "/v1/merchant"})

	// API clients, and a read client's token.
	var cl struct{ ClientID, ClientSecret string }
	e.must(201, request{method: "POST", path: "/v1/api-clients", body: map[string]any{"name": "reports", "scope": "read"}}).decode(t, &cl)
	e.must(200, request{method: "GET", path: "/v1/api-clients"})
	e.must(200, request{method: "POST", path: "/v1/api-clients/" + cl.ClientID + "/rotate", body: map[string]any{"overlapSeconds": 0}}).decode(t, &cl)
	reader := &creds{e.a.merchantID, cl.ClientID, cl.ClientSecret}
	e.must(200, request{method: "GET", path: base, as: reader})
	e.must(403, request{method: "POST", path: "/v1/payment-sessions", body: c, as: reader})
	e.must(200, request{method: "DELETE", path: "/v1/api-clients/" + cl.ClientID})
	e.must(401, request{method: "GET", path: base, header: map[string]string{"Authorization": "Bearer not-a-token"}})

	// The audit log, a page at a time.
	var events struct{ NextCursor string }
	e.must(200, request{method: "GET", path: "/v1/audit-events?limit=2&outcome=ok"}).decode(t, &events)
	e.must(200, request{method: "GET", path: "/v1/audit-events?limit=2&outcome=ok&cursor=" + events.NextCursor})
	e.must(400, request{method: "GET", path: "/v1/audit-events?limit=0", header: invalidRequest})

	// Notifications a page at a time.
	var notePage struct{ NextCursor string }
	e.must(200, request{method: "GET", path: "/v1/notifications?limit=1"}).decode(t, &notePage)
	e.must(200, request{method: "GET", path: "/v1/notifications?limit=1&cursor=" + notePage.NextCursor})

	// Orders listed, searched and exported.
	var orders struct{ NextCursor string }
	e.must(200, request{method: "GET", path: "/v1/orders?limit=1&currency=SEK&createdFrom=2026-01-01"}).decode(t, &orders)
	e.must(200, request{method: "GET", path: "/v1/orders?limit=1&cursor=" + orders.NextCursor})
	e.must(200, request{method: "GET", path: "/v1/orders?q=buyer&status=orderCaptured,orderRefunded&overdue=false"})
	e.must(400, request{method: "GET", path: "/v1/orders?status=open", header: invalidRequest})
	e.must(200, request{method: "GET", path: "/v1/orders.csv?q=buyer"})
	e.must(400, request{method: "GET", path: "/v1/orders.csv?createdTo=soon", header: invalidRequest})

	// Payment sessions a page at a time.
	var sessPage struct{ NextCursor string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions?limit=1"}).decode(t, &sessPage)
	e.must(200, request{method: "GET", path: "/v1/payment-sessions?limit=1&cursor=" + sessPage.NextCursor})
	e.must(200, request{method: "GET", path: "/v1/payment-sessions?status=authorized,cancelled,expired"})
	e.must(400, request{method: "GET", path: "/v1/payment-sessions?status=open", header: invalidRequest})

	// Invoice documents a page at a time.
	var docPage struct{ NextCursor string }
	e.must(200, request{method: "GET", path: "/v1/documents?limit=1&kind=invoice"}).decode(t, &docPage)
	e.must(200, request{method: "GET", path: "/v1/documents?limit=1&kind=invoice&cursor=" + docPage.NextCursor})
	e.must(200, request{method: "GET", path: "/v1/documents?unpaid=true&overdue=false"})
	e.must(400, request{method: "GET", path: "/v1/documents?kind=receipt", header: invalidRequest})

	// Credit.
	e.must(200, request{method: "GET", path: "/v1/credit-policy"})
	e.must(200, request{method: "PUT", path: "/v1/credit-policy", body: map[string]any{"creditLimits": map[string]any{"SEK": 50000000}, "blocklist": []string{"556765-4321"}, "companies": []any{map[string]any{"companyId": "556677-8899", "creditLimits": map[string]any{"SEK": 200000000}}}}})
	e.must(400, request{method: "PUT", path: "/v1/credit-policy", body: map[string]any{"creditLimit": map[string]any{"SEK": 1}}, header: invalidRequest})
	e.must(200, request{method: "GET", path: "/v1/credit-decisions?limit=1&outcome=approved"})

	// The payment module: a collection paid, captured and refunded; one
	// session updated, synced and deleted; a payment cancelled.
	pmFlow(t, e)

	// The sandbox demo shop.
	e.must(200, request{method: "GET", path: "/demo/shop"})
	e.must(200, request{method: "POST", path: "/demo/shop/session", header: same, body: map[string]any{"quantity": 1}})

	// The test clock, last: it moves merchant A's time on.
	e.must(200, request{method: "GET", path: "/v1/sandbox/test-clock"})
	e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 15 * 24 * 3600}})
	e.must(400, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 0}, header: invalidRequest})

	// Too large, and over the merchant's quota.
	small := newEnv(t, withConfig(func(c *api.Config) { c.MaxBodyBytes = 512 }), withLimits(api.Limits{Quota: limit.Quota{Rate: 1, Burst: 2}}, e.clock))
	svt := validated(t, small)
	small.must(413, request{method: "POST", path: "/v1/payment-sessions", body: map[string]any{"reference": strings.Repeat("x", 1000)}, header: invalidRequest})
	small.must(404, request{method: "GET", path: "/v1/payment-sessions/ps_none"}) // the burst's last
	small.must(429, request{method: "GET", path: "/v1/payment-sessions/ps_none"})
	for k, n := range svt.seen {
		vt.seen[k] += n
	}

	vt.covers(t)
}

// pmFlow runs the payment module's routes.
func pmFlow(t *testing.T, e *env) {
	col := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 500000, "metadata": map[string]any{"cart": "c1"}}}))
	e.must(200, request{method: "GET", path: pm + "/providers"})
	e.must(200, request{method: "GET", path: pm + "/collections?limit=10&status=not_paid,authorized&currency=sek"})
	e.must(200, request{method: "GET", path: pm + "/collections?after=" + col})
	e.must(200, request{method: "POST", path: pm + "/collections/" + col, body: map[string]any{"amount": 600000}})
	e.must(400, request{method: "POST", path: pm + "/collections/" + col, body: map[string]any{"currency": "EUR"}, header: invalidRequest})
	ses := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: map[string]any{"providerId": "pp_system_default", "amount": 500000}}))
	e.must(200, request{method: "POST", path: pm + "/sessions/" + ses, body: map[string]any{"data": map[string]any{"note": "gift"}}})
	e.must(200, request{method: "GET", path: pm + "/sessions/" + ses})
	var auth struct {
		Payment struct{ ID string } `json:"payment"`
	}
	e.must(200, request{method: "POST", path: pm + "/sessions/" + ses + "/authorize", body: map[string]any{}}).decode(t, &auth)
	pay := auth.Payment.ID
	e.must(200, request{method: "POST", path: pm + "/sessions/" + ses + "/sync"})
	e.must(200, request{method: "GET", path: pm + "/payments/" + pay})
	e.must(200, request{method: "POST", path: pm + "/payments/" + pay + "/capture", body: map[string]any{"amount": 200000}})
	e.must(409, request{method: "POST", path: pm + "/payments/" + pay + "/capture", body: map[string]any{"amount": 900000}})
	e.must(200, request{method: "POST", path: pm + "/payments/" + pay + "/refund", body: map[string]any{"amount": 50000, "reason": "return"}})
	e.must(200, request{method: "GET", path: pm + "/collections/" + col})
	e.must(409, request{method: "DELETE", path: pm + "/collections/" + col})
	e.must(409, request{method: "POST", path: pm + "/collections/" + col + "/cancel"})
	e.must(409, request{method: "POST", path: pm + "/payments/" + pay + "/cancel"})
	e.must(200, request{method: "POST", path: pm + "/providers/pp_system_default/webhooks", body: map[string]any{}})

	other := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 1000}}))
	s2 := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections/" + other + "/sessions", body: map[string]any{"providerId": "pp_system_default"}}))
	e.must(204, request{method: "DELETE", path: pm + "/sessions/" + s2})
	e.must(200, request{method: "POST", path: pm + "/collections/" + other + "/cancel"})
	e.must(204, request{method: "DELETE", path: pm + "/collections/" + other})
	third := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 1000}}))
	s3 := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections/" + third + "/sessions", body: map[string]any{"providerId": "pp_system_default"}}))
	e.must(200, request{method: "POST", path: pm + "/sessions/" + s3 + "/authorize"}).decode(t, &auth)
	e.must(200, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/cancel"})
	e.must(404, request{method: "GET", path: pm + "/payments/pay_none"})
}

// covers fails for each operation of the document that the flow did not
// call.
func (vt *validating) covers(t *testing.T) {
	t.Helper()
	_, s := loadSpec(t)
	m := http.NewServeMux()
	for op := range s.operations(t) {
		m.HandleFunc(op, func(http.ResponseWriter, *http.Request) {})
	}
	called := map[string]bool{}
	for k := range vt.seen {
		method, rest, _ := strings.Cut(k, " ")
		path, _, _ := strings.Cut(rest, " ")
		req, _ := http.NewRequest(method, path, nil)
		if _, pattern := m.Handler(req); pattern != "" {
			called[pattern] = true
		}
	}
	var missed []string
	for op := range s.operations(t) {
		if !called[op] {
			missed = append(missed, op)
		}
	}
	slices.Sort(missed)
	for _, op := range missed {
		t.Errorf("the flow never called %s", op)
	}
}
