package paymod_test

import (
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
)

// sessionOf creates a collection of collectionAmount and a session of
// amount on the fake provider.
func sessionOf(t *testing.T, svc *paymod.Service, collectionAmount, amount int64) (*payment.Collection, *payment.Session) {
	t.Helper()
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "sek", collectionAmount, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default", Amount: amount}))
	return c, ps
}

// TestUpdateDuringAuthorize: a session update that arrives while the
// provider is authorizing the session is refused, so the payment records
// the amount the provider was sent and authorized, not the update's.
func TestUpdateDuringAuthorize(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		_, ps := sessionOf(t, svc, 200, 100)
		var updateErr error
		fake.duringAuthorize = func() {
			_, updateErr = svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(200))})
		}
		a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
		wantCode(t, "update while authorizing", updateErr, kassa.EConflict)
		if a.Payment.Amount != 100 || a.Session.Amount != 100 || a.Session.InFlight != nil {
			t.Fatalf("payment of %d, session %+v; want the 100 the provider authorized, and no call under way", a.Payment.Amount, a.Session)
		}
		if len(fake.updates) != 0 {
			t.Fatalf("the provider was sent %d updates, want none", len(fake.updates))
		}
	})
}

// TestDeleteDuringAuthorize: deleting a session, or its collection, while
// the provider is authorizing it is refused, so the provider's
// authorization is recorded as the session's payment rather than left
// with no record.
func TestDeleteDuringAuthorize(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c, ps := sessionOf(t, svc, 100, 100)
		var deleteErr, deleteCollectionErr error
		fake.duringAuthorize = func() {
			deleteErr = svc.DeleteSession(ctx, mid, ps.ID)
			deleteCollectionErr = svc.DeleteCollection(ctx, mid, c.ID)
		}
		a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
		wantCode(t, "delete the session while authorizing", deleteErr, kassa.EConflict)
		wantCode(t, "delete the collection while authorizing", deleteCollectionErr, kassa.EConflict)
		if a.Payment.Amount != 100 {
			t.Fatalf("payment = %+v", a.Payment)
		}
		collectionWant{payment.Authorized, 100, 0, 0}.check(t, svc, c.ID)
	})
}

// TestConcurrentSessionUpdates: a second update that arrives while the
// provider is told of a first is refused before it reaches the provider,
// so the provider is sent one change for the revision, the one the
// session records.
func TestConcurrentSessionUpdates(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		_, ps := sessionOf(t, svc, 300, 100)
		var secondErr error
		fake.duringUpdate = func() {
			_, secondErr = svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(300))})
		}
		got := ok[*payment.Session](t, "UpdateSession")(svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(200))}))
		wantCode(t, "a second update while the first is at the provider", secondErr, kassa.EConflict)
		if got.Amount != 200 || got.Revision != 1 || got.InFlight != nil {
			t.Fatalf("session = %+v, want the first update's 200 at revision 1", got)
		}
		if len(fake.updates) != 1 || fake.updates[0].Amount != 200 {
			t.Fatalf("the provider was sent %+v, want the first update alone", fake.updates)
		}
		// The update is over: the next one goes through.
		got = ok[*payment.Session](t, "UpdateSession")(svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(300))}))
		if got.Amount != 300 || got.Revision != 2 {
			t.Fatalf("session = %+v, want 300 at revision 2", got)
		}
	})
}

// TestAuthorizeOutlivedItsMark: an authorization whose mark ran out (its
// process stalled past the mark's time) and whose session was updated
// meanwhile records no payment of an amount the provider never
// authorized: it is refused as a collection refusal is, and the
// provider's authorization canceled.
func TestAuthorizeOutlivedItsMark(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		svc, fake, clock := newServiceClock(st)
		ctx := t.Context()
		c, ps := sessionOf(t, svc, 200, 100)
		fake.duringAuthorize = func() {
			clock.Advance(3 * time.Minute)
			ok[*payment.Session](t, "UpdateSession")(svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(200))}))
		}
		_, err := svc.AuthorizeSession(ctx, mid, ps.ID, nil)
		wantCode(t, "authorize after the session changed", err, kassa.EConflict)
		got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID))
		if got.Status != payment.SessionCanceled || got.Void == nil || got.Void.Status != payment.Succeeded || len(fake.cancelKeys) != 1 || fake.cancelKeys[0] != got.Void.ID {
			t.Fatalf("session %+v, provider cancels %v; want it canceled and its authorization voided", got, fake.cancelKeys)
		}
		collectionWant{payment.Awaiting, 0, 0, 0}.check(t, svc, c.ID)
	})
}

// TestSessionDeletedAfterTheMark: a session deleted once an authorization
// outlived its mark (its process stalled) leaves no provider
// authorization open: the call finds the session gone, cancels the
// authorization at the provider, and answers 409.
func TestSessionDeletedAfterTheMark(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		svc, fake, clock := newServiceClock(st)
		ctx := t.Context()
		_, ps := sessionOf(t, svc, 100, 100)
		fake.duringAuthorize = func() {
			clock.Advance(3 * time.Minute)
			if err := svc.DeleteSession(ctx, mid, ps.ID); err != nil {
				t.Errorf("delete once the mark ran out: %v", err)
			}
		}
		_, err := svc.AuthorizeSession(ctx, mid, ps.ID, nil)
		wantCode(t, "authorize a session deleted meanwhile", err, kassa.EConflict)
		if len(fake.cancelKeys) != 1 || fake.cancelKeys[0] != ps.ID+":void" {
			t.Fatalf("provider cancels %v, want the authorization canceled once", fake.cancelKeys)
		}
	})
}
