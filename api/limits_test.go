package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// logged is a slog handler that passes on each record logged.
type logged chan slog.Record

func (l logged) Enabled(context.Context, slog.Level) bool      { return true }
func (l logged) Handle(_ context.Context, r slog.Record) error { l <- r.Clone(); return nil }
func (l logged) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l logged) WithGroup(string) slog.Handler                 { return l }

// attrs are a record's message and attributes as text.
func attrs(r slog.Record) map[string]string {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}

// withLimits sets the API's limits, timed by clock.
func withLimits(l api.Limits, clock *kassatest.Clock) option {
	return withConfig(func(c *api.Config) {
		c.Limits = l
		c.Limits.Clock = clock
	})
}

// withLog has the server log to h.
func withLog(h slog.Handler) option { return func(c *config, _ *store.Store) { c.log = h } }

// tokenRequest asks for an access token with id and secret, from the
// address in X-Forwarded-For when forwarded is not "".
func (e *env) tokenRequest(id, secret, forwarded string) response {
	e.t.Helper()
	h := map[string]string{
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret)),
		"Content-Type":  "application/x-www-form-urlencoded",
	}
	if forwarded != "" {
		h["X-Forwarded-For"] = forwarded
	}
	return e.do(request{method: "POST", path: "/oauth/token", body: "grant_type=client_credentials", header: h})
}

// wantToken fails unless resp answers status with the OAuth error code
// (none for 200) and, for 429, Retry-After retryAfter.
func wantToken(t *testing.T, what string, resp response, status int, code, retryAfter string) {
	t.Helper()
	if resp.status != status || resp.code() != code {
		t.Fatalf("%s = %d %s, want %d %q", what, resp.status, resp.body, status, code)
	}
	if got := resp.header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("%s Retry-After = %q, want %q", what, got, retryAfter)
	}
}

// Failed token requests back off per client id: after 5 failures the
// right secret is refused too, for a minute, then two after the next
// failure; once the wait is over the right secret is accepted and the
// count starts again. An unknown client id is answered alike.
func TestTokenBackoff(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		clock := kassatest.NewClock(t0)
		logs := make(logged, 100)
		e := newEnv(t, withLimits(api.Limits{}, clock), withLog(logs))
		a := e.a
		e.must(404, request{method: "GET", path: "/v1/orders/or_missing"}) // a token issued before the failures
		for i := range 5 {
			wantToken(t, fmt.Sprintf("wrong secret %d", i+1), e.tokenRequest(a.clientID, "wrong", ""), 401, "invalid_client", "")
		}
		refused := e.tokenRequest(a.clientID, a.secret, "")
		wantToken(t, "right secret after 5 failures", refused, 429, "rate_limited", "60")
		wantToken(t, "the other merchant's client", e.tokenRequest(e.b.clientID, e.b.secret, ""), 200, "", "")
		e.must(404, request{method: "GET", path: "/v1/orders/or_missing"}) // the token issued before still works
		// The fifth failure was logged before it was answered.
		select {
		case r := <-logs:
			want := map[string]string{"msg": "failed token requests: backing off", "client_id": a.clientID, "source": "127.0.0.1", "retry_after": "1m0s"}
			if diff := cmp.Diff(want, attrs(r)); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		default:
			t.Error("the backoff was not logged")
		}

		unknown := "cl_" + a.clientID[3:len(a.clientID)-1] + "x" // as long as a real one
		for i := range 5 {
			wantToken(t, fmt.Sprintf("unknown client id %d", i+1), e.tokenRequest(unknown, "wrong", ""), 401, "invalid_client", "")
		}
		unknownRefused := e.tokenRequest(unknown, "wrong", "")
		wantToken(t, "unknown client id after 5 failures", unknownRefused, 429, "rate_limited", "60")
		if !bytes.Equal(refused.body, unknownRefused.body) {
			t.Errorf("refusals differ between a real and an unknown client id:\n%s\n%s", refused.body, unknownRefused.body)
		}

		clock.Advance(time.Minute)
		wantToken(t, "wrong secret once the minute is over", e.tokenRequest(a.clientID, "wrong", ""), 401, "invalid_client", "")
		wantToken(t, "right secret after 6 failures", e.tokenRequest(a.clientID, a.secret, ""), 429, "rate_limited", "120")
		clock.Advance(119 * time.Second)
		wantToken(t, "right secret a second early", e.tokenRequest(a.clientID, a.secret, ""), 429, "rate_limited", "1")
		clock.Advance(time.Second)
		wantToken(t, "right secret after the wait", e.tokenRequest(a.clientID, a.secret, ""), 200, "", "")
		wantToken(t, "wrong secret after a success", e.tokenRequest(a.clientID, "wrong", ""), 401, "invalid_client", "")
		wantToken(t, "right secret after one failure", e.tokenRequest(a.clientID, a.secret, ""), 200, "", "")
	})
}

