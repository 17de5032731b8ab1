package paymod_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
)

// TestCollectionAuthorizesNoMoreThanItsAmount: a collection of 100 with
// two sessions of 100 gets one payment of 100; the second authorization
// is refused, whichever way it comes, and the collection completes at 100.
func TestCollectionAuthorizesNoMoreThanItsAmount(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 100, nil))
		s1 := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID}))
		s2 := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID}))
		a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, s1.ID, nil))
		_, err := svc.AuthorizeSession(ctx, mid, s2.ID, nil)
		wantCode(t, "authorize beyond the collection's amount", err, kassa.EConflict)
		collectionWant{payment.Authorized, 100, 0, 0}.check(t, svc, c.ID)
		ok[*payment.Payment](t, "Capture")(svc.Capture(ctx, mid, a.Payment.ID, payment.MovementRequest{}))
		collectionWant{payment.Completed, 100, 100, 0}.check(t, svc, c.ID)
		if v := ok[*paymod.CollectionView](t, "Collection")(svc.Collection(ctx, mid, c.ID)); len(v.Payments) != 1 {
			t.Fatalf("%d payments, want 1", len(v.Payments))
		}

		// The provider authorizes, but meanwhile another session took
		// the collection: the transaction that would create the payment
		// refuses it, the session is canceled for good, and its
		// provider authorization is canceled at the provider.
		c = ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 100, nil))
		late := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
		first := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID}))
		fake.duringAuthorize = func() {
			ok[*paymod.Authorization](t, "AuthorizeSession meanwhile")(svc.AuthorizeSession(ctx, mid, first.ID, nil))
		}
		_, err = svc.AuthorizeSession(ctx, mid, late.ID, nil)
		wantCode(t, "authorization that lost the collection to another", err, kassa.EConflict)
		collectionWant{payment.Authorized, 100, 0, 0}.check(t, svc, c.ID)
		got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, late.ID))
		if got.Status != payment.SessionCanceled || len(fake.cancelKeys) != 1 {
			t.Fatalf("refused session = %s, provider cancels %v; want canceled and one cancel", got.Status, fake.cancelKeys)
		}
		// Authorizing it again answers the same, and asks nothing more of
		// the provider than the cancellation, which is done.
		asked := fake.authorized
		_, err = svc.AuthorizeSession(ctx, mid, late.ID, nil)
		wantCode(t, "authorize the refused session again", err, kassa.EConflict)
		if fake.authorized != asked || len(fake.cancelKeys) != 1 {
			t.Fatalf("provider asked to authorize %d more times, cancels %v", fake.authorized-asked, fake.cancelKeys)
		}
	})
}

// TestConcurrentAuthorizeOfOneCollection: many sessions of one collection
// authorized at once never authorize more than the collection's amount.
func TestConcurrentAuthorizeOfOneCollection(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 300, nil))
		var sessions []*payment.Session
		for range 8 {
			sessions = append(sessions, ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID,
				payment.SessionParams{ProviderID: "pp_fake_default", Amount: 100})))
		}
		var (
			wg         sync.WaitGroup
			authorized atomic.Int64
		)
		for _, ps := range sessions {
			wg.Go(func() {
				_, err := svc.AuthorizeSession(ctx, mid, ps.ID, nil)
				switch kassa.ErrorCode(err) {
				case "":
					authorized.Add(1)
				case kassa.EConflict:
				default:
					t.Errorf("authorize %s: %v", ps.ID, err)
				}
			})
		}
		wg.Wait()
		if authorized.Load() != 3 {
			t.Errorf("%d authorizations succeeded, want 3", authorized.Load())
		}
		collectionWant{payment.Authorized, 300, 0, 0}.check(t, svc, c.ID)
		v := ok[*paymod.CollectionView](t, "Collection")(svc.Collection(ctx, mid, c.ID))
		if len(v.Payments) != 3 {
			t.Errorf("%d payments, want 3", len(v.Payments))
		}
	})
}

