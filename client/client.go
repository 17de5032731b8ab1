// Package client is a Go client for Kassa's HTTP API: the
// Ledyer-compatible API (payment sessions, authorization tokens, order
// management, payment status), Kassa's own endpoints (API clients,
// notifications and their stream, invoice documents and settings, bank
// payments, the audit log, the credit policy) and the payment module.
// Against any other Ledyer-compatible API, the Ledyer methods work alone.
//
// A Client gets OAuth access tokens with its client credentials and keeps
// one until shortly before it expires; a request refused with 401 gets a
// new token and is sent once more. Every request that changes something
// carries an Idempotency-Key, the caller's (IdempotencyKey) or a new one,
// so that retries are safe: network failures, 5xx and 429 answers are
// retried with the same key, after an exponential backoff or the server's
// Retry-After. API errors are *Error values.
//
// VerifyWebhook checks the Standard Webhooks signature of a notification
// Kassa delivered.
package client

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls one API with one API client's credentials. It is safe for
// concurrent use.
type Client struct {
	baseURL, tokenURL string
	id, secret        string
	http              *http.Client
	retry             Retry

	fetch   chan struct{} // held while a token is fetched: one fetch at a time
	mu      sync.Mutex    // guards token and renewAt
	token   string
	renewAt time.Time
}

// Retry is how a Client retries a request whose outcome is unknown or
// which the server asked to retry: a network failure, a 5xx or 429
// answer, or a 409 for an Idempotency-Key whose first request is still
// running. It waits Backoff before the second attempt, twice that before
// the third and so on, each wait at most MaxBackoff and drawn at random
// from its upper half; a Retry-After the server sends is waited instead,
// when it is longer, up to MaxBackoff.
type Retry struct {
	Attempts   int // in all, the first included; 1 never retries
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// DefaultRetry is the retry policy of a new Client.
var DefaultRetry = Retry{Attempts: 4, Backoff: 250 * time.Millisecond, MaxBackoff: 10 * time.Second}

// An Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with h (its transport, timeout and so on)
// instead of a client with a 30-second timeout. The notification stream
// uses h without its Timeout.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetry sets the retry policy (DefaultRetry by default).
func WithRetry(r Retry) Option {
	return func(c *Client) {
		r.Attempts = max(r.Attempts, 1)
		c.retry = r
	}
}

// WithTokenURL gets access tokens from tokenURL instead of the base URL's
// /oauth/token: Ledyer serves them from a host of their own
// (https://auth.sandbox.ledyer.com/oauth/token).
func WithTokenURL(tokenURL string) Option { return func(c *Client) { c.tokenURL = tokenURL } }

// New returns a client of the API at baseURL (e.g. http://127.0.0.1:8080)
// that authenticates as the API client clientID.
func New(baseURL, clientID, clientSecret string, opts ...Option) *Client {
	c := &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		id:      clientID, secret: clientSecret,
		http:  &http.Client{Timeout: 30 * time.Second},
		retry: DefaultRetry,
		fetch: make(chan struct{}, 1),
	}
	c.tokenURL = c.baseURL + "/oauth/token"
	for _, o := range opts {
		o(c)
	}
	return c
}

// A CallOption configures one call.
type CallOption func(*request)

// IdempotencyKey sends key as the call's Idempotency-Key instead of a new
// one: repeating a call with its key, after a crash say, gets the first
// call's answer instead of doing it again. Calls that change nothing
// ignore it.
func IdempotencyKey(key string) CallOption { return func(r *request) { r.key = key } }

// request is one call: what is sent, whatever the attempt.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	accept       string
	key          string
}

// mutating reports whether the request may change something, and so
// carries an Idempotency-Key.
func (r *request) mutating() bool { return r.method != http.MethodGet && r.method != http.MethodHead }

// Error is an error answer of the API.
type Error struct {
	Status    int    // the HTTP status
	Code      string // the error's code: invalid_request, not_found, …
	Message   string
	Param     string // the request member at fault, if any
	RequestID string // the X-Request-Id Kassa answered, for its logs
	// RetryAfter is the wait the server asked for (429, 503), or 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Param != "" {
		fmt.Fprintf(&b, " (%s)", e.Param)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// Transient reports whether err leaves the outcome of a call unknown or
// says to try again later: a network failure, a server error, rate
// limiting, or an Idempotency-Key whose first request is still running.
// A Client has already retried such a call as its Retry allows; a caller
// may retry it later with the same IdempotencyKey.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return true // no answer: the outcome is unknown
	}
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Code == "idempotency_key_in_use"
}

// Do sends one request to the API and decodes a 2xx answer into out, if
// out is not nil (a *[]byte takes the body as it is). in, if not nil, is
// sent as JSON. It returns the answer's status. The typed methods call
// it; call it for what they do not cover.
func (c *Client) Do(ctx context.Context, method, path string, in, out any, opts ...CallOption) (int, error) {
	r := &request{method: method, path: path}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		r.body, r.contentType = b, "application/json"
	}
	return c.send(ctx, r, out, opts)
}

