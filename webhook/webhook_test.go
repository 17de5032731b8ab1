package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/kassa-pay/kassa/kassatest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/webhook"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

var key = []byte("test notification key")

const merchantID = "ac_merchant"

// harness is a store, a clock and a dispatcher over them.
type harness struct {
	t     *testing.T
	ctx   context.Context
	store store.Store
	clock *kassatest.Clock
	d     *webhook.Dispatcher
	seq   atomic.Int64
}

func newHarness(t *testing.T, cfg webhook.Config) *harness {
	t.Helper()
	return newHarnessOn(t, openSQLite(t), cfg)
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// stores runs test on a new SQLite store and on a new PostgreSQL one
// (pgtest skips it without a test database).
func stores(t *testing.T, test func(t *testing.T, db store.Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.Open(t)) })
}

func newHarnessOn(t *testing.T, db store.Store, cfg webhook.Config) *harness {
	t.Helper()
	h := &harness{t: t, ctx: t.Context(), store: db, clock: kassatest.NewClock(t0)}
	h.d = h.dispatcher(cfg)
	return h
}

// dispatcher makes a dispatcher over the harness's store and clock, as
// another process sharing the database would have.
func (h *harness) dispatcher(cfg webhook.Config) *webhook.Dispatcher {
	if cfg.Jitter == nil {
		cfg.Jitter = func(int) time.Duration { return 0 }
	}
	return webhook.New(slog.New(slog.DiscardHandler), h.store, h.clock, key, cfg)
}

// notify stores a notification with a delivery to the session URL url,
// due now, and returns its ID.
func (h *harness) notify(url string) string {
	h.t.Helper()
	id, err := h.tryNotify(url)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// tryNotify is notify for goroutines other than the test's.
func (h *harness) tryNotify(url string) (string, error) { return h.tryNotifyAs(merchantID, url) }

// tryNotifyAs stores a notification of merchant m.
func (h *harness) tryNotifyAs(m, url string) (string, error) {
	id := fmt.Sprintf("nt_%03d", h.seq.Add(1))
	n := &notify.Notification{ID: id, MerchantID: m, Type: notify.OrderCreate, OrderID: "or_1", SessionID: "ps_1",
		Body: []byte(`{"eventType":"com.ledyer.order.create","merchantId":"ac_merchant","orderId":"or_1","reference":"r","storeId":"1"}`), CreatedAt: h.clock.Now()}
	return id, h.store.Update(h.ctx, func(tx store.Tx) error {
		return tx.CreateNotification(h.ctx, n, []notify.Delivery{{ID: "nd_" + id, URL: url, NextAt: h.clock.Now()}})
	})
}

// drain delivers what is due and returns how many attempts it made.
func (h *harness) drain() int {
	h.t.Helper()
	n, err := h.d.Drain(h.ctx)
	if err != nil {
		h.t.Fatalf("Drain: %v", err)
	}
	return n
}

func (h *harness) delivery(notificationID string) notify.Delivery {
	h.t.Helper()
	var ds []notify.Delivery
	err := h.store.View(h.ctx, func(tx store.ReadTx) error {
		var err error
		ds, err = tx.Deliveries(h.ctx, merchantID, notificationID)
		return err
	})
	if err != nil || len(ds) != 1 {
		h.t.Fatalf("Deliveries = %v, %v; want one", ds, err)
	}
	return ds[0]
}

// received is a request the receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server on loopback answering with respond(n)
// to its n-th request (from 1).
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), b})
		n := len(r.got)
		r.mu.Unlock()
		respond(n, w)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func status(code int) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(code) }
}

func attemptTimes(d notify.Delivery) []time.Duration {
	var out []time.Duration
	for _, a := range d.Log {
		out = append(out, a.At.Sub(t0))
	}
	return out
}

