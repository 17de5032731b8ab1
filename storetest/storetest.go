// Package storetest is the conformance suite for store.Store: every
// backend runs it unchanged, in the manner of testing/fstest.TestFS, so
// it tests only through the store interface.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// Run checks that the stores open makes behave as package store
// documents. open must return a new, empty store each time it is called;
// Run closes it. Subtests run in parallel, each on its own store.
//
// Besides the interface's contract, Run requires what both SQLite in WAL
// mode and PostgreSQL give: an Update can commit while a View is open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		test func(*fixture)
	}{
		{"Merchants", testMerchants},
		{"Clients", testClients},
		{"ConcurrentClients", testConcurrentClients},
		{"OrderRoundTrip", testOrderRoundTrip},
		{"UpdateOrder", testUpdateOrder},
		{"UpdateOrderIndexes", testUpdateOrderIndexes},
		{"Sessions", testSessions},
		{"SessionList", testSessionList},
		{"Missing", testMissing},
		{"MerchantScope", testMerchantScope},
		{"Idempotency", testIdempotency},
		{"Settings", testSettings},
		{"OrdersDueReady", testOrdersDueReady},
		{"OrdersDueExpiry", testOrdersDueExpiry},
		{"TestClocks", testTestClocks},
		{"AdvanceDeliveries", testAdvanceDeliveries},
		{"OrderList", testOrderList},
		{"FailedUpdate", testFailedUpdate},
		{"FailedWrite", testFailedWrite},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ViewSnapshot", testViewSnapshot},
		{"MoneyInvariants", testMoneyInvariants},
		{"NotificationEndpoints", testNotificationEndpoints},
		{"NotificationsList", testNotificationsList},
		{"NotificationsAfter", testNotificationsAfter},
		{"DeliveryLifecycle", testDeliveryLifecycle},
		{"ClaimsExclusive", testClaimsExclusive},
		{"ClaimsPerDestination", testClaimsPerDestination},
		{"DeliveryEndpointDeleted", testDeliveryEndpointDeleted},
		{"EndpointHealth", testEndpointHealth},
		{"AutoCaptures", testAutoCaptures},
		{"CreditHolds", testCreditHolds},
		{"ConcurrentCredit", testConcurrentCredit},
		{"CreditPolicies", testCreditPolicies},
		{"CreditDecisions", testCreditDecisions},
		{"PaymentRoundTrip", testPaymentRoundTrip},
		{"CollectionList", testCollectionList},
		{"PaymentVersions", testPaymentVersions},
		{"PaymentDeletes", testPaymentDeletes},
		{"ProviderEvents", testProviderEvents},
		{"ProviderEventClaims", testProviderEventClaims},
		{"IdempotencyPending", testIdempotencyPending},
		{"Documents", testDocuments},
		{"InvoiceLogos", testInvoiceLogos},
		{"NumberSeriesStart", testNumberSeriesStart},
		{"NumberSeriesStartRace", testNumberSeriesStartRace},
		{"DocumentNumbers", testDocumentNumbers},
		{"Payments", testPayments},
		{"ExportReads", testExportReads},
		{"DocumentList", testDocumentList},
		{"MailOutbox", testMailOutbox},
		{"Overdue", testOverdue},
		{"AuditEvents", testAuditEvents},
		{"Secrets", testSecrets},
		{"SigningKeys", testSigningKeys},
		{"ConcurrentSigningKeys", testConcurrentSigningKeys},
		{"Users", testUsers},
		{"DashboardSessions", testDashboardSessions},
		{"ExpiredDashboardSessions", testExpiredDashboardSessions},
		{"OneTimeTokens", testOneTimeTokens},
		{"DeleteUser", testDeleteUser},
		{"Backlog", testBacklog},
		{"Stats", testStats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.test(&fixture{t: t, ctx: t.Context(), s: s, ids: new(kassatest.IDs), now: t0})
		})
	}
}

// t0 is the suite's clock at its start: microsecond precision, as
// kassa.SystemClock gives and the stores keep.
var t0 = time.Date(2026, time.March, 2, 9, 30, 15, 123456000, time.UTC)

var errBoom = errors.New("storetest: deliberate failure")

// fixture is one subtest's store, clock and ID source. Its helpers fail
// the test on the test goroutine, never inside a transaction function,
// which may run on another.
type fixture struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
	ids *kassatest.IDs
	now time.Time
}

func (f *fixture) env() order.Env { return order.Env{Now: f.now, IDs: f.ids} }

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// mustUpdate runs fn in an Update that must succeed.
func (f *fixture) mustUpdate(fn func(store.Tx) error) {
	f.t.Helper()
	if err := f.s.Update(f.ctx, fn); err != nil {
		f.t.Fatalf("Update: %v", err)
	}
}