// send sends r with its retries and decodes a 2xx answer into out.
func (c *Client) send(ctx context.Context, r *request, out any, opts []CallOption) (int, error) {
	resp, err := c.open(ctx, r, opts)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e.Status, err
		}
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	switch v := out.(type) {
	case nil:
	case *[]byte:
		*v = b
	default:
		if len(b) > 0 {
			if err := decode(b, out); err != nil {
				return resp.StatusCode, fmt.Errorf("decoding the answer to %s %s: %w", r.method, r.path, err)
			}
		}
	}
	return resp.StatusCode, nil
}

// strictDecoding refuses answers with members the types do not have: the
// tests turn it on to check the types against the server.
var strictDecoding = false

func decode(b []byte, out any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if strictDecoding {
		d.DisallowUnknownFields()
	}
	return d.Decode(out)
}

// open sends r, retrying as c's Retry allows, and returns the first 2xx
// response with its body unread; the caller closes it.
func (c *Client) open(ctx context.Context, r *request, opts []CallOption) (*http.Response, error) {
	for _, o := range opts {
		o(r)
	}
	if r.mutating() && r.key == "" {
		r.key = newKey()
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.authorized(ctx, r)
		if err == nil {
			return resp, nil
		}
		if attempt >= c.retry.Attempts || !Transient(err) || ctx.Err() != nil {
			return nil, err
		}
		wait := c.retry.wait(attempt)
		if e, ok := errors.AsType[*Error](err); ok && e.RetryAfter > wait {
			wait = min(e.RetryAfter, c.retry.MaxBackoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// wait is the backoff before attempt+1: Backoff doubled attempt-1 times,
// at most MaxBackoff, from its upper half at random so that clients that
// failed together do not retry together.
func (r Retry) wait(attempt int) time.Duration {
	d := r.Backoff
	for i := 1; i < attempt && d < r.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.MaxBackoff)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// authorized sends one attempt of r with an access token; a 401 gets a
// new token and one more try, since the token may have been revoked or
// signed with a key the server no longer has.
func (c *Client) authorized(ctx context.Context, r *request) (*http.Response, error) {
	for renewed := false; ; renewed = true {
		tok, err := c.Token(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.attempt(ctx, r, tok)
		if e, ok := errors.AsType[*Error](err); ok && e.Status == http.StatusUnauthorized && !renewed {
			c.forget(tok)
			continue
		}
		return resp, err
	}
}

// attempt sends r once with bearer token tok (none if empty): a 2xx
// response with its body unread, or the error.
func (c *Client) attempt(ctx context.Context, r *request, tok string) (*http.Response, error) {
	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	if r.key != "" {
		req.Header.Set("Idempotency-Key", r.key)
	}
	return c.do(req, r.accept == eventStream)
}

// do sends req: a 2xx response with its body unread, or the error, the
// body of an error answer read into it. A stream is sent without the
// HTTP client's timeout, which would end it.
func (c *Client) do(req *http.Request, stream bool) (*http.Response, error) {
	h := c.http
	if stream && h.Timeout != 0 {
		untimed := *h
		untimed.Timeout = 0
		h = &untimed
	}
	resp, err := h.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // what arrived, if the read fails
	return nil, errorOf(resp, b)
}

// errorOf is the error an answer's status, headers and body describe.
// Ledyer's clients join each error's values whatever their type, so a
// code that is a number is taken as its text.
func errorOf(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"), RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var v struct {
		Errors []map[string]json.RawMessage `json:"errors"`
		// OAuth 2 errors (RFC 6749, 5.2), from a token endpoint that has
		// no errors list.
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &v) != nil { // not JSON: the status says it all
		return e
	}
	if len(v.Errors) == 0 {
		e.Code, e.Message = v.Error, v.Description
		return e
	}
	text := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	}
	first := v.Errors[0]
	e.Code, e.Message, e.Param = text(first["code"]), text(first["message"]), text(first["param"])
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// Token returns an access token, getting a new one when there is none or
// the one held expires within a minute (or a tenth of its lifetime, if
// that is shorter).
func (c *Client) Token(ctx context.Context) (string, error) {
	if tok := c.current(); tok != "" {
		return tok, nil
	}
	select { // one fetch at a time; the others wait for its token
	case c.fetch <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.fetch }()
	if tok := c.current(); tok != "" {
		return tok, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(c.id, c.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	resp, err := c.do(req, false)
	if err != nil {
		return "", fmt.Errorf("getting an access token: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("getting an access token: the answer has no access_token (%v)", err)
	}
	life := time.Duration(out.ExpiresIn) * time.Second
	c.mu.Lock()
	c.token, c.renewAt = out.AccessToken, start.Add(life-min(time.Minute, life/10))
	c.mu.Unlock()
	return out.AccessToken, nil
}

// current is the token held, if it need not be renewed yet.
func (c *Client) current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.renewAt) {
		return c.token
	}
	return ""
}

// forget drops tok, which the server refused, unless another call has
// replaced it already.
func (c *Client) forget(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// newKey is a new Idempotency-Key: a random UUID (version 4), the form
// Ledyer recommends.
func newKey() string {
	var b [16]byte
	cryptorand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// escape escapes an ID for a path segment.
func escape(id string) string { return url.PathEscape(id) }
