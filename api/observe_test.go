package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/observe/observetest"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
)

// withMetrics has the server count into m.
func withMetrics(m *observe.Metrics) option { return withConfig(func(c *api.Config) { c.Metrics = m }) }

// After traffic, the requests are counted by method, route pattern and
// status, never by path; tokens and refused credentials are counted; and
// the gauges read from the store show what waits, aged by the clock: the
// notifications to the shop's URL, the document waiting for its number,
// then the mail its numbering queued.
func TestMetrics(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		m := observe.New()
		e := newEnv(t, withMetrics(m))
		m.WatchStore(e.store, e.clock)

		id := e.order(cart(line("A", 1, 10000)))
		e.getOrder(id, nil)
		e.getOrder(id, nil)
		e.must(404, request{method: "GET", path: "/v1/orders/or_missing"})
		e.must(404, request{method: "GET", path: "/v1/nothing-here"})
		e.must(405, request{method: "BREW", path: "/v1/orders/" + id})
		e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
		e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{
			"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000,
		}})
		e.must(401, request{method: "GET", path: "/v1/orders/" + id, header: map[string]string{"Authorization": ""}})
		e.must(401, request{method: "GET", path: "/v1/orders/" + id, header: map[string]string{"Authorization": "Bearer forged"}})
		if status, _ := e.grant(creds{clientID: e.a.clientID, secret: "wrong"}); status != 401 {
			t.Fatalf("a token request with the wrong secret = %d", status)
		}
		e.clock.Advance(90 * time.Second)

		got := observetest.Scrape(t, m.Handler())
		for name, want := range map[string]float64{
			`kassa_http_requests_total{code="200",method="GET",route="/v1/orders/{orderId}"}`:          2,
			`kassa_http_requests_total{code="404",method="GET",route="/v1/orders/{orderId}"}`:          1,
			`kassa_http_requests_total{code="401",method="GET",route="/v1/orders/{orderId}"}`:          2,
			`kassa_http_requests_total{code="404",method="GET",route="unrouted"}`:                      1,
			`kassa_http_requests_total{code="405",method="OTHER",route="unrouted"}`:                    1,
			`kassa_http_requests_total{code="200",method="POST",route="/v1/orders/{orderId}/capture"}`: 1,
			`kassa_http_request_duration_seconds_count{method="GET",route="/v1/orders/{orderId}"}`:     5,
			`kassa_http_requests_total{code="200",method="POST",route="/oauth/token"}`:                 1,
			`kassa_access_tokens_issued_total`:                                                         1,
			`kassa_auth_failures_total{kind="no_token"}`:                                               1,
			`kassa_auth_failures_total{kind="bad_token"}`:                                              1,
			`kassa_auth_failures_total{kind="bad_credentials"}`:                                        1,
			`kassa_rate_limited_total{limit="merchant_quota"}`:                                         0,
			`kassa_backlog_up`:                          1,
			`kassa_documents_unnumbered`:                1,
			`kassa_documents_oldest_unnumbered_seconds`: 90,
			`kassa_mails_queued`:                        0,
			`kassa_mails_oldest_queued_seconds`:         0,
			`kassa_notification_deliveries_oldest_pending_seconds{endpoint="session_url",merchant="` + e.a.merchantID + `"}`: 90,
		} {
			if v, ok := got[name]; !ok || v != want {
				t.Errorf("%s = %v (present: %v), want %v", name, v, ok, want)
			}
		}
		if n := got[`kassa_notification_deliveries_pending{endpoint="session_url",merchant="`+e.a.merchantID+`"}`]; n < 1 {
			t.Errorf("pending deliveries to the shop's notification URL = %v, want the order's notifications", n)
		}
		if got.Sum("kassa_http_request_duration_seconds_bucket", `route="/v1/orders/{orderId}"`, `le="+Inf"`) != 5 {
			t.Errorf("the duration histogram's +Inf buckets do not hold the 5 requests")
		}
		if got[`kassa_store_commits_total`] < 1 || got[`kassa_store_updates_total`] < got[`kassa_store_commits_total`] {
			t.Errorf("store commits %v answering %v updates", got[`kassa_store_commits_total`], got[`kassa_store_updates_total`])
		}
		for name := range got {
			if strings.Contains(name, id) || strings.Contains(name, "or_missing") || strings.Contains(name, "nothing-here") {
				t.Errorf("a label holds a path: %s", name)
			}
		}

		// Numbering queues the invoice's e-mail.
		if _, err := e.app.NumberDocuments(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(30 * time.Second)
		got = observetest.Scrape(t, m.Handler())
		for name, want := range map[string]float64{
			`kassa_documents_unnumbered`: 0, `kassa_documents_oldest_unnumbered_seconds`: 0,
			`kassa_mails_queued`: 1, `kassa_mails_oldest_queued_seconds`: 30,
		} {
			if got[name] != want {
				t.Errorf("after numbering: %s = %v, want %v", name, got[name], want)
			}
		}
	})
}

