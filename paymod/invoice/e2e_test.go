package invoice_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"

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
	dbPath     string
	secret     string              // the session signing secret the provider verifies with; "" if it verifies nothing
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
	// hold, when set, holds requests for the path hold names until it is
	// closed, reporting each on held.
	holdPath   string
	hold, held chan struct{}
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
	if r.URL.Path == f.holdPath {
		hold, held := f.hold, f.held
		f.mu.Unlock()
		held <- struct{}{}
		<-hold
		f.mu.Lock()
	}
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

// newKassa starts a Kassa whose invoice provider verifies Kassa's
// notifications with the merchant's session signing secret, as an
// operator sets it up (KASSA_INVOICE_NOTIFICATION_SECRET) — or, unless
// signed, one that takes them as the hints unsigned (Ledyer's)
// notifications are.
func newKassa(t *testing.T, signed bool) *kassaEnv {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "kassa.db")
	db, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newKassaOn(t, db, dbPath, signed)
}

// kassaStores runs test on a Kassa over each store: SQLite, and
// PostgreSQL when the test database is configured.
func kassaStores(t *testing.T, test func(t *testing.T, k *kassaEnv)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newKassa(t, true)) })
	t.Run("postgres", func(t *testing.T) { test(t, newKassaOn(t, pgtest.Open(t), "", true)) })
}

