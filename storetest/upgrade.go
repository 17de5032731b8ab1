package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// Exec runs SQL on a backend's database directly, past the store.
type Exec func(ctx context.Context, query string, args ...any) error

// UpgradeDocuments checks migration 0006, which numbers documents after
// they are issued, on a database whose schema is at 0005: exec writes an
// invoice and its credit note as 0005 issued them, then open brings the
// schema up to date. The documents keep their numbers, which become their
// references (what their orders' chunks show), numbering goes on after
// them, and the rows refuse every change but setting a number once.
func UpgradeDocuments(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m, orderID = "ac_legacy", "or_legacy"
	ocr, _ := invoice.NewOCR("5000")
	issued := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	legacy := []map[string]any{
		{"id": "doc_inv", "kind": "invoice", "number": 1, "ledgerId": "in_c", "paymentReference": ocr, "total": 12500},
		{"id": "doc_cn", "kind": "creditNote", "number": 2, "ledgerId": "in_r", "credits": 1, "total": -12500},
	}
	for _, d := range legacy {
		d["merchantId"], d["orderId"], d["currency"], d["issueDate"], d["dueDate"] = m, orderID, "SEK", issued, issued
		doc, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var ref any // NULL for the credit note
		if r, ok := d["paymentReference"]; ok {
			ref = r
		}
		if err := exec(ctx, `INSERT INTO documents
			(id, merchant_id, order_id, ledger_id, kind, number, payment_reference, access_token, payable, due_at, doc, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $9)`,
			d["id"], m, orderID, d["ledgerId"], d["kind"], d["number"], ref, "tok_"+d["id"].(string), issued.UnixMicro(), string(doc)); err != nil {
			t.Fatalf("writing a 0005 document: %v", err)
		}
	}
	if err := exec(ctx, `INSERT INTO document_counters (merchant_id, last) VALUES ($1, 2)`, m); err != nil {
		t.Fatal(err)
	}

	s := open(t)
	var docs []*invoice.Document
	err := s.View(ctx, func(tx store.ReadTx) (err error) { docs, err = tx.OrderDocuments(ctx, m, orderID); return err })
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].ID != "doc_inv" || docs[0].Number != 1 || docs[0].Reference != "1" || docs[0].PaymentReference != ocr ||
		docs[1].ID != "doc_cn" || docs[1].Number != 2 || docs[1].Reference != "2" || docs[1].Credits != 1 {
		t.Fatalf("documents after the upgrade = %+v", docs)
	}

	d := &invoice.Document{ID: "doc_new", MerchantID: m, OrderID: "or_new", LedgerID: "in_new", Kind: invoice.KindInvoice,
		Reference: invoice.ReferenceFor("doc_new"), AccessToken: "tok_new", IssueDate: issued, DueDate: issued, CreatedAt: issued}
	d.PaymentReference = d.Reference
	d.SealToken(kassatest.KEK())
	var numbered []*invoice.Document
	err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateDocument(ctx, d) })
	if err == nil {
		err = s.Update(ctx, func(tx store.Tx) (err error) { numbered, err = tx.NumberDocuments(ctx, 10); return err })
	}
	if err != nil || len(numbered) != 1 || numbered[0].Number != 3 {
		t.Fatalf("numbering a new document after the upgrade = %v, %v; want it numbered 3", numbered, err)
	}

	for _, change := range []string{
		`UPDATE documents SET payable = 1 WHERE id = 'doc_new'`,
		`UPDATE documents SET number = 9 WHERE id = 'doc_new'`,
		`UPDATE documents SET number = NULL WHERE id = 'doc_inv'`,
		`DELETE FROM documents WHERE id = 'doc_cn'`,
	} {
		if err := exec(ctx, change); err == nil || !strings.Contains(err.Error(), "documents are immutable") && !strings.Contains(err.Error(), "numbered once") {
			t.Errorf("%s = %v, want the triggers to refuse it", change, err)
		}
	}
}

