package client_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
)

// fakeAPI is an API whose answers a test scripts: the token endpoint
// issues numbered tokens; every other request gets the next scripted
// answer, the last one over and over.
type fakeAPI struct {
	*httptest.Server
	mu        sync.Mutex
	expiresIn int // seconds, for the tokens
	answers   []func(w http.ResponseWriter)
	tokens    int             // tokens issued
	calls     []*http.Request // the API requests, in order
	at        []time.Time     // when each came
}

func newFakeAPI(t *testing.T, answers ...func(w http.ResponseWriter)) *fakeAPI {
	f := &fakeAPI{expiresIn: 3600, answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Path == "/oauth/token" {
			if id, secret, _ := r.BasicAuth(); id != "cl_1" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":"invalid_client","error_description":"the client credentials are not valid"}`)
				return
			}
			f.tokens++
			fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":%d,"token_type":"Bearer"}`, f.tokens, f.expiresIn)
			return
		}
		f.calls = append(f.calls, r)
		f.at = append(f.at, time.Now())
		answer := f.answers[min(len(f.calls), len(f.answers))-1]
		answer(w)
	}))
	t.Cleanup(f.Close)
	return f
}

// issued is how many tokens were issued.
func (f *fakeAPI) issued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}

// gap is the time between API requests i-1 and i.
func (f *fakeAPI) gap(i int) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at[i].Sub(f.at[i-1])
}

func (f *fakeAPI) client(opts ...client.Option) *client.Client {
	return client.New(f.URL, "cl_1", "s3cret", append([]client.Option{client.WithRetry(client.Retry{Attempts: 4, Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})}, opts...)...)
}

