package paymod_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/kassa-pay/kassa/kassatest"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// fakeProvider is a provider with its own books: it keeps what it
// captured and refunded per idempotency key, as a real provider does, so
// tests can tell a retried call from a second one. Tests script its
// answers.
type fakeProvider struct {
	mu         sync.Mutex
	authorize  []payment.ProviderResult // answers to give, in order; then authorized
	authorized int                      // Authorize calls
	status     string                   // what Status answers
	initErr    error
	// authorizeErr, when set, is the next Authorize call's error.
	authorizeErr error
	// duringAuthorize, when set, runs inside the next Authorize call, as
	// another request would while the provider is being asked.
	duringAuthorize func()
	updateErr       error // what Update answers
	// duringUpdate, when set, runs inside the next Update call, as
	// duringAuthorize does.
	duringUpdate func()
	updates      []paymod.SessionInput // every Update call's input, in order
	cancelKeys   []string              // every Cancel call's key, in order
	cancelErr    error                 // the next Cancel call's error
	captured     map[string]int64      // idempotency key → amount captured
	refunded     map[string]int64
	captureKeys  []string // every Capture call's key, in order
	// lose makes the next movement call do its work and then fail as if
	// the answer were lost (a timeout).
	lose bool
	// refuse makes the next movement call refuse with this error.
	refuse error
	// hold, when set, makes Capture report on started and then wait for
	// hold to be closed before doing its work.
	hold, started chan struct{}
	// authorizeHold and statusHold do the same for Authorize and Status.
	authorizeHold, authorizeStarted chan struct{}
	statusHold, statusStarted       chan struct{}
	statused                        int // Status calls
	// unsigned makes the fake a provider that does not sign: every
	// delivery is a hint naming its session.
	unsigned bool
	// parsed, when set, is told of every delivery parsed.
	parsed chan struct{}
}

// await reports on started, if set, and waits for hold to be closed.
func await(hold, started chan struct{}) {
	if hold != nil {
		started <- struct{}{}
		<-hold
	}
}

func newFake() *fakeProvider {
	return &fakeProvider{captured: map[string]int64{}, refunded: map[string]int64{}}
}

func (f *fakeProvider) Initiate(_ context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.initErr != nil {
		return payment.ProviderResult{}, f.initErr
	}
	return payment.ProviderResult{Status: payment.SessionPending, Ref: "ref_" + in.SessionID, Data: json.RawMessage(`{"fake":true}`)}, nil
}

