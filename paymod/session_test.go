package paymod_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
)

// TestRefusedSessionUpdateChangesNothing: an update the provider refuses,
// or whose outcome is unknown, leaves the session as it was: its amount
// is what the provider last accepted.
func TestRefusedSessionUpdateChangesNothing(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
		ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
		for _, refusal := range []error{kassa.Invalid("data.orderLines", "the order lines total 5000, not 2500"), errTimeout} {
			fake.updateErr = refusal
			_, err := svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(2500)), Metadata: json.RawMessage(`{"n":1}`)})
			if !errors.Is(err, refusal) {
				t.Fatalf("refused update = %v, want %v", err, refusal)
			}
			got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID))
			if got.Amount != 5000 || got.Status != payment.SessionPending || got.Revision != ps.Revision || got.Metadata != nil || got.InFlight != nil {
				t.Fatalf("after a refused update (%v): session %+v, want it unchanged", refusal, got)
			}
		}
		fake.updateErr = nil
		a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
		if a.Payment.Amount != 5000 {
			t.Fatalf("payment of %d, want the 5000 the provider accepted", a.Payment.Amount)
		}
	})
}

// TestSessionDataUpdateKeepsProviderData: a merchant's data is merged into
// the session's: what the provider put there stays, and null removes a
// key.
func TestSessionDataUpdateKeepsProviderData(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
		ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
		ps = ok[*payment.Session](t, "UpdateSession")(svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Data: json.RawMessage(`{"po":"PO-1","note":"x"}`)}))
		if string(ps.Data) != `{"fake":true,"note":"x","po":"PO-1"}` {
			t.Fatalf("data after update = %s", ps.Data)
		}
		ps = ok[*payment.Session](t, "UpdateSession")(svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Data: json.RawMessage(`{"note":null}`)}))
		if string(ps.Data) != `{"fake":true,"po":"PO-1"}` {
			t.Fatalf("data after removing a key = %s", ps.Data)
		}
		if got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID)); string(got.Data) != string(ps.Data) {
			t.Fatalf("stored data %s, answered %s", got.Data, ps.Data)
		}
	})
}

// TestAuthorizeRefusalIsRejected: whatever kind of refusal the provider
// answers to authorizing, the caller gets ERejected (402), and the
// session can be authorized again.
func TestAuthorizeRefusalIsRejected(t *testing.T) {
	stores(t, func(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
		ctx := t.Context()
		c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
		ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
		for _, code := range []string{kassa.ENotFound, kassa.EConflict, kassa.EInvalid, kassa.EIdempotencyMismatch, kassa.ERejected} {
			fake.authorizeErr = kassa.Errorf(code, "the provider refuses (%s)", code)
			_, err := svc.AuthorizeSession(ctx, mid, ps.ID, nil)
			wantCode(t, "refusal "+code, err, kassa.ERejected)
			if got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID)); got.Status != payment.SessionError || got.Failure == "" {
				t.Fatalf("after refusal %s: session %+v", code, got)
			}
		}
		ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	})
}
