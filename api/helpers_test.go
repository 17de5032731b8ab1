package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/checkout"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/provider"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// env is a running API over a fresh SQLite database with two merchants.
type env struct {
	t      testing.TB
	srv    *api.Server
	app    *provider.Service // the application the API serves
	http   *httptest.Server
	client *http.Client // every request of the tests goes through it
	store  store.Store
	clock  *kassatest.Clock
	a, b   creds // two merchants
	tokens map[string]issued
}

// issued is a cached access token and when the test clock issued it.
type issued struct {
	token string
	at    time.Time
}

type creds struct{ merchantID, clientID, secret string }

// config is an env's configuration: the API's, the provider's and the
// checkout's, and where the server logs (nowhere by default).
type config struct {
	api      api.Config
	provider provider.Config
	checkout checkout.Config
	log      slog.Handler
}

type option func(*config, *store.Store)

func withConfig(f func(*api.Config)) option { return func(c *config, _ *store.Store) { f(&c.api) } }

func withProvider(f func(*provider.Config)) option {
	return func(c *config, _ *store.Store) { f(&c.provider) }
}

func withStore(wrap func(store.Store) store.Store) option {
	return func(_ *config, s *store.Store) { *s = wrap(*s) }
}

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// newEnv starts an API over a fresh SQLite database.
func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvOn(t, db, opts...)
}

// backends runs test on each store: SQLite, and PostgreSQL when the test
// database is configured. It passes the function that starts an env.
func backends(t *testing.T, test func(t *testing.T, newEnv func(*testing.T, ...option) *env)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newEnv) })
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.Open(t)
		test(t, func(t *testing.T, opts ...option) *env { return newEnvOn(t, db, opts...) })
	})
}