// read runs get in its own View.
func read[T any](f *fixture, get func(store.ReadTx) (T, error)) (T, error) {
	var v T
	err := f.s.View(f.ctx, func(tx store.ReadTx) error {
		var err error
		v, err = get(tx)
		return err
	})
	return v, err
}

// mustRead runs get in its own View, which must succeed.
func mustRead[T any](f *fixture, get func(store.ReadTx) (T, error)) T {
	f.t.Helper()
	v, err := read(f, get)
	if err != nil {
		f.t.Fatalf("View: %v", err)
	}
	return v
}

func (f *fixture) order(merchantID, id string) (*order.Order, error) {
	return read(f, func(tx store.ReadTx) (*order.Order, error) { return tx.Order(f.ctx, merchantID, id) })
}

// wantOrder checks that the stored order equals want, events included.
func (f *fixture) wantOrder(want *order.Order) {
	f.t.Helper()
	got, err := f.order(want.MerchantID, want.ID)
	if err != nil {
		f.t.Fatalf("Order(%s): %v", want.ID, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		f.t.Errorf("Order(%s) mismatch (-want +got):\n%s", want.ID, diff)
	}
}

// wantCode checks err's kassa code; what names the call.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := kassa.ErrorCode(err); got != code {
		t.Errorf("%s = %v (code %q), want code %q", what, err, got, code)
	}
}

func (f *fixture) newMerchant() *merchant.Merchant {
	return &merchant.Merchant{ID: f.ids.New(kassa.PrefixMerchant), Name: "Byggvaror Norr AB", StoreID: "4711000001", CreatedAt: f.now}
}

// createMerchant stores a new merchant and returns its ID.
func (f *fixture) createMerchant() string {
	f.t.Helper()
	m := f.newMerchant()
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateMerchant(f.ctx, m) })
	return m.ID
}

func (f *fixture) createOrder(o *order.Order) {
	f.t.Helper()
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateOrder(f.ctx, o) })
}

// updateOrder saves next, whose new events are those after prev's.
func (f *fixture) updateOrder(prev, next *order.Order) {
	f.t.Helper()
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdateOrder(f.ctx, next, next.Events[len(prev.Events):]) })
}

// ok fails the test if the domain operation op failed.
func (f *fixture) ok(op string, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", op, err)
	}
}

var (
	widget = order.Line{
		Type: order.TypePhysical, Reference: "SKU-1", Description: "Widget", Quantity: 2,
		UnitPrice: new(int64(12500)), VAT: 2500, TotalAmount: 25000, TotalVATAmount: 5000,
	}
	shipping = order.Line{
		Type: order.TypeShippingFee, Reference: "ship", Description: "Freight", Quantity: 1,
		UnitPrice: new(int64(4900)), VAT: 2500, TotalAmount: 4900, TotalVATAmount: 980,
	}
	lines  = []order.Line{widget, shipping}
	totals = order.Totals{Amount: 29900, VATAmount: 5980}

	customer = order.Customer{
		CompanyID: "556677-8899", CompanyName: "Byggvaror Norr AB", VATID: "SE556677889901",
		Email: "inkop@byggvaror.example", FirstName: "Karin", LastName: "Berg", Phone: "+46701234567",
		Reference1: "PO-7781", InvoiceChannel: order.InvoiceChannel{Type: "email", Details: "faktura@byggvaror.example"},
		BillingAddress: order.Address{CompanyName: "Byggvaror Norr AB", StreetAddress: "Storgatan 1", PostalCode: "90325", City: "Umeå", Country: "SE"},
		ShippingAddress: order.ShippingAddress{
			Address: order.Address{CompanyName: "Byggvaror Norr AB", CareOf: "Lager 3", StreetAddress: "Hamngatan 9", PostalCode: "90330", City: "Umeå", Country: "SE"},
			Contact: order.Contact{Email: "lager@byggvaror.example", FirstName: "Olle", LastName: "Ek", Phone: "+46709876543"},
		},
	}
)

// newOrder makes an order at f.now that becomes ready after delay.
func (f *fixture) newOrder(merchantID string, delay time.Duration) *order.Order {
	f.t.Helper()
	o, err := order.New(f.env(), order.NewParams{
		MerchantID: merchantID, StoreID: "4711000001", SessionID: f.ids.New(kassa.PrefixSession),
		Currency: "SEK", Country: "SE", Locale: "sv-SE", Reference: "cart-42",
		Lines: lines, Totals: totals, Customer: customer,
		AuthorizeStatus: order.Authorized, RiskTags: []string{"newCustomer"},
		Metadata:        json.RawMessage(`{"cart":"c-42","channel":"b2b"}`),
		ProcessingDelay: delay,
	})
	f.ok("order.New", err)
	return o
}

