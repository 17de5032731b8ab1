package api_test

import (
	"bytes"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
)

// auditEventOut is an audit event as the API answers it.
type auditEventOut struct {
	ID, Actor, Action, Target, RequestID, Source, Outcome string
	At                                                    time.Time
	Status                                                int
	Replay                                                bool
}

type auditPage struct {
	Data       []auditEventOut
	NextCursor string
}

// auditLog is a page of the merchant's audit log (default A's) that query
// selects.
func (e *env) auditLog(as *creds, query string) auditPage {
	e.t.Helper()
	var p auditPage
	e.must(200, request{method: "GET", path: "/v1/audit-events?" + query, as: as}).decode(e.t, &p)
	return p
}

// lastEvent is the merchant's newest audit event.
func (e *env) lastEvent(as *creds) auditEventOut {
	e.t.Helper()
	p := e.auditLog(as, "limit=1")
	if len(p.Data) != 1 {
		e.t.Fatalf("no audit event")
	}
	return p.Data[0]
}

// storedAudit is the audit log of merchantID as the store has it: the
// events of no merchant are for the operator only, and the API shows them
// to nobody.
func (e *env) storedAudit(merchantID string) []audit.Event {
	e.t.Helper()
	es, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(e.t.Context(), merchantID, store.AuditFilter{Limit: 100})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// ignoreID leaves out what only the store decides.
var ignoreID = cmpopts.IgnoreFields(auditEventOut{}, "ID")

// A change made through the API is recorded with the client that made it,
// the route, what it acted on, the request's ID (the client's, echoed),
// the connection's address and the answer.
func TestAuditMutations(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		resp := e.must(200, request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: map[string]string{"X-Request-Id": "req-create-1"}})
		if got := resp.header.Get("X-Request-Id"); got != "req-create-1" {
			t.Errorf("X-Request-Id answered %q, want the client's", got)
		}
		var s struct{ SessionID string }
		resp.decode(t, &s)
		want := auditEventOut{Actor: e.a.clientID, Action: "POST /v1/payment-sessions", Target: s.SessionID,
			RequestID: "req-create-1", Source: "127.0.0.1", Outcome: "ok", At: t0, Status: 200}
		if diff := cmp.Diff(want, e.lastEvent(nil), ignoreID); diff != "" {
			t.Errorf("session creation's event (-want +got):\n%s", diff)
		}

		id := e.order(cart(line("A", 1, 100)))
		if got := e.auditLog(nil, "target="+id).Data; len(got) != 1 || got[0].Action != "POST /v1/authorization-tokens/{token}/order" {
			t.Errorf("events of the new order %+v, want its creation from the token", got)
		}
		e.clock.Advance(time.Minute)
		long := strings.Repeat("r", 129)
		resp = e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge", header: map[string]string{"X-Request-Id": long}})
		generated := resp.header.Get("X-Request-Id")
		if generated == "" || generated == long {
			t.Errorf("X-Request-Id answered %q for one too long to take, want a new one", generated)
		}
		want = auditEventOut{Actor: e.a.clientID, Action: "POST /v1/orders/{orderId}/acknowledge", Target: id,
			RequestID: generated, Source: "127.0.0.1", Outcome: "ok", At: t0.Add(time.Minute), Status: 201}
		if diff := cmp.Diff(want, e.lastEvent(nil), ignoreID); diff != "" {
			t.Errorf("acknowledgement's event (-want +got):\n%s", diff)
		}

		// The payment module's calls, with or without a key.
		col := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 3000}}))
		if ev := e.lastEvent(nil); ev.Action != "POST /v1/payment-module/collections" || ev.Target != col || ev.Status != 201 || ev.Outcome != "ok" {
			t.Errorf("collection creation's event %+v, want the collection as target", ev)
		}
		ses := idOf(t, e.must(201, request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: map[string]any{"providerId": "pp_system_default", "amount": 3000},
			header: map[string]string{"Idempotency-Key": "pm-session-1"}}))
		if ev := e.lastEvent(nil); ev.Action != "POST /v1/payment-module/collections/{id}/sessions" || ev.Target != ses || ev.Status != 201 || ev.Replay {
			t.Errorf("module session creation's event %+v, want the new session as target", ev)
		}

		// Each merchant sees its own.
		if p := e.auditLog(&e.b, ""); len(p.Data) != 0 {
			t.Errorf("merchant B sees %d events, want none", len(p.Data))
		}
	})
}

