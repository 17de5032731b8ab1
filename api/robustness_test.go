package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// Bad input gets a clear 4xx and changes nothing: every mutating endpoint
// is sent malformed bodies, and the order, the notification endpoints,
// the merchant and the payments received are compared before and after.
func TestBadInputNeverFailsServerSide(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		c := cart(line("A", 2, 10000))
		orderID := e.order(c)
		sessionID := e.session(c)
		o := e.getOrder(orderID, nil)
		var endpoint struct{ ID string }
		e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "https://erp.example/hooks"}}).decode(t, &endpoint)
		var imported struct{ Payments []struct{ ID string } }
		e.must(200, request{method: "POST", path: "/v1/payments/import", body: camt054([3]string{"B-1", "1234574", "10.00"})}).decode(t, &imported)
		views := []string{"/v1/orders/" + orderID, "/v1/notification-endpoints", "/v1/merchant", "/v1/payments"}
		before := e.views(views)

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
			{"POST", "/v1/notification-endpoints/" + endpoint.ID + "/rotate-secret"},
			{"POST", "/v1/notification-endpoints/" + endpoint.ID + "/enable"},
			{"POST", "/v1/notification-endpoints/" + endpoint.ID + "/disable"},
			{"PATCH", "/v1/merchant"},
			{"POST", "/v1/payments/" + imported.Payments[0].ID + "/match"},
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
		if after := e.views(views); after != before {
			t.Errorf("bad requests changed the order, the endpoints, the merchant or the payments:\nbefore %s\nafter  %s", before, after)
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

// Text the stores keep is UTF-8 without NUL on both SQLite and PostgreSQL
// (whose text type refuses anything else). FuzzHostileText sends every
// endpoint's text fields (JSON members, metadata keys and values, query
// parameters, path values, headers used as data, form fields, camt.054
// elements) a hostile string s, on both stores, and checks that each
// answer is a success or a 4xx, never a 5xx, and that a 4xx changed
// nothing. With raw, s goes into JSON string literals unescaped, so it
// can carry escapes such as \u0000 and lone surrogates; otherwise it is
// escaped as JSON but its bytes are kept, invalid UTF-8 included.
func FuzzHostileText(f *testing.F) {
	for _, seed := range []struct {
		s   string
		raw bool
	}{
		{"\x00", false}, {"\xff", false}, {`\u0000`, true}, {`\ud800`, true}, {`\\u0000`, true},
		{"Åsa \u2028 ✓ 😀", false}, {"'\"; --<&>%00", false}, {incompressible(8000), false},
	} {
		f.Add(seed.s, seed.raw)
	}
	db, err := sqlite.Open(filepath.Join(f.TempDir(), "kassa.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	envs := map[string]*env{"sqlite": newEnvOn(f, db)}
	if os.Getenv(pgtest.EnvURL) != "" {
		envs["postgres"] = newEnvOn(f, pgtest.Open(f))
	}
	fixtures := map[string]*hostileFixture{}
	for name, e := range envs {
		fixtures[name] = newHostileFixture(e)
	}
	f.Fuzz(func(t *testing.T, s string, raw bool) {
		for name, e := range envs {
			e.t = t
			h := hostile{s: s, json: jsonText(s, raw), xml: xmlText(s, raw)}
			for _, c := range hostileCases {
				req, views := c.build(e, fixtures[name], h)
				if req.path == "" {
					continue // s cannot be sent this way
				}
				before := e.views(views)
				resp := e.do(req)
				switch {
				case resp.status >= 500:
					t.Errorf("%s: %s %s with %q = %d %s, want success or a 4xx", name, c.name, req.method, s, resp.status, resp.body)
				case resp.status >= 400:
					if strings.HasPrefix(resp.header.Get("Content-Type"), "application/json") && resp.code() == "" {
						t.Errorf("%s: %s with %q = %d without an error code: %s", name, c.name, s, resp.status, resp.body)
					}
					if after := e.views(views); after != before {
						t.Errorf("%s: %s with %q = %d, yet it changed\n%s\ninto\n%s", name, c.name, s, resp.status, before, after)
					}
				}
			}
		}
	})
}

// incompressible is n characters of hexadecimal noise: text too long for
// an index entry even after PostgreSQL compresses it.
func incompressible(n int) string {
	var b strings.Builder
	h := sha256.Sum256(nil)
	for b.Len() < n {
		h = sha256.Sum256(h[:])
		b.WriteString(hex.EncodeToString(h[:]))
	}
	return b.String()[:n]
}

// hostile is the fuzzed string and its text in a JSON string literal and
// in an XML element.
type hostile struct{ s, json, xml string }

// hostileMark stands for the hostile string in request bodies; body puts
// the string in its place.
const hostileMark = "@hostile@"

// jsonText is s as the inside of a JSON string literal: escaped where JSON
// requires it, every other byte kept; or, with raw, s itself.
func jsonText(s string, raw bool) string {
	if raw {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// xmlText is s as XML character data, every byte kept but the markup
// characters; or, with raw, s itself.
func xmlText(s string, raw bool) string {
	if raw {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// body is v as JSON with the hostile string wherever hostileMark was.
func (h hostile) body(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return strings.ReplaceAll(string(b), hostileMark, h.json)
}

// with returns a copy of v (maps and slices as JSON decodes them) whose
// member at path (dot-separated keys and list indexes) is val.
func with(v any, path string, val any) any {
	if path == "" {
		return val
	}
	head, rest, _ := strings.Cut(path, ".")
	switch x := v.(type) {
	case map[string]any:
		out := maps.Clone(x)
		out[head] = with(x[head], rest, val)
		return out
	case []any:
		i, err := strconv.Atoi(head)
		if err != nil {
			panic(path)
		}
		out := slices.Clone(x)
		out[i] = with(x[i], rest, val)
		return out
	}
	return map[string]any{head: with(nil, rest, val)}
}

// views concatenates the answers to GET requests of paths, to compare the
// state they show before and after a request.
func (e *env) views(paths []string) string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range paths {
		b.Write(e.must(200, request{method: "GET", path: p}).body)
		b.WriteByte('\n')
	}
	return b.String()
}

// hostileFixture is what the cases act on besides what they create.
type hostileFixture struct {
	order, ledger  string // an order with uncaptured lines, its uncaptured chunk
	captured       string // a captured order: partial refunds of 1 SEK
	capturedLedger string
	session        string // an open payment session
	payment        string // the payment module's authorized payment of 100 SEK
	paymentSession string
	paymentCollect string
}

func newHostileFixture(e *env) *hostileFixture {
	fx := &hostileFixture{}
	fx.order = e.order(cart(line("A", 2, 10000)))
	fx.ledger = e.getOrder(fx.order, nil).Uncaptured.LedgerID
	fx.captured = e.order(cart(line("A", 100, 100)))
	e.must(200, request{method: "POST", path: "/v1/orders/" + fx.captured + "/capture", body: map[string]any{"orderLines": []any{line("A", 100, 100)}, "totalCaptureAmount": 10000}})
	fx.capturedLedger = e.getOrder(fx.captured, nil).Captured[0].LedgerID
	fx.session = e.session(cart(line("A", 1, 10000)))
	fx.paymentCollect, fx.paymentSession, fx.payment = e.modulePayment()
	return fx
}

// modulePayment creates a collection of 100 SEK with a system-provider
// session, authorizes it and returns the three ids.
func (e *env) modulePayment() (collection, session, payment string) {
	e.t.Helper()
	collection = e.moduleCollection()
	session = idOf(e.t, e.must(201, request{method: "POST", path: pm + "/collections/" + collection + "/sessions", body: map[string]any{"providerId": "pp_system_default"}}))
	var a struct{ Payment struct{ ID string } }
	e.must(200, request{method: "POST", path: pm + "/sessions/" + session + "/authorize"}).decode(e.t, &a)
	return collection, session, a.Payment.ID
}

func (e *env) moduleCollection() string {
	e.t.Helper()
	return idOf(e.t, e.must(201, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 10000}}))
}

// hostileCase builds one request carrying the hostile string, after any
// setup it needs, and the paths whose views a 4xx must leave unchanged. A
// request with no path is skipped: s cannot be sent that way.
type hostileCase struct {
	name  string
	build func(e *env, fx *hostileFixture, h hostile) (request, []string)
}

var (
	sessionFields = []string{
		"reference", "storeId", "currency", "country", "locale", "settings.urls.notification", "settings.urls.confirmation",
		"orderLines.0.id", "orderLines.0.type", "orderLines.0.reference", "orderLines.0.description", "metadata.note",
	}
	customerFields = []string{
		"companyId", "companyName", "vatId", "email", "firstName", "lastName", "phone", "reference1", "reference2",
		"billingAddress.attentionName", "billingAddress.careOf", "billingAddress.city", "billingAddress.companyName",
		"billingAddress.country", "billingAddress.postalCode", "billingAddress.streetAddress",
		"shippingAddress.contact.email", "shippingAddress.contact.firstName", "shippingAddress.contact.phone",
		"invoiceChannel.type", "invoiceChannel.details",
	}
	sellerFields = []string{"name", "orgNo", "vatId", "streetAddress", "postalCode", "city", "country", "attention", "email", "reference1", "reference2"}
)

// hostileValue is the value of a field at path that carries the hostile
// string: URLs keep their form, with the string in their path.
func hostileValue(path string) string {
	if strings.HasPrefix(path, "settings.urls.") {
		return "https://shop.test/n/" + hostileMark
	}
	return hostileMark
}

// norwegianSession is a session whose buyers are not held to Swedish
// organisation numbers, so any companyId reaches the store.
func (e *env) norwegianSession() string {
	e.t.Helper()
	c := cart(line("A", 1, 10000))
	c["country"] = "NO"
	return e.session(c)
}

var hostileCases = func() []hostileCase {
	var cs []hostileCase
	add := func(name string, build func(e *env, fx *hostileFixture, h hostile) (request, []string)) {
		cs = append(cs, hostileCase{name, build})
	}
	post := func(path, body string) request { return request{method: "POST", path: path, body: body} }

	// Payment sessions, authorization, orders from tokens.
	for _, p := range sessionFields {
		add("session create "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return post("/v1/payment-sessions", h.body(with(cart(line("A", 1, 10000)), p, hostileValue(p)))), nil
		})
		add("session update "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			path := "/v1/payment-sessions/" + fx.session
			return post(path, h.body(with(cart(line("A", 1, 10000)), p, hostileValue(p)))), []string{path}
		})
	}
	add("session metadata key", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		path := "/v1/payment-sessions/" + fx.session
		return post(path, h.body(with(cart(line("A", 1, 10000)), "metadata", map[string]any{hostileMark: 1}))), []string{path}
	})
	for _, p := range customerFields {
		add("sandbox authorize customer."+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			id := e.norwegianSession()
			return post("/v1/sandbox/payment-sessions/"+id+"/authorize", h.body(map[string]any{"customer": with(buyer, p, hostileMark)})),
				[]string{"/v1/payment-sessions/" + id}
		})
		add("order customer "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return post("/v1/orders/"+fx.order+"/customer", h.body(with(map[string]any{}, p, hostileMark))), []string{"/v1/orders/" + fx.order}
		})
	}
	for _, p := range []string{"companyId", "companyName", "email"} {
		add("dialog assess customer."+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			id := e.norwegianSession()
			tok := e.openDialog(id)
			return request{method: "POST", path: "/payments/dialog/" + id + "/assess", header: map[string]string{"X-Kassa-Dialog": tok},
				body: h.body(map[string]any{"customer": with(buyer, p, hostileMark)})}, []string{"/v1/payment-sessions/" + id}
		})
	}
	add("sandbox authorize paymentMethod", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		id := e.session(cart(line("A", 1, 10000)))
		return post("/v1/sandbox/payment-sessions/"+id+"/authorize", h.body(map[string]any{"customer": buyer, "paymentMethod": hostileMark})),
			[]string{"/v1/payment-sessions/" + id}
	})
	for _, p := range []string{"reference", "storeId", "metadata.note", "orderLines.0.description", "customer.companyName", "customer.reference1"} {
		add("token order "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			c := cart(line("A", 1, 10000))
			id := e.session(c)
			tok := e.authorize(id, buyer)
			return post("/v1/authorization-tokens/"+tok+"/order", h.body(with(withCustomer(c, buyer), p, hostileMark))), []string{"/v1/payment-sessions/" + id}
		})
	}

	// Order management.
	orderBodies := map[string]func(fx *hostileFixture) (string, map[string]any){
		"reference": func(fx *hostileFixture) (string, map[string]any) {
			return fx.order + "/reference", map[string]any{"reference": hostileMark}
		},
		"paymentMethod.provider": func(fx *hostileFixture) (string, map[string]any) {
			return fx.order + "/paymentmethod", map[string]any{"paymentMethod": map[string]any{"provider": hostileMark, "type": "invoice"}}
		},
		"paymentMethod.type": func(fx *hostileFixture) (string, map[string]any) {
			return fx.order + "/paymentmethod", map[string]any{"paymentMethod": map[string]any{"provider": "ledyer", "type": hostileMark}}
		},
		"partialcapture description": func(fx *hostileFixture) (string, map[string]any) {
			return fx.order + "/partialcapture", map[string]any{"orderLines": []any{with(line("A", 1, 10000), "description", hostileMark)}, "totalCaptureAmount": 10000}
		},
		"edit description": func(fx *hostileFixture) (string, map[string]any) {
			return fx.order, with(cart(line("A", 2, 10000)), "orderLines.0.description", hostileMark).(map[string]any)
		},
	}
	for name, b := range orderBodies {
		add("order "+name, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			path, body := b(fx)
			return post("/v1/orders/"+path, h.body(body)), []string{"/v1/orders/" + fx.order}
		})
	}
	for _, p := range []string{"note", "orderLines.0.description", "orderLines.0.reference"} {
		add("order partialrefund "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			body := with(map[string]any{"orderLines": []any{line("A", 1, 100)}, "totalRefundAmount": 125}, p, hostileMark)
			return post("/v1/orders/"+fx.captured+"/partialrefund/"+fx.capturedLedger, h.body(body)), []string{"/v1/orders/" + fx.captured}
		})
	}
	add("Idempotency-Key", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		if !validHeaderValue(h.s) {
			return request{}, nil
		}
		return request{method: "POST", path: "/v1/orders/" + fx.order + "/reference", body: `{"reference":"via key"}`,
			header: map[string]string{"Idempotency-Key": h.s}}, []string{"/v1/orders/" + fx.order}
	})

	// Query parameters and path values.
	for _, q := range []string{
		"/v1/paymentstatus?orderId=", "/v1/paymentstatus?sessionId=", "/v1/notifications?orderId=", "/v1/notifications?sessionId=",
		"/v1/notifications?status=", "/v1/notifications?limit=", "/v1/payments?unmatched=", pm + "/collections?after=", pm + "/collections?limit=",
		"/payments/sign/ps_x/sig?done=", "/oauth/token?grant_type=",
		"/v1/exports/sie?to=2026-03-31&from=", "/v1/exports/sie?from=2026-03-01&to=2026-03-31&rate=EUR:",
	} {
		add("query "+q, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			method := "GET"
			if strings.HasPrefix(q, "/oauth/") {
				method = "POST"
			}
			return request{method: method, path: q + url.QueryEscape(h.s)}, nil
		})
	}
	for _, p := range []struct{ method, path string }{
		{"GET", "/v1/orders/%s"}, {"GET", "/v1/orders/%s/documents"}, {"DELETE", "/v1/orders/%s"}, {"GET", "/v1/payment-sessions/%s"},
		{"DELETE", "/v1/payment-sessions/%s"}, {"POST", "/v1/authorization-tokens/%s/order"}, {"DELETE", "/v1/authorization-tokens/%s"},
		{"DELETE", "/v1/notification-endpoints/%s"}, {"POST", "/v1/notification-endpoints/%s/rotate-secret"},
		{"POST", "/v1/notification-endpoints/%s/enable"}, {"POST", "/v1/notification-endpoints/%s/disable"}, {"GET", "/v1/notifications/%s"}, {"POST", "/v1/notifications/%s/redeliver"},
		{"GET", "/v1/documents/%s"}, {"GET", "/invoices/%s"}, {"GET", "/payments/dialog/%s"}, {"GET", "/payments/sign/%s/x"},
		{"GET", pm + "/collections/%s"}, {"POST", pm + "/collections/%s/sessions"}, {"GET", pm + "/sessions/%s"},
		{"POST", pm + "/sessions/%s/authorize"}, {"GET", pm + "/payments/%s"}, {"POST", pm + "/payments/%s/capture"},
		{"POST", pm + "/providers/%s/webhooks"},
	} {
		add("path "+p.method+" "+p.path, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return request{method: p.method, path: fmt.Sprintf(p.path, url.PathEscape(h.s)), body: "{}"}, nil
		})
	}
	for _, p := range []struct{ method, action string }{{"POST", "/partialrefund/"}, {"DELETE", "/"}} {
		add("ledger "+p.method+" "+p.action, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return request{method: p.method, path: "/v1/orders/" + fx.captured + p.action + url.PathEscape(h.s), body: `{"totalRefundAmount":1}`},
				[]string{"/v1/orders/" + fx.captured}
		})
	}

	// Credentials: the unauthenticated token endpoint reads the Basic
	// client id and secret, and grant_type from a form.
	for _, which := range []string{"client id", "client secret", "grant_type"} {
		add("oauth "+which, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			id, secret, form := e.a.clientID, e.a.secret, "grant_type=client_credentials"
			switch which {
			case "client id":
				id = h.s
			case "client secret":
				secret = h.s
			default:
				form = "grant_type=" + url.QueryEscape(h.s)
			}
			auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
			return request{method: "POST", path: "/oauth/token", body: form,
				header: map[string]string{"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}}, nil
		})
	}

	// Notifications, invoices, payments.
	for _, b := range []map[string]any{{"url": "https://shop.test/n/" + hostileMark}, {"url": "https://shop.test/n", "eventTypes": []any{hostileMark}}} {
		add("notification endpoint", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return post("/v1/notification-endpoints", h.body(b)), []string{"/v1/notification-endpoints"}
		})
	}
	add("merchant email", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		return request{method: "PATCH", path: "/v1/merchant", body: h.body(map[string]any{"email": hostileMark})}, []string{"/v1/merchant"}
	})
	for _, p := range sellerFields {
		add("invoice settings seller."+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return request{method: "PUT", path: "/v1/invoice-settings", body: h.body(map[string]any{"seller": map[string]any{p: hostileMark}})},
				[]string{"/v1/invoice-settings"}
		})
	}
	add("invoice settings bankgiro", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		return request{method: "PUT", path: "/v1/invoice-settings", body: h.body(map[string]any{"bankgiro": hostileMark})}, []string{"/v1/invoice-settings"}
	})
	for _, p := range []string{"paymentReference", "bankReference", "currency"} {
		add("sandbox payment "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			body := with(map[string]any{"paymentReference": "1234", "amount": 100, "currency": "SEK"}, p, hostileMark)
			return post("/v1/sandbox/payments", h.body(body)), []string{"/v1/payments"}
		})
	}
	for _, which := range []int{0, 1} {
		add(fmt.Sprintf("camt.054 import %d", which), func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			p := [3]string{"B-" + strconv.Itoa(which), "4711", "1.00"}
			p[which] = h.xml
			return post("/v1/payments/import", camt054(p)), []string{"/v1/payments"}
		})
	}

	// The payment module.
	for _, p := range []string{"currency", "metadata.note"} {
		add("module collection create "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return post(pm+"/collections", h.body(with(map[string]any{"currency": "SEK", "amount": 100}, p, hostileMark))), []string{pm + "/collections?limit=100"}
		})
	}
	add("module collection metadata key", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		path := pm + "/collections/" + fx.paymentCollect
		return post(path, h.body(map[string]any{"metadata": map[string]any{hostileMark: 1}})), []string{path}
	})
	for _, p := range []string{"providerId", "currency", "data.k", "context.k", "metadata.k"} {
		add("module session create "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			col := e.moduleCollection()
			return post(pm+"/collections/"+col+"/sessions", h.body(with(map[string]any{"providerId": "pp_system_default"}, p, hostileMark))),
				[]string{pm + "/collections/" + col}
		})
	}
	for _, p := range []string{"data.k", "context.k", "metadata.k"} {
		add("module session update "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			col := e.moduleCollection()
			ses := idOf(e.t, e.must(201, request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: map[string]any{"providerId": "pp_system_default"}}))
			return post(pm+"/sessions/"+ses, h.body(with(map[string]any{}, p, hostileMark))), []string{pm + "/collections/" + col}
		})
	}
	add("module authorize data", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		col := e.moduleCollection()
		ses := idOf(e.t, e.must(201, request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: map[string]any{"providerId": "pp_system_default"}}))
		return post(pm+"/sessions/"+ses+"/authorize", h.body(map[string]any{"data": map[string]any{"k": hostileMark}})), []string{pm + "/collections/" + col}
	})
	for _, kind := range []string{"capture", "refund", "cancel"} {
		for _, p := range []string{"reason", "note", "createdBy"} {
			add("module "+kind+" "+p, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
				col, _, pay := fx.paymentCollect, fx.paymentSession, fx.payment
				if kind == "cancel" {
					col, _, pay = e.modulePayment()
				}
				return post(pm+"/payments/"+pay+"/"+kind, h.body(map[string]any{"amount": 1, p: hostileMark})), []string{pm + "/collections/" + col}
			})
		}
	}
	add("module webhook body", func(e *env, fx *hostileFixture, h hostile) (request, []string) {
		return post(pm+"/providers/pp_system_default/webhooks", h.body(map[string]any{"id": hostileMark, "type": hostileMark})), nil
	})

	// The sandbox demo shop's backend.
	for _, a := range []struct{ action, field string }{{"update", "sessionId"}, {"order", "token"}, {"pending", "sessionId"}} {
		add("demo "+a.action+" "+a.field, func(e *env, fx *hostileFixture, h hostile) (request, []string) {
			return post("/demo/shop/"+a.action, h.body(map[string]any{a.field: hostileMark, "quantity": 1})), nil
		})
	}
	return cs
}()