// TestCollectionAmountBelowAuthorizations: a collection's amount cannot
// drop below what is authorized, and a session larger than what is left
// of a lowered collection is not authorized.
func TestCollectionAmountBelowAuthorizations(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 100, nil))
		s1 := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID}))
		ok[*payment.Collection](t, "UpdateCollection")(svc.UpdateCollection(ctx, mid, c.ID, payment.CollectionUpdate{Amount: new(int64(50))}))
		_, err := svc.AuthorizeSession(ctx, mid, s1.ID, nil)
		wantCode(t, "authorize a session larger than the lowered collection", err, kassa.EConflict)
		collectionWant{payment.Awaiting, 0, 0, 0}.check(t, svc, c.ID)

		s2 := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID}))
		ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, s2.ID, nil))
		_, err = svc.UpdateCollection(ctx, mid, c.ID, payment.CollectionUpdate{Amount: new(int64(49))})
		wantCode(t, "lower the amount below what is authorized", err, kassa.EConflict)
		collectionWant{payment.Authorized, 50, 0, 0}.check(t, svc, c.ID)
		if got := ok[*paymod.CollectionView](t, "Collection")(svc.Collection(ctx, mid, c.ID)); got.Amount != 50 {
			t.Errorf("collection amount %d, want 50", got.Amount)
		}
	})
}

// TestCanceledCollectionIsFinal: a canceled collection authorizes and
// captures nothing more, not even a payment authorized before the cancel;
// that payment can still be canceled.
func TestCanceledCollectionIsFinal(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c, p := authorizedPayment(t, svc, paymod.SystemProviderID, 100)
		ok[*payment.Collection](t, "UpdateCollection")(svc.UpdateCollection(ctx, mid, c.ID, payment.CollectionUpdate{Amount: new(int64(200))}))
		s := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID, Amount: 100}))
		ok[*payment.Collection](t, "CancelCollection")(svc.CancelCollection(ctx, mid, c.ID))
		_, err := svc.AuthorizeSession(ctx, mid, s.ID, nil)
		wantCode(t, "authorize in a canceled collection", err, kassa.EConflict)
		_, err = svc.Capture(ctx, mid, p.ID, payment.MovementRequest{})
		wantCode(t, "capture in a canceled collection", err, kassa.EConflict)
		collectionWant{payment.Canceled, 100, 0, 0}.check(t, svc, c.ID)
		ok[*payment.Payment](t, "Cancel")(svc.Cancel(ctx, mid, p.ID, payment.MovementRequest{}))
		collectionWant{payment.Canceled, 0, 0, 0}.check(t, svc, c.ID)

		// A capture under way keeps the collection from being canceled.
		c, p = authorizedPayment(t, svc, "pp_fake_default", 100)
		fake.hold, fake.started = make(chan struct{}), make(chan struct{})
		done := make(chan error)
		go func() {
			_, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{})
			done <- err
		}()
		<-fake.started
		_, err = svc.CancelCollection(ctx, mid, c.ID)
		close(fake.hold)
		wantCode(t, "cancel a collection with a capture under way", err, kassa.EConflict)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		collectionWant{payment.Completed, 100, 100, 0}.check(t, svc, c.ID)
	})
}