// A change that fails is recorded on its own, with the answer's status
// and error code, and changes nothing else; so is a request refused
// before its transaction.
func TestAuditFailedMutation(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.order(cart(line("A", 1, 100)))
		before := e.must(200, request{method: "GET", path: "/v1/orders/" + id}).body
		events := len(e.auditLog(nil, "").Data)
		var notes struct{ Data []any }
		e.must(200, request{method: "GET", path: "/v1/notifications?limit=100"}).decode(t, &notes)

		over := map[string]any{"orderLines": []any{line("A", 2, 100)}, "totalCaptureAmount": 200}
		r := e.do(request{method: "POST", path: "/v1/orders/" + id + "/partialcapture", body: over, header: map[string]string{"X-Request-Id": "too-much"}})
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("capturing more than authorized = %d %s, want a 4xx", r.status, r.body)
		}
		want := auditEventOut{Actor: e.a.clientID, Action: "POST /v1/orders/{orderId}/partialcapture", Target: id,
			RequestID: "too-much", Source: "127.0.0.1", Outcome: r.code(), At: t0, Status: r.status}
		if diff := cmp.Diff(want, e.lastEvent(nil), ignoreID); diff != "" {
			t.Errorf("failed capture's event (-want +got):\n%s", diff)
		}
		r = e.do(request{method: "POST", path: "/v1/orders/" + id + "/capture", body: `{"orderLines": [`})
		if ev := e.lastEvent(nil); r.status != 400 || ev.Outcome != "invalid_request" || ev.Status != 400 || ev.Target != id {
			t.Errorf("malformed body = %d, event %+v; want 400 recorded as invalid_request", r.status, ev)
		}
		if after := e.must(200, request{method: "GET", path: "/v1/orders/" + id}).body; !bytes.Equal(before, after) {
			t.Errorf("failed requests changed the order:\n%s\n%s", before, after)
		}
		if got := len(e.auditLog(nil, "").Data); got != events+2 {
			t.Errorf("%d events after two failed requests, want %d", got, events+2)
		}
		var notesAfter struct{ Data []any }
		e.must(200, request{method: "GET", path: "/v1/notifications?limit=100"}).decode(t, &notesAfter)
		if len(notesAfter.Data) != len(notes.Data) {
			t.Errorf("failed requests wrote %d notifications", len(notesAfter.Data)-len(notes.Data))
		}

		// Another merchant's order is not found: recorded for the caller.
		if r := e.do(request{method: "DELETE", path: "/v1/orders/" + id, as: &e.b}); r.status != 404 {
			t.Fatalf("cancelling another merchant's order = %d", r.status)
		}
		if ev := e.lastEvent(&e.b); ev.Actor != e.b.clientID || ev.Outcome != "not_found" || ev.Status != 404 || ev.Action != "DELETE /v1/orders/{orderId}" {
			t.Errorf("B's refused cancel: event %+v", ev)
		}
	})
}

// A request answered with the stored answer of its Idempotency-Key is
// recorded as a replay; one refused because the key's first request is
// still running is not recorded.
func TestAuditReplays(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.order(cart(line("A", 1, 100)))
		req := request{method: "POST", path: "/v1/orders/" + id + "/reference", body: map[string]any{"reference": "PO-1"}, header: map[string]string{"Idempotency-Key": "ref-1"}}
		e.must(200, req)
		first := e.lastEvent(nil)
		e.clock.Advance(time.Minute)
		if r := e.must(200, req); r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("the retry was not replayed")
		}
		p := e.auditLog(nil, "limit=2")
		want := []auditEventOut{first, first}
		want[0].Replay, want[0].At, want[0].RequestID = true, t0.Add(time.Minute), p.Data[0].RequestID
		if diff := cmp.Diff(want, p.Data, ignoreID); diff != "" || first.Replay {
			t.Errorf("events of a request and its replay (-want +got):\n%s", diff)
		}

		mreq := request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 100}, header: map[string]string{"Idempotency-Key": "col-1"}}
		col := idOf(t, e.must(201, mreq))
		if r := e.must(201, mreq); r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("the module call's retry was not replayed")
		}
		if ev := e.lastEvent(nil); !ev.Replay || ev.Status != 201 || ev.Outcome != "ok" || ev.Action != "POST /v1/payment-module/collections" {
			t.Errorf("module replay's event %+v, want a replay of the 201", ev)
		}
		if got := e.auditLog(nil, "target="+col).Data; len(got) != 1 || got[0].Replay {
			t.Errorf("events of the created collection %+v, want its creation", got)
		}
	})
}