// validHeaderValue reports whether s can be sent as an HTTP header value.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(s) == s
}

// /healthz says the process is alive; /readyz also asks the store, and
// answers 503 with a reason once the database is gone.
func TestReadiness(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		status := func(path string) (int, string) {
			resp := e.do(request{method: "GET", path: path})
			var v struct{ Status, Reason string }
			resp.decode(t, &v)
			if resp.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s Cache-Control = %q, want no-store", path, resp.header.Get("Cache-Control"))
			}
			return resp.status, v.Status + " " + v.Reason
		}
		for _, p := range []string{"/healthz", "/readyz"} {
			if code, body := status(p); code != 200 || body != "ok " {
				t.Errorf("%s = %d %q, want 200 ok", p, code, body)
			}
		}
		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
		if code, body := status("/readyz"); code != 503 || body != "unavailable the database does not answer" {
			t.Errorf("/readyz without a database = %d %q, want 503 with the reason", code, body)
		}
		if code, _ := status("/healthz"); code != 200 {
			t.Errorf("/healthz without a database = %d, want 200: the process is alive", code)
		}
	})
}

// brokenStore fails every transaction once broken is set: reads with an
// error, writes with a panic, each naming a detail no client may see.
type brokenStore struct {
	store.Store
	broken atomic.Bool
}

