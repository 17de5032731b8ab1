package provider_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// env is a provider over a fresh store with one merchant and an
// endpoint that subscribes to every notification type.
type env struct {
	t        *testing.T
	app      *provider.Service
	store    store.Store
	clock    *kassatest.Clock
	merchant string
	woken    int // OnNotification calls
}

// stores runs test on SQLite and on PostgreSQL (pgtest: with CI set, a
// missing database fails the test).
func stores(t *testing.T, test func(t *testing.T, newEnv func(t *testing.T, cfg provider.Config) *env)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, func(t *testing.T, cfg provider.Config) *env {
			db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return newEnv(t, db, cfg)
		})
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, func(t *testing.T, cfg provider.Config) *env { return newEnv(t, pgtest.Open(t), cfg) })
	})
}

func newEnv(t *testing.T, db store.Store, cfg provider.Config) *env {
	e := &env{t: t, store: db, clock: kassatest.NewClock(t0)}
	ids := &kassatest.IDs{Digits: 27}
	m, err := merchant.NewMerchant(ids, t0, "Möbler AB")
	if err != nil {
		t.Fatal(err)
	}
	kassatest.AddMerchant(t, db, ids, t0, m)
	e.merchant = m.ID
	signer, err := provider.LoadSigner(t.Context(), db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL, cfg.AllowPrivateWebhooks, cfg.KEK = "https://kassa.test", true, kassatest.KEK()
	cfg.OnNotification = func() { e.woken++ }
	e.app = provider.New(slog.New(slog.DiscardHandler), cfg, db, e.clock, ids, signer)
	e.update(func(ctx context.Context, tx store.Tx) error {
		_, err := e.app.CreateEndpoint(ctx, tx, e.merchant, "https://erp.test/hooks", nil)
		return err
	})
	return e
}

func (e *env) update(fn func(ctx context.Context, tx store.Tx) error) {
	e.t.Helper()
	if err := e.app.Update(e.t.Context(), func(tx store.Tx) error { return fn(e.t.Context(), tx) }); err != nil {
		e.t.Fatal(err)
	}
}

// notified lists the types of the order's notifications, oldest first,
// each checked to have a delivery to the endpoint.
func (e *env) notified(orderID string) []string {
	e.t.Helper()
	var types []string
	err := e.store.View(e.t.Context(), func(tx store.ReadTx) error {
		ns, err := tx.Notifications(e.t.Context(), e.merchant, store.NotificationFilter{OrderID: orderID, Limit: 100})
		if err != nil {
			return err
		}
		for _, n := range slices.Backward(ns) {
			ds, err := tx.Deliveries(e.t.Context(), e.merchant, n.ID)
			if err != nil {
				return err
			}
			if len(ds) != 1 || ds[0].URL != "https://erp.test/hooks" {
				e.t.Errorf("%s: deliveries %+v, want one to the endpoint", n.Type, ds)
			}
			types = append(types, n.Type)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return types
}

func (e *env) mails() []store.Mail {
	e.t.Helper()
	ms, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]store.Mail, error) {
		return tx.Mails(e.t.Context(), e.merchant, 100)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

func (e *env) documents(orderID string) []*invoice.Document {
	e.t.Helper()
	ds, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]*invoice.Document, error) {
		return tx.OrderDocuments(e.t.Context(), e.merchant, orderID)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// Each job's changes go through the outbox: an order it changes notifies
// the merchant's endpoint in the same transaction, and the dispatcher is
// woken once it commits; documents it issues are numbered and mailed.
func TestJobsNotifyThroughTheOutbox(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		t.Run("marking orders ready", func(t *testing.T) {
			e := newEnv(t, provider.Config{ProcessingDelay: time.Hour})
			o := kassatest.Purchase(t, e.app, e.merchant, nil)
			e.clock.Advance(time.Hour)
			woken := e.woken
			if n, err := e.app.MarkDueOrdersReady(t.Context()); n != 1 || err != nil {
				t.Fatalf("MarkDueOrdersReady = %d, %v; want 1", n, err)
			}
			if got, want := e.notified(o.ID), []string{notify.OrderCreate, notify.OrderReadyForCapture}; !slices.Equal(got, want) {
				t.Errorf("notifications %v, want %v", got, want)
			}
			if e.woken != woken+1 {
				t.Errorf("the dispatcher was woken %d times, want once", e.woken-woken)
			}
		})
		t.Run("automatic capture", func(t *testing.T) {
			e := newEnv(t, provider.Config{})
			o := kassatest.Purchase(t, e.app, e.merchant, &order.AutoCapture{Enabled: true, DelayMinutes: 30})
			e.clock.Advance(30 * time.Minute)
			if n, err := e.app.CaptureDueOrders(t.Context()); n != 1 || err != nil {
				t.Fatalf("CaptureDueOrders = %d, %v; want 1", n, err)
			}
			want := []string{notify.OrderCreate, notify.OrderReadyForCapture, notify.OrderFullCapture}
			if got := e.notified(o.ID); !slices.Equal(got, want) {
				t.Errorf("notifications %v, want %v", got, want)
			}
			select {
			case <-e.app.Issued(): // the capture's invoice awaits its number
			default:
				t.Error("the capture issued an invoice but did not cue numbering")
			}
		})
		t.Run("numbering and reminders", func(t *testing.T) {
			e := newEnv(t, provider.Config{})
			o := kassatest.Purchase(t, e.app, e.merchant, nil)
			kassatest.Capture(t, e.app, o)
			if n, err := e.app.NumberDocuments(t.Context()); n != 1 || err != nil {
				t.Fatalf("NumberDocuments = %d, %v; want 1", n, err)
			}
			if ms := e.mails(); len(ms) != 1 || ms[0].Reminder || !slices.Equal(ms[0].To, []string{"ap@buyer.test"}) {
				t.Fatalf("mails after numbering: %+v, want the invoice to the buyer", ms)
			}
			e.clock.Advance(31 * 24 * time.Hour)
			if n, err := e.app.RemindOverdue(t.Context()); n != 1 || err != nil {
				t.Fatalf("RemindOverdue = %d, %v; want 1", n, err)
			}
			if ms := e.mails(); len(ms) != 2 || !ms[0].Reminder {
				t.Errorf("mails after the due date: %+v, want a reminder too", ms)
			}
		})
	})
}

// Recording payments (the API's import, the sandbox's payment and kassa
// payments import alike) saves the order it settles through the outbox:
// the merchant's endpoint hears that the order is paid.
func TestRecordPaymentsNotifiesPaid(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		o := kassatest.Purchase(t, e.app, e.merchant, nil)
		kassatest.Capture(t, e.app, o)
		docs := e.documents(o.ID)
		if len(docs) != 1 {
			t.Fatalf("%d documents, want the invoice", len(docs))
		}
		f := &reconcile.File{Payments: []reconcile.Entry{{
			BankRef: "bank-1", Reference: docs[0].PaymentReference, Amount: 10000, Currency: money.Currency("SEK"), BookedAt: e.clock.Now(),
		}}}
		var res *reconcile.Result
		e.update(func(ctx context.Context, tx store.Tx) (err error) {
			res, err = e.app.RecordPayments(ctx, tx, e.merchant, f)
			return err
		})
		if len(res.Payments) != 1 || res.Payments[0].Outcome != reconcile.Matched || !res.Payments[0].OrderPaid {
			t.Fatalf("result %+v, want one matched payment that paid the order", res.Payments)
		}
		want := []string{notify.OrderCreate, notify.OrderReadyForCapture, notify.OrderFullCapture, notify.OrderPaid}
		if got := e.notified(o.ID); !slices.Equal(got, want) {
			t.Errorf("notifications %v, want %v", got, want)
		}
	})
}