// While a key's first request runs, a retry is refused (409) and not
// recorded; the first request's event records the change.
func TestAuditInFlightRetryNotRecorded(t *testing.T) {
	var g *gatedStore
	e := newEnv(t, withStore(func(s store.Store) store.Store {
		g = &gatedStore{Store: s, entered: make(chan struct{}, 1), gate: make(chan struct{})}
		return g
	}))
	e.token(&e.a)
	req := request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: map[string]string{"Idempotency-Key": "in-flight"}}
	done := make(chan response)
	go func() { done <- e.do(req) }()
	<-g.entered
	if r := e.do(req); r.status != 409 {
		t.Fatalf("retry while the first runs = %d %s, want 409", r.status, r.body)
	}
	close(g.gate)
	if first := <-done; first.status != 200 {
		t.Fatalf("first request = %d %s", first.status, first.body)
	}
	if p := e.auditLog(nil, ""); len(p.Data) != 1 || p.Data[0].Outcome != "ok" {
		t.Errorf("events %+v, want the first request's alone", p.Data)
	}
}

// Failed logins are recorded: bad client credentials (the client ID as
// given, clipped, never the secret; the client's merchant when the ID
// names one), and bad or expired access tokens. A request without
// credentials is not a login and is not recorded.
func TestAuditFailedLogins(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		login := func(id, secret string) {
			t.Helper()
			form := url.Values{"grant_type": {"client_credentials"}}.Encode()
			auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
			if r := e.do(request{method: "POST", path: "/oauth/token?" + form, header: map[string]string{"Authorization": auth}}); r.status != 401 {
				t.Fatalf("login as %q = %d %s, want 401", id, r.status, r.body)
			}
		}
		const wrong = "not-the-secret"
		login(e.a.clientID, wrong)
		want := auditEventOut{Actor: e.a.clientID, Action: "POST /oauth/token", Source: "127.0.0.1", Outcome: "invalid_client", At: t0, Status: 401}
		if diff := cmp.Diff(want, e.lastEvent(nil), ignoreID, cmpopts.IgnoreFields(auditEventOut{}, "RequestID")); diff != "" {
			t.Errorf("failed login's event (-want +got):\n%s", diff)
		}
		long := "cl_" + strings.Repeat("é", 100)
		login("cl_nobody", wrong)
		login(long, wrong)
		if r := e.do(request{method: "POST", path: "/oauth/token?grant_type=client_credentials"}); r.status != 401 {
			t.Fatalf("login without credentials = %d", r.status)
		}

		// An access token that is not genuine names nobody; an expired
		// one its client.
		if r := e.do(request{method: "GET", path: "/v1/orders/or_1", header: map[string]string{"Authorization": "Bearer forged"}}); r.status != 401 {
			t.Fatalf("forged token = %d", r.status)
		}
		tok := e.token(&e.a)
		e.clock.Advance(merchant.TokenLifetime)
		if r := e.do(request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: map[string]string{"Authorization": "Bearer " + tok}}); r.status != 401 {
			t.Fatalf("expired token = %d", r.status)
		}
		if ev := e.lastEvent(nil); ev.Actor != e.a.clientID || ev.Action != "POST /v1/payment-sessions" || ev.Outcome != "unauthorized" || ev.Status != 401 {
			t.Errorf("expired token's event %+v", ev)
		}
		// Without credentials: not recorded.
		if r := e.do(request{method: "GET", path: "/v1/orders/or_1", header: map[string]string{"Authorization": ""}}); r.status != 401 {
			t.Fatalf("request without a token = %d", r.status)
		}

		var nobody [][3]string
		for _, ev := range e.storedAudit("") {
			nobody = append(nobody, [3]string{ev.Actor, ev.Action, ev.Outcome})
			if ev.Source != "127.0.0.1" || ev.RequestID == "" || ev.Status != 401 {
				t.Errorf("event %+v lacks its request", ev)
			}
		}
		slices.Reverse(nobody)
		wantNobody := [][3]string{
			{"cl_nobody", "POST /oauth/token", "invalid_client"},
			{audit.Clip(long), "POST /oauth/token", "invalid_client"},
			{audit.Anonymous, "POST /oauth/token", "invalid_client"},
			{audit.Anonymous, "GET /v1/orders/{orderId}", "unauthorized"},
		}
		if diff := cmp.Diff(wantNobody, nobody); diff != "" {
			t.Errorf("events of no merchant (-want +got):\n%s", diff)
		}
		if n := len(audit.Clip(long)); n > audit.MaxText || n < audit.MaxText-1 {
			t.Errorf("clipped client ID of %d bytes", n)
		}
		for _, m := range []string{"", e.a.merchantID} {
			for _, ev := range e.storedAudit(m) {
				if strings.Contains(ev.Actor+ev.Action+ev.Target+ev.RequestID+ev.Outcome, wrong) || strings.Contains(ev.Actor, e.a.secret) {
					t.Errorf("event %+v holds a secret", ev)
				}
			}
		}
	})
}