// A receiver failing three times and then answering 200 is tried on the
// schedule and gets exactly one success on record.
func TestFailThenSucceed(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n <= 3 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Write([]byte("[]"))
	})
	id := h.notify(rcv.URL + "/ledyer/notify")

	steps := []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute}
	for i, step := range steps {
		if step > 0 {
			h.clock.Advance(step - time.Millisecond)
			if n := h.drain(); n != 0 {
				t.Fatalf("attempt %d made %v early", i+1, time.Millisecond)
			}
			h.clock.Advance(time.Millisecond)
		}
		if n := h.drain(); n != 1 {
			t.Fatalf("step %d: %d attempts, want 1", i+1, n)
		}
	}
	h.clock.Advance(24 * time.Hour)
	if n := h.drain(); n != 0 {
		t.Errorf("%d attempts after the success", n)
	}

	d := h.delivery(id)
	if d.State != notify.Delivered || d.Attempts != 4 {
		t.Errorf("delivery %s after %d attempts, want delivered after 4", d.State, d.Attempts)
	}
	want := []time.Duration{0, 5 * time.Second, 5*time.Second + 5*time.Minute, 5*time.Second + 35*time.Minute}
	if diff := cmp.Diff(want, attemptTimes(d)); diff != "" {
		t.Errorf("attempt times (-want +got):\n%s", diff)
	}
	var codes []int
	for _, a := range d.Log {
		codes = append(codes, a.StatusCode)
	}
	if diff := cmp.Diff([]int{500, 500, 500, 200}, codes); diff != "" {
		t.Errorf("status codes (-want +got):\n%s", diff)
	}
	if d.Log[3].Body != "[]" {
		t.Errorf("logged body %q, want []", d.Log[3].Body)
	}
	got := rcv.requests()
	if len(got) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(got))
	}
	for _, r := range got {
		if r.header.Get("webhook-id") != id {
			t.Errorf("webhook-id %q, want the notification's stable %q", r.header.Get("webhook-id"), id)
		}
	}
}

// A receiver that never succeeds gets the eight attempts of the schedule
// and the delivery then fails.
func TestNeverSucceeds(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t, status(http.StatusServiceUnavailable))
	id := h.notify(rcv.URL)
	var want []time.Duration
	var at time.Duration
	for i, delay := range notify.Schedule {
		h.clock.Advance(delay)
		at += delay
		want = append(want, at)
		if n := h.drain(); n != 1 {
			t.Fatalf("attempt %d: Drain made %d", i+1, n)
		}
		if d := h.delivery(id); (d.State == notify.Failed) != (i == len(notify.Schedule)-1) {
			t.Fatalf("after attempt %d: %s", i+1, d.State)
		}
	}
	h.clock.Advance(7 * 24 * time.Hour)
	if n := h.drain(); n != 0 {
		t.Errorf("%d attempts after failing", n)
	}
	d := h.delivery(id)
	if d.State != notify.Failed || d.Attempts != 8 || len(rcv.requests()) != 8 {
		t.Errorf("delivery %s, %d attempts, receiver got %d; want failed, 8, 8", d.State, d.Attempts, len(rcv.requests()))
	}
	if diff := cmp.Diff(want, attemptTimes(d)); diff != "" {
		t.Errorf("attempt times (-want +got):\n%s", diff)
	}
}

// Every request carries Standard Webhooks headers that the official
// library verifies, with the session secret the API shows the merchant.
func TestSignatureVerifiesWithOfficialLibrary(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	h.clock.Set(kassa.SystemClock{}.Now()) // Verify checks the timestamp against the real time
	rcv := newReceiver(t, status(http.StatusNoContent))
	id := h.notify(rcv.URL)
	h.drain()
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(notify.SessionSecret(key, merchantID))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("official library: %v", err)
	}
	if got[0].header.Get("webhook-id") != id || got[0].header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", got[0].header)
	}
	if d := h.delivery(id); d.State != notify.Delivered {
		t.Errorf("204 left the delivery %s", d.State)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	id := h.notify(rcv.URL)
	h.drain()
	h.clock.Advance(119 * time.Second) // past the scheduled 5 s
	if n := h.drain(); n != 0 {
		t.Fatalf("retried %d times before Retry-After", n)
	}
	h.clock.Advance(time.Second)
	if n := h.drain(); n != 1 {
		t.Fatalf("Drain at Retry-After made %d attempts", n)
	}
	if d := h.delivery(id); d.State != notify.Delivered {
		t.Errorf("delivery %s", d.State)
	}
}