// newKassaOn is newKassa over db, which must be empty; dbPath is its file
// if it is SQLite's, for storedEvents.
func newKassaOn(t *testing.T, db store.Store, dbPath string, signed bool) *kassaEnv {
	t.Helper()
	ctx := context.Background()
	ids, now := kassa.RandomIDs{}, time.Now()
	m, err := merchant.NewMerchant(ids, now, "Möbler AB")
	if err != nil {
		t.Fatal(err)
	}
	m.StoreID = "9702420072"
	cl, secret := kassatest.AddMerchant(t, db, ids, now, m)
	signer, err := provider.LoadSigner(ctx, db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	key, err := provider.LoadNotificationKey(ctx, db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{lose: map[string]int{}, calls: map[string][]string{}, before: map[string]func(){}}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	var hookSecret string
	if signed {
		// What GET /v1/notification-signing-secret answers (checked below).
		hookSecret = notify.SessionSecret(key, m.ID)
	}
	prov := invoice.New(invoice.Config{
		BaseURL: hs.URL, ClientID: cl.ID, Secret: secret,
		NotificationURL:    hs.URL + "/v1/payment-module/providers/" + invoice.ProviderID + "/webhooks",
		NotificationSecret: hookSecret,
		Backoff:            time.Millisecond,
	})
	log := slog.New(slog.DiscardHandler)
	app := provider.New(log, provider.Config{PublicURL: hs.URL, NotificationKey: key, KEK: kassatest.KEK(), AllowPrivateWebhooks: true}, db, kassa.SystemClock{}, ids, signer)
	f.next = api.NewServer(log, api.Config{
		Sandbox:          true,
		PaymentProviders: paymod.Registry{invoice.ProviderID: prov},
	}, app)
	d := webhook.New(slog.New(slog.DiscardHandler), db, kassa.SystemClock{}, key,
		webhook.Config{AllowPrivate: true, Jitter: func(int) time.Duration { return 0 }})
	k := &kassaEnv{t: t, url: hs.URL, dbPath: dbPath, secret: hookSecret, dispatcher: d, merchantID: m.ID, storeID: m.StoreID, api: client.New(hs.URL, cl.ID, secret), flaky: f}
	if signed {
		var got struct {
			Secret string `json:"secret"`
		}
		k.must("GET", "/v1/notification-signing-secret", nil, &got)
		if got.Secret != hookSecret {
			t.Fatalf("the API's signing secret is %q, the provider verifies with %q", got.Secret, hookSecret)
		}
	}
	return k
}

// post delivers body to the provider's webhook route with the given
// headers, and returns the answer.
func (k *kassaEnv) post(body string, header http.Header) (int, string) {
	k.t.Helper()
	req, err := http.NewRequest("POST", k.url+pm+"/providers/"+invoice.ProviderID+"/webhooks", strings.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		k.t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// signedBy is the Standard Webhooks headers of body, signed with secret
// as notification id at t.
func signedBy(t *testing.T, secret, id string, at time.Time, body string) http.Header {
	t.Helper()
	h, err := notify.Sign(id, at, []byte(body), secret)
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Webhook-Id": {h.ID}, "Webhook-Timestamp": {h.Timestamp}, "Webhook-Signature": {h.Signature}}
}

// storedEvents counts the webhook events the module recorded and the
// bytes of their bodies.
func (k *kassaEnv) storedEvents() (n, bytes int64) {
	k.t.Helper()
	if k.dbPath == "" {
		k.t.Fatal("storedEvents reads a SQLite store's file")
	}
	db, err := sql.Open("sqlite", k.dbPath+"?mode=ro")
	if err != nil {
		k.t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(length(body)), 0) FROM provider_events`).Scan(&n, &bytes); err != nil {
		k.t.Fatal(err)
	}
	return n, bytes
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
		LedyerSessionID    string `json:"ledyerSessionId"`
		LedyerOrderID      string `json:"ledyerOrderId"`
		AuthorizationToken string `json:"authorizationToken"`
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
	k := newKassa(t, true)
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
	// The provider acknowledged the order once, when it created it; the
	// order notifications ask nothing more.
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
// com.ledyer.authorization.create notification, signed and delivered by
// its dispatcher to the provider's webhook route, completes the
// authorization. Kassa's redelivery of it changes nothing.
func TestSignatoryInvoice(t *testing.T) {
	k := newKassa(t, true)
	col, s := k.start()
	k.awaitSignatory(s)

	// Kassa's authorization.pending notification: the session waits.
	if got := k.deliver(); len(got) != 1 || !strings.Contains(got[0], `"action":"pending_authorization"`) {
		t.Fatalf("pending notification answered %v", got)
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/sign", nil, nil)
	// Kassa's authorization.create notification completes it (the order
	// events that follow are ignored).
	if got := k.deliver(); len(got) == 0 || got[0] != `200 {"action":"authorized","duplicate":false,"ignored":false}` {
		t.Fatalf("create notification answered %v", got)
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
	// Kassa sends it again, signed anew: nothing happens.
	id, _ := k.notification(s.Data.LedyerSessionID, "com.ledyer.authorization.create")
	k.must("POST", "/v1/notifications/"+id+"/redeliver", nil, nil)
	if got := k.deliver(); !slices.Contains(got, `200 {"action":"authorized","duplicate":true,"ignored":false}`) {
		t.Fatalf("redelivery answered %v", got)
	}
	k.captureAndRefund(col, c.Payments[0].ID, c.Sessions[0].Data.LedyerOrderID)
}

// awaitSignatory has the buyer of s need a signatory, and the shop's
// authorization of the module session answer pending_authorization.
func (k *kassaEnv) awaitSignatory(s moduleSession) {
	t := k.t
	t.Helper()
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
}

// notification finds Kassa's notification of eventType about a Ledyer
// session: its ID (the webhook-id it is sent with) and its body.
func (k *kassaEnv) notification(sessionID, eventType string) (id, body string) {
	k.t.Helper()
	var list struct {
		Data []struct {
			ID        string          `json:"id"`
			EventType string          `json:"eventType"`
			Payload   json.RawMessage `json:"payload"`
		} `json:"data"`
	}
	k.must("GET", "/v1/notifications?sessionId="+sessionID, nil, &list)
	for _, n := range list.Data {
		if n.EventType == eventType {
			return n.ID, string(n.Payload)
		}
	}
	k.t.Fatalf("no %s notification of session %s in %+v", eventType, sessionID, list.Data)
	return "", ""
}

// authorizedByBuyer has the buyer of s authorize in the dialog, approved
// at once, and returns the token the dialog gives the shop.
func (k *kassaEnv) authorizedByBuyer(s moduleSession) string {
	k.t.Helper()
	var dialog struct {
		State              string `json:"state"`
		AuthorizationToken string `json:"authorizationToken"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/authorize", map[string]any{"customer": buyer("559311-3714")}, &dialog)
	if dialog.State != "authorized" || dialog.AuthorizationToken == "" {
		k.t.Fatalf("dialog = %+v", dialog)
	}
	return dialog.AuthorizationToken
}

// apiCalls counts the requests that reached the API, the webhook route's
// aside.
func (k *kassaEnv) apiCalls() map[string]int {
	k.flaky.mu.Lock()
	defer k.flaky.mu.Unlock()
	n := map[string]int{}
	for path, keys := range k.flaky.calls {
		if !strings.HasSuffix(path, "/webhooks") {
			n[path] = len(keys)
		}
	}
	return n
}

// finishes checks that a session untouched by forged notifications is
// still pending with no token, then authorizes it with the buyer's real
// token, which still works.
func (k *kassaEnv) finishes(s moduleSession, token string) {
	t := k.t
	t.Helper()
	var got moduleSession
	k.must("GET", pm+"/sessions/"+s.ID, nil, &got)
	if got.Status != "pending" || got.Data.AuthorizationToken != "" || got.Data.LedyerOrderID != "" {
		t.Fatalf("session after forged notifications = %+v", got)
	}
	var a moduleAuthorization
	k.must("POST", pm+"/sessions/"+s.ID+"/authorize", map[string]any{"data": map[string]any{"authorizationToken": token}}, &a)
	if a.Status != "authorized" || a.Payment == nil {
		t.Fatalf("authorization with the buyer's token = %+v", a)
	}
}

// padded is a notification of s padded to 200 KB.
func padded(s moduleSession) string {
	return `{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_forged","sessionId":"` + s.Data.LedyerSessionID +
		`","padding":"` + strings.Repeat("x", 200<<10) + `"}`
}

// TestForgedNotification: the provider verifies Kassa's signatures. A
// notification that is unsigned, signed with another secret, or signed
// more than five minutes from now is refused with 401, and a padded one
// with 413; none reaches the API, changes the session or is stored. The
// buyer's real authorization then goes through.
func TestForgedNotification(t *testing.T) {
	k := newKassa(t, true)
	_, s := k.start()
	token := k.authorizedByBuyer(s)
	calls := k.apiCalls()
	forged := `{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_forged","sessionId":"` + s.Data.LedyerSessionID + `"}`
	now := time.Now()
	for name, h := range map[string]http.Header{
		"unsigned":                 nil,
		"signed with another key":  signedBy(t, notify.SessionSecret([]byte("another server"), k.merchantID), "nt_forged", now, forged),
		"signed six minutes ago":   signedBy(t, k.secret, "nt_forged", now.Add(-6*time.Minute), forged),
		"signed six minutes ahead": signedBy(t, k.secret, "nt_forged", now.Add(6*time.Minute), forged),
	} {
		if status, body := k.post(forged, h); status != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthorized"`) {
			t.Errorf("%s: %d %s, want 401", name, status, body)
		}
	}
	if status, body := k.post(`{"eventType":"com.ledyer.order.create","orderId":"or_1"}`, nil); status != http.StatusUnauthorized {
		t.Errorf("unsigned order notification: %d %s, want 401", status, body)
	}
	if status, body := k.post(padded(s), signedBy(t, k.secret, "nt_padded", now, padded(s))); status != http.StatusRequestEntityTooLarge {
		t.Errorf("padded notification: %d %s, want 413", status, body)
	}
	if got := k.apiCalls(); !maps.Equal(got, calls) {
		t.Errorf("API calls went from %v to %v", calls, got)
	}
	if n, size := k.storedEvents(); n != 0 {
		t.Errorf("stored %d events of %d bytes, want none", n, size)
	}
	k.finishes(s, token)
}

// TestUnsignedNotificationIsAHint: a provider without a secret (as with
// Ledyer, which does not sign) takes a notification only as a hint to
// sync the session it names: the token it carries is not used, an order
// notification acknowledges nothing, nothing is stored, and the hints
// that call the API are bounded.
func TestUnsignedNotificationIsAHint(t *testing.T) {
	k := newKassa(t, false)
	_, s := k.start()
	token := k.authorizedByBuyer(s)
	outside := k.outsideOrder()
	calls := k.apiCalls()

	forged := `{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_forged","sessionId":"` + s.Data.LedyerSessionID + `"}`
	if status, body := k.post(forged, nil); status != http.StatusOK || body != `{"action":"sync","duplicate":false,"ignored":false}` {
		t.Fatalf("forged notification: %d %s", status, body)
	}
	order := `{"eventType":"com.ledyer.order.create","orderId":"` + outside + `","merchantId":"` + k.merchantID + `"}`
	if status, body := k.post(order, nil); status != http.StatusOK || body != `{"action":"not_supported","duplicate":false,"ignored":true}` {
		t.Fatalf("forged order notification: %d %s", status, body)
	}
	if status, body := k.post(padded(s), nil); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("padded notification: %d %s, want 413", status, body)
	}
	// The one call made: reading the session.
	want := maps.Clone(calls)
	want["/v1/payment-sessions/"+s.Data.LedyerSessionID]++
	if got := k.apiCalls(); !maps.Equal(got, want) {
		t.Errorf("API calls went from %v to %v, want %v", calls, got, want)
	}
	var o remoteOrder
	k.must("GET", "/v1/orders/"+outside, nil, &o)
	if n := countEvents(o, "acknowledge"); n != 0 {
		t.Errorf("the order was acknowledged %d times", n)
	}

	// The hints that call the API are bounded: while 4 wait for it, a
	// fifth is told to retry.
	k.flaky.mu.Lock()
	k.flaky.holdPath, k.flaky.hold, k.flaky.held = "/v1/payment-sessions/"+s.Data.LedyerSessionID, make(chan struct{}), make(chan struct{}, 4)
	k.flaky.mu.Unlock()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if status, body := k.post(forged, nil); status != http.StatusOK {
				t.Errorf("hint: %d %s", status, body)
			}
		})
	}
	for range 4 {
		<-k.flaky.held
	}
	resp, err := http.Post(k.url+pm+"/providers/"+invoice.ProviderID+"/webhooks", "application/json", strings.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("a fifth hint at once: %d, Retry-After %q; want 429, 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	k.flaky.mu.Lock()
	k.flaky.holdPath = ""
	close(k.flaky.hold)
	k.flaky.mu.Unlock()
	wg.Wait()
	if n, size := k.storedEvents(); n != 0 {
		t.Errorf("stored %d events of %d bytes, want none", n, size)
	}
	k.finishes(s, token)
}

// TestUnsignedSignatoryNotification: without a secret, Kassa's pending
// notification still moves the session, by the state the API reports.
func TestUnsignedSignatoryNotification(t *testing.T) {
	k := newKassa(t, false)
	_, s := k.start()
	var dialog struct {
		State string `json:"state"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/authorize", map[string]any{"customer": buyer("556000-0001")}, &dialog)
	if got := k.deliver(); len(got) != 1 || got[0] != `200 {"action":"sync","duplicate":false,"ignored":false}` {
		t.Fatalf("pending notification answered %v", got)
	}
	var got moduleSession
	k.must("GET", pm+"/sessions/"+s.ID, nil, &got)
	if got.Status != "pending_authorization" {
		t.Fatalf("session after the pending notification = %+v", got)
	}
}

// outsideOrder creates an order of the merchant's without the module, and
// does not acknowledge it.
func (k *kassaEnv) outsideOrder() string {
	k.t.Helper()
	cart := map[string]any{
		"country": "SE", "currency": "SEK", "locale": "sv-SE", "reference": "outside-1", "orderLines": []any{chair},
		"totalOrderAmount": 500000, "totalOrderVatAmount": 100000, "totalOrderAmountExclVat": 400000,
	}
	var ses struct {
		SessionID string `json:"sessionId"`
	}
	k.must("POST", "/v1/payment-sessions", cart, &ses)
	var dialog struct {
		AuthorizationToken string `json:"authorizationToken"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+ses.SessionID+"/authorize", map[string]any{"customer": buyer("559311-3714")}, &dialog)
	cart["customer"] = buyer("559311-3714")
	var out struct {
		OrderID string `json:"orderId"`
	}
	k.must("POST", "/v1/authorization-tokens/"+dialog.AuthorizationToken+"/order", cart, &out)
	return out.OrderID
}

// TestConcurrentNotificationDeliveries: the same signed notification
// delivered several times at once is applied once; every delivery
// answers 200.
func TestConcurrentNotificationDeliveries(t *testing.T) {
	k := newKassa(t, true)
	col, s := k.start()
	k.awaitSignatory(s)
	k.must("POST", "/v1/sandbox/payment-sessions/"+s.Data.LedyerSessionID+"/sign", nil, nil)
	id, body := k.notification(s.Data.LedyerSessionID, "com.ledyer.authorization.create")
	const n = 8
	answers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			status, got := k.post(body, signedBy(t, k.secret, id, time.Now(), body))
			answers[i] = fmt.Sprintf("%d %s", status, got)
		})
	}
	wg.Wait()
	applied := 0
	for _, a := range answers {
		switch a {
		case `200 {"action":"authorized","duplicate":false,"ignored":false}`:
			applied++
		case `200 {"action":"authorized","duplicate":true,"ignored":false}`:
		default:
			t.Errorf("delivery answered %s", a)
		}
	}
	var c struct {
		Status   string          `json:"status"`
		Payments []modulePayment `json:"payments"`
	}
	k.must("GET", pm+"/collections/"+col, nil, &c)
	if applied != 1 || c.Status != "authorized" || len(c.Payments) != 1 {
		t.Fatalf("%d deliveries applied it; collection %+v; want 1, authorized with one payment", applied, c)
	}
}