// The listing pages through every event once, newest first; filters
// narrow it; bad parameters are 400s that name them.
func TestAuditListing(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		var sessions []string
		for i := range 7 {
			if i%3 == 0 {
				e.clock.Advance(time.Second) // some share a time
			}
			sessions = append(sessions, e.session(cart(line("A", 1, 100))))
		}
		e.do(request{method: "DELETE", path: "/v1/payment-sessions/" + sessions[0]}) // refused: nothing awaits a signatory
		all := e.auditLog(nil, "limit=100").Data
		if len(all) != 8 || all[0].Target != sessions[0] || all[0].Outcome == "ok" || all[7].Target != sessions[0] {
			t.Fatalf("all events: %+v", all)
		}
		for i := 1; i < len(all); i++ {
			if all[i].At.After(all[i-1].At) {
				t.Errorf("event %d is newer than the one before it", i)
			}
		}
		for _, size := range []int{1, 3, 8} {
			var got []auditEventOut
			cursor := ""
			for range len(all) + 1 {
				p := e.auditLog(nil, url.Values{"limit": {strconv.Itoa(size)}, "cursor": {cursor}}.Encode())
				got = append(got, p.Data...)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
				if len(p.Data) != size {
					t.Fatalf("page of %d events with a next cursor, want %d", len(p.Data), size)
				}
			}
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("pages of %d (-want +got):\n%s", size, diff)
			}
		}
		if p := e.auditLog(nil, "limit=8"); p.NextCursor != "" {
			t.Errorf("a page holding the last event has a next cursor")
		}
		if p := e.auditLog(nil, ""); len(p.Data) != 8 {
			t.Errorf("default page of %d", len(p.Data))
		}

		targets := func(query string) []string {
			var out []string
			for _, ev := range e.auditLog(nil, query).Data {
				out = append(out, ev.Target)
			}
			return out
		}
		from, to := t0.Add(2*time.Second).Format(time.RFC3339), t0.Add(3*time.Second).Format(time.RFC3339)
		tests := []struct {
			query string
			want  []string
		}{
			{"action=" + url.QueryEscape("DELETE /v1/payment-sessions/{sessionId}"), []string{sessions[0]}},
			{"target=" + sessions[3], []string{sessions[3]}},
			{"actor=" + e.a.clientID + "&limit=2", []string{sessions[0], sessions[6]}},
			{"actor=" + e.b.clientID, nil},
			{"outcome=ok&limit=1", []string{sessions[6]}},
			{"outcome=failed", []string{sessions[0]}},
			{"outcome=" + all[0].Outcome, []string{sessions[0]}},
			{"from=" + from + "&to=" + to, []string{sessions[5], sessions[4], sessions[3]}},
			{"to=" + from, []string{sessions[2], sessions[1], sessions[0]}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, targets(tt.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.query, diff)
			}
		}
		// Pages hold 50 events unless told otherwise.
		for range 50 {
			e.do(request{method: "DELETE", path: "/v1/payment-sessions/" + sessions[1]})
		}
		if p := e.auditLog(nil, ""); len(p.Data) != 50 || p.NextCursor == "" {
			t.Errorf("a page without a limit holds %d events (next cursor %q), want 50 and more to come", len(p.Data), p.NextCursor)
		}

		for query, param := range map[string]string{
			"limit=0":                      "limit",
			"limit=101":                    "limit",
			"limit=ten":                    "limit",
			"from=yesterday":               "from",
			"to=2026-03-04":                "to",
			"from=" + to + "&to=" + from:   "to",
			"from=" + from + "&to=" + from: "to",
			"cursor=***":                   "cursor",
			"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("12.x")): "cursor",
		} {
			r := e.do(request{method: "GET", path: "/v1/audit-events?" + query})
			var body struct {
				Errors []struct{ Code, Param string }
			}
			r.decode(t, &body)
			if r.status != 400 || len(body.Errors) != 1 || body.Errors[0].Code != "invalid_request" || body.Errors[0].Param != param {
				t.Errorf("%s = %d %s, want 400 naming %s", query, r.status, r.body, param)
			}
		}
	})
}