// A redirect is an answer, not a 2xx, and is not followed.
func TestRedirectNotFollowed(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	target := newReceiver(t, status(http.StatusOK))
	rcv := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.URL)
		w.WriteHeader(http.StatusFound)
	})
	id := h.notify(rcv.URL)
	h.drain()
	d := h.delivery(id)
	if d.State != notify.Pending || d.Log[0].StatusCode != http.StatusFound || len(target.requests()) != 0 {
		t.Errorf("after a redirect: %s, logged %d, target got %d requests", d.State, d.Log[0].StatusCode, len(target.requests()))
	}
}

// Without AllowPrivate, a destination on loopback is refused when dialling.
func TestPrivateDestinationRefused(t *testing.T) {
	h := newHarness(t, webhook.Config{})
	rcv := newReceiver(t, status(http.StatusOK))
	id := h.notify(strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1)) // a name resolving to loopback
	h.drain()
	d := h.delivery(id)
	if len(rcv.requests()) != 0 || d.State != notify.Pending || !strings.Contains(d.Log[0].Error, "non-public") {
		t.Errorf("receiver got %d requests; delivery %s, error %q", len(rcv.requests()), d.State, d.Log[0].Error)
	}
}

func TestBadURLFailsAtOnce(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	id := h.notify("mailto:shop@example.com")
	h.drain()
	if d := h.delivery(id); d.State != notify.Failed || d.Attempts != 1 {
		t.Errorf("delivery %s after %d attempts, want failed after 1", d.State, d.Attempts)
	}
}

func TestResponseBodyTruncated(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(strings.Repeat("x", 200_000)))
	})
	id := h.notify(rcv.URL)
	h.drain()
	if d := h.delivery(id); len(d.Log[0].Body) != 1024 || d.Log[0].StatusCode != 400 {
		t.Errorf("logged %d bytes, status %d; want 1024, 400", len(d.Log[0].Body), d.Log[0].StatusCode)
	}
}

func TestTimeout(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true, Timeout: 50 * time.Millisecond})
	release := make(chan struct{})
	rcv := newReceiver(t, func(int, http.ResponseWriter) { <-release })
	defer close(release)
	id := h.notify(rcv.URL)
	h.drain()
	if d := h.delivery(id); d.State != notify.Pending || d.Log[0].Error != "timed out" {
		t.Errorf("delivery %s, error %q; want pending, timed out", d.State, d.Log[0].Error)
	}
}

// Run delivers on Wake and, when stopped, returns after recording the
// attempts in flight, having claimed nothing it did not start.
func TestRunWakeAndShutdown(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true, Poll: time.Hour, Concurrency: 1})
	arrived, release := make(chan struct{}), make(chan struct{})
	rcv := newReceiver(t, func(n int, _ http.ResponseWriter) {
		if n == 1 {
			close(arrived)
			<-release
		}
	})
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() {
		h.d.Run(ctx)
		close(done)
	}()
	id := h.notify(rcv.URL)
	queued := h.notify(rcv.URL) // due, but the one slot is taken
	h.d.Wake()
	<-arrived
	cancel() // shutdown begins with the attempt in flight
	close(release)
	<-done
	if d := h.delivery(id); d.State != notify.Delivered || d.Attempts != 1 {
		t.Errorf("after shutdown: %s, %d attempts; want the in-flight attempt recorded", d.State, d.Attempts)
	}
	if d := h.delivery(queued); d.Attempts != 0 || d.Claim != "" || !d.NextAt.Equal(t0) {
		t.Errorf("unstarted delivery after shutdown: %d attempts, claim %q, due %v; want unclaimed, due now", d.Attempts, d.Claim, d.NextAt)
	}
	if n := h.drain(); n != 1 {
		t.Errorf("a restarted dispatcher made %d attempts at once, want the one left", n)
	}
}