// UpgradeDeliveries checks migration 0008, which names each delivery's
// destination, on a database whose schema is at 0006: exec writes pending
// deliveries as 0006 stored them, two to one URL and one to another, then
// open brings the schema up to date. A claim capped at one per
// destination then takes one delivery to each URL: the rows written
// before the migration have destinations, and not all the same one.
func UpgradeDeliveries(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	due := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).UnixMicro()
	stmts := [][]any{
		{`INSERT INTO notifications (id, merchant_id, type, order_id, session_id, body, created_at) VALUES ('nt_legacy', 'ac_legacy', 'com.ledyer.order.create', 'or_legacy', 'ps_legacy', $1, $2)`,
			[]byte(`{"eventType":"com.ledyer.order.create"}`), due},
	}
	for i, url := range []string{"https://shop.example/a", "https://shop.example/a", "https://other.example/b"} {
		stmts = append(stmts, []any{`INSERT INTO notification_deliveries (id, notification_id, merchant_id, endpoint_id, url, state, attempts, next_at, claim, created_at)
			VALUES ($1, 'nt_legacy', 'ac_legacy', '', $2, 'pending', 0, $3, '', $3)`, fmt.Sprintf("nd_legacy-%d", i), url, due})
	}
	for _, s := range stmts {
		if err := exec(ctx, s[0].(string), s[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t)
	var ds []notify.Delivery
	c := store.DeliveryClaim{Now: time.UnixMicro(due), LeaseUntil: time.UnixMicro(due).Add(time.Minute), Token: "c1", Limit: 10, PerDestination: 1}
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		ds, err = tx.ClaimDeliveries(ctx, c, func(string) string { return "whsec_bGVnYWN5" })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, d := range ds {
		urls = append(urls, d.URL)
	}
	slices.Sort(urls)
	if diff := cmp.Diff([]string{"https://other.example/b", "https://shop.example/a"}, urls); diff != "" {
		t.Errorf("claimed after the upgrade, one per destination (-want +got):\n%s", diff)
	}
}

// Upgrade is a check of the migrations that follow Last, on a database a
// release ending with migration Last made: Check writes that release's
// data with exec, opens the store (which migrates), and checks the data.
type Upgrade struct {
	Name, Last string
	Check      func(t *testing.T, exec Exec, count Count, open func(t *testing.T) store.Store)
}

// Upgrades are the upgrades every backend runs, by the name of the
// migration file each starts from.
var Upgrades = []Upgrade{
	{"Documents", "0005_invoices.sql", UpgradeDocuments},
	{"Deliveries", "0006_document_numbering.sql", UpgradeDeliveries},
	{"Secrets", "0008_delivery_destinations.sql", UpgradeSecrets},
	{"Clients", "0008_delivery_destinations.sql", UpgradeClients},
	{"EndpointHealth", "0013_signing_keys.sql", UpgradeEndpointHealth},
	{"OrderExpiry", "0015_invoice_settings.sql", UpgradeOrderExpiry},
	{"OrderLists", "0015_invoice_settings.sql", UpgradeOrderLists},
	{"SessionLists", "0019_dashboard_users.sql", UpgradeSessionLists},
	{"CollectionLists", "0020_session_lists.sql", UpgradeCollectionLists},
	{"AuditSeq", "0025_collection_lists.sql", UpgradeAuditSeq},
}

// UpgradeAuditSeq checks, on a database whose schema is at 0025, that the
// audit log keeps its events and their sequence numbers through the
// upgrade (SQLite's 0026 rebuilds the append-only tables), and that an
// event appended after it comes after them all.
func UpgradeAuditSeq(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m = "ac_legacy"
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, action := range []string{"first", "second"} {
		err := exec(ctx, `INSERT INTO audit_events (merchant_id, actor, action, target, request_id, source, status, outcome, replay, at)
			VALUES ($1, 'operator', $2, '', '', '', 0, 'ok', 0, $3)`, m, action, at.UnixMicro())
		if err != nil {
			t.Fatalf("writing 0025's data: %v", err)
		}
	}
	s := open(t)
	list := func() []audit.Event {
		return mustView(t, s, func(tx store.ReadTx) ([]audit.Event, error) {
			return tx.AuditEvents(ctx, m, store.AuditFilter{Limit: 10})
		})
	}
	before := list()
	if len(before) != 2 || before[0].Action != "second" || before[1].Action != "first" || before[0].Seq <= before[1].Seq {
		t.Fatalf("events after the upgrade = %+v, want second then first, in the order appended", before)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AppendAuditEvent(ctx, &audit.Event{MerchantID: m, Actor: "operator", Action: "third", Outcome: audit.OK, At: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	after := list()
	if len(after) != 3 || after[0].Action != "third" || after[0].Seq <= before[0].Seq {
		t.Errorf("events after appending one = %+v, want the new one last in sequence", after)
	}
	if diff := cmp.Diff(before, after[1:]); diff != "" {
		t.Errorf("the events from before the upgrade changed (-before +after):\n%s", diff)
	}
}

// UpgradeEndpointHealth checks migration 0014, which gives endpoints
// rotations and a health, and merchants a contact address, on a database
// whose schema is at 0013: exec writes a merchant and its endpoint as
// 0013 stored them, then open brings the schema up to date. The merchant
// has no address; the endpoint keeps its secret, was never rotated, has
// no failure streak and is enabled.
func UpgradeEndpointHealth(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m = "ac_legacy"
	created := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, s := range [][]any{
		{`INSERT INTO merchants (id, name, store_id, created_at) VALUES ($1, 'Legacy AB', '1', $2)`, m, created.UnixMicro()},
		{`INSERT INTO notification_endpoints (id, merchant_id, url, secret, event_types, created_at)
			VALUES ('ne_legacy', $1, 'https://erp.example/hooks', 'ks1:sealed', '["com.kassa.order.paid"]', $2)`, m, created.UnixMicro()},
	} {
		if err := exec(ctx, s[0].(string), s[1:]...); err != nil {
			t.Fatalf("writing 0013's data: %v", err)
		}
	}
	s := open(t)
	got := mustView(t, s, func(tx store.ReadTx) (*merchant.Merchant, error) { return tx.Merchant(ctx, m) })
	if diff := cmp.Diff(&merchant.Merchant{ID: m, Name: "Legacy AB", StoreID: "1", CreatedAt: created}, got); diff != "" {
		t.Errorf("the merchant after the upgrade (-want +got):\n%s", diff)
	}
	es := mustView(t, s, func(tx store.ReadTx) ([]notify.Endpoint, error) { return tx.NotificationEndpoints(ctx, m) })
	want := []notify.Endpoint{{ID: "ne_legacy", MerchantID: m, URL: "https://erp.example/hooks", Secret: "ks1:sealed",
		EventTypes: []string{notify.OrderPaid}, CreatedAt: created}}
	if diff := cmp.Diff(want, es); diff != "" {
		t.Errorf("the endpoint after the upgrade (-want +got):\n%s", diff)
	}
}

// Count runs a query that counts rows on a backend's database directly,
// past the store.
type Count func(ctx context.Context, query string, args ...any) (int, error)

// UpgradeSecrets checks migration 0010 and the sealing at the first start
// with a key-encryption key (provider.LoadSigner) on a database whose schema
// is at 0008, which kept every secret in clear: exec writes the two
// signing keys, an endpoint with its secret and a document with its
// buyer's link token as 0008 stored them, then open brings the schema up
// to date and LoadSigner seals, in one transaction. The keys, the secret
// and the link work as before (an access token signed before the upgrade
// is accepted after it), none of them is in the database in clear any
// more, and a second start changes nothing.
func UpgradeSecrets(t *testing.T, exec Exec, count Count, open func(t *testing.T) store.Store) {
	ctx, kek := context.Background(), kassatest.KEK()
	const m, endpointSecret, token = "ac_legacy", "whsec_bGVnYWN5IGVuZHBvaW50IHNlY3JldCAyNCBi", "tok_legacy_link_0123456789abcdefghijklmnop"
	tokenKey, notificationKey := []byte("legacy token signing key, 32 b."), []byte("legacy notification key, 32 by.")
	issued := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	doc, _ := json.Marshal(map[string]any{"id": "doc_legacy", "merchantId": m, "orderId": "or_legacy", "kind": "invoice",
		"ledgerId": "in_legacy", "reference": "1", "currency": "SEK", "issueDate": issued, "dueDate": issued, "accessToken": token})
	for _, s := range [][]any{
		{`INSERT INTO settings (name, value) VALUES ('token_signing_key', $1), ('notification_signing_key', $2)`, tokenKey, notificationKey},
		{`INSERT INTO merchants (id, name, store_id, created_at) VALUES ($1, 'Legacy AB', '1', $2)`, m, issued.UnixMicro()},
		{`INSERT INTO notification_endpoints (id, merchant_id, url, secret, event_types, created_at)
			VALUES ('ne_legacy', $1, 'https://erp.example/hooks', $2, '[]', $3)`, m, endpointSecret, issued.UnixMicro()},
		{`INSERT INTO documents (id, merchant_id, order_id, ledger_id, kind, number, reference, payment_reference, access_token, payable, due_at, doc, created_at)
			VALUES ('doc_legacy', $1, 'or_legacy', 'in_legacy', 'invoice', 1, '1', NULL, $2, 0, $3, $4, $3)`, m, token, issued.UnixMicro(), string(doc)},
	} {
		if err := exec(ctx, s[0].(string), s[1:]...); err != nil {
			t.Fatalf("writing 0008's data: %v", err)
		}
	}
	before := merchant.Signer{Keys: []merchant.SigningKey{{Key: tokenKey}}}.Issue(&merchant.Client{ID: "cl_legacy", MerchantID: m, Scope: merchant.ScopeWrite}, issued)

	s := open(t)
	signer, err := provider.LoadSigner(ctx, s, kek)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := signer.Check(before, issued); err != nil || p.MerchantID != m {
		t.Errorf("an access token from before the upgrade = %+v, %v; want it accepted", p, err)
	}
	if key, err := provider.LoadNotificationKey(ctx, s, kek); err != nil || !bytes.Equal(key, notificationKey) {
		t.Errorf("the notification key after the upgrade = %q, %v; want %q", key, err, notificationKey)
	}
	es := mustView(t, s, func(tx store.ReadTx) ([]notify.Endpoint, error) { return tx.NotificationEndpoints(ctx, m) })
	if secret, err := kek.Open(es[0].Secret, notify.SecretContext("ne_legacy")); err != nil || string(secret) != endpointSecret {
		t.Errorf("the endpoint's secret after the upgrade = %q, %v; want it sealed", secret, err)
	}
	d := mustView(t, s, func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByToken(ctx, token) })
	if path, err := d.BuyerPath(kek); err != nil || path != "/invoices/"+token {
		t.Errorf("the buyer's link after the upgrade = %q, %v; want the same link", path, err)
	}

	for query, args := range map[string][]any{
		`SELECT count(*) FROM settings WHERE value IN ($1, $2)`:                                       {tokenKey, notificationKey},
		`SELECT count(*) FROM notification_endpoints WHERE secret LIKE $1`:                            {"%" + endpointSecret[len("whsec_"):] + "%"},
		`SELECT count(*) FROM documents WHERE CAST(doc AS TEXT) LIKE $1 OR CAST(doc AS TEXT) LIKE $2`: {"%" + token + "%", "%accessToken%"},
		`SELECT count(*) FROM document_tokens WHERE clear IS NOT NULL OR hash = $1 OR sealed LIKE $2`: {token, "%" + token + "%"},
	} {
		if n, err := count(ctx, query, args...); err != nil || n != 0 {
			t.Errorf("%s = %d, %v; want no secret left in clear", query, n, err)
		}
	}

	// A second start opens what the first sealed, and changes nothing.
	sealed := func() []string {
		t.Helper()
		var vs []string
		err := s.Update(ctx, func(tx store.Tx) error {
			for _, name := range []string{"key_check", "token_signing_key", "notification_signing_key"} {
				v, err := tx.Setting(ctx, name)
				if err != nil {
					return err
				}
				vs = append(vs, string(v))
			}
			ss, err := tx.EndpointSecrets(ctx)
			if err != nil {
				return err
			}
			ts, err := tx.DocumentTokens(ctx, "", 10)
			vs = append(vs, fmt.Sprint(ss, ts))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	first := sealed()
	if again, err := provider.LoadSigner(ctx, s, kek); err != nil || len(again.Keys) != 1 || !bytes.Equal(again.Keys[0].Key, tokenKey) {
		t.Errorf("LoadSigner on a second start = %v; want the legacy key", err)
	}
	if diff := cmp.Diff(first, sealed()); diff != "" {
		t.Errorf("a second start changed the sealed values (-first +second):\n%s", diff)
	}
}

func mustView[T any](t *testing.T, s store.Store, get func(tx store.ReadTx) (T, error)) T {
	t.Helper()
	var v T
	if err := s.View(context.Background(), func(tx store.ReadTx) (err error) { v, err = get(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

// UpgradeClients checks migration 0011, which gives API clients a name, a
// scope, rotations and revocation, on a database whose schema is at 0008:
// exec writes a merchant and its client as 0008 stored them, then open
// brings the schema up to date. The client is a write client named
// "default", never rotated nor revoked, and its secret still verifies.
func UpgradeClients(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, s := range [][]any{
		{`INSERT INTO merchants (id, name, store_id, created_at) VALUES ('ac_legacy', 'Legacy AB', '1000000001', $1)`, created.UnixMicro()},
		{`INSERT INTO api_clients (id, merchant_id, secret_hash, created_at) VALUES ('cl_legacy', 'ac_legacy', $1, $2)`, merchant.HashSecret("legacy secret"), created.UnixMicro()},
	} {
		if err := exec(ctx, s[0].(string), s[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t)
	var cs []merchant.Client
	if err := s.View(ctx, func(tx store.ReadTx) (err error) { cs, err = tx.Clients(ctx, "ac_legacy"); return err }); err != nil {
		t.Fatal(err)
	}
	want := []merchant.Client{{
		ID: "cl_legacy", MerchantID: "ac_legacy", Name: "default", Scope: merchant.ScopeWrite,
		SecretHash: merchant.HashSecret("legacy secret"), CreatedAt: created,
	}}
	if diff := cmp.Diff(want, cs); diff != "" {
		t.Errorf("client after the upgrade (-want +got):\n%s", diff)
	}
	if len(cs) == 1 && !cs[0].Verify("legacy secret", created.Add(time.Hour)) {
		t.Error("the client's secret does not verify after the upgrade")
	}
}

// NewerSchema checks that a store refuses a database a newer Kassa has
// migrated: exec records a migration this build does not have, as that
// release would, and open, which opens the store on the database, must
// fail with an error that names the migration and says a newer Kassa
// migrated it.
func NewerSchema(t *testing.T, exec Exec, open func() error) {
	const future = "9999_from_a_newer_kassa.sql"
	if err := exec(context.Background(), `INSERT INTO schema_migrations (name) VALUES ($1)`, future); err != nil {
		t.Fatal(err)
	}
	err := open()
	if err == nil || !strings.Contains(err.Error(), future) || !strings.Contains(err.Error(), "A newer Kassa migrated it") {
		t.Errorf("opening a schema with migration %s = %v, want it refused as newer than this build", future, err)
	}
}

// UpgradeOrderExpiry checks migration 0016, which gives orders the time
// their expiry is due, on a database whose schema is at 0015: exec writes
// an order with lines uncaptured and a cancelled one as 0015 stored them,
// then open brings the schema up to date. The first is due for its expiry
// at its expiresAt (to the millisecond: SQLite computes it from the
// document's text), the cancelled one never.
func UpgradeOrderExpiry(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m = "ac_legacy"
	env := order.Env{Now: t0, IDs: &kassatest.IDs{}}
	var orders []*order.Order
	for range 2 {
		o, err := order.New(env, order.NewParams{MerchantID: m, StoreID: "1", SessionID: env.IDs.New(kassa.PrefixSession),
			Currency: "SEK", Country: "SE", Locale: "sv-SE", Lines: lines, Totals: totals, Customer: customer, AuthorizeStatus: order.Authorized})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	cancelled, err := orders[1].Cancel(env)
	if err != nil {
		t.Fatal(err)
	}
	orders[1] = cancelled
	for _, o := range orders {
		doc, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		err = exec(ctx, `INSERT INTO orders (id, merchant_id, session_id, doc, ready_pending, ready_at, authorized, captured, refunded, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 0, $5, $6, 0, 0, $5, $5)`, o.ID, m, o.SessionID, string(doc), t0.UnixMicro(), o.AuthorizedAmount)
		if err != nil {
			t.Fatalf("writing 0015's data: %v", err)
		}
	}
	s := open(t)
	due := func(at time.Time) []store.OrderKey {
		return mustView(t, s, func(tx store.ReadTx) ([]store.OrderKey, error) { return tx.OrdersDueExpiry(ctx, "", at, 10) })
	}
	if got := due(orders[0].ExpiresAt.Add(-time.Millisecond)); len(got) != 0 {
		t.Errorf("due for expiry before expiresAt after the upgrade: %v", got)
	}
	if diff := cmp.Diff([]store.OrderKey{{MerchantID: m, OrderID: orders[0].ID}}, due(orders[0].ExpiresAt.Add(time.Millisecond))); diff != "" {
		t.Errorf("due for expiry after the upgrade (-want +got):\n%s", diff)
	}
}

// UpgradeOrderLists checks migration 0018, which gives orders the status
// and search columns that GET /v1/orders reads, on a database whose
// schema is at 0015: exec writes two orders as 0015 stored them (one
// captured, one whose company name begins with a Swedish capital), then
// open brings the schema up to date. Both are found by their status and
// by a search, as orders saved after the upgrade are.
func UpgradeOrderLists(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m = "ac_legacy"
	env := order.Env{Now: t0, IDs: new(kassatest.IDs)}
	newOrder := func(company string) *order.Order {
		c := customer
		c.CompanyName = company
		o, err := order.New(env, order.NewParams{MerchantID: m, SessionID: "se_legacy", Currency: "SEK", Country: "SE", Locale: "sv-SE",
			Reference: "Legacy-1", Lines: lines, Totals: totals, Customer: c, AuthorizeStatus: order.Authorized})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	confirmed := newOrder("Ärlig Handel AB")
	// SQL's trim takes spaces only, Go's every kind of white space.
	captured, err := newOrder("\tByggvaror Norr AB").Capture(env, order.CaptureRequest{Lines: lines, TotalAmount: totals.Amount})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*order.Order{confirmed, captured} {
		doc, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := exec(ctx, `INSERT INTO orders
			(id, merchant_id, session_id, doc, ready_pending, ready_at, authorized, captured, refunded, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 0, $5, $6, $7, 0, $5, $5)`,
			o.ID, m, o.SessionID, string(doc), o.CreatedAt.UnixMicro(), o.AuthorizedAmount, o.CapturedAmount()); err != nil {
			t.Fatalf("writing a 0015 order: %v", err)
		}
	}

	s := open(t)
	list := func(f store.OrderFilter) []string {
		t.Helper()
		f.Limit = 10
		var got []string
		err := s.View(ctx, func(tx store.ReadTx) error {
			os, err := tx.Orders(ctx, m, f)
			for _, o := range os {
				got = append(got, o.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		what string
		f    store.OrderFilter
		want []string
	}{
		{"captured", store.OrderFilter{Statuses: []string{order.StatusOrderCaptured}}, []string{captured.ID}},
		{"confirmed", store.OrderFilter{Statuses: []string{order.StatusPaymentConfirmed}}, []string{confirmed.ID}},
		{"q company", store.OrderFilter{Query: "ärlig"}, []string{confirmed.ID}},
		{"q organisation number", store.OrderFilter{Query: "5566778899", Currency: "SEK"}, []string{captured.ID, confirmed.ID}},
		{"q reference", store.OrderFilter{Query: "legacy-"}, []string{captured.ID, confirmed.ID}},
		{"q e-mail", store.OrderFilter{Query: "INKOP@"}, []string{captured.ID, confirmed.ID}},
		{"q ID", store.OrderFilter{Query: confirmed.ID}, []string{confirmed.ID}},
		{"q company as the backfill trimmed it", store.OrderFilter{Query: "byggvaror"}, nil},
	} {
		if got := list(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s after the upgrade = %v, want %v", c.what, got, c.want)
		}
	}

	// The order's next save, read first as every change is, writes the
	// company as Go folds it: the column differs from what the save
	// writes, though the company itself did not change.
	err = s.Update(ctx, func(tx store.Tx) error {
		prev, err := tx.Order(ctx, m, captured.ID)
		if err != nil {
			return err
		}
		next := prev.Acknowledge(env)
		return tx.UpdateOrder(ctx, next, next.Events[len(prev.Events):])
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := list(store.OrderFilter{Query: "byggvaror"}); !slices.Equal(got, []string{captured.ID}) {
		t.Errorf("q company after the next save = %v, want %v", got, []string{captured.ID})
	}
}

// UpgradeSessionLists checks migration 0020, which gives payment sessions
// the state and expiry columns that GET /v1/payment-sessions filters by,
// on a database whose schema is at 0019: exec writes three sessions as
// 0019 stored them (one open, one cancelled, one that placed an order),
// then open brings the schema up to date. Each is found by its state, and
// the open one, only it, reads expired from its expiry on.
func UpgradeSessionLists(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m = "ac_legacy"
	env := order.Env{Now: t0.Add(123456789 * time.Nanosecond), IDs: new(kassatest.IDs)}
	var ss []*session.Session
	for i := range 3 {
		s, err := session.New(env, m, session.Params{Currency: new("SEK"), Country: new("SE"), Lines: lines, Totals: totals})
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 1:
			s.State = session.StateCancelled
		case 2:
			s.State, s.OrderID = session.StateAuthorized, "or_legacy"
		}
		doc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := exec(ctx, `INSERT INTO payment_sessions (id, merchant_id, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
			s.ID, m, string(doc), s.CreatedAt.UnixMicro()); err != nil {
			t.Fatalf("writing a 0019 session: %v", err)
		}
		ss = append(ss, s)
	}
	openSession, cancelled, placed := ss[0], ss[1], ss[2]

	s := open(t)
	// Before and after the expiry by a millisecond: SQLite's backfill
	// keeps times to the millisecond.
	before, after := openSession.ExpiresAt.Add(-time.Millisecond), openSession.ExpiresAt.Add(time.Millisecond)
	for _, c := range []struct {
		what  string
		now   time.Time
		state string
		want  []string
	}{
		{"created", before, session.StateCreated, []string{openSession.ID}},
		{"expired before the expiry", before, session.StateExpired, nil},
		{"expired after it", after, session.StateExpired, []string{openSession.ID}},
		{"created after it", after, session.StateCreated, nil},
		{"cancelled after it", after, session.StateCancelled, []string{cancelled.ID}},
		{"authorized after it", after, session.StateAuthorized, []string{placed.ID}},
	} {
		var got []string
		err := s.View(ctx, func(tx store.ReadTx) error {
			ps, err := tx.Sessions(ctx, m, store.SessionFilter{States: []string{c.state}, Now: c.now, Limit: 10})
			for _, p := range ps {
				got = append(got, p.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s after the upgrade = %v, want %v", c.what, got, c.want)
		}
	}
}

// UpgradeCollectionLists checks migration 0025, which gives payment-module
// collections the status and currency columns that GET
// /v1/payment-module/collections filters by, on a database whose schema
// is at 0020: exec writes two collections as 0020 stored them (one
// canceled, one in EUR), then open brings the schema up to date. Each is
// found by its status and currency, newest first.
func UpgradeCollectionLists(t *testing.T, exec Exec, _ Count, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const m = "ac_legacy"
	var cs []*payment.Collection
	ids := new(kassatest.IDs)
	for i, cur := range []string{"SEK", "EUR"} {
		env := payment.Env{Now: t0.Add(time.Duration(i) * time.Second), IDs: ids}
		c, err := payment.NewCollection(env, m, cur, 1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if c, err = c.Cancel(env, nil); err != nil {
				t.Fatal(err)
			}
		}
		doc, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := exec(ctx, `INSERT INTO payment_collections (id, merchant_id, doc, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			c.ID, m, string(doc), c.Version, c.CreatedAt.UnixMicro()); err != nil {
			t.Fatalf("writing a 0020 collection: %v", err)
		}
		cs = append(cs, c)
	}
	s := open(t)
	for _, c := range []struct {
		what string
		f    store.CollectionFilter
		want []string
	}{
		{"all", store.CollectionFilter{}, []string{cs[1].ID, cs[0].ID}},
		{"canceled", store.CollectionFilter{Statuses: []string{payment.Canceled}}, []string{cs[0].ID}},
		{"not paid", store.CollectionFilter{Statuses: []string{payment.NotPaid}}, []string{cs[1].ID}},
		{"EUR", store.CollectionFilter{Currency: "EUR"}, []string{cs[1].ID}},
		{"SEK", store.CollectionFilter{Currency: "SEK"}, []string{cs[0].ID}},
	} {
		var got []string
		c.f.Limit = 10
		err := s.View(ctx, func(tx store.ReadTx) error {
			list, err := tx.PaymentCollections(ctx, m, c.f)
			for _, p := range list {
				got = append(got, p.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s after the upgrade = %v, want %v", c.what, got, c.want)
		}
	}
}