// The log line of a backoff names the client id as given, clipped as the
// audit log clips it: whole characters, never a split one.
func TestTokenBackoffLogClipsClientID(t *testing.T) {
	logs := make(logged, 100)
	e := newEnv(t, withLimits(api.Limits{}, kassatest.NewClock(t0)), withLog(logs))
	long := "cl_" + strings.Repeat("é", 100)
	for range 5 {
		wantToken(t, "a long client id", e.tokenRequest(long, "wrong", ""), 401, "invalid_client", "")
	}
	select {
	case r := <-logs:
		if got := attrs(r)["client_id"]; got != audit.Clip(long) || !utf8.ValidString(got) {
			t.Errorf("logged client id %q, want %q", got, audit.Clip(long))
		}
	default:
		t.Error("the backoff was not logged")
	}
}

// Failed token requests back off per source address too, whichever
// client ids they name. The address is the connection's peer; only a
// trusted proxy's X-Forwarded-For can name another, and then only its
// rightmost untrusted entry counts.
func TestTokenBackoffPerAddress(t *testing.T) {
	// guess is the i-th guess, each at a client id of its own.
	guess := func(t *testing.T, e *env, i int, forwarded string) {
		t.Helper()
		wantToken(t, "a guess", e.tokenRequest(fmt.Sprintf("cl_guess%d", i), "x", forwarded), 401, "invalid_client", "")
	}

	t.Run("no trusted proxy: X-Forwarded-For is ignored", func(t *testing.T) {
		backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
			e := newEnv(t, withLimits(api.Limits{}, kassatest.NewClock(t0)))
			for i := range 20 {
				guess(t, e, i, fmt.Sprintf("198.51.100.%d", i)) // 20 guesses claiming 20 addresses
			}
			wantToken(t, "from a 'new' address", e.tokenRequest(e.b.clientID, e.b.secret, "203.0.113.9"), 429, "rate_limited", "1")
		})
	})

	t.Run("trusted proxy", func(t *testing.T) {
		backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
			proxy := api.Limits{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
			e := newEnv(t, withLimits(proxy, kassatest.NewClock(t0)))
			// The guesser at 198.51.100.7 writes an address of its own;
			// the proxy appends the one it saw.
			for i := range 20 {
				guess(t, e, i, "203.0.113.9, 198.51.100.7")
			}
			wantToken(t, "the guesser's address", e.tokenRequest(e.b.clientID, e.b.secret, "198.51.100.7"), 429, "rate_limited", "1")
			wantToken(t, "the address it wrote", e.tokenRequest(e.b.clientID, e.b.secret, "203.0.113.9"), 200, "", "")
			wantToken(t, "behind a second proxy", e.tokenRequest(e.b.clientID, e.b.secret, "198.51.100.7, 127.0.0.1"), 429, "rate_limited", "1")
			wantToken(t, "the proxy itself", e.tokenRequest(e.b.clientID, e.b.secret, ""), 200, "", "")
		})
	})
}

// Authenticated requests are held to a quota per merchant; another
// merchant's, the token endpoint, the buyer's pages and providers'
// webhooks are not counted.
func TestQuota(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		clock := kassatest.NewClock(t0)
		e := newEnv(t, withLimits(api.Limits{Quota: limit.Quota{Rate: 1, Burst: 3}}, clock))
		get := request{method: "GET", path: "/v1/orders/or_missing"}
		for range 3 {
			e.must(404, get)
		}
		resp := e.do(get)
		var body wire.ErrorBody
		resp.decode(t, &body)
		if resp.status != 429 || resp.header.Get("Retry-After") != "1" || len(body.Errors) != 1 || body.Errors[0].Code != "rate_limited" || body.Errors[0].Message == "" {
			t.Fatalf("request over the quota = %d Retry-After %q %s, want 429, Retry-After 1 and one rate_limited error", resp.status, resp.header.Get("Retry-After"), resp.body)
		}
		keyed := request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: map[string]string{"Idempotency-Key": "k1"}}
		if resp := e.do(keyed); resp.status != 429 {
			t.Errorf("a write over the quota = %d %s, want 429", resp.status, resp.body)
		}

		b := get
		b.as = &e.b
		for range 3 {
			e.must(404, b)
		}
		e.tokens = map[string]issued{} // a new token: not counted
		e.must(200, request{method: "GET", path: "/bootstrap.js"})
		e.must(404, request{method: "GET", path: "/invoices/nope"})
		if resp := e.do(request{method: "POST", path: pm + "/providers/pp_nope/webhooks", body: "{}"}); resp.status == 429 {
			t.Errorf("a provider's webhook = 429, want it outside the quotas")
		}
		e.must(429, get)

		clock.Advance(time.Second)
		e.must(404, get)
		e.must(429, get)
		// The write refused took nothing: its key is new when it comes back.
		clock.Advance(time.Second)
		if resp := e.must(200, keyed); resp.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("the refused write's key replayed an answer: %s", resp.body)
		}
	})
}