// Two imports that each pay half of an order's invoice, at once: the one
// that commits second sees the first's payment once it holds the order,
// so the order is paid, and notified, exactly once.
func TestRecordPaymentsConcurrentHalves(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		o := kassatest.Purchase(t, e.app, e.merchant, nil)
		kassatest.Capture(t, e.app, o)
		ref := e.documents(o.ID)[0].PaymentReference
		var wg sync.WaitGroup
		paid := make([]bool, 2)
		for i := range 2 {
			wg.Go(func() {
				f := &reconcile.File{Payments: []reconcile.Entry{{
					BankRef: fmt.Sprintf("half-%d", i), Reference: ref, Amount: 5000, Currency: money.Currency("SEK"), BookedAt: e.clock.Now(),
				}}}
				err := e.app.Update(context.Background(), func(tx store.Tx) error {
					res, err := e.app.RecordPayments(context.Background(), tx, e.merchant, f)
					if err == nil {
						paid[i] = res.Payments[0].OrderPaid
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if paid[0] == paid[1] {
			t.Errorf("orderPaid of the two halves %v, want exactly one true", paid)
		}
		want := []string{notify.OrderCreate, notify.OrderReadyForCapture, notify.OrderFullCapture, notify.OrderPaid}
		if got := e.notified(o.ID); !slices.Equal(got, want) {
			t.Errorf("notifications %v, want %v", got, want)
		}
	})
}

// In live mode an automatic capture whose invoice would be incomplete
// waits: the pass goes on without an error, the order stays uncaptured
// and is tried again after autoCaptureRetry, when the settings are
// complete.
func TestLiveAutoCaptureWaitsForSettings(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{Live: true})
		o := kassatest.Purchase(t, e.app, e.merchant, &order.AutoCapture{Enabled: true, DelayMinutes: 30})
		e.clock.Advance(30 * time.Minute)
		if n, err := e.app.CaptureDueOrders(t.Context()); n != 0 || err != nil {
			t.Fatalf("CaptureDueOrders with incomplete settings = %d, %v; want 0, no error", n, err)
		}
		e.update(func(ctx context.Context, tx store.Tx) error {
			return e.app.PutInvoiceSettings(ctx, tx, e.merchant, &invoice.Settings{
				Seller: invoice.Party{Name: "Möbler AB", OrgNo: "556123-4567", VATID: "SE556123456701",
					StreetAddress: "Ringvägen 10", PostalCode: "118 60", City: "Stockholm", Country: "SE"},
				Bankgiro: "5050-1055",
			})
		})
		if n, err := e.app.CaptureDueOrders(t.Context()); n != 0 || err != nil {
			t.Fatalf("CaptureDueOrders before the retry = %d, %v; want 0", n, err)
		}
		e.clock.Advance(10 * time.Minute)
		if n, err := e.app.CaptureDueOrders(t.Context()); n != 1 || err != nil {
			t.Fatalf("CaptureDueOrders after the retry = %d, %v; want 1", n, err)
		}
		if got := e.notified(o.ID); !slices.Contains(got, notify.OrderFullCapture) {
			t.Errorf("notifications %v, want the capture's", got)
		}
	})
}

// The outbox notifies a session's change by comparing it with the session
// as its row holds it: as the transaction read it, or as it last saved it
// if it saved it already, or as it is stored if it has not read it. So
// saving a session again, in the transaction that authorized it or in a
// later one, notifies nothing new.
func TestSessionSavedAgainNotifiesNothing(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		lines, totals := desk(10000)
		cur, country, locale := "SEK", "SE", "sv-SE"
		var ps *session.Session
		e.update(func(ctx context.Context, tx store.Tx) (err error) {
			ps, err = e.app.CreateSession(ctx, tx, e.merchant, session.Params{Currency: &cur, Country: &country, Locale: &locale, Lines: lines, Totals: totals})
			return err
		})
		var authorized *session.Session
		e.update(func(ctx context.Context, tx store.Tx) (err error) {
			authorized, err = e.app.ChangeSession(ctx, tx, e.merchant, ps.ID, func(ps *session.Session, env order.Env) (*session.Session, error) {
				next, _, err := e.app.Authorize(ctx, tx, ps, provider.Confirmation{Buyer: kassatest.Buyer, Method: order.Invoice}, env)
				return next, err
			})
			if err != nil {
				return err
			}
			return tx.UpdateSession(ctx, authorized) // saved again in the same transaction
		})
		e.update(func(ctx context.Context, tx store.Tx) error { return tx.UpdateSession(ctx, authorized) }) // and in another
		var types []string
		err := e.store.View(t.Context(), func(tx store.ReadTx) error {
			ns, err := tx.Notifications(t.Context(), e.merchant, store.NotificationFilter{SessionID: ps.ID, Limit: 100})
			for _, n := range ns {
				types = append(types, n.Type)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{notify.AuthorizationCreate}; !slices.Equal(types, want) {
			t.Errorf("the session's notifications: %v, want %v", types, want)
		}
	})
}