// refundedOrder makes an acknowledged order with every kind of chunk: one
// widget captured and partly refunded, the rest still uncaptured.
func (f *fixture) refundedOrder(merchantID string) *order.Order {
	f.t.Helper()
	o := f.newOrder(merchantID, 0)
	f.advance(time.Minute)
	o = o.Acknowledge(f.env())
	f.advance(time.Hour)
	one := widget
	one.Quantity, one.TotalAmount, one.TotalVATAmount = 1, 12500, 2500
	o, err := o.PartialCapture(f.env(), order.CaptureRequest{Lines: []order.Line{one}, TotalAmount: 12500})
	f.ok("PartialCapture", err)
	f.advance(24 * time.Hour)
	part := order.Line{Type: order.TypePhysical, Reference: "SKU-1", Description: "Widget, damaged", Quantity: 1, VAT: 2500, TotalAmount: 5000, TotalVATAmount: 1000}
	o, err = o.PartialRefund(f.env(), o.Captured[0].LedgerID, order.RefundRequest{
		Lines: []order.Line{part}, TotalAmount: 5000, Note: "Damaged in transit",
	})
	f.ok("PartialRefund", err)
	return o
}

func (f *fixture) newSession(merchantID string) *session.Session {
	f.t.Helper()
	s, err := session.New(f.env(), merchantID, session.Params{
		Currency: new("SEK"), Country: new("SE"), Locale: new("sv-SE"), Reference: new("cart-42"),
		Lines: lines, Totals: totals,
		Settings: &session.Settings{ConfirmationURL: "https://shop.example/confirm", NotificationURL: "https://shop.example/notify"},
		Metadata: json.RawMessage(`{"cart":"c-42"}`),
	})
	f.ok("session.New", err)
	return s
}

// authorize approves s and returns the session with its token.
func (f *fixture) authorize(s *session.Session) (*session.Session, *session.Token) {
	f.t.Helper()
	s, tok, err := s.Authorize(f.env(), customer, risk.Decision{Outcome: risk.Approved, Tags: []string{"newCustomer"}})
	f.ok("Authorize", err)
	return s, tok
}

func testMerchants(f *fixture) {
	t, ctx := f.t, f.ctx
	if n := mustRead(f, func(tx store.ReadTx) (int, error) { return tx.CountMerchants(ctx) }); n != 0 {
		t.Errorf("CountMerchants of a new store = %d, want 0", n)
	}
	m1, m2 := f.newMerchant(), f.newMerchant()
	c := &merchant.Client{ID: f.ids.New(kassa.PrefixClient), MerchantID: m1.ID, SecretHash: merchant.HashSecret("s3cret"), CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.CreateMerchant(ctx, m1), tx.CreateMerchant(ctx, m2), tx.CreateClient(ctx, c))
	})

	for _, want := range []*merchant.Merchant{m1, m2} {
		got := mustRead(f, func(tx store.ReadTx) (*merchant.Merchant, error) { return tx.Merchant(ctx, want.ID) })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Merchant(%s) mismatch (-want +got):\n%s", want.ID, diff)
		}
	}
	got := mustRead(f, func(tx store.ReadTx) (*merchant.Client, error) { return tx.Client(ctx, c.ID) })
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Client mismatch (-want +got):\n%s", diff)
	}
	if n := mustRead(f, func(tx store.ReadTx) (int, error) { return tx.CountMerchants(ctx) }); n != 2 {
		t.Errorf("CountMerchants = %d, want 2", n)
	}

	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateMerchant(ctx, m1) })
	wantCode(t, "CreateMerchant of an existing ID", err, kassa.EConflict)

	// The contact address: stored at creation, set, and removed.
	m3 := f.newMerchant()
	m3.Email = "finance@byggvaror.example"
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateMerchant(ctx, m3) })
	for _, email := range []string{m3.Email, "ekonomi@byggvaror.example", ""} {
		if email != m3.Email {
			f.mustUpdate(func(tx store.Tx) error { return tx.SetMerchantEmail(ctx, m3.ID, email) })
		}
		if got := mustRead(f, func(tx store.ReadTx) (*merchant.Merchant, error) { return tx.Merchant(ctx, m3.ID) }); got.Email != email || got.Name != m3.Name {
			t.Errorf("merchant %+v, want email %q", got, email)
		}
	}
	if got := mustRead(f, func(tx store.ReadTx) (*merchant.Merchant, error) { return tx.Merchant(ctx, m1.ID) }); got.Email != "" {
		t.Errorf("another merchant's email changed to %q", got.Email)
	}
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.SetMerchantEmail(ctx, "ac_missing", "a@b.example") })
	wantCode(t, "SetMerchantEmail of a missing merchant", err, kassa.ENotFound)
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateClient(ctx, c) })
	wantCode(t, "CreateClient of an existing ID", err, kassa.EConflict)
}