// requests lists the API requests: method, path, Authorization and
// Idempotency-Key.
func (f *fakeAPI) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.calls {
		out = append(out, strings.TrimSpace(strings.Join([]string{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key")}, " ")))
	}
	return out
}

func status(code int, body string, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer: the outcome is
// unknown.
func hangUp(w http.ResponseWriter) {
	conn, _, _ := http.NewResponseController(w).Hijack()
	conn.Close()
}

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// A mutation whose outcome is unknown is retried with the same
// Idempotency-Key, a new UUID per call unless the caller gives one; reads
// carry none.
func TestRetriesKeepTheKey(t *testing.T) {
	f := newFakeAPI(t, hangUp, status(503, ""), status(200, `{"id":"or_1"}`))
	c := f.client()
	o, err := c.AcknowledgeOrder(t.Context(), "or_1")
	if err != nil || o.ID != "or_1" {
		t.Fatalf("AcknowledgeOrder = %+v, %v", o, err)
	}
	got := f.requests()
	if len(got) != 3 || got[0] != got[1] || got[1] != got[2] {
		t.Fatalf("requests %q, want three alike", got)
	}
	if key := strings.Fields(got[0])[4]; !uuid.MatchString(key) {
		t.Errorf("Idempotency-Key %q is not a random UUID", key)
	}
	if _, err := c.AcknowledgeOrder(t.Context(), "or_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AcknowledgeOrder(t.Context(), "or_1", client.IdempotencyKey("ack-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetOrder(t.Context(), "or_1"); err != nil {
		t.Fatal(err)
	}
	got = f.requests()
	if got[3] == got[0] || got[4] != "POST /v1/orders/or_1/acknowledge Bearer tok-1 ack-1" || got[5] != "GET /v1/orders/or_1 Bearer tok-1" {
		t.Errorf("requests %q: want a new key for the second call, the caller's for the third, none for the read", got[3:])
	}
}

// Rate limiting and a key still in flight are retried, after the
// server's Retry-After when it asks for longer than the backoff (up to
// MaxBackoff); a refusal is not retried; retries end after Attempts.
func TestRetryPolicy(t *testing.T) {
	f := newFakeAPI(t,
		status(429, `{"errors":[{"code":"rate_limited","message":"slow down"}]}`, "Retry-After", "1"),
		status(409, `{"errors":[{"code":"idempotency_key_in_use","message":"still running"}]}`),
		status(200, `{}`))
	c := f.client(client.WithRetry(client.Retry{Attempts: 4, Backoff: time.Millisecond, MaxBackoff: 2 * time.Second}))
	if _, err := c.CaptureOrder(t.Context(), "or_1", client.CaptureParams{}); err != nil {
		t.Fatal(err)
	}
	if d := f.gap(1); d < time.Second {
		t.Errorf("retried %s after a Retry-After of 1 second", d)
	}
	if d := f.gap(2); d > 500*time.Millisecond {
		t.Errorf("retried %s after a 409 in flight, want the backoff", d)
	}

	f = newFakeAPI(t, status(400, `{"errors":[{"code":"invalid_request","message":"totalCaptureAmount is required","param":"totalCaptureAmount"}]}`, "X-Request-Id", "req-1"))
	_, err := f.client().CaptureOrder(t.Context(), "or_1", client.CaptureParams{})
	e, ok := errors.AsType[*client.Error](err)
	want := client.Error{Status: 400, Code: "invalid_request", Message: "totalCaptureAmount is required", Param: "totalCaptureAmount", RequestID: "req-1"}
	if !ok || *e != want || len(f.requests()) != 1 || client.Transient(err) {
		t.Errorf("a refusal = %#v after %d requests, want %#v once", err, len(f.requests()), want)
	}
	if msg := err.Error(); msg != "HTTP 400: invalid_request: totalCaptureAmount is required (totalCaptureAmount) [request req-1]" {
		t.Errorf("Error() = %q", msg)
	}

	f = newFakeAPI(t, status(500, `{"errors":[{"code":"internal","message":"Internal error"}]}`))
	_, err = f.client().CancelOrder(t.Context(), "or_1")
	if e, ok := errors.AsType[*client.Error](err); !ok || e.Status != 500 || !client.Transient(err) || len(f.requests()) != 4 {
		t.Errorf("server errors = %v after %d requests, want a transient 500 after 4", err, len(f.requests()))
	}

	// No answer, and no retries: the outcome is unknown. (Go's transport
	// itself sends a request with an Idempotency-Key again once if a
	// connection it reused turns out closed.)
	f = newFakeAPI(t, hangUp)
	_, err = f.client(client.WithRetry(client.Retry{Attempts: 1})).CancelOrder(t.Context(), "or_1")
	if got := f.requests(); !client.Transient(err) || len(got) > 2 || got[0] != got[len(got)-1] {
		t.Errorf("no answer, no retries = %v after %q, want a transient error after one request", err, got)
	}
	// Ledyer's error codes may be numbers.
	f = newFakeAPI(t, status(400, `{"errors":[{"code":40061,"message":"Session is completed"}]}`))
	if _, err = f.client().UpdatePaymentSession(t.Context(), "ps_1", client.PaymentSessionParams{}); !isCode(err, "40061") {
		t.Errorf("a numeric code = %#v", err)
	}
}

// The token is fetched once and reused by concurrent calls; renewed when
// it nears its expiry; and renewed once when the API refuses it.
func TestToken(t *testing.T) {
	f := newFakeAPI(t, status(200, `{}`))
	c := f.client()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.GetOrder(t.Context(), "or_1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.issued(); n != 1 {
		t.Errorf("%d tokens for 8 calls at once, want 1", n)
	}

	f = newFakeAPI(t, status(200, `{}`))
	f.mu.Lock()
	f.expiresIn = 1 // renewed a tenth of its life before it expires
	f.mu.Unlock()
	c = f.client()
	tok, _ := c.Token(t.Context())
	if again, _ := c.Token(t.Context()); again != tok {
		t.Errorf("a fresh token was renewed: %s, then %s", tok, again)
	}
	time.Sleep(900 * time.Millisecond)
	if again, _ := c.Token(t.Context()); again == tok {
		t.Errorf("the token %s was kept a tenth of its life before it expires", tok)
	}

	f = newFakeAPI(t, status(401, `{"errors":[{"code":"unauthorized","message":"the access token has expired"}]}`), status(200, `{"id":"or_1"}`))
	c = f.client()
	if _, err := c.GetOrder(t.Context(), "or_1"); err != nil {
		t.Fatalf("a call refused once for its token: %v", err)
	}
	if got := f.requests(); len(got) != 2 || got[0] != "GET /v1/orders/or_1 Bearer tok-1" || got[1] != "GET /v1/orders/or_1 Bearer tok-2" {
		t.Errorf("requests %q, want the call again with a new token", got)
	}
	f = newFakeAPI(t, status(401, `{"errors":[{"code":"unauthorized","message":"revoked"}]}`))
	if _, err := f.client().GetOrder(t.Context(), "or_1"); !isCode(err, "unauthorized") || len(f.requests()) != 2 || f.issued() != 2 {
		t.Errorf("refused with every token = %v after %d requests and %d tokens, want 401 after 2 and 2", err, len(f.requests()), f.issued())
	}

	wrong := client.New(f.URL, "cl_1", "wrong")
	if _, err := wrong.GetOrder(t.Context(), "or_1"); !isCode(err, "invalid_client") {
		t.Errorf("with a wrong secret = %v, want invalid_client", err)
	}

	// Ledyer serves tokens from a host of their own.
	auth := newFakeAPI(t)
	f = newFakeAPI(t, status(200, `{}`))
	c = client.New(f.URL, "cl_1", "s3cret", client.WithTokenURL(auth.URL+"/oauth/token"))
	if _, err := c.GetOrder(t.Context(), "or_1"); err != nil || auth.issued() != 1 || f.issued() != 0 {
		t.Errorf("with a token URL: %v; tokens from it %d, from the API %d", err, auth.issued(), f.issued())
	}
}