// A receiver that hangs holds one slot: notifications committed meanwhile
// are claimed and delivered without waiting for it.
func TestSlowReceiverBlocksNoOne(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true, Concurrency: 2})
	release, gotLate := make(chan struct{}), make(chan struct{})
	slow := newReceiver(t, func(int, http.ResponseWriter) { <-release })
	var (
		fast *receiver
		late string
		err  error
	)
	fast = newReceiver(t, func(n int, w http.ResponseWriter) {
		switch n {
		case 1: // commit another notification while the slow one hangs
			late, err = h.tryNotify(fast.URL)
		case 2:
			close(gotLate)
		}
	})
	h.notify(slow.URL)
	h.notify(fast.URL)
	drained := make(chan int)
	go func() { drained <- h.drain() }()
	select {
	case <-gotLate:
	case <-time.After(30 * time.Second): // a safety net against a hang, not a timing assertion
		t.Fatal("the late notification waited for the slow receiver")
	}
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if n := <-drained; n != 3 {
		t.Errorf("Drain made %d attempts, want 3", n)
	}
	if d := h.delivery(late); d.State != notify.Delivered {
		t.Errorf("late notification %s", d.State)
	}
}

// hungReceiver holds every request until release is closed, telling each
// arrival on arrived and keeping the most it held at once.
type hungReceiver struct {
	*receiver
	arrived chan struct{}
	release chan struct{}
	mu      sync.Mutex
	held    int
	most    int
}

func newHungReceiver(t *testing.T) *hungReceiver {
	h := &hungReceiver{arrived: make(chan struct{}, 1000), release: make(chan struct{})}
	h.receiver = newReceiver(t, func(int, http.ResponseWriter) {
		h.mu.Lock()
		h.held++
		h.most = max(h.most, h.held)
		h.mu.Unlock()
		h.arrived <- struct{}{}
		<-h.release
		h.mu.Lock()
		h.held--
		h.mu.Unlock()
	})
	return h
}

// waitFor waits for a signal on c; the limit is a safety net against a
// hang, not a timing assertion.
func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never happened", what)
	}
}

// One merchant's receiver that hangs holds its destination's share of
// the slots and no more, over every process: two dispatchers sharing the
// database deliver other merchants' notifications while all of its
// attempts are still held, and once it answers, every attempt made is on
// record.
func TestHungReceiverDelaysNoOne(t *testing.T) { stores(t, testHungReceiverDelaysNoOne) }

func testHungReceiverDelaysNoOne(t *testing.T, db store.Store) {
	const perDestination = 4
	cfg := webhook.Config{AllowPrivate: true, Concurrency: 16, PerDestination: perDestination, Timeout: time.Hour, Poll: time.Hour}
	h := newHarnessOn(t, db, cfg)
	replica := h.dispatcher(cfg)
	hung := newHungReceiver(t)
	var hungIDs []string
	for range 40 {
		hungIDs = append(hungIDs, h.notify(hung.URL+"/notify"))
	}
	ctx, cancel := context.WithCancel(h.ctx)
	var running sync.WaitGroup
	for _, d := range []*webhook.Dispatcher{h.d, replica} {
		running.Go(func() { d.Run(ctx) })
	}
	defer func() { // on a failure too: no goroutine left holding the receiver
		cancel()
		select {
		case <-hung.release:
		default:
			close(hung.release)
		}
		running.Wait()
	}()
	for range perDestination {
		waitFor(t, hung.arrived, "an attempt to the hung receiver")
	}

	// Merchant B's notification, then C's, each committed and woken on one
	// replica, arrive while all of merchant A's attempts are held.
	for i, d := range []*webhook.Dispatcher{h.d, replica} {
		got := make(chan struct{})
		fast := newReceiver(t, func(int, http.ResponseWriter) { close(got) })
		m := fmt.Sprintf("ac_other%d", i)
		if _, err := h.tryNotifyAs(m, fast.URL); err != nil {
			t.Fatal(err)
		}
		d.Wake()
		waitFor(t, got, "merchant "+m+"'s notification arriving while the hung receiver held its attempts")
		if n := len(hung.requests()); n != perDestination {
			t.Errorf("the hung receiver got %d requests, want %d: its share", n, perDestination)
		}
	}
	// Each replica has claimed since the hung receiver's share was taken:
	// neither took more of its deliveries.
	claimed := 0
	for _, id := range hungIDs {
		if h.delivery(id).Claim != "" {
			claimed++
		}
	}
	if claimed != perDestination {
		t.Errorf("%d deliveries to the hung receiver claimed, want its share of %d", claimed, perDestination)
	}

	cancel()
	close(hung.release)
	running.Wait()
	h.drain()
	if n := len(hung.requests()); n != 40 {
		t.Errorf("the receiver got %d requests in all, want 40", n)
	}
	for _, id := range hungIDs {
		if d := h.delivery(id); d.State != notify.Delivered || len(d.Log) != 1 {
			t.Errorf("delivery %s: %s with %d attempts logged; want delivered with 1", id, d.State, len(d.Log))
		}
	}
	hung.mu.Lock()
	defer hung.mu.Unlock()
	if hung.most > perDestination {
		t.Errorf("the hung receiver held %d requests at once, more than its share of %d", hung.most, perDestination)
	}
}