func testOrderRoundTrip(f *fixture) {
	m := f.createMerchant()
	pending := f.newOrder(m, time.Hour)
	refunded := f.refundedOrder(m)
	for _, o := range []*order.Order{pending, refunded} {
		f.createOrder(o)
		f.wantOrder(o)
	}
	err := f.s.Update(f.ctx, func(tx store.Tx) error { return tx.CreateOrder(f.ctx, pending) })
	wantCode(f.t, "CreateOrder of an existing ID", err, kassa.EConflict)
}

func testUpdateOrder(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	o1 := f.newOrder(m, 0)
	f.mustUpdate(func(tx store.Tx) error {
		if err := tx.CreateOrder(ctx, o1); err != nil {
			return err
		}
		// An Update reads its own writes.
		got, err := tx.Order(ctx, m, o1.ID)
		if err != nil {
			return fmt.Errorf("reading the order after CreateOrder in the same Update: %w", err)
		}
		if diff := cmp.Diff(o1, got); diff != "" {
			t.Errorf("Order after CreateOrder in the same Update mismatch (-want +got):\n%s", diff)
		}
		return nil
	})

	f.advance(time.Hour)
	o2, err := o1.Capture(f.env(), order.CaptureRequest{Lines: lines, TotalAmount: totals.Amount})
	f.ok("Capture", err)
	f.updateOrder(o1, o2)
	f.wantOrder(o2)

	f.advance(time.Hour)
	o3, err := o2.Refund(f.env(), o2.Captured[0].LedgerID, "Returned")
	f.ok("Refund", err)
	f.updateOrder(o2, o3)
	f.wantOrder(o3) // with o1's and o2's events still first

	missing := f.newOrder(m, 0)
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdateOrder(ctx, missing, nil) })
	wantCode(t, "UpdateOrder of a missing order", err, kassa.ENotFound)
}

func testSessions(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	getSession := func(id string) *session.Session {
		t.Helper()
		return mustRead(f, func(tx store.ReadTx) (*session.Session, error) { return tx.Session(ctx, m, id) })
	}
	wantToken := func(want *session.Token) {
		t.Helper()
		got := mustRead(f, func(tx store.ReadTx) (*session.Token, error) { return tx.Token(ctx, m, want.Token) })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Token mismatch (-want +got):\n%s", diff)
		}
	}

	s1 := f.newSession(m)
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateSession(ctx, s1) })
	if diff := cmp.Diff(s1, getSession(s1.ID)); diff != "" {
		t.Errorf("Session mismatch (-want +got):\n%s", diff)
	}

	f.advance(time.Minute)
	s2, tok := f.authorize(s1)
	f.mustUpdate(func(tx store.Tx) error { return errors.Join(tx.UpdateSession(ctx, s2), tx.PutToken(ctx, tok)) })
	if diff := cmp.Diff(s2, getSession(s1.ID)); diff != "" {
		t.Errorf("Session after UpdateSession mismatch (-want +got):\n%s", diff)
	}
	wantToken(tok)

	f.advance(time.Minute)
	cancelled, err := tok.Cancel(f.now)
	f.ok("Token.Cancel", err)
	f.mustUpdate(func(tx store.Tx) error { return tx.PutToken(ctx, cancelled) })
	wantToken(cancelled)

	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateSession(ctx, s1) })
	wantCode(t, "CreateSession of an existing ID", err, kassa.EConflict)
	missing := f.newSession(m)
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdateSession(ctx, missing) })
	wantCode(t, "UpdateSession of a missing session", err, kassa.ENotFound)
}

// lookup is one read that can miss.
type lookup struct {
	name string
	get  func(context.Context, store.ReadTx) error
}

// scopedLookups are the merchant-scoped reads of merchantID's rows.
func scopedLookups(merchantID, orderID, sessionID, token string) []lookup {
	return []lookup{
		{"Order", func(ctx context.Context, tx store.ReadTx) error {
			_, err := tx.Order(ctx, merchantID, orderID)
			return err
		}},
		{"Session", func(ctx context.Context, tx store.ReadTx) error {
			_, err := tx.Session(ctx, merchantID, sessionID)
			return err
		}},
		{"Token", func(ctx context.Context, tx store.ReadTx) error {
			_, err := tx.Token(ctx, merchantID, token)
			return err
		}},
	}
}