// TestReportedAuthorizationBeyondTheCollection: a provider completes a
// pending authorization (its webhook) after another session took the
// whole collection. The module takes no payment for it, cancels the
// session, and cancels the authorization at the provider. That undoes
// the event for good, so it is processed: a redelivery is a duplicate.
func TestReportedAuthorizationBeyondTheCollection(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 100, nil))
		pending := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
		fake.authorize = []payment.ProviderResult{{Status: payment.SessionPendingAuthorization}}
		ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, pending.ID, nil))
		other := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID}))
		ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, other.ID, nil))

		body, _ := json.Marshal(fakeEvent{ID: "evt_late", Action: paymod.ActionAuthorized, Ref: pending.ProviderRef})
		delivery := paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body}
		ok[*paymod.EventResult](t, "a reported authorization the collection cannot take")(svc.HandleProviderEvent(ctx, "pp_fake_default", delivery))
		collectionWant{payment.Authorized, 100, 0, 0}.check(t, svc, c.ID)
		got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, pending.ID))
		if got.Status != payment.SessionCanceled || len(fake.cancelKeys) != 1 {
			t.Fatalf("session %s, provider cancels %v; want canceled and its authorization canceled", got.Status, fake.cancelKeys)
		}
		again := ok[*paymod.EventResult](t, "redelivery")(svc.HandleProviderEvent(ctx, "pp_fake_default", delivery))
		if !again.Duplicate || len(fake.cancelKeys) != 1 {
			t.Fatalf("redelivery = %+v, provider cancels %v; want a duplicate that sends nothing", again, fake.cancelKeys)
		}
	})
}

// TestRefusedAuthorizationVoidRetried: a provider reports an
// authorization for a session of a canceled collection; the module
// refuses it, and the cancellation it sends the provider has an unknown
// outcome. The cancellation stays pending: the session can then not be
// deleted, nor its collection, and authorizing the session again sends
// the cancellation again with the same key, until the provider confirms;
// so does a redelivery of the event, which is processed once it has.
func TestRefusedAuthorizationVoidRetried(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 100, nil))
		ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
		fake.authorize = []payment.ProviderResult{{Status: payment.SessionPendingAuthorization}}
		ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
		ok[*payment.Collection](t, "CancelCollection")(svc.CancelCollection(ctx, mid, c.ID))

		fake.cancelErr = errTimeout
		body, _ := json.Marshal(fakeEvent{ID: "evt_1", Action: paymod.ActionAuthorized, Ref: ps.ProviderRef})
		_, err := svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body})
		wantCode(t, "an authorization reported in a canceled collection", err, kassa.EConflict)
		got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID))
		if got.Status != payment.SessionCanceled || !got.VoidPending() || got.Void.Failure == "" {
			t.Fatalf("session %s, void %+v after a lost answer; want canceled, the void pending with the failure", got.Status, got.Void)
		}
		wantCode(t, "delete the session", svc.DeleteSession(ctx, mid, ps.ID), kassa.EConflict)
		wantCode(t, "delete the collection", svc.DeleteCollection(ctx, mid, c.ID), kassa.EConflict)

		// While the void is pending the event is not processed: each
		// redelivery sends the void again, and the one that completes it
		// marks the event processed.
		delivery := paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body}
		ok[*paymod.EventResult](t, "redelivery")(svc.HandleProviderEvent(ctx, "pp_fake_default", delivery))
		if again := ok[*paymod.EventResult](t, "redelivery")(svc.HandleProviderEvent(ctx, "pp_fake_default", delivery)); !again.Duplicate {
			t.Fatalf("second redelivery = %+v, want a duplicate", again)
		}
		_, err = svc.AuthorizeSession(ctx, mid, ps.ID, nil)
		wantCode(t, "authorize the refused session again", err, kassa.EConflict)
		got = ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID))
		if got.Void.Status != payment.Succeeded || got.Void.Attempts != 2 ||
			len(fake.cancelKeys) != 2 || fake.cancelKeys[0] != fake.cancelKeys[1] || fake.cancelKeys[0] != got.Void.ID {
			t.Fatalf("void %+v after a retry; provider cancels %v; want one key twice, succeeded", got.Void, fake.cancelKeys)
		}
		collectionWant{payment.Canceled, 0, 0, 0}.check(t, svc, c.ID)
		if err := svc.DeleteCollection(ctx, mid, c.ID); err != nil {
			t.Fatalf("delete the collection once the authorization is canceled: %v", err)
		}
	})
}