// brokenClaims is a store whose claims fail while broken is set.
type brokenClaims struct {
	store.Store
	broken *atomic.Bool
}

func (s brokenClaims) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(brokenClaimsTx{tx, s.broken}) })
}

type brokenClaimsTx struct {
	store.Tx
	broken *atomic.Bool
}

func (tx brokenClaimsTx) ClaimDeliveries(ctx context.Context, c store.DeliveryClaim, secret func(string) string) ([]notify.Delivery, error) {
	if tx.broken.Load() {
		return nil, errors.New("claims are broken")
	}
	return tx.Tx.ClaimDeliveries(ctx, c, secret)
}

// An attempt is recorded in the transaction that claims the next ones;
// when that claim fails, the attempt is still recorded.
func TestAttemptRecordedWhenClaimFails(t *testing.T) {
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	broken := new(atomic.Bool)
	h.store = brokenClaims{h.store, broken}
	h.d = h.dispatcher(webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t, func(int, http.ResponseWriter) { broken.Store(true) })
	id := h.notify(rcv.URL)
	if _, err := h.d.Drain(h.ctx); err == nil || !strings.Contains(err.Error(), "claims are broken") {
		t.Errorf("Drain = %v, want the claim's error", err)
	}
	if d := h.delivery(id); d.State != notify.Delivered || len(d.Log) != 1 {
		t.Errorf("delivery %s with %d attempts logged; want delivered, 1", d.State, len(d.Log))
	}
}

// An endpoint's secret is stored sealed: the dispatcher opens it with its
// key-encryption key and signs with the secret the merchant was given. A
// dispatcher without the key sends nothing and logs why, for a process
// with the key to retry.
func TestEndpointSecretOpened(t *testing.T) {
	const secret = "whsec_ZW5kcG9pbnQgc2VjcmV0IG9mIDI0IGJ5dGVz"
	h := newHarness(t, webhook.Config{AllowPrivate: true})
	h.clock.Set(kassa.SystemClock{}.Now()) // Verify checks the timestamp against the real time
	rcv := newReceiver(t, status(http.StatusNoContent))
	ep := &notify.Endpoint{ID: "ne_1", MerchantID: merchantID, URL: rcv.URL,
		Secret: kassatest.KEK().Seal([]byte(secret), notify.SecretContext("ne_1")), CreatedAt: h.clock.Now()}
	n := &notify.Notification{ID: "nt_1", MerchantID: merchantID, Type: notify.OrderCreate, OrderID: "or_1",
		Body: []byte(`{"eventType":"com.ledyer.order.create"}`), CreatedAt: h.clock.Now()}
	err := h.store.Update(h.ctx, func(tx store.Tx) error {
		return errors.Join(tx.CreateNotificationEndpoint(h.ctx, ep),
			tx.CreateNotification(h.ctx, n, []notify.Delivery{{ID: "nd_1", EndpointID: ep.ID, URL: ep.URL, NextAt: h.clock.Now()}}))
	})
	if err != nil {
		t.Fatal(err)
	}

	h.drain()
	d := h.delivery(n.ID)
	if len(rcv.requests()) != 0 || d.State != notify.Pending || len(d.Log) != 1 || !strings.Contains(d.Log[0].Error, "no key-encryption key") {
		t.Fatalf("without the key: %d requests, delivery %+v; want none sent and the reason logged", len(rcv.requests()), d)
	}

	h.clock.Advance(time.Minute)
	h.d = h.dispatcher(webhook.Config{AllowPrivate: true, KEK: kassatest.KEK()})
	h.drain()
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("with the key the receiver got %d requests, want 1", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("the endpoint's secret does not verify the request: %v", err)
	}
}
