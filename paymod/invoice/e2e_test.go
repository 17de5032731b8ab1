package invoice_test

import (
	"context"
	"fmt"
	"github.com/kassa-pay/kassa/kassatest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/paymod/invoice"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/webhook"
)

// kassa is one in-process Kassa: the Ledyer-compatible API and the
// payment module, whose invoice provider talks HTTP to that same API.
type kassaEnv struct {
	t          *testing.T
	url        string
	dispatcher *webhook.Dispatcher // delivers Kassa's notifications
	merchantID string
	storeID    string
	api        *client.Client // the merchant, calling both halves
	flaky      *flaky
}

// flaky loses the answer of chosen requests after the server handled
// them, as a network failure or a proxy timeout does.
type flaky struct {
	mu    sync.Mutex
	lose  map[string]int // path suffix → answers still to lose
	lost  []string       // "METHOD path Idempotency-Key" of each lost answer
	next  http.Handler
	calls map[string][]string // path → Idempotency-Keys seen
	hooks []string            // "status body" of each webhook delivery answered
	// before runs, once, before the first request whose path has the
	// suffix it is keyed by is handled: what another request does
	// meanwhile.
	before map[string]func()
}

// statusWriter keeps the status and body a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
	body   strings.Builder
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
func (w *statusWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.URL.Path] = append(f.calls[r.URL.Path], r.Header.Get("Idempotency-Key"))
	var meanwhile []func()
	for suffix, fn := range f.before {
		if strings.HasSuffix(r.URL.Path, suffix) {
			meanwhile = append(meanwhile, fn)
			delete(f.before, suffix)
		}
	}
	var lose bool
	for suffix, n := range f.lose {
		if n > 0 && strings.HasSuffix(r.URL.Path, suffix) {
			f.lose[suffix] = n - 1
			lose = true
		}
	}
	f.mu.Unlock()
	for _, fn := range meanwhile {
		fn()
	}
	if !lose && strings.HasSuffix(r.URL.Path, "/webhooks") {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		f.next.ServeHTTP(sw, r)
		f.mu.Lock()
		f.hooks = append(f.hooks, fmt.Sprintf("%d %s", sw.status, strings.TrimSpace(sw.body.String())))
		f.mu.Unlock()
		return
	}
	if !lose {
		f.next.ServeHTTP(w, r)
		return
	}
	f.next.ServeHTTP(httptest.NewRecorder(), r) // done, answer dropped
	f.mu.Lock()
	f.lost = append(f.lost, r.Method+" "+r.URL.Path+" "+r.Header.Get("Idempotency-Key"))
	f.mu.Unlock()
	http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
}

func newKassa(t *testing.T) *kassaEnv {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newKassaOn(t, db)
}

// kassaStores runs test on a Kassa over each store: SQLite, and
// PostgreSQL when the test database is configured.
func kassaStores(t *testing.T, test func(t *testing.T, k *kassaEnv)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newKassa(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, newKassaOn(t, pgtest.Open(t))) })
}

