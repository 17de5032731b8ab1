package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/webhook"
)

// healthEnv is a provider and a dispatcher that reports endpoints'
// health to it, over one store, for one merchant.
type healthEnv struct {
	t        *testing.T
	store    store.Store
	clock    *kassatest.Clock
	app      *provider.Service
	d        *webhook.Dispatcher
	merchant string
}

// newHealthEnv makes the merchant, with the contact address email ("" for
// none).
func newHealthEnv(t *testing.T, db store.Store, email string) *healthEnv {
	h := &healthEnv{t: t, store: db, clock: kassatest.NewClock(t0)}
	ids := &kassatest.IDs{Digits: 27}
	m, err := merchant.NewMerchant(ids, t0, "Möbler AB")
	if err != nil {
		t.Fatal(err)
	}
	m.Email = email
	kassatest.AddMerchant(t, db, ids, t0, m)
	h.merchant = m.ID
	signer, err := provider.LoadSigner(t.Context(), db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h.app = provider.New(log, provider.Config{PublicURL: "https://kassa.test", AllowPrivateWebhooks: true, KEK: kassatest.KEK()}, db, h.clock, ids, signer)
	h.d = webhook.New(log, db, h.clock, key, webhook.Config{
		AllowPrivate: true, KEK: kassatest.KEK(), Endpoints: h.app, Jitter: func(int) time.Duration { return 0 },
	})
	return h
}

func (h *healthEnv) update(fn func(ctx context.Context, tx store.Tx) error) {
	h.t.Helper()
	if err := h.app.Update(h.t.Context(), func(tx store.Tx) error { return fn(h.t.Context(), tx) }); err != nil {
		h.t.Fatal(err)
	}
}

func (h *healthEnv) endpoint(url string, types ...string) string {
	h.t.Helper()
	var id string
	h.update(func(ctx context.Context, tx store.Tx) error {
		e, err := h.app.CreateEndpoint(ctx, tx, h.merchant, url, types)
		if err == nil {
			id = e.ID
		}
		return err
	})
	return id
}

func (h *healthEnv) get(id string) *notify.Endpoint {
	h.t.Helper()
	e, err := provider.View(h.t.Context(), h.app, func(tx store.ReadTx) (*notify.Endpoint, error) {
		return tx.NotificationEndpoint(h.t.Context(), h.merchant, id)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// purchase makes an order, whose creation notifies the endpoints, and
// returns the order.create notification's ID.
func (h *healthEnv) purchase() string {
	h.t.Helper()
	o := kassatest.Purchase(h.t, h.app, h.merchant, nil)
	ns := h.notifications(store.NotificationFilter{OrderID: o.ID, Limit: 10})
	for _, n := range ns {
		if n.Type == notify.OrderCreate {
			return n.ID
		}
	}
	h.t.Fatalf("order %s has no %s notification", o.ID, notify.OrderCreate)
	return ""
}

func (h *healthEnv) drain() {
	h.t.Helper()
	if _, err := h.d.Drain(h.t.Context()); err != nil {
		h.t.Fatalf("Drain: %v", err)
	}
}

func (h *healthEnv) notifications(f store.NotificationFilter) []notify.Notification {
	h.t.Helper()
	ns, err := provider.View(h.t.Context(), h.app, func(tx store.ReadTx) ([]notify.Notification, error) {
		return tx.Notifications(h.t.Context(), h.merchant, f)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ns
}

// toEndpoint is the delivery of notification id to endpoint.
func (h *healthEnv) toEndpoint(id, endpoint string) notify.Delivery {
	h.t.Helper()
	ds, err := provider.View(h.t.Context(), h.app, func(tx store.ReadTx) ([]notify.Delivery, error) {
		return tx.Deliveries(h.t.Context(), h.merchant, id)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, d := range ds {
		if d.EndpointID == endpoint {
			return d
		}
	}
	h.t.Fatalf("notification %s has no delivery to %s", id, endpoint)
	return notify.Delivery{}
}

func (h *healthEnv) mails() []store.Mail {
	h.t.Helper()
	ms, err := provider.View(h.t.Context(), h.app, func(tx store.ReadTx) ([]store.Mail, error) {
		return tx.Mails(h.t.Context(), h.merchant, 10)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// disablings are the audit log's events of endpoints disabled.
func (h *healthEnv) disablings() []audit.Event {
	h.t.Helper()
	es, err := provider.View(h.t.Context(), h.app, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(h.t.Context(), h.merchant, store.AuditFilter{Action: "disable-endpoint", Limit: 10})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// disabledNotices are the com.kassa.endpoint.disabled payloads a receiver
// got.
func disabledNotices(t *testing.T, r *receiver) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, got := range r.requests() {
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatal(err)
		}
		if body["eventType"] == notify.EndpointDisabled {
			out = append(out, body)
		}
	}
	return out
}

// switchable answers with the status it holds.
func switchable(code *atomic.Int64) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(int(code.Load())) }
}

// An endpoint that answers 410 Gone is disabled at once: its pending
// deliveries fail, the merchant's other endpoint is told, and the audit
// log says so; with no contact address, no mail is queued. Nothing is
// sent to it while it is disabled, not even the notifications made
// meanwhile, which are failed from the start; once its merchant enables
// it again, a redelivery reaches it.
func TestGoneDisablesEndpoint(t *testing.T) { stores(t, testGoneDisablesEndpoint) }

func testGoneDisablesEndpoint(t *testing.T, db store.Store) {
	h := newHealthEnv(t, db, "")
	code := new(atomic.Int64)
	code.Store(http.StatusGone)
	gone, other := newReceiver(t, switchable(code)), newReceiver(t, status(http.StatusNoContent))
	goneID := h.endpoint(gone.URL+"/hooks", notify.OrderCreate)
	otherID := h.endpoint(other.URL+"/hooks", notify.OrderCreate, notify.EndpointDisabled)
	first, second := h.purchase(), h.purchase()
	h.drain()

	e := h.get(goneID)
	if !e.Disabled() || e.DisabledReason != notify.DisabledGone || !e.DisabledAt.Equal(t0) {
		t.Fatalf("endpoint after 410 Gone: %+v, want disabled, gone, at %v", e, t0)
	}
	for _, id := range []string{first, second} {
		if d := h.toEndpoint(id, goneID); d.State != notify.Failed {
			t.Errorf("delivery of %s to the gone endpoint: %s, want failed", id, d.State)
		}
	}
	notices := disabledNotices(t, other)
	if len(notices) != 1 || notices[0]["endpointId"] != goneID || notices[0]["reason"] != "gone" || notices[0]["url"] != gone.URL+"/hooks" {
		t.Errorf("the other endpoint was told %v, want one notice of %s, gone", notices, goneID)
	}
	if ns := h.notifications(store.NotificationFilter{Limit: 100}); ns[0].Type != notify.EndpointDisabled || ns[0].Status != notify.Delivered {
		t.Errorf("newest notification %+v, want the endpoint's disabling, delivered", ns[0])
	} else if d := h.toEndpoint(ns[0].ID, otherID); d.State != notify.Delivered {
		t.Errorf("the notice's delivery to the other endpoint: %s", d.State)
	}
	if ms := h.mails(); len(ms) != 0 {
		t.Errorf("mails queued for a merchant without a contact address: %+v", ms)
	}
	if es := h.disablings(); len(es) != 1 || es[0].Actor != "system:deliver-notifications" || es[0].Target != goneID || es[0].Outcome != audit.OK {
		t.Errorf("audit events of the disabling = %+v, want one by the dispatcher, of %s", es, goneID)
	}

	// While disabled: sent nothing, its new deliveries failed.
	sent := len(gone.requests())
	h.clock.Advance(time.Hour)
	meanwhile := h.purchase()
	h.drain()
	if n := len(gone.requests()); n != sent {
		t.Errorf("the disabled endpoint got %d more requests", n-sent)
	}
	if d := h.toEndpoint(meanwhile, goneID); d.State != notify.Failed || len(d.Log) != 0 {
		t.Errorf("a delivery made while disabled: %s with %d attempts, want failed with none", d.State, len(d.Log))
	}

	// Enabled again, it receives what it missed when redelivered.
	code.Store(http.StatusOK)
	h.update(func(ctx context.Context, tx store.Tx) error {
		_, err := h.app.EnableEndpoint(ctx, tx, h.merchant, goneID)
		return err
	})
	if e := h.get(goneID); e.Disabled() || !e.FailingSince.IsZero() {
		t.Errorf("enabled endpoint %+v", e)
	}
	h.update(func(ctx context.Context, tx store.Tx) error { return h.app.Redeliver(ctx, tx, h.merchant, meanwhile) })
	h.drain()
	if d := h.toEndpoint(meanwhile, goneID); d.State != notify.Delivered || len(gone.requests()) != sent+1 {
		t.Errorf("redelivered once enabled: %s, %d requests more; want delivered, 1", d.State, len(gone.requests())-sent)
	}
}

// An endpoint whose every attempt fails for five days is disabled by the
// attempt that fails at the end of them; a success in between starts the
// five days over. The merchant's contact address gets a mail, and its
// other endpoint a notice.
func TestSustainedFailureDisablesEndpoint(t *testing.T) {
	stores(t, testSustainedFailureDisablesEndpoint)
}

func testSustainedFailureDisablesEndpoint(t *testing.T, db store.Store) {
	const day = 24 * time.Hour
	h := newHealthEnv(t, db, "finance@mobler.example")
	code := new(atomic.Int64)
	code.Store(http.StatusInternalServerError)
	down, other := newReceiver(t, switchable(code)), newReceiver(t, status(http.StatusOK))
	downID := h.endpoint(down.URL+"/hooks", notify.OrderCreate)
	h.endpoint(other.URL + "/hooks") // every type
	at := func(d time.Duration) {
		h.t.Helper()
		h.clock.Set(t0.Add(d))
		h.purchase()
		h.drain()
	}
	enabled := func(when string, failingSince time.Time) {
		t.Helper()
		if e := h.get(downID); e.Disabled() || !e.FailingSince.Equal(failingSince) {
			t.Fatalf("%s: %+v, want enabled, failing since %v", when, e, failingSince)
		}
	}

	at(0)
	at(4 * day)
	enabled("failing for 4 days", t0)
	code.Store(http.StatusOK)
	at(4*day + time.Hour)
	enabled("after a success", time.Time{})
	code.Store(http.StatusInternalServerError)
	at(4*day + 2*time.Hour)
	at(9*day + time.Hour) // 4 days 23 hours of failures since
	enabled("failing for less than 5 days again", t0.Add(4*day+2*time.Hour))
	if len(h.mails()) != 0 || len(disabledNotices(t, other)) != 0 {
		t.Fatal("the merchant was told before the endpoint was disabled")
	}

	at(9*day + 2*time.Hour)
	e := h.get(downID)
	if !e.Disabled() || e.DisabledReason != notify.DisabledFailing || !e.DisabledAt.Equal(t0.Add(9*day+2*time.Hour)) {
		t.Fatalf("after 5 days of failures: %+v, want disabled, failing", e)
	}
	for _, n := range h.notifications(store.NotificationFilter{Limit: 100}) {
		if n.Type == notify.OrderCreate && h.toEndpoint(n.ID, downID).State == notify.Pending {
			t.Errorf("notification %s is still pending for the disabled endpoint", n.ID)
		}
	}
	ms := h.mails()
	if len(ms) != 1 || len(ms[0].To) != 1 || ms[0].To[0] != "finance@mobler.example" || !strings.Contains(ms[0].Subject, downID) {
		t.Fatalf("mails = %+v, want one to the merchant naming the endpoint", ms)
	}
	body, err := kassatest.KEK().Open(ms[0].Body, store.MailBodyContext(ms[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		down.URL + "/hooks", "at " + t0.Add(9*day+2*time.Hour).Format("2006-01-02 15:04 UTC"),
		"failed since " + t0.Add(4*day+2*time.Hour).Format("2006-01-02 15:04 UTC"),
		"/v1/notification-endpoints/" + downID + "/enable", "/v1/notifications/{id}/redeliver",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the mail's body does not say %q:\n%s", want, body)
		}
	}
	notices := disabledNotices(t, other)
	if len(notices) != 1 || notices[0]["reason"] != "failing" || notices[0]["failingSince"] != t0.Add(4*day+2*time.Hour).Format(time.RFC3339) {
		t.Errorf("the other endpoint was told %v, want one notice, failing since %v", notices, t0.Add(4*day+2*time.Hour))
	}
	if es := h.disablings(); len(es) != 1 || es[0].Target != downID {
		t.Errorf("audit events of the disabling = %+v", es)
	}
}

// An attempt this process could not send (it has no key to open the
// endpoint's secret with) says nothing of the endpoint: no failure
// streak starts.
func TestUnsentAttemptCountsForNothing(t *testing.T) {
	h := newHealthEnv(t, openSQLite(t), "")
	rcv := newReceiver(t, status(http.StatusOK))
	id := h.endpoint(rcv.URL, notify.OrderCreate)
	n := h.purchase()
	h.d = webhook.New(slog.New(slog.DiscardHandler), h.store, h.clock, key, webhook.Config{AllowPrivate: true, Endpoints: h.app})
	h.drain()
	if d := h.toEndpoint(n, id); len(d.Log) != 1 || d.Log[0].Error == "" || len(rcv.requests()) != 0 {
		t.Fatalf("without the key: %+v, %d requests; want one attempt logged, nothing sent", d, len(rcv.requests()))
	}
	if e := h.get(id); !e.FailingSince.IsZero() {
		t.Errorf("an attempt not sent started a failure streak: %+v", e)
	}
}

// brokenEndpoints fails every report of an attempt.
type brokenEndpoints struct{}

func (brokenEndpoints) EndpointAttempted(context.Context, store.Tx, *notify.Delivery, notify.Attempt) error {
	return errors.New("endpoints' health is broken")
}

// When keeping an endpoint's health fails, the attempt is recorded all
// the same: its log and its delivery's state matter more.
func TestAttemptRecordedWhenHealthFails(t *testing.T) {
	h := newHealthEnv(t, openSQLite(t), "")
	rcv := newReceiver(t, status(http.StatusOK))
	id := h.endpoint(rcv.URL, notify.OrderCreate)
	n := h.purchase()
	h.d = webhook.New(slog.New(slog.DiscardHandler), h.store, h.clock, key, webhook.Config{AllowPrivate: true, KEK: kassatest.KEK(), Endpoints: brokenEndpoints{}})
	if _, err := h.d.Drain(h.t.Context()); err == nil || !strings.Contains(err.Error(), "health is broken") {
		t.Errorf("Drain = %v, want the failure", err)
	}
	if d := h.toEndpoint(n, id); d.State != notify.Delivered || len(d.Log) != 1 {
		t.Errorf("delivery %s with %d attempts logged; want delivered, 1", d.State, len(d.Log))
	}
}

// noEndpoints fails the test if it is told of an attempt.
type noEndpoints struct{ t *testing.T }

func (n noEndpoints) EndpointAttempted(_ context.Context, _ store.Tx, d *notify.Delivery, _ notify.Attempt) error {
	n.t.Errorf("told of the attempt at %s, which went to no endpoint", d.ID)
	return nil
}

// A 410 Gone from a session's notification URL is an ordinary failure:
// retried, and no endpoint's concern.
func TestGoneFromSessionURLIsRetried(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true, Endpoints: noEndpoints{t}})
	rcv := newReceiver(t, status(http.StatusGone))
	id := h.notify(rcv.URL)
	h.drain()
	if d := h.delivery(id); d.State != notify.Pending || d.Attempts != 1 || !d.NextAt.Equal(t0.Add(5*time.Second)) {
		t.Errorf("after a 410 from a session URL: %s, %d attempts, next at %v; want pending, retried in 5 s", d.State, d.Attempts, d.NextAt)
	}
}