// allLookups adds the reads of the merchant itself and of a client.
func allLookups(merchantID, clientID, orderID, sessionID, token string) []lookup {
	return append(scopedLookups(merchantID, orderID, sessionID, token),
		lookup{"Merchant", func(ctx context.Context, tx store.ReadTx) error {
			_, err := tx.Merchant(ctx, merchantID)
			return err
		}},
		lookup{"Client", func(ctx context.Context, tx store.ReadTx) error {
			_, err := tx.Client(ctx, clientID)
			return err
		}},
	)
}

// wantNotFound checks that each lookup answers ENotFound; why says why it
// should.
func (f *fixture) wantNotFound(lookups []lookup, why string) {
	f.t.Helper()
	for _, l := range lookups {
		err := f.s.View(f.ctx, func(tx store.ReadTx) error { return l.get(f.ctx, tx) })
		wantCode(f.t, l.name+" "+why, err, kassa.ENotFound)
	}
}

func testMissing(f *fixture) {
	f.wantNotFound(allLookups("ac_missing", "cl_missing", "or_missing", "ps_missing", "at_missing"), "of a missing row")
}

func testMerchantScope(f *fixture) {
	t, ctx := f.t, f.ctx
	mine, theirs := f.createMerchant(), f.createMerchant()
	o := f.newOrder(mine, 0)
	s, tok := f.authorize(f.newSession(mine))
	rec := &store.IdempotencyRecord{MerchantID: mine, Key: "key-1", Fingerprint: []byte("fp"), Status: 201, Body: []byte(`{}`), CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.CreateOrder(ctx, o), tx.CreateSession(ctx, s), tx.PutToken(ctx, tok), tx.PutIdempotencyRecord(ctx, rec))
	})

	f.wantNotFound(scopedLookups(theirs, o.ID, s.ID, tok.Token), "with another merchant's ID")
	if got := mustRead(f, func(tx store.ReadTx) (*store.IdempotencyRecord, error) {
		return tx.IdempotencyRecord(ctx, theirs, rec.Key)
	}); got != nil {
		t.Errorf("IdempotencyRecord with another merchant's ID = %+v, want nil", got)
	}

	// Writes naming another merchant change nothing.
	oTheirs := o.Clone()
	oTheirs.MerchantID, oTheirs.Reference = theirs, "hijacked"
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdateOrder(ctx, oTheirs, nil) })
	wantCode(t, "UpdateOrder with another merchant's ID", err, kassa.ENotFound)
	f.wantOrder(o)

	sTheirs := *s
	sTheirs.MerchantID, sTheirs.Reference = theirs, "hijacked"
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdateSession(ctx, &sTheirs) })
	wantCode(t, "UpdateSession with another merchant's ID", err, kassa.ENotFound)

	tokTheirs := *tok
	tokTheirs.MerchantID, tokTheirs.State = theirs, session.TokenCancelled
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.PutToken(ctx, &tokTheirs) })
	wantCode(t, "PutToken over another merchant's token", err, kassa.EConflict)
	got := mustRead(f, func(tx store.ReadTx) (*session.Token, error) { return tx.Token(ctx, mine, tok.Token) })
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("Token after another merchant's PutToken mismatch (-want +got):\n%s", diff)
	}
}