// newKassaOn is newKassa over db, which must be empty.
func newKassaOn(t *testing.T, db store.Store) *kassaEnv {
	t.Helper()
	ctx := context.Background()
	ids, now := kassa.RandomIDs{}, time.Now()
	m, err := merchant.NewMerchant(ids, now, "Möbler AB")
	if err != nil {
		t.Fatal(err)
	}
	m.StoreID = "9702420072"
	cl, secret := kassatest.AddMerchant(t, db, ids, now, m)
	signer, err := api.LoadSigner(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	key, err := api.LoadNotificationKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{lose: map[string]int{}, calls: map[string][]string{}, before: map[string]func(){}}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	prov := invoice.New(invoice.Config{
		BaseURL: hs.URL, ClientID: cl.ID, Secret: secret,
		NotificationURL: hs.URL + "/v1/payment-module/providers/" + invoice.ProviderID + "/webhooks",
		Backoff:         time.Millisecond,
	})
	f.next = api.NewServer(slog.New(slog.DiscardHandler), api.Config{
		Sandbox: true, PublicURL: hs.URL,
		PaymentProviders: paymod.Registry{invoice.ProviderID: prov},
		NotificationKey:  key, AllowPrivateWebhooks: true,
	}, db, kassa.SystemClock{}, ids, signer)
	d := webhook.New(slog.New(slog.DiscardHandler), db, kassa.SystemClock{}, key,
		webhook.Config{AllowPrivate: true, Jitter: func(int) time.Duration { return 0 }})
	return &kassaEnv{t: t, url: hs.URL, dispatcher: d, merchantID: m.ID, storeID: m.StoreID, api: client.New(hs.URL, cl.ID, secret), flaky: f}
}

// deliver has Kassa deliver its due notifications now, and checks that
// the module answered each with 200; it returns the answers.
func (k *kassaEnv) deliver() []string {
	k.t.Helper()
	k.flaky.mu.Lock()
	k.flaky.hooks = nil
	k.flaky.mu.Unlock()
	if _, err := k.dispatcher.Drain(k.t.Context()); err != nil {
		k.t.Fatal(err)
	}
	k.flaky.mu.Lock()
	defer k.flaky.mu.Unlock()
	for _, h := range k.flaky.hooks {
		if !strings.HasPrefix(h, "200 ") {
			k.t.Errorf("notification answered %s", h)
		}
	}
	return k.flaky.hooks
}

func (k *kassaEnv) must(method, path string, body, out any) {
	k.t.Helper()
	if _, err := k.api.Do(context.Background(), method, path, body, out, ""); err != nil {
		k.t.Fatalf("%s %s: %v", method, path, err)
	}
}

const pm = "/v1/payment-module"

var chair = map[string]any{
	"type": "physical", "reference": "SKU-1", "description": "Office chair",
	"quantity": 2, "unitPrice": 250000, "vat": 2500, "totalAmount": 500000, "totalVatAmount": 100000,
}

func buyer(companyID string) map[string]any {
	return map[string]any{
		"companyId": companyID, "email": "buyer@example.com", "firstName": "Sven", "lastName": "Svensson",
		"billingAddress": map[string]any{"companyName": "Buyer AB", "streetAddress": "Sveavägen 49", "postalCode": "11359", "city": "Stockholm", "country": "SE"},
	}
}

type moduleSession struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Data   struct {
		LedyerSessionID string `json:"ledyerSessionId"`
		LedyerOrderID   string `json:"ledyerOrderId"`
	} `json:"data"`
}

type modulePayment struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Captures []struct {
		Amount      int64  `json:"amount"`
		Status      string `json:"status"`
		ProviderRef string `json:"providerRef"`
	} `json:"captures"`
	Refunds []struct {
		Amount      int64  `json:"amount"`
		ProviderRef string `json:"providerRef"`
	} `json:"refunds"`
}

type moduleAuthorization struct {
	Status  string         `json:"status"`
	Session moduleSession  `json:"session"`
	Payment *modulePayment `json:"payment"`
}

// start creates a collection and an invoice session for one cart of two
// chairs.
func (k *kassaEnv) start() (collectionID string, s moduleSession) {
	k.t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	k.must("POST", pm+"/collections", map[string]any{"currency": "SEK", "amount": 500000}, &c)
	k.must("POST", pm+"/collections/"+c.ID+"/sessions", map[string]any{
		"providerId": invoice.ProviderID,
		"data":       map[string]any{"orderLines": []any{chair}, "reference": "shop-order-1"},
	}, &s)
	if s.Status != "pending" || !strings.HasPrefix(s.Data.LedyerSessionID, kassa.PrefixSession) {
		k.t.Fatalf("session = %+v", s)
	}
	return c.ID, s
}

type remoteOrder struct {
	SessionID      string   `json:"sessionId"`
	Status         []string `json:"status"`
	CapturedAmount struct {
		MinorUnits int64 `json:"minorUnits"`
	} `json:"capturedAmount"`
	RefundedAmount struct {
		MinorUnits int64 `json:"minorUnits"`
	} `json:"refundedAmount"`
	Captured []struct {
		LedgerID string `json:"ledgerId"`
	} `json:"captured"`
	Events []struct {
		Type string `json:"type"`
	} `json:"events"`
}