const hiddenDetail = "password=hunter2 at 10.1.2.3"

func (s *brokenStore) View(ctx context.Context, fn func(store.ReadTx) error) error {
	if s.broken.Load() {
		return errors.New("connecting: " + hiddenDetail)
	}
	return s.Store.View(ctx, fn)
}

func (s *brokenStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.broken.Load() {
		panic("writing: " + hiddenDetail)
	}
	return s.Store.Update(ctx, fn)
}

// A failure inside Kassa, an error or a panic, is answered 500 with the
// generic internal error and nothing of its cause, which goes to the log
// alone.
func TestInternalErrorsRevealNothing(t *testing.T) {
	var st *brokenStore
	logs := make(logged, 100)
	e := newEnv(t, withLog(logs), withStore(func(s store.Store) store.Store {
		st = &brokenStore{Store: s}
		return st
	}))
	e.token(&e.a)
	st.broken.Store(true)
	id := map[string]string{"X-Request-Id": "broken-1"}
	for _, r := range []request{
		{method: "GET", path: "/v1/orders/or_1", header: id},
		{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: id},
	} {
		resp := e.do(r)
		want := `{"errors":[{"code":"internal","message":"Internal error; the request may be retried"}],"requestId":"broken-1"}`
		if resp.status != 500 || string(resp.body) != want {
			t.Errorf("%s %s with the store failing = %d %s, want 500 %s", r.method, r.path, resp.status, resp.body, want)
		}
	}
	text := ""
	for len(logs) > 0 {
		text += fmt.Sprint(attrs(<-logs))
	}
	if strings.Count(text, hiddenDetail) < 2 || !strings.Contains(text, "stack:") {
		t.Errorf("the causes are not in the log:\n%s", text)
	}
}
