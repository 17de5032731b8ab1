package paymod_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
)

// signed is a verified delivery of the fake's event e.
func signed(e fakeEvent) paymod.Webhook {
	body, _ := json.Marshal(e)
	return paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body}
}

// pendingSession creates a collection of 5000 and a fake session of it.
func pendingSession(t *testing.T, svc *paymod.Service) (*payment.Collection, *payment.Session) {
	t.Helper()
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	return c, ps
}

// TestConcurrentDuplicateDeliveries: deliveries of one event that arrive
// while the first is still applying it wait for it; one applies, the
// others answer as duplicates, none fails, and the provider is asked
// once.
func TestConcurrentDuplicateDeliveries(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		svc, fake := newServiceOn(st)
		ctx := t.Context()
		c, ps := pendingSession(t, svc)
		const n = 8
		fake.authorizeHold, fake.authorizeStarted = make(chan struct{}), make(chan struct{}, n)
		fake.parsed = make(chan struct{}, n)
		hook := signed(fakeEvent{ID: "evt_dup", Action: paymod.ActionAuthorized, Ref: ps.ProviderRef, Data: map[string]any{"token": "t1"}})
		results := make([]*paymod.EventResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				res, err := svc.HandleProviderEvent(ctx, "pp_fake_default", hook)
				if err != nil {
					t.Errorf("delivery %d: %v", i, err)
				}
				results[i] = res
			})
		}
		// Every delivery has arrived while the first one is still at the
		// provider.
		for range n {
			<-fake.parsed
		}
		<-fake.authorizeStarted
		close(fake.authorizeHold)
		wg.Wait()
		applied := 0
		for i, res := range results {
			if res != nil && !res.Duplicate {
				applied++
			}
			if res != nil && res.SessionID != ps.ID {
				t.Errorf("delivery %d answered session %s, want %s", i, res.SessionID, ps.ID)
			}
		}
		if applied != 1 || fake.authorized != 1 {
			t.Fatalf("%d deliveries applied the event and the provider was asked %d times; want 1 and 1", applied, fake.authorized)
		}
		collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)
	})
}

// TestFailedDeliveryIsAppliedAgain: a delivery whose action failed gives
// its claim back, so the next delivery applies the event at once.
func TestFailedDeliveryIsAppliedAgain(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c, ps := pendingSession(t, svc)
	fake.authorize = []payment.ProviderResult{{Status: payment.SessionError}}
	hook := signed(fakeEvent{ID: "evt_1", Action: paymod.ActionAuthorized, Ref: ps.ProviderRef})
	_, err := svc.HandleProviderEvent(ctx, "pp_fake_default", hook)
	wantCode(t, "first delivery, refused by the provider", err, kassa.ERejected)
	res := ok[*paymod.EventResult](t, "redelivery")(svc.HandleProviderEvent(ctx, "pp_fake_default", hook))
	if res.Duplicate {
		t.Fatalf("redelivery = %+v, want applied", res)
	}
	collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)
}