// Requests refused for their access token are recorded in the audit log
// within a backoff per source address: after 20 in a row from one
// address, the next is answered 429 with Retry-After and recorded
// nowhere, a forged token or an expired one alike, until the wait is
// over. Valid tokens from that address and bad ones from another are
// not held back.
func TestBadTokenBackoff(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		clock := kassatest.NewClock(t0)
		logs := make(logged, 100)
		proxy := api.Limits{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		e := newEnv(t, withLimits(proxy, clock), withLog(logs))
		const flooder, other = "198.51.100.7", "203.0.113.9"
		bad := func(token, from string) response {
			t.Helper()
			return e.do(request{method: "GET", path: "/v1/orders/or_1", header: map[string]string{"Authorization": "Bearer " + token, "X-Forwarded-For": from}})
		}
		recorded := func() int { t.Helper(); return len(e.storedAudit("")) + len(e.storedAudit(e.a.merchantID)) }
		expired := e.token(&e.a)

		for i := range 20 {
			if r := bad(fmt.Sprintf("forged%d", i), flooder); r.status != 401 {
				t.Fatalf("forged token %d = %d %s, want 401", i+1, r.status, r.body)
			}
		}
		if n := recorded(); n != 20 {
			t.Fatalf("%d events for 20 refused tokens", n)
		}
		refused := bad("forged", flooder)
		if refused.status != 429 || refused.code() != "rate_limited" || refused.header.Get("Retry-After") != "1" {
			t.Fatalf("the 21st forged token = %d Retry-After %q %s, want 429 rate_limited, Retry-After 1", refused.status, refused.header.Get("Retry-After"), refused.body)
		}
		e.clock.Advance(merchant.TokenLifetime) // the provider's clock: expired is now expired
		if r := bad(expired, flooder); r.status != 429 {
			t.Errorf("an expired token from the address that waits = %d %s, want 429", r.status, r.body)
		}
		if n := recorded(); n != 20 {
			t.Errorf("%d events after two refused with 429, want still 20", n)
		}
		select {
		case r := <-logs:
			want := map[string]string{"msg": "refused access tokens: backing off", "source": flooder, "retry_after": "1s"}
			if diff := cmp.Diff(want, attrs(r)); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		default:
			t.Error("the backoff was not logged")
		}

		get := request{method: "GET", path: "/v1/orders/or_missing", header: map[string]string{"X-Forwarded-For": flooder}}
		e.must(404, get) // a valid token (a new one) from the same address
		if r := bad("forged", other); r.status != 401 {
			t.Errorf("a forged token from another address = %d, want 401", r.status)
		}
		if n := recorded(); n != 21 {
			t.Errorf("%d events, want 21: the other address's refusal recorded", n)
		}

		clock.Advance(time.Second)
		if r := bad(expired, flooder); r.status != 401 {
			t.Fatalf("an expired token once the wait is over = %d %s, want 401", r.status, r.body)
		}
		if ev := e.storedAudit(e.a.merchantID); len(ev) != 1 || ev[0].Outcome != "unauthorized" || ev[0].Source != flooder {
			t.Errorf("the expired token's events %+v, want one refusal from %s", ev, flooder)
		}
		if r := bad("forged", flooder); r.status != 429 || r.header.Get("Retry-After") != "2" {
			t.Errorf("the next forged token = %d Retry-After %q, want 429 and 2", r.status, r.header.Get("Retry-After"))
		}
	})
}

// Bad tokens sent at once from one address cannot outrun the backoff:
// each answered 401 is recorded, each answered 429 is not, and at most
// 20 are recorded.
func TestBadTokenBackoffConcurrent(t *testing.T) {
	e := newEnv(t, withLimits(api.Limits{}, kassatest.NewClock(t0)))
	statuses := make([]int, 100)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", e.http.URL+"/v1/orders/or_1", nil)
			req.Header.Set("Authorization", fmt.Sprintf("Bearer forged%d", i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	answered := map[int]int{}
	for _, s := range statuses {
		answered[s]++
	}
	if answered[401]+answered[429] != len(statuses) || answered[401] > 20 || answered[401] < 1 {
		t.Fatalf("100 forged tokens at once were answered %v, want 1 to 20 401s and the rest 429", answered)
	}
	if n := len(e.storedAudit("")); n != answered[401] {
		t.Errorf("%d events for %d refusals answered 401", n, answered[401])
	}
}