func testIdempotency(f *fixture) {
	t, ctx := f.t, f.ctx
	m1, m2 := f.createMerchant(), f.createMerchant()
	get := func(merchantID, key string) *store.IdempotencyRecord {
		t.Helper()
		return mustRead(f, func(tx store.ReadTx) (*store.IdempotencyRecord, error) {
			return tx.IdempotencyRecord(ctx, merchantID, key)
		})
	}
	if got := get(m1, "key-1"); got != nil {
		t.Errorf("IdempotencyRecord of an unused key = %+v, want nil", got)
	}

	r1 := &store.IdempotencyRecord{MerchantID: m1, Key: "key-1", Fingerprint: []byte("fp-1"), Status: 201, Body: []byte(`{"orderId":"or_1"}`), CreatedAt: f.now}
	r2 := &store.IdempotencyRecord{MerchantID: m2, Key: "key-1", Fingerprint: []byte("fp-2"), Status: 204, Body: nil, CreatedAt: f.now.Add(time.Hour)}
	r3 := &store.IdempotencyRecord{MerchantID: m1, Key: "key-2", Fingerprint: []byte("fp-3"), Status: 200, Body: []byte(`[]`), CreatedAt: f.now.Add(2 * time.Hour)}
	for _, r := range []*store.IdempotencyRecord{r1, r2, r3} {
		f.mustUpdate(func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, r) })
	}
	for _, want := range []*store.IdempotencyRecord{r1, r2, r3} {
		if diff := cmp.Diff(want, get(want.MerchantID, want.Key)); diff != "" {
			t.Errorf("IdempotencyRecord(%s, %s) mismatch (-want +got):\n%s", want.MerchantID, want.Key, diff)
		}
	}

	again := *r1
	again.Fingerprint, again.Body = []byte("other"), []byte(`{"other":true}`)
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, &again) })
	wantCode(t, "PutIdempotencyRecord of a used key", err, kassa.EConflict)
	if diff := cmp.Diff(r1, get(m1, "key-1")); diff != "" {
		t.Errorf("IdempotencyRecord after a second put mismatch (-want +got):\n%s", diff)
	}

	// Records created before the cut-off go, oldest first and at most
	// limit at a time; one created at the cut-off stays.
	deleted := func(limit int) int {
		var n int
		f.mustUpdate(func(tx store.Tx) (err error) {
			n, err = tx.DeleteIdempotencyRecords(ctx, r3.CreatedAt, limit)
			return err
		})
		return n
	}
	if n := deleted(1); n != 1 || get(m1, "key-1") != nil || get(m2, "key-1") == nil {
		t.Errorf("DeleteIdempotencyRecords(limit 1) = %d; want the oldest record, r1, alone deleted", n)
	}
	if n := deleted(10); n != 1 || get(m2, "key-1") != nil {
		t.Errorf("DeleteIdempotencyRecords(limit 10) = %d; want r2 deleted", n)
	}
	if n := deleted(10); n != 0 || get(r3.MerchantID, r3.Key) == nil {
		t.Errorf("DeleteIdempotencyRecords with nothing before the cut-off = %d, and r3 (at the cut-off) is %v", n, get(r3.MerchantID, r3.Key))
	}
}

func testSettings(f *fixture) {
	t, ctx := f.t, f.ctx
	get := func(name string) []byte {
		t.Helper()
		return mustRead(f, func(tx store.ReadTx) ([]byte, error) { return tx.Setting(ctx, name) })
	}
	if got := get("key"); got != nil {
		t.Errorf("Setting of an unset name = %q, want nil", got)
	}
	for _, v := range []string{"first", "second"} {
		f.mustUpdate(func(tx store.Tx) error { return tx.PutSetting(ctx, "key", []byte(v)) })
		if got := get("key"); string(got) != v {
			t.Errorf("Setting after PutSetting(%q) = %q, want %q", v, got, v)
		}
	}
	// Only an unset name reads as nil, so callers can tell it from empty.
	f.mustUpdate(func(tx store.Tx) error { return tx.PutSetting(ctx, "empty", []byte{}) })
	if got := get("empty"); got == nil || len(got) != 0 {
		t.Errorf("Setting of an empty value = %#v, want []byte{}", got)
	}
}

func testOrdersDueReady(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	orderAt := func(at time.Duration, merchantID string, delay time.Duration) *order.Order {
		t.Helper()
		f.now = t0.Add(at)
		o := f.newOrder(merchantID, delay)
		f.createOrder(o)
		return o
	}
	a := orderAt(0, m, time.Hour)                 // ready at +60m
	g := orderAt(5*time.Minute, other, time.Hour) // +65m
	b := orderAt(10*time.Minute, m, 30*time.Minute)
	orderAt(20*time.Minute, m, 0) // ready at once
	d := orderAt(20*time.Minute, m, time.Hour)
	orderAt(30*time.Minute, m, 5*time.Hour) // not due
	h := orderAt(time.Hour, m, time.Hour)   // due exactly at +120m
	f.advance(time.Minute)
	cancelled, err := d.Cancel(f.env()) // nothing left to capture
	f.ok("Cancel", err)
	f.updateOrder(d, cancelled)

	due := t0.Add(2 * time.Hour)
	key := func(o *order.Order) store.OrderKey { return store.OrderKey{MerchantID: o.MerchantID, OrderID: o.ID} }
	check := func(limit int, want ...store.OrderKey) {
		t.Helper()
		got := mustRead(f, func(tx store.ReadTx) ([]store.OrderKey, error) { return tx.OrdersDueReady(ctx, "", due, limit) })
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("OrdersDueReady(+2h, %d) mismatch (-want +got):\n%s", limit, diff)
		}
	}
	// Ordered by when each became due: b (+40m) was created after a.
	check(10, key(b), key(a), key(g), key(h))
	check(2, key(b), key(a))
	// One merchant's alone.
	got := mustRead(f, func(tx store.ReadTx) ([]store.OrderKey, error) { return tx.OrdersDueReady(ctx, other, due, 10) })
	if diff := cmp.Diff([]store.OrderKey{key(g)}, got); diff != "" {
		t.Errorf("OrdersDueReady(other merchant, +2h) mismatch (-want +got):\n%s", diff)
	}

	f.now = due
	ready, ok := a.MarkReady(f.env())
	if !ok {
		t.Fatalf("MarkReady of an order due %v at %v did nothing", a.ReadyAt, f.now)
	}
	f.updateOrder(a, ready)
	check(10, key(b), key(g), key(h))
}