func (f *fakeProvider) Update(_ context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	f.mu.Lock()
	during := f.duringUpdate
	f.duringUpdate = nil
	f.mu.Unlock()
	if during != nil {
		during()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.updateErr == nil {
		f.updates = append(f.updates, in)
	}
	return payment.ProviderResult{}, f.updateErr
}

func (f *fakeProvider) Authorize(context.Context, paymod.SessionInput) (payment.ProviderResult, error) {
	f.mu.Lock()
	hold, started := f.authorizeHold, f.authorizeStarted
	during := f.duringAuthorize
	f.duringAuthorize = nil
	f.mu.Unlock()
	await(hold, started)
	if during != nil {
		during()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authorized++
	if err := f.authorizeErr; err != nil {
		f.authorizeErr = nil
		return payment.ProviderResult{}, err
	}
	if len(f.authorize) > 0 {
		r := f.authorize[0]
		f.authorize = f.authorize[1:]
		return r, nil
	}
	return payment.ProviderResult{Status: payment.SessionAuthorized}, nil
}

func (f *fakeProvider) Status(context.Context, paymod.SessionInput) (payment.ProviderResult, error) {
	f.mu.Lock()
	f.statused++
	hold, started := f.statusHold, f.statusStarted
	f.mu.Unlock()
	await(hold, started)
	f.mu.Lock()
	defer f.mu.Unlock()
	return payment.ProviderResult{Status: f.status}, nil
}

func (f *fakeProvider) Delete(context.Context, paymod.SessionInput) error { return nil }

var errTimeout = errors.New("fake: timeout awaiting response headers")

// move does a movement once per key and scripts the answer.
func (f *fakeProvider) move(books map[string]int64, in paymod.MovementInput) (paymod.MovementResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refuse; err != nil {
		f.refuse = nil
		return paymod.MovementResult{}, err
	}
	if _, done := books[in.Key]; !done {
		books[in.Key] = in.Amount
	}
	if f.lose {
		f.lose = false
		return paymod.MovementResult{}, errTimeout
	}
	return paymod.MovementResult{Ref: "ref_" + in.Key}, nil
}

func (f *fakeProvider) Capture(_ context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	f.mu.Lock()
	f.captureKeys = append(f.captureKeys, in.Key)
	hold, started := f.hold, f.started
	f.mu.Unlock()
	await(hold, started)
	return f.move(f.captured, in)
}

func (f *fakeProvider) Refund(_ context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	return f.move(f.refunded, in)
}

func (f *fakeProvider) Cancel(_ context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelKeys = append(f.cancelKeys, in.Key)
	err := f.cancelErr
	f.cancelErr = nil
	return paymod.MovementResult{}, err
}

// fakeEvent is the fake's webhook body; the X-Fake-Signature header must
// be "valid", unless the fake is unsigned.
type fakeEvent struct {
	ID     string         `json:"id"`
	Action string         `json:"action"`
	Ref    string         `json:"ref"`
	Amount int64          `json:"amount"`
	Data   map[string]any `json:"data"`
}

func (f *fakeProvider) ParseWebhook(_ context.Context, w paymod.Webhook) (*paymod.Event, error) {
	f.mu.Lock()
	unsigned, parsed := f.unsigned, f.parsed
	f.mu.Unlock()
	if parsed != nil {
		parsed <- struct{}{}
	}
	var e fakeEvent
	if err := json.Unmarshal(w.Body, &e); err != nil {
		return nil, kassa.Errorf(kassa.EInvalid, "bad body")
	}
	switch {
	case unsigned:
		return &paymod.Event{Action: paymod.ActionSync, SessionRef: e.Ref}, nil
	case w.Header.Get("X-Fake-Signature") != "valid":
		return nil, kassa.Errorf(kassa.EUnauthorized, "bad signature")
	}
	return &paymod.Event{ID: e.ID, Action: e.Action, SessionRef: e.Ref, Amount: e.Amount, Data: e.Data}, nil
}

func (f *fakeProvider) sum(books map[string]int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, v := range books {
		n += v
	}
	return n
}

const mid = "ac_merchant"

// newService is the module over a fresh SQLite store with the system
// provider and a fake as pp_fake_default.
func newService(t *testing.T) (*paymod.Service, *fakeProvider) {
	t.Helper()
	return newServiceOn(sqliteStore(t))
}

// sqliteStore is a fresh SQLite store, closed when t ends.
func sqliteStore(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// bothStores runs test on a fresh SQLite store and on a fresh
// PostgreSQL schema (when KASSA_TEST_POSTGRES_URL is set).
func bothStores(t *testing.T, test func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sqliteStore(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.Open(t)) })
}

// stores runs test on a fresh module over each store (bothStores).
func stores(t *testing.T, test func(t *testing.T, svc *paymod.Service, fake *fakeProvider)) {
	bothStores(t, func(t *testing.T, st store.Store) {
		svc, fake := newServiceOn(st)
		test(t, svc, fake)
	})
}

// newServiceOn is newService over the given store.
func newServiceOn(st store.Store) (*paymod.Service, *fakeProvider) {
	svc, fake, _ := newServiceClock(st)
	return svc, fake
}

// newServiceClock is newServiceOn with the service's clock.
func newServiceClock(st store.Store) (*paymod.Service, *fakeProvider, *kassatest.Clock) {
	fake := newFake()
	reg := paymod.Registry{paymod.SystemProviderID: paymod.System{}, "pp_fake_default": fake}
	clock := kassatest.NewClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
	return paymod.New(slog.New(slog.DiscardHandler), st, reg, clock, new(kassatest.IDs)), fake, clock
}