// Requests the abuse limits refuse are counted by limit; the access log
// names the merchant of a request its quota refused.
func TestMetricsRateLimited(t *testing.T) {
	m := observe.New()
	var log logLines
	e := newEnv(t, withMetrics(m), withJSONLog(&log), withLimits(api.Limits{Quota: limit.Quota{Rate: 0.001, Burst: 1}}, kassatest.NewClock(t0)))
	e.must(404, request{method: "GET", path: "/v1/orders/or_1"})
	e.must(429, request{method: "GET", path: "/v1/orders/or_1", header: map[string]string{"X-Request-Id": "over-quota"}})
	if line := log.accessLine(t, "over-quota"); line["status"] != float64(429) || line["merchant_id"] != e.a.merchantID {
		t.Errorf("refused request's access log line %v, want 429 and merchant %s", line, e.a.merchantID)
	}
	for range 5 {
		e.tokenRequest(e.b.clientID, "wrong", "")
	}
	if r := e.tokenRequest(e.b.clientID, e.b.secret, ""); r.status != 429 {
		t.Fatalf("token request after 5 failures = %d", r.status)
	}
	forged := map[string]string{"Authorization": "Bearer forged"}
	for range 20 {
		e.must(401, request{method: "GET", path: "/v1/orders/or_1", header: forged})
	}
	e.must(429, request{method: "GET", path: "/v1/orders/or_1", header: forged})
	got := observetest.Scrape(t, m.Handler())
	for name, want := range map[string]float64{
		`kassa_rate_limited_total{limit="merchant_quota"}`:    1,
		`kassa_rate_limited_total{limit="token_backoff"}`:     1,
		`kassa_rate_limited_total{limit="bad_token_backoff"}`: 1,
		`kassa_auth_failures_total{kind="bad_credentials"}`:   5,
		`kassa_auth_failures_total{kind="bad_token"}`:         21,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}

// logLines is a JSON log in memory, as kassa serve writes it.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// withJSONLog has the server log JSON lines to l at every level.
func withJSONLog(l *logLines) option {
	return withLog(observe.WithRequestID(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// lines are the log's lines with message msg whose request_id is id.
func (l *logLines) lines(t *testing.T, msg, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(l.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["msg"] == msg && m["request_id"] == id {
			out = append(out, m)
		}
	}
	return out
}

// accessLine waits for the access log's line of the request with ID id:
// it is written once the answer is, which the client may read first.
func (l *logLines) accessLine(t *testing.T, id string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ls := l.lines(t, "request", id); len(ls) > 0 {
			if len(ls) > 1 {
				t.Errorf("request %s has %d access log lines", id, len(ls))
			}
			return ls[0]
		}
	}
	t.Fatalf("no access log line for request %s in:\n%s", id, l)
	return nil
}

// bodyRequestID is the requestId of an error body.
func bodyRequestID(t *testing.T, body []byte) string {
	t.Helper()
	var b struct{ RequestID string }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return b.RequestID
}

// failingViews is a store whose read transactions fail while fail is set.
type failingViews struct {
	store.Store
	fail *atomic.Bool
}

func (s failingViews) View(ctx context.Context, fn func(store.ReadTx) error) error {
	if s.fail.Load() {
		return errors.New("disk on fire")
	}
	return s.Store.View(ctx, fn)
}

// A client's well-formed X-Request-Id is the request's ID: echoed in the
// header, in every error body (beside Ledyer's errors, in the OAuth
// shape too), in the request's access log line and in every other line
// logged while handling it. A malformed one is replaced by a new ID,
// which is used alike.
func TestRequestIDs(t *testing.T) {
	var log logLines
	fail := new(atomic.Bool)
	e := newEnv(t, withJSONLog(&log), withStore(func(s store.Store) store.Store { return failingViews{s, fail} }))
	withID := func(id string) map[string]string { return map[string]string{"X-Request-Id": id} }

	r := e.must(404, request{method: "GET", path: "/v1/orders/or_missing", header: withID("req-7f3a:b2/c=")})
	if got := r.header.Get("X-Request-Id"); got != "req-7f3a:b2/c=" {
		t.Errorf("X-Request-Id answered %q, want the client's", got)
	}
	if got := bodyRequestID(t, r.body); got != "req-7f3a:b2/c=" {
		t.Errorf("error body's requestId %q, want the client's: %s", got, r.body)
	}
	line := e.awaitLine(t, &log, "req-7f3a:b2/c=")
	want := map[string]any{
		"level": "INFO", "msg": "request", "request_id": "req-7f3a:b2/c=", "method": "GET", "route": "/v1/orders/{orderId}",
		"path": "/v1/orders/or_missing", "status": float64(404), "bytes": float64(len(r.body)), "merchant_id": e.a.merchantID, "client": "127.0.0.1",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v", k, line[k], v)
		}
	}
	if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("access log duration_ms = %v", line["duration_ms"])
	}

	for _, bad := range []string{"has space", `quote"d`, "semi;colon", strings.Repeat("r", 129), "ünï"} {
		r := e.do(request{method: "GET", path: "/v1/orders/or_missing", header: withID(bad)})
		got := r.header.Get("X-Request-Id")
		if got == bad || got == "" {
			t.Errorf("X-Request-Id %q answered %q, want a new ID", bad, got)
		}
		if b := bodyRequestID(t, r.body); b != got {
			t.Errorf("X-Request-Id %q: error body's requestId %q, want the new ID %q", bad, b, got)
		}
		e.awaitLine(t, &log, got)
	}

	// The OAuth error shape and the mux's 405 carry it too.
	r = e.do(request{method: "POST", path: "/oauth/token", body: "grant_type=password", header: withID("oauth-1")})
	if r.status != 400 || bodyRequestID(t, r.body) != "oauth-1" {
		t.Errorf("unsupported grant = %d %s, want 400 with requestId oauth-1", r.status, r.body)
	}
	r = e.do(request{method: "PUT", path: "/v1/orders/or_1/capture", header: withID("put-1")})
	if r.status != 405 || bodyRequestID(t, r.body) != "put-1" {
		t.Errorf("PUT on a POST route = %d %s, want 405 with requestId put-1", r.status, r.body)
	}

	// An internal error's log line names the request.
	e.token(&e.a)
	fail.Store(true)
	r = e.must(500, request{method: "GET", path: "/v1/orders/or_1", header: withID("broken-1")})
	fail.Store(false)
	if bodyRequestID(t, r.body) != "broken-1" || strings.Contains(string(r.body), "disk on fire") {
		t.Errorf("internal error body %s, want requestId broken-1 and no cause", r.body)
	}
	e.awaitLine(t, &log, "broken-1")
	if ls := log.lines(t, "internal error", "broken-1"); len(ls) != 1 || ls[0]["route"] != "GET /v1/orders/{orderId}" || !strings.Contains(ls[0]["err"].(string), "disk on fire") {
		t.Errorf("internal error log lines %v, want one naming the request, its route and the cause", ls)
	}
}

// awaitLine is log's access line of the request with ID id.
func (e *env) awaitLine(t *testing.T, log *logLines, id string) map[string]any {
	t.Helper()
	return log.accessLine(t, id)
}

// The access log names the route and the IDs in a path, never a
// credential: not the signing link's MAC, nor an authorization token, a
// buyer's link token, an access token or a client secret, in the path,
// the query or a header.
func TestAccessLogKeepsSecrets(t *testing.T) {
	var log logLines
	e := newEnv(t, withJSONLog(&log))
	signatory := map[string]any{}
	for k, v := range buyer {
		signatory[k] = v
	}
	signatory["companyId"] = risk.SignatoryCompany
	sessionID := e.session(cart(line("A", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + sessionID + "/authorize", body: map[string]any{"customer": signatory}})
	var ps struct{ SignatoryURL string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + sessionID}).decode(t, &ps)
	u, _ := url.Parse(ps.SignatoryURL)
	mac := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if resp, _ := e.page(u.Path); resp.StatusCode != 200 {
		t.Fatalf("signing page = %d", resp.StatusCode)
	}
	e.form(u.Path, url.Values{"token": {"x.y"}, "action": {"approve"}}, nil)

	authToken := e.authorize(e.session(cart(line("B", 1, 10000))), buyer)
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + authToken + "/order", body: withCustomer(cart(line("B", 1, 10000)), buyer), header: map[string]string{"X-Request-Id": "from-token"}})
	linkToken := strings.Repeat("L", 43)
	e.must(404, request{method: "GET", path: "/invoices/" + linkToken})
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(e.b.clientID+":"+e.b.secret))
	e.must(200, request{method: "POST", path: "/oauth/token?grant_type=client_credentials&client_secret=" + e.b.secret, header: map[string]string{"Authorization": basic}})
	e.do(request{method: "GET", path: "/payments/sign/" + sessionID + "/" + mac + "/extra?code=123456", header: map[string]string{"X-Request-Id": "mangled"}})

	logged := log.String()
	for what, secret := range map[string]string{
		"the signing link's MAC": mac, "an authorization token": authToken, "a buyer's link token": linkToken,
		"a client secret": e.b.secret, "an access token": e.token(&e.a), "a one-time code": "123456",
	} {
		if strings.Contains(logged, secret) {
			t.Errorf("the log holds %s (%s):\n%s", what, secret, logged)
		}
	}
	var signLines, tokenPaths []string
	for line := range strings.Lines(logged) {
		var m struct{ Msg, Route, Path string }
		json.Unmarshal([]byte(line), &m)
		switch {
		case m.Msg != "request":
		case m.Route == "/payments/sign/{sessionId}/{sig}":
			signLines = append(signLines, m.Path)
		case strings.HasPrefix(m.Route, "/v1/authorization-tokens/"), m.Route == "/invoices/{token}":
			tokenPaths = append(tokenPaths, m.Path)
		}
	}
	wantSign := "/payments/sign/" + sessionID + "/{sig}"
	if len(signLines) != 2 || signLines[0] != wantSign || signLines[1] != wantSign {
		t.Errorf("the signing page's access log paths %q, want the session's ID and the MAC's name, twice", signLines)
	}
	for _, p := range tokenPaths {
		if !strings.Contains(p, "{token}") {
			t.Errorf("access log path %q, want the token's name in its place", p)
		}
	}
	if len(tokenPaths) != 2 { // the order from the token, the buyer's link
		t.Errorf("token routes' access log paths %q, want 2", tokenPaths)
	}
	// A path no route matches keeps its short segments only.
	if line := log.accessLine(t, "mangled"); line["route"] != "unrouted" || line["path"] != "/payments/sign/…/…/extra" {
		t.Errorf("unrouted request's access log: route %v, path %v; want unrouted, /payments/sign/…/…/extra", line["route"], line["path"])
	}
}