// TestAbandonedClaimEnds: a claim whose delivery never finished (its
// process died) holds for its lease, then the next delivery applies the
// event.
func TestAbandonedClaimEnds(t *testing.T) {
	st := sqliteStore(t)
	svc, _, clock := newServiceClock(st)
	ctx := t.Context()
	c, ps := pendingSession(t, svc)
	err := st.Update(ctx, func(tx store.Tx) error {
		return tx.PutProviderEvent(ctx, &store.ProviderEvent{
			ProviderID: "pp_fake_default", EventID: "evt_1", MerchantID: mid, Status: store.EventReceived,
			Action: paymod.ActionAuthorized, ReceivedAt: clock.Now(), ClaimedUntil: clock.Now().Add(time.Minute),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := svc.HandleProviderEvent(ctx, "pp_fake_default", signed(fakeEvent{ID: "evt_1", Action: paymod.ActionAuthorized, Ref: ps.ProviderRef}))
		done <- err
	}()
	clock.Advance(time.Minute + time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)
}

// TestWebhookHints: a provider that does not sign makes every delivery a
// hint. Whatever it claims, the module only asks the provider for the
// session's status and records nothing of the delivery; hints for a
// finished session call no one; and hints that call the provider are
// bounded in rate and concurrency.
func TestWebhookHints(t *testing.T) {
	st := sqliteStore(t)
	svc, fake, clock := newServiceClock(st)
	ctx := t.Context()
	fake.unsigned = true
	_, ps := pendingSession(t, svc)
	forged := paymod.Webhook{Body: signed(fakeEvent{ID: "evt_forged", Action: paymod.ActionCaptured, Ref: ps.ProviderRef, Amount: 5000, Data: map[string]any{"token": "forged"}}).Body}
	hint := func() error {
		t.Helper()
		res, err := svc.HandleProviderEvent(ctx, "pp_fake_default", forged)
		if err == nil && (res.Action != paymod.ActionSync || res.SessionID != ps.ID) {
			t.Fatalf("hint = %+v", res)
		}
		return err
	}

	fake.status = payment.SessionPendingAuthorization
	if err := hint(); err != nil {
		t.Fatal(err)
	}
	got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID))
	if got.Status != payment.SessionPendingAuthorization || string(got.Data) != string(ps.Data) || fake.authorized != 0 {
		t.Fatalf("after the hint: session %+v %s, provider authorized %d times", got, got.Data, fake.authorized)
	}
	var rec *store.ProviderEvent
	if err := st.View(ctx, func(tx store.ReadTx) (err error) {
		rec, err = tx.ProviderEvent(ctx, "pp_fake_default", "evt_forged")
		return
	}); err != nil || rec != nil {
		t.Fatalf("recorded %+v, %v; want nothing", rec, err)
	}

	// The bucket holds 20 calls: 19 are left; then 5 a second.
	for i := range 19 {
		if err := hint(); err != nil {
			t.Fatalf("hint %d: %v", i+2, err)
		}
	}
	wantCode(t, "hint 21", hint(), kassa.ERateLimited)
	clock.Advance(time.Second)
	for range 5 {
		if err := hint(); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "hint over the refill", hint(), kassa.ERateLimited)
	if fake.statused != 25 {
		t.Fatalf("provider asked %d times, want 25", fake.statused)
	}

	// At most 4 at once.
	clock.Advance(10 * time.Second)
	fake.statusHold, fake.statusStarted = make(chan struct{}), make(chan struct{}, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := svc.HandleProviderEvent(ctx, "pp_fake_default", forged); err != nil {
				t.Error(err)
			}
		})
	}
	for range 4 {
		<-fake.statusStarted
	}
	wantCode(t, "a fifth hint at once", hint(), kassa.ERateLimited)
	close(fake.statusHold)
	wg.Wait()
	if err := hint(); err != nil {
		t.Fatal(err)
	}

	// An authorized session has nothing left to sync.
	fake.status = payment.SessionAuthorized
	if err := hint(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	calls := fake.statused
	for range 20 { // the bucket, refilled
		if err := hint(); err != nil {
			t.Fatal(err)
		}
	}
	if fake.statused != calls {
		t.Fatalf("hints for an authorized session asked the provider %d times", fake.statused-calls)
	}
}

// TestHintForUnknownSession: a hint naming no session is answered as one
// naming a session (so hints do not reveal which references exist), and
// it takes a limiter token before the session is looked up: over the
// bound it is 429 like any other hint, not a lookup.
func TestHintForUnknownSession(t *testing.T) {
	bothStores(t, hintForUnknownSession)
}

func hintForUnknownSession(t *testing.T, st store.Store) {
	svc, fake, clock := newServiceClock(st)
	ctx := t.Context()
	fake.unsigned = true
	_, ps := pendingSession(t, svc)
	fake.status = payment.SessionPending
	hint := func(ref string) error {
		t.Helper()
		res, err := svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Body: signed(fakeEvent{Ref: ref}).Body})
		if err == nil && (res.Action != paymod.ActionSync || res.Duplicate || res.Ignored) {
			t.Fatalf("hint = %+v", res)
		}
		return err
	}
	if err := hint("ref_unknown"); err != nil {
		t.Fatalf("hint for an unknown session: %v, want the answer a known one gets", err)
	}
	if err := hint(ps.ProviderRef); err != nil {
		t.Fatal(err)
	}
	for range 20 - 2 { // the rest of the bucket of 20
		if err := hint("ref_unknown"); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "an unknown session's hint over the bound", hint("ref_unknown"), kassa.ERateLimited)
	clock.Advance(time.Second)
	if err := hint("ref_unknown"); err != nil {
		t.Fatal(err)
	}
	// A verified event for an unknown session is still 404.
	fake.unsigned = false
	_, err := svc.HandleProviderEvent(ctx, "pp_fake_default", signed(fakeEvent{ID: "evt_1", Action: paymod.ActionFailed, Ref: "ref_unknown"}))
	wantCode(t, "a verified event for an unknown session", err, kassa.ENotFound)
}