// newEnvOn starts an API over db, which must be empty.
func newEnvOn(t testing.TB, db store.Store, opts ...option) *env {
	t.Helper()
	e := &env{t: t, clock: kassatest.NewClock(t0), tokens: map[string]issued{}, client: &http.Client{}}
	ids := &kassatest.IDs{Digits: 27} // as long as a KSUID
	cfg := config{
		api:      api.Config{Sandbox: true},
		provider: provider.Config{PublicURL: "https://kassa.test", KEK: kassatest.KEK()},
		checkout: checkout.Config{Sandbox: true},
		log:      slog.DiscardHandler,
	}
	var st store.Store = db
	for _, o := range opts {
		o(&cfg, &st)
	}
	e.store = st
	ctx := context.Background()
	for i, c := range []*creds{&e.a, &e.b} {
		m, err := merchant.NewMerchant(ids, t0, fmt.Sprintf("Merchant %c", 'A'+i))
		if err != nil {
			t.Fatal(err)
		}
		m.StoreID = fmt.Sprintf("10000000%02d", i)
		cl, secret := kassatest.AddMerchant(t, db, ids, t0, m)
		*c = creds{m.ID, cl.ID, secret}
	}
	signer, err := provider.LoadSigner(ctx, db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	cfg.checkout.DemoMerchantID = e.a.merchantID
	log := slog.New(cfg.log)
	e.app = provider.New(log, cfg.provider, st, e.clock, ids, signer)
	cfg.api.Pages = append(cfg.api.Pages, checkout.New(log, cfg.checkout, e.app))
	e.srv = api.NewServer(log, cfg.api, e.app)
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	return e
}

// response is a recorded HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// code is the first error code of an error response.
func (r response) code() string {
	var e struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	json.Unmarshal(r.body, &e)
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// request is one API call; body may be a string (sent as is) or a value
// (sent as JSON).
type request struct {
	method, path string
	body         any
	as           *creds // default merchant A
	header       map[string]string
}

func (e *env) do(r request) response {
	e.t.Helper()
	var rd io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(r.method, e.http.URL+r.path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	as := r.as
	if as == nil {
		as = &e.a
	}
	if strings.HasPrefix(r.path, "/v1/") {
		req.Header.Set("Authorization", "Bearer "+e.token(as))
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (e *env) token(c *creds) string {
	e.t.Helper()
	if tok, ok := e.tokens[c.clientID]; ok && e.clock.Now().Sub(tok.at) < 30*time.Minute {
		return tok.token
	}
	status, out := e.grant(*c)
	tok, _ := out["access_token"].(string)
	if tok == "" {
		e.t.Fatalf("no token (status %d): %v", status, out)
	}
	e.tokens[c.clientID] = issued{tok, e.clock.Now()}
	return tok
}

// grant asks /oauth/token for a token of c and returns the status and
// the answer.
func (e *env) grant(c creds) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(c.clientID, c.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// must performs r and fails unless it answers want.
func (e *env) must(want int, r request) response {
	e.t.Helper()
	resp := e.do(r)
	if resp.status != want {
		e.t.Fatalf("%s %s = %d %s, want %d", r.method, r.path, resp.status, resp.body, want)
	}
	return resp
}

// Canonical request bodies.

func line(ref string, qty, unit int64) map[string]any {
	total := qty * unit
	return map[string]any{
		"type": "physical", "reference": ref, "description": "Item " + ref,
		"quantity": qty, "unitPrice": unit, "unitDiscountAmount": 0, "vat": 2500,
		"totalAmount": total, "totalVatAmount": total / 5,
	}
}

func cart(lines ...map[string]any) map[string]any {
	var total, vat int64
	ls := make([]any, len(lines))
	for i, l := range lines {
		total += asInt(l["totalAmount"])
		vat += asInt(l["totalVatAmount"])
		ls[i] = l
	}
	return map[string]any{
		"country": "SE", "currency": "SEK", "locale": "sv-SE", "reference": "shop-1",
		"orderLines": ls, "totalOrderAmount": total, "totalOrderVatAmount": vat,
		"totalOrderAmountExclVat": total - vat,
		"settings":                map[string]any{"urls": map[string]any{"notification": "https://shop.test/notify"}},
	}
}

func asInt(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	panic(fmt.Sprintf("not an integer: %v", v))
}

var buyer = map[string]any{
	"companyId": "559311-3714", "email": "buyer@example.com", "firstName": "Sven", "lastName": "Svensson",
	"phone": "0701234567", "reference1": "Ref 1", "reference2": "",
	"billingAddress": map[string]any{"companyName": "Buyer AB", "streetAddress": "Sveavägen 49", "postalCode": "11359", "city": "Stockholm", "country": "SE"},
	"shippingAddress": map[string]any{"companyName": "Buyer AB", "streetAddress": "Sveavägen 49", "postalCode": "11359", "city": "Stockholm", "country": "SE",
		"contact": map[string]any{"email": "goods@example.com", "firstName": "Greta", "lastName": "Gods", "phone": "0707654321"}},
}

func withCustomer(c map[string]any, customer map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	out["customer"] = customer
	return out
}

// session creates a payment session for c and returns its id.
func (e *env) session(c map[string]any) string {
	e.t.Helper()
	var s struct{ SessionID string }
	e.must(200, request{method: "POST", path: "/v1/payment-sessions", body: c}).decode(e.t, &s)
	return s.SessionID
}

// authorize authorizes a session as buyer and returns the token.
func (e *env) authorize(sessionID string, customer map[string]any) string {
	e.t.Helper()
	var a struct{ State, AuthorizationToken string }
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + sessionID + "/authorize", body: map[string]any{"customer": customer}}).decode(e.t, &a)
	if a.State != "authorized" || a.AuthorizationToken == "" {
		e.t.Fatalf("authorize = %+v, want an authorized token", a)
	}
	return a.AuthorizationToken
}

// order runs session → authorize → order for c and returns the order id.
func (e *env) order(c map[string]any) string {
	e.t.Helper()
	tok := e.authorize(e.session(c), buyer)
	var o struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(c, buyer)}).decode(e.t, &o)
	return o.OrderID
}

// orderView is the part of the order object the tests read.
type orderView struct {
	ID         string
	Status     []string
	Uncaptured *struct {
		LedgerID         string
		AvailableActions []struct{ Type string }
		OrderLines       []struct{ ID string }
	}
	Captured []struct {
		LedgerID         string
		AvailableActions []struct{ Type string }
	}
	Refunded       []struct{ LedgerID, CapturedLedgerID string }
	CapturedAmount struct{ MinorUnits int64 }
	RefundedAmount struct{ MinorUnits int64 }
	Events         []struct{ Type string }
	PaymentMethod  struct{ Type string }
}

func (e *env) getOrder(id string, as *creds) orderView {
	e.t.Helper()
	var o orderView
	e.must(200, request{method: "GET", path: "/v1/orders/" + id, as: as}).decode(e.t, &o)
	return o
}

func eventTypes(o orderView) []string {
	var ts []string
	for _, e := range o.Events {
		ts = append(ts, e.Type)
	}
	return ts
}

func actions(as []struct{ Type string }) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Type)
	}
	return out
}
