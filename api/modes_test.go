package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// The tests of the behaviours that differ between the sandbox and live
// mode, one for each row of docs/modes.md that the API shows.

// live configures an env as `kassa serve --mode live` does.
func live() option {
	return func(c *config, _ *store.Store) {
		c.api.Sandbox, c.checkout.Sandbox, c.provider.Live = false, false, true
	}
}

// modes runs test in each mode on both stores, with the function that
// starts an env of that mode.
func modes(t *testing.T, test func(t *testing.T, live bool, newEnv func(*testing.T, ...option) *env)) {
	for _, m := range []struct {
		name string
		opts []option
	}{{"sandbox", nil}, {"live", []option{live()}}} {
		t.Run(m.name, func(t *testing.T) {
			backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
				test(t, m.name == "live", func(t *testing.T, opts ...option) *env { return newEnv(t, append(m.opts, opts...)...) })
			})
		})
	}
}

// TestModeSandboxEndpoints: the sandbox endpoints and the demo shop are
// served in the sandbox and answer 404 in live mode.
func TestModeSandboxEndpoints(t *testing.T) {
	modes(t, func(t *testing.T, live bool, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.session(cart(line("A", 1, 10000)))
		for _, r := range []request{
			{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": buyer}},
			{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/sign"},
			{method: "GET", path: "/v1/sandbox/mails"},
			{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{"paymentReference": "1234574", "amount": 100, "currency": "SEK"}},
			{method: "GET", path: "/v1/sandbox/test-clock"},
			{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 60}},
			{method: "GET", path: "/demo/shop"},
			{method: "POST", path: "/demo/shop/session", body: map[string]any{"quantity": 1}},
		} {
			resp := e.do(r)
			if disabled := resp.status == 404 && resp.code() == "not_found" && strings.Contains(string(resp.body), "sandbox endpoints are disabled"); disabled != live || resp.status == 404 && !live {
				t.Errorf("%s %s = %d %s; want 404 in live mode only", r.method, r.path, resp.status, resp.body)
			}
		}
		if live {
			if ps := e.storedSession(id); ps.State != session.StateCreated || ps.Token != "" {
				t.Errorf("refused sandbox calls changed the session: state %s, token %q", ps.State, ps.Token)
			}
		}
	})
}

// TestModeTestCompanies: the test companies' forced outcomes apply in the
// sandbox; in live mode their IDs are assessed like any company's. The
// amount, 20,000 SEK, is above the low-limit company's sandbox limit.
func TestModeTestCompanies(t *testing.T) {
	type outcome struct {
		Outcome string
		Tags    []string
	}
	approved := outcome{risk.Approved, []string{}}
	sandbox := map[string]outcome{
		risk.BlockedCompany:      {risk.Rejected, []string{risk.TagBlocklisted}},
		risk.SignatoryCompany:    {risk.Signatory, []string{risk.TagSignatoryRequired}},
		risk.ManualReviewCompany: {risk.Approved, []string{risk.TagManualReview}},
		risk.LowLimitCompany:     {risk.Rejected, []string{risk.TagCreditLimitExceeded}},
	}
	modes(t, func(t *testing.T, live bool, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		same := map[string]string{"Sec-Fetch-Site": "same-origin"}
		for company, inSandbox := range sandbox {
			want := inSandbox
			if live {
				want = approved
			}
			id := e.session(cart(line("A", 1, 2_000_000)))
			tok := e.openDialog(id)
			var got outcome
			e.must(200, request{method: "POST", path: "/payments/dialog/" + id + "/assess", header: map[string]string{"X-Kassa-Dialog": tok}, body: map[string]any{"customer": with(buyer, "companyId", company)}}).decode(t, &got)
			if got.Outcome != want.Outcome || strings.Join(got.Tags, ",") != strings.Join(want.Tags, ",") {
				t.Errorf("%s assessed %+v, want %+v", company, got, want)
			}
			if company != risk.ManualReviewCompany {
				continue
			}
			if r := e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": with(buyer, "companyId", company)}); r.status != 200 {
				t.Fatalf("confirm = %d %s", r.status, r.body)
			}
			if ps := e.storedSession(id); ps.Forced != !live {
				t.Errorf("%s authorized with forced %v, want %v", company, ps.Forced, !live)
			}
		}
	})
}