// The buyer's changes to a session through its pages are recorded with
// the buyer as actor and the session as target, for the session's
// merchant; so are their refusals.
func TestAuditCheckout(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.session(cart(line("A", 1, 10000)))
		tok := e.openDialog(id)
		same := map[string]string{"Sec-Fetch-Site": "same-origin", "X-Request-Id": "dialog-1"}
		if r := e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": buyer}); r.status != 200 {
			t.Fatalf("confirm = %d %s", r.status, r.body)
		}
		want := auditEventOut{Actor: "buyer", Action: "POST /payments/dialog/{sessionId}/confirm", Target: id,
			RequestID: "dialog-1", Source: "127.0.0.1", Outcome: "ok", At: t0, Status: 200}
		if diff := cmp.Diff(want, e.lastEvent(nil), ignoreID); diff != "" {
			t.Errorf("confirmation's event (-want +got):\n%s", diff)
		}
		if r := e.dialogPost(id, "close", tok, nil, map[string]any{}); r.status != 200 {
			t.Fatalf("close = %d %s", r.status, r.body)
		}
		if ev := e.lastEvent(nil); ev.Actor != "buyer" || ev.Action != "POST /payments/dialog/{sessionId}/close" || ev.Target != id || ev.Outcome != "ok" {
			t.Errorf("closing's event %+v", ev)
		}
		if r := e.dialogPost(id, "assess", "forged.token", same, map[string]any{"customer": buyer}); r.status != 401 {
			t.Fatalf("assess with a forged token = %d", r.status)
		}
		want.Action, want.Outcome, want.Status = "POST /payments/dialog/{sessionId}/assess", "unauthorized", 401
		if diff := cmp.Diff(want, e.lastEvent(nil), ignoreID); diff != "" {
			t.Errorf("refused assessment's event (-want +got):\n%s", diff)
		}

		// The demo shop's backend acts for its merchant.
		var demo struct{ SessionID string }
		e.must(200, request{method: "POST", path: "/demo/shop/session", body: map[string]any{"quantity": 1}}).decode(t, &demo)
		if ev := e.lastEvent(nil); ev.Actor != "demo-shop" || ev.Action != "POST /demo/shop/{action}" || ev.Target != demo.SessionID || ev.Outcome != "ok" {
			t.Errorf("demo shop's event %+v", ev)
		}

		// The signatory's approval, refused and then made.
		signatory := maps.Clone(buyer)
		signatory["companyId"] = risk.SignatoryCompany
		id = e.session(cart(line("A", 1, 10000)))
		e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": signatory}})
		var ps struct{ SignatoryURL string }
		e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).decode(t, &ps)
		u, _ := url.Parse(ps.SignatoryURL)
		_, page := e.page(u.Path)
		sign := func(token string) int {
			t.Helper()
			body := url.Values{"token": {token}, "action": {"approve"}}.Encode()
			req, _ := http.NewRequest("POST", e.http.URL+u.Path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if status := sign("x.y"); status != 401 {
			t.Fatalf("approval with a forged token = %d", status)
		}
		if status := sign(regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)[1]); status != 303 {
			t.Fatalf("approval = %d", status)
		}
		var got [][2]string
		for _, ev := range e.auditLog(nil, "actor=signatory&target="+id).Data {
			if ev.Action != "POST /payments/sign/{sessionId}/{sig}" {
				t.Errorf("signatory's event %+v: the route's pattern, never the link's MAC, is its action", ev)
			}
			got = append(got, [2]string{strconv.Itoa(ev.Status), ev.Outcome})
		}
		if diff := cmp.Diff([][2]string{{"303", "ok"}, {"401", "unauthorized"}}, got); diff != "" {
			t.Errorf("signatory's events (-want +got):\n%s", diff)
		}
	})
}

// Requests the abuse limits refuse (429) leave no audit event: a flood's
// load must not reach the database. The failures that start a backoff are
// each recorded.
func TestAuditLimitRefusalsNotRecorded(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		clock := kassatest.NewClock(t0)
		e := newEnv(t, withLimits(api.Limits{Quota: limit.Quota{Rate: 1, Burst: 2}}, clock))
		for range 5 {
			wantToken(t, "wrong secret", e.tokenRequest(e.a.clientID, "wrong", ""), 401, "invalid_client", "")
		}
		failed := len(e.storedAudit(e.a.merchantID))
		if failed != 5 {
			t.Fatalf("%d events after 5 failed token requests, want 5", failed)
		}
		wantToken(t, "backed off", e.tokenRequest(e.a.clientID, e.a.secret, ""), 429, "rate_limited", "60")
		if n := len(e.storedAudit(e.a.merchantID)); n != failed {
			t.Errorf("a backed-off token request added %d events", n-failed)
		}

		write := request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), as: &e.b}
		e.must(200, write)
		e.must(200, write)
		before := len(e.storedAudit(e.b.merchantID))
		e.must(429, write)
		if n := len(e.storedAudit(e.b.merchantID)); n != before {
			t.Errorf("a write over the quota added %d events", n-before)
		}
	})
}