func testFailedUpdate(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.newMerchant()
	c := &merchant.Client{ID: f.ids.New(kassa.PrefixClient), MerchantID: m.ID, SecretHash: merchant.HashSecret("s3cret"), CreatedAt: f.now}
	o := f.newOrder(m.ID, time.Hour)
	s, tok := f.authorize(f.newSession(m.ID))
	rec := &store.IdempotencyRecord{MerchantID: m.ID, Key: "key-1", Fingerprint: []byte("fp"), Status: 201, CreatedAt: f.now}
	err := f.s.Update(ctx, func(tx store.Tx) error {
		if err := errors.Join(
			tx.CreateMerchant(ctx, m), tx.CreateClient(ctx, c), tx.CreateOrder(ctx, o),
			tx.CreateSession(ctx, s), tx.PutToken(ctx, tok),
			tx.PutIdempotencyRecord(ctx, rec), tx.PutSetting(ctx, "key", []byte("value")),
		); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want the error its function returned", err)
	}

	f.wantNotFound(allLookups(m.ID, c.ID, o.ID, s.ID, tok.Token), "written by a failed Update")
	err = f.s.View(ctx, func(tx store.ReadTx) error {
		if n, err := tx.CountMerchants(ctx); err != nil || n != 0 {
			t.Errorf("CountMerchants after a failed Update = %d, %v; want 0", n, err)
		}
		if r, err := tx.IdempotencyRecord(ctx, m.ID, rec.Key); err != nil || r != nil {
			t.Errorf("IdempotencyRecord written by a failed Update = %+v, %v; want nil", r, err)
		}
		if v, err := tx.Setting(ctx, "key"); err != nil || v != nil {
			t.Errorf("Setting written by a failed Update = %q, %v; want nil", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

// testFailedWrite: a write that fails dooms its transaction, even when
// the function goes on, ignores the error and returns nil; whether the
// failure shows at the write, at a later call or only from Update.
func testFailedWrite(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	missing := f.newOrder(m, 0) // never stored: updating it changes no row
	stored := f.newOrder(m, 0)  // stored: creating it again clashes
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateOrder(ctx, stored) })
	f.mustUpdate(func(tx store.Tx) error {
		return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{MerchantID: m, Key: "taken", Fingerprint: []byte("fp"), Status: 200, CreatedAt: f.now})
	})
	for name, c := range map[string]struct {
		fail func(tx store.Tx) error
		code string // what Update returns
	}{
		"no row changed": {func(tx store.Tx) error { return tx.UpdateOrder(ctx, missing, nil) }, kassa.ENotFound},
		"an answered record is never replaced": {func(tx store.Tx) error {
			return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{MerchantID: m, Key: "taken", Fingerprint: []byte("fp"), Status: 200, CreatedAt: f.now})
		}, kassa.EConflict},
		"the database refused it": {func(tx store.Tx) error { return tx.CreateOrder(ctx, stored) }, kassa.EConflict},
	} {
		for _, goesOn := range []bool{true, false} {
			err := f.s.Update(ctx, func(tx store.Tx) error {
				if err := tx.PutSetting(ctx, "doomed", []byte(name)); err != nil {
					return err
				}
				_ = c.fail(tx) // ignored, as a careless caller would
				if !goesOn {
					return nil // the failure can only show at the commit
				}
				tx.Setting(ctx, "doomed")                        // a later call, which may report it
				return tx.PutSetting(ctx, "after", []byte(name)) // error ignored too: returning nil
			})
			if err == nil {
				t.Errorf("%s (going on: %v): Update committed a transaction whose write failed", name, goesOn)
			} else if got := kassa.ErrorCode(err); got != c.code {
				t.Errorf("%s (going on: %v): Update = %v (%s), want %s", name, goesOn, err, got, c.code)
			}
			for _, key := range []string{"doomed", "after"} {
				if v := mustRead(f, func(tx store.ReadTx) ([]byte, error) { return tx.Setting(ctx, key) }); v != nil {
					t.Errorf("%s (going on: %v): setting %q = %q was committed with a failed write", name, goesOn, key, v)
				}
			}
		}
	}
}

// testConcurrentUpdates runs many Updates at once, as a backend that
// commits them together sees them, one of them failing: each must land
// whole or, the failing one, not at all, and each must see the writes of
// those before it.
func testConcurrentUpdates(f *fixture) {
	t, ctx := f.t, f.ctx
	const n, failing = 64, 13
	m := f.createMerchant()
	orders := make([]*order.Order, n)
	for i := range orders {
		orders[i] = f.newOrder(m, 0)
	}

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			errs[i] = f.s.Update(ctx, func(tx store.Tx) error {
				count, err := tx.Setting(ctx, "count")
				if err != nil {
					return err
				}
				next, _ := strconv.Atoi(string(count)) // unset reads as 0
				err = errors.Join(
					tx.CreateOrder(ctx, o),
					tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{MerchantID: m, Key: o.ID, Fingerprint: []byte("fp"), Status: 201, CreatedAt: f.now}),
					tx.PutSetting(ctx, "count", []byte(strconv.Itoa(next+1))),
				)
				if err == nil && i == failing {
					return errBoom
				}
				return err
			})
		})
	}
	wg.Wait()

	for i, o := range orders {
		if i == failing {
			if !errors.Is(errs[i], errBoom) {
				t.Errorf("failing Update = %v, want the error its function returned", errs[i])
			}
			_, err := f.order(m, o.ID)
			wantCode(t, "Order written by the failing Update", err, kassa.ENotFound)
			rec := mustRead(f, func(tx store.ReadTx) (*store.IdempotencyRecord, error) { return tx.IdempotencyRecord(ctx, m, o.ID) })
			if rec != nil {
				t.Errorf("IdempotencyRecord written by the failing Update = %+v, want nil", rec)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("Update %d = %v, want nil", i, errs[i])
			continue
		}
		f.wantOrder(o)
	}
	count := mustRead(f, func(tx store.ReadTx) ([]byte, error) { return tx.Setting(ctx, "count") })
	if got, want := string(count), strconv.Itoa(n-1); got != want {
		t.Errorf("count incremented by every successful Update = %s, want %s (an Update missed an earlier one's write)", got, want)
	}
}