// captureAndRefund captures one chair, then the other (losing the first
// answer, so the provider must retry with the same key), then refunds
// part of the first invoice; and checks both sides' books.
func (k *kassaEnv) captureAndRefund(collectionID, paymentID, orderID string) {
	t := k.t
	var p modulePayment
	k.must("POST", pm+"/payments/"+paymentID+"/capture", map[string]any{"amount": 250000}, &p)
	k.flaky.mu.Lock()
	k.flaky.lose["/v1/orders/"+orderID+"/capture"] = 1
	k.flaky.mu.Unlock()
	k.must("POST", pm+"/payments/"+paymentID+"/capture", nil, &p)
	k.must("POST", pm+"/payments/"+paymentID+"/refund", map[string]any{"amount": 100000, "note": "one chair damaged"}, &p)
	if p.Status != "captured" || len(p.Captures) != 2 || len(p.Refunds) != 1 {
		t.Fatalf("payment = %+v", p)
	}
	var o remoteOrder
	k.must("GET", "/v1/orders/"+orderID, nil, &o)
	if o.CapturedAmount.MinorUnits != 500000 || o.RefundedAmount.MinorUnits != 100000 || len(o.Captured) != 2 {
		t.Fatalf("order: captured %d, refunded %d, %d invoices; want 500000, 100000, 2", o.CapturedAmount.MinorUnits, o.RefundedAmount.MinorUnits, len(o.Captured))
	}
	for i, c := range p.Captures {
		if c.Status != "succeeded" || c.ProviderRef != o.Captured[i].LedgerID {
			t.Errorf("capture %d = %+v, want the ledger %s", i, c, o.Captured[i].LedgerID)
		}
	}
	if p.Refunds[0].ProviderRef == "" || !strings.HasPrefix(p.Refunds[0].ProviderRef, kassa.PrefixLedger) {
		t.Errorf("refund reference %q", p.Refunds[0].ProviderRef)
	}
	// The lost capture answer was retried with the same key, once.
	k.flaky.mu.Lock()
	lost, keys := k.flaky.lost, k.flaky.calls["/v1/orders/"+orderID+"/capture"]
	k.flaky.mu.Unlock()
	if len(lost) != 1 || len(keys) != 2 || keys[0] != keys[1] || keys[0] == "" {
		t.Errorf("lost %v; capture keys %v; want one loss and one key twice", lost, keys)
	}
	var c struct {
		Status         string `json:"status"`
		CapturedAmount int64  `json:"capturedAmount"`
		RefundedAmount int64  `json:"refundedAmount"`
	}
	k.must("GET", pm+"/collections/"+collectionID, nil, &c)
	if c.Status != "completed" || c.CapturedAmount != 500000 || c.RefundedAmount != 100000 {
		t.Errorf("collection = %+v", c)
	}
}

