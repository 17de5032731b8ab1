package payment_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
)

// TestAdmit: a collection admits payments while what they authorize,
// canceled ones aside, stays within its amount, and none once it is
// canceled.
func TestAdmit(t *testing.T) {
	env := testEnv()
	c, _, p := authorized(t, env, 3000)
	c = must(c.Update(env, payment.CollectionUpdate{Amount: new(int64(5000))}))
	payments := []*payment.Payment{p}
	if err := c.Admit(payments, 2000); err != nil {
		t.Fatalf("Admit(2000) of 3000 authorized on 5000: %v", err)
	}
	wantCode(t, "Admit(2001)", c.Admit(payments, 2001), kassa.EConflict)
	p, m, _ := p.Begin(env, payment.KindCancel, payment.MovementRequest{})
	wantCode(t, "Admit(5000) with a cancel pending", c.Admit([]*payment.Payment{p}, 5000), kassa.EConflict)
	p = must(p.Settle(env, m.ID, payment.Outcome{}))
	if err := c.Admit([]*payment.Payment{p}, 5000); err != nil {
		t.Fatalf("Admit(5000) once the payment is canceled: %v", err)
	}
	canceled := must(c.Cancel(env, []*payment.Payment{p}))
	wantCode(t, "Admit in a canceled collection", canceled.Admit(nil, 1), kassa.EConflict)
	wantCode(t, "CheckCapture in a canceled collection", canceled.CheckCapture(), kassa.EConflict)
}

// TestCollectionAmountAndCancel: the amount cannot drop below what is
// authorized, and a collection with a capture under way cannot be
// canceled.
func TestCollectionAmountAndCancel(t *testing.T) {
	env := testEnv()
	c, s, p := authorized(t, env, 3000)
	c = must(c.Derive(env, []*payment.Session{s}, []*payment.Payment{p}))
	_, err := c.Update(env, payment.CollectionUpdate{Amount: new(int64(2999))})
	wantCode(t, "amount below what is authorized", err, kassa.EConflict)
	if got := must(c.Update(env, payment.CollectionUpdate{Amount: new(int64(3000))})); got.Amount != 3000 {
		t.Fatalf("Update to the authorized amount = %+v", got)
	}
	p, _, _ = p.Begin(env, payment.KindCapture, payment.MovementRequest{Amount: 1})
	_, err = c.Cancel(env, []*payment.Payment{p})
	wantCode(t, "cancel with a capture under way", err, kassa.EConflict)
}

// TestSessionUpdate: an update merges data, counts a revision, and takes
// the provider's answer; the session it is applied to stays as it was.
func TestSessionUpdate(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "SEK", 5000, nil))
	s := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "p", Data: json.RawMessage(`{"ref":"r1","keep":{"a":1}}`)}))
	u := payment.SessionUpdate{Amount: new(int64(4000)), Data: json.RawMessage(`{"ref":null,"po":"PO-1"}`)}
	preview := must(s.Update(env, c, u, payment.ProviderResult{}))
	if string(preview.Data) != `{"keep":{"a":1},"po":"PO-1"}` || preview.Amount != 4000 || preview.Revision != 1 || s.Amount != 5000 {
		t.Fatalf("Update = %+v %s; session %+v", preview, preview.Data, s)
	}
	done := must(s.Update(env, c, u, payment.ProviderResult{Status: payment.SessionRequiresMore, Data: json.RawMessage(`{"provider":true}`)}))
	if done.Status != payment.SessionRequiresMore || string(done.Data) != `{"provider":true}` || done.Version != s.Version+1 {
		t.Fatalf("Update with the provider's answer = %+v %s", done, done.Data)
	}
	_, err := s.Update(env, c, payment.SessionUpdate{Data: json.RawMessage(`[1]`)}, payment.ProviderResult{})
	wantCode(t, "data not an object", err, kassa.EInvalid)
	_, err = s.Update(env, c, u, payment.ProviderResult{Status: payment.SessionAuthorized})
	wantCode(t, "an update answered authorized", err, kassa.EInternal)
}

// TestRefused: an authorization the collection refused cancels the session
// for good with a pending void, which settles once.
func TestRefused(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "SEK", 5000, nil))
	s := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "p"}))
	r := s.Refused(env, payment.ProviderResult{Status: payment.SessionAuthorized, Data: json.RawMessage(`{"order":"o1"}`)}, "the collection is full")
	if r.Status != payment.SessionCanceled || !r.VoidPending() || r.Failure != "the collection is full" || string(r.Data) != `{"order":"o1"}` {
		t.Fatalf("Refused = %+v", r)
	}
	_, _, err := r.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	wantCode(t, "authorize a refused session", err, kassa.EConflict)
	wantCode(t, "delete a session whose void is pending", r.CheckDelete(env.Now), kassa.EConflict)
	again := r.RetryVoid(env)
	if again.Void.Attempts != 2 || again.Void.ID != r.Void.ID || r.Void.Attempts != 1 {
		t.Fatalf("RetryVoid = %+v, was %+v", again.Void, r.Void)
	}
	unknown := again.Voided(env, payment.Outcome{Err: errors.New("timeout")})
	if !unknown.VoidPending() || unknown.Void.Failure != "timeout" {
		t.Fatalf("void of unknown outcome = %+v", unknown.Void)
	}
	done := unknown.Voided(env, payment.Outcome{})
	if done.VoidPending() || done.Void.Status != payment.Succeeded || done.Voided(env, payment.Outcome{}) != done || done.CheckDelete(env.Now) != nil {
		t.Fatalf("settled void = %+v", done.Void)
	}
}