// TestModeNotificationURLs: in live mode a notification endpoint's URL and
// a session's settings.urls.notification must be https, else 400 naming
// the field and nothing stored; the sandbox takes http too.
func TestModeNotificationURLs(t *testing.T) {
	modes(t, func(t *testing.T, live bool, newEnv func(*testing.T, ...option) *env) {
		var created int
		e := newEnv(t, withStore(func(s store.Store) store.Store { return &sessionCounter{Store: s, created: &created} }))
		refusedOrNot := func(r request, field string) bool {
			t.Helper()
			resp := e.do(r)
			if !live {
				if resp.status != 200 && resp.status != 201 {
					t.Errorf("sandbox: %s %s with an http URL = %d %s, want it taken", r.method, r.path, resp.status, resp.body)
				}
				return false
			}
			if resp.status != 400 || resp.code() != "invalid_request" || !strings.Contains(string(resp.body), `"param":"`+field+`"`) || !strings.Contains(string(resp.body), "https") {
				t.Errorf("live: %s %s with an http URL = %d %s, want 400 naming %s", r.method, r.path, resp.status, resp.body, field)
			}
			return true
		}

		// Endpoints.
		if refusedOrNot(request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "http://erp.example/hooks"}}, "url") {
			var list struct{ Data []struct{ URL string } }
			e.must(200, request{method: "GET", path: "/v1/notification-endpoints"}).decode(t, &list)
			if len(list.Data) != 0 {
				t.Errorf("refused endpoint stored: %+v", list.Data)
			}
		}
		e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "https://erp.example/hooks"}})

		// A session's notification URL, at creation.
		insecure := with(cart(line("A", 1, 10000)), "settings.urls.notification", "http://shop.example/notify")
		before := created
		if refusedOrNot(request{method: "POST", path: "/v1/payment-sessions", body: insecure}, "settings.urls.notification") && created != before {
			t.Errorf("a refused session was stored")
		}
		noURL := cart(line("A", 1, 10000))
		delete(noURL, "settings")
		e.session(noURL) // no notification URL: taken in either mode

		// And by an update; one without URLs keeps the session's.
		id := e.session(cart(line("A", 1, 10000)))
		if refusedOrNot(request{method: "POST", path: "/v1/payment-sessions/" + id, body: insecure}, "settings.urls.notification") {
			if got := e.storedSession(id).Settings.NotificationURL; got != "https://shop.test/notify" {
				t.Errorf("refused update changed the notification URL to %q", got)
			}
		}
		e.must(200, request{method: "POST", path: "/v1/payment-sessions/" + id, body: with(noURL, "settings", map[string]any{"security": map[string]any{"level": 100}})})
	})
}

// TestModeEndpointRotateEnable: in live mode an endpoint whose URL is not
// https (one made while the database ran as a sandbox) is given no new
// secret and is not enabled, 409 saying why, and nothing changes; the
// sandbox does both. An https endpoint has both in either mode.
func TestModeEndpointRotateEnable(t *testing.T) {
	modes(t, func(t *testing.T, live bool, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		insecure := &notify.Endpoint{ID: "ne_http", MerchantID: e.a.merchantID, URL: "http://erp.example/hooks",
			Secret: kassatest.KEK().Seal([]byte("whsec_ZW5kcG9pbnQgc2VjcmV0IG9mIDI0IGJ5dGVz"), notify.SecretContext("ne_http")), CreatedAt: t0}
		if err := e.store.Update(t.Context(), func(tx store.Tx) error { return tx.CreateNotificationEndpoint(t.Context(), insecure) }); err != nil {
			t.Fatal(err)
		}
		var secure struct{ ID string }
		e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "https://erp.example/hooks"}}).decode(t, &secure)
		for _, action := range []string{"rotate-secret", "enable"} {
			before := e.endpoints(nil)
			resp := e.do(request{method: "POST", path: "/v1/notification-endpoints/ne_http/" + action})
			switch {
			case !live && resp.status != 200:
				t.Errorf("sandbox: %s of an http endpoint = %d %s, want 200", action, resp.status, resp.body)
			case live && (resp.status != 409 || resp.code() != "conflict" || !strings.Contains(string(resp.body), "https")):
				t.Errorf("live: %s of an http endpoint = %d %s, want 409 saying https", action, resp.status, resp.body)
			case live && !cmp.Equal(before, e.endpoints(nil)):
				t.Errorf("live: a refused %s changed the endpoints", action)
			}
			e.must(200, request{method: "POST", path: "/v1/notification-endpoints/" + secure.ID + "/" + action})
		}
	})
}

// sessionCounter counts the sessions its transactions create.
type sessionCounter struct {
	store.Store
	created *int
}

func (s *sessionCounter) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(sessionCountingTx{tx, s.created}) })
}

type sessionCountingTx struct {
	store.Tx
	created *int
}

func (t sessionCountingTx) CreateSession(ctx context.Context, ps *session.Session) error {
	*t.created++
	return t.Tx.CreateSession(ctx, ps)
}