func testViewSnapshot(f *fixture) {
	t, ctx := f.t, f.ctx
	f.createMerchant()
	f.mustUpdate(func(tx store.Tx) error { return tx.PutSetting(ctx, "key", []byte("before")) })

	type state struct {
		Setting   string
		Merchants int
	}
	look := func(tx store.ReadTx) (state, error) {
		v, err := tx.Setting(ctx, "key")
		if err != nil {
			return state{}, err
		}
		n, err := tx.CountMerchants(ctx)
		return state{string(v), n}, err
	}
	m := f.newMerchant()
	write := func(tx store.Tx) error {
		return errors.Join(tx.PutSetting(ctx, "key", []byte("after")), tx.CreateMerchant(ctx, m))
	}

	err := f.s.View(ctx, func(tx store.ReadTx) error {
		first, err := look(tx)
		if err != nil {
			return err
		}
		if err := f.s.Update(ctx, write); err != nil {
			return fmt.Errorf("an Update during a View: %w", err)
		}
		second, err := look(tx)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Errorf("View saw an Update committed after its first read (-first +second):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	if got, want := mustRead(f, look), (state{"after", 2}); got != want {
		t.Errorf("a View after the Update = %+v, want %+v", got, want)
	}
}

// testMoneyInvariants checks that the store itself refuses an order that
// captures more than was authorized or refunds more than was captured.
// Order operations never build one; these are built by hand.
func testMoneyInvariants(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	breaks := []struct {
		name  string
		spoil func(*order.Order)
	}{
		{"captured above authorized", func(o *order.Order) { o.AuthorizedAmount = o.CapturedAmount() - 1 }},
		{"refunded above captured", func(o *order.Order) { o.Refunded[0].Lines[0].TotalAmount = o.CapturedAmount() + 1 }},
	}
	for _, b := range breaks {
		bad := f.refundedOrder(m)
		b.spoil(bad)
		err := f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateOrder(ctx, bad) })
		if err == nil {
			t.Errorf("CreateOrder of an order with %s = nil, want an error", b.name)
		}
		_, err = f.order(m, bad.ID)
		wantCode(t, "Order refused by CreateOrder with "+b.name, err, kassa.ENotFound)

		good := f.refundedOrder(m)
		f.createOrder(good)
		bad = good.Clone()
		b.spoil(bad)
		if err := f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdateOrder(ctx, bad, nil) }); err == nil {
			t.Errorf("UpdateOrder to an order with %s = nil, want an error", b.name)
		}
		f.wantOrder(good)
	}
}