// Health probes answered 200 are logged at debug level, below the
// default; a failing probe, like every other request, at info.
func TestAccessLogProbesAtDebug(t *testing.T) {
	var log logLines
	fail := new(atomic.Bool)
	e := newEnv(t, withLog(observe.WithRequestID(slog.NewJSONHandler(&log, nil))), withStore(func(s store.Store) store.Store { return failingViews{s, fail} }))
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.do(request{method: "GET", path: p, header: map[string]string{"X-Request-Id": "probe"}}); r.status != http.StatusOK {
			t.Fatalf("GET %s = %d", p, r.status)
		}
	}
	fail.Store(true)
	if r := e.do(request{method: "GET", path: "/readyz", header: map[string]string{"X-Request-Id": "failing-probe"}}); r.status != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz without a database = %d", r.status)
	}
	if line := log.accessLine(t, "failing-probe"); line["level"] != "INFO" || line["status"] != float64(503) {
		t.Errorf("failing probe's line %v, want it at info", line)
	}
	if ls := log.lines(t, "request", "probe"); len(ls) != 0 {
		t.Errorf("probes logged at info: %v", ls)
	}
}

// The API's listener has no /metrics, in the sandbox as in live mode.
func TestNoMetricsOnTheAPI(t *testing.T) {
	for _, sandbox := range []bool{true, false} {
		e := newEnv(t, withConfig(func(c *api.Config) { c.Sandbox = sandbox }))
		if r := e.do(request{method: "GET", path: "/metrics"}); r.status != http.StatusNotFound {
			t.Errorf("sandbox %v: GET /metrics = %d %s, want 404", sandbox, r.status, r.body)
		}
	}
}