// TestAcceptPaymentInvoice is the seed's accept-payment flow through the
// invoice provider: collection → session → the buyer authorizes in the
// dialog (sandbox) → authorize (order created and acknowledged) →
// payment → capture → partial refund.
func TestAcceptPaymentInvoice(t *testing.T) {
	k := newKassa(t)
	col, s := k.start()

	// Before the buyer has authorized, there is nothing to authorize.
	var a moduleAuthorization
	if _, err := k.api.Do(context.Background(), "POST", pm+"/sessions/"+s.ID+"/authorize", nil, &a, ""); err != nil || a.Status != "pending" {
		t.Fatalf("authorize before the buyer = %+v, %v", a, err)
	}

	var dialog struct {
		State              string `json:"state"`
		AuthorizationToken string `json:"authorizationToken"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/authorize", map[string]any{"customer": buyer("559311-3714")}, &dialog)
	if dialog.State != "authorized" {
		t.Fatalf("dialog = %+v", dialog)
	}
	k.must("POST", pm+"/sessions/"+s.ID+"/authorize", map[string]any{"data": map[string]any{"authorizationToken": dialog.AuthorizationToken}}, &a)
	if a.Status != "authorized" || a.Payment == nil || a.Session.Data.LedyerOrderID == "" {
		t.Fatalf("authorization = %+v", a)
	}
	orderID := a.Session.Data.LedyerOrderID
	// Kassa's notifications of the token and the new order arrive after
	// the shop authorized: they find the work done.
	if got := k.deliver(); len(got) == 0 {
		t.Fatal("no notifications delivered")
	}
	// The order notifications were confirmed with acknowledge, as Ledyer
	// asks (the order was acknowledged already, so nothing changed).
	k.flaky.mu.Lock()
	acks := k.flaky.calls["/v1/orders/"+orderID+"/acknowledge"]
	k.flaky.mu.Unlock()
	if !slices.Contains(acks, "com.ledyer.order.create:"+orderID) {
		t.Errorf("acknowledge keys %v: the order.create notification was not confirmed", acks)
	}
	var o remoteOrder
	k.must("GET", "/v1/orders/"+orderID, nil, &o)
	if o.SessionID != s.Data.LedyerSessionID || countEvents(o, "acknowledge") != 1 {
		t.Fatalf("order session %s, events %+v: want %s, acknowledge", o.SessionID, o.Events, s.Data.LedyerSessionID)
	}
	// Authorizing again answers with the same payment and no new order.
	var again moduleAuthorization
	k.must("POST", pm+"/sessions/"+s.ID+"/authorize", nil, &again)
	if again.Payment == nil || again.Payment.ID != a.Payment.ID {
		t.Fatalf("second authorization = %+v", again)
	}
	k.captureAndRefund(col, a.Payment.ID, orderID)
}

func countEvents(o remoteOrder, typ string) int {
	n := 0
	for _, e := range o.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestSignatoryInvoice is the awaitingSignatory variant: authorizing
// answers pending_authorization; the signatory signs; Kassa's
// com.ledyer.authorization.create notification, delivered to the
// provider's webhook route, completes the authorization. A redelivery
// changes nothing.
func TestSignatoryInvoice(t *testing.T) {
	k := newKassa(t)
	col, s := k.start()
	var dialog struct {
		State string `json:"state"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/authorize", map[string]any{"customer": buyer("556000-0001")}, &dialog)
	if dialog.State != "awaitingSignatory" {
		t.Fatalf("dialog = %+v", dialog)
	}
	var a moduleAuthorization
	status, err := k.api.Do(context.Background(), "POST", pm+"/sessions/"+s.ID+"/authorize", nil, &a, "")
	if err != nil || status != http.StatusAccepted || a.Status != "pending_authorization" || a.Payment != nil {
		t.Fatalf("authorize = %d %+v, %v; want 202 pending_authorization", status, a, err)
	}

	// Kassa's authorization.pending notification: the session waits.
	if got := k.deliver(); len(got) != 1 || !strings.Contains(got[0], `"action":"pending_authorization"`) {
		t.Fatalf("pending notification answered %v", got)
	}
	var signed struct {
		AuthorizationToken string `json:"authorizationToken"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/sign", nil, &signed)
	// Kassa's authorization.create notification, delivered by its
	// dispatcher to the provider's webhook route, completes it (the order
	// events that follow are acknowledged and ignored).
	if got := k.deliver(); len(got) == 0 || got[0] != `200 {"action":"authorized","duplicate":false,"ignored":false}` {
		t.Fatalf("create notification answered %v", got)
	}
	// The same notification again (a redelivery, here by hand, byte for
	// byte what Kassa sends): nothing happens.
	body := `{"eventType":"com.ledyer.authorization.create","authorizationToken":"` + signed.AuthorizationToken +
		`","sessionId":"` + s.Data.LedyerSessionID + `","merchantId":"` + k.merchantID + `","storeId":"` + k.storeID + `"}`
	deliver := func() string {
		t.Helper()
		resp, err := http.Post(k.url+pm+"/providers/"+invoice.ProviderID+"/webhooks", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook = %d %s %v", resp.StatusCode, b, err)
		}
		return string(b)
	}
	var c struct {
		Status   string          `json:"status"`
		Payments []modulePayment `json:"payments"`
		Sessions []moduleSession `json:"sessions"`
	}
	k.must("GET", pm+"/collections/"+col, nil, &c)
	if c.Status != "authorized" || len(c.Payments) != 1 || c.Sessions[0].Data.LedyerOrderID == "" {
		t.Fatalf("collection after notification = %+v", c)
	}
	if got := deliver(); !strings.Contains(got, `"duplicate":true`) {
		t.Fatalf("redelivery = %s", got)
	}
	k.captureAndRefund(col, c.Payments[0].ID, c.Sessions[0].Data.LedyerOrderID)
}

// TestForgedNotification: a notification for a session the API does not
// confirm authorizes nothing.
func TestForgedNotification(t *testing.T) {
	k := newKassa(t)
	_, s := k.start()
	body := `{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_forged","sessionId":"` + s.Data.LedyerSessionID + `"}`
	resp, err := http.Post(k.url+pm+"/providers/"+invoice.ProviderID+"/webhooks", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook = %d", resp.StatusCode)
	}
	var got moduleSession
	k.must("GET", pm+"/sessions/"+s.ID, nil, &got)
	if got.Status != "pending" || got.Data.LedyerOrderID != "" {
		t.Fatalf("session after a forged notification = %+v", got)
	}
	resp, err = http.Post(k.url+pm+"/providers/"+invoice.ProviderID+"/webhooks", "application/json",
		strings.NewReader(`{"eventType":"com.ledyer.authorization.create","sessionId":"ps_unknown"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("notification of an unknown session = %d, want 404", resp.StatusCode)
	}
}
