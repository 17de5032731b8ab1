package payment_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kassa-pay/kassa/kassatest"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
)

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func testEnv() payment.Env { return payment.Env{Now: t0, IDs: new(kassatest.IDs)} }

func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if _, ok := errors.AsType[*kassa.Error](err); !ok || kassa.ErrorCode(err) != code {
		t.Fatalf("%s: error %v (%T), want a *kassa.Error with code %s", what, err, err, code)
	}
}

// must unwraps a result that must not be an error; the panic fails the
// test with the error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// authorized returns a collection of amount and a payment of all of it.
// tb is what helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func authorized(t tb, env payment.Env, amount int64) (*payment.Collection, *payment.Session, *payment.Payment) {
	t.Helper()
	c := must(payment.NewCollection(env, "m1", "sek", amount, nil))
	s := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "pp_system_default"}))
	s, p, err := s.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	if err != nil || p == nil {
		t.Fatalf("Authorized: %v, %v", p, err)
	}
	return c, s, p
}

func TestNewCollection(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "usd", 5000, json.RawMessage(`{"cart":"c1"}`)))
	if c.Status != payment.NotPaid || c.Currency != "USD" || c.Amount != 5000 || c.Version != 1 {
		t.Errorf("NewCollection = %+v", c)
	}
	for _, tc := range []struct {
		cur    string
		amount int64
		meta   string
	}{
		{"xxx", 5000, ""}, {"usd", 0, ""}, {"usd", -1, ""}, {"usd", 5000, `[1]`}, {"usd", 5000, `{`},
	} {
		_, err := payment.NewCollection(env, "m1", tc.cur, tc.amount, json.RawMessage(tc.meta))
		wantCode(t, fmt.Sprint(tc), err, kassa.EInvalid)
	}
}

func TestNewSession(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "SEK", 5000, nil))
	s := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "pp_system_default", Currency: "sek"}))
	if s.Amount != 5000 || s.Currency != "SEK" || s.Status != payment.SessionPending || string(s.Data) != "{}" {
		t.Errorf("NewSession = %+v", s)
	}
	_, err := payment.NewSession(env, c, payment.SessionParams{ProviderID: "p", Currency: "EUR"})
	wantCode(t, "other currency", err, kassa.EInvalid)
	_, err = payment.NewSession(env, c, payment.SessionParams{ProviderID: "p", Amount: 5001})
	wantCode(t, "above the collection", err, kassa.EInvalid)
	_, err = payment.NewSession(env, c, payment.SessionParams{})
	wantCode(t, "no provider", err, kassa.EInvalid)
	done := must(c.Cancel(env, nil))
	_, err = payment.NewSession(env, done, payment.SessionParams{ProviderID: "p"})
	wantCode(t, "canceled collection", err, kassa.EConflict)
}

func TestAuthorize(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "SEK", 5000, nil))
	s := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "p"}))

	// Answers that are not an authorization are saved, and authorizing
	// again later works.
	for _, st := range []string{payment.SessionRequiresMore, payment.SessionPendingAuthorization, payment.SessionError} {
		next, p, err := s.Authorized(env, payment.ProviderResult{Status: st, Data: json.RawMessage(`{"step":"` + st + `"}`)})
		if err != nil || p != nil || next.Status != st || string(next.Data) != `{"step":"`+st+`"}` {
			t.Fatalf("Authorized(%s) = %+v, %v, %v", st, next, p, err)
		}
		if err := next.CheckAuthorize(); err != nil {
			t.Fatalf("CheckAuthorize after %s: %v", st, err)
		}
		s = next
	}
	next, p, err := s.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	if err != nil || p == nil || next.Status != payment.SessionAuthorized || next.PaymentID != p.ID || next.AuthorizedAt == nil {
		t.Fatalf("Authorized = %+v, %+v, %v", next, p, err)
	}
	if p.Amount != 5000 || p.Status != payment.PaymentAuthorized || p.SessionID != s.ID {
		t.Errorf("payment = %+v", p)
	}
	// A second answer (a concurrent authorization) keeps the first payment.
	again, p2, err := next.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	if err != nil || p2 != nil || again != next {
		t.Errorf("second Authorized = %+v, %+v, %v; want unchanged, no payment", again, p2, err)
	}
	if err := next.CheckDelete(env.Now); err == nil {
		t.Error("CheckDelete of an authorized session: no error")
	}
	canceled := s.Event(env, payment.SessionCanceled)
	_, _, err = canceled.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	wantCode(t, "authorize a canceled session", err, kassa.EConflict)
}

func TestAuthorizeAutoCapture(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "SEK", 5000, nil))
	s := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "p"}))
	_, p, err := s.Authorized(env, payment.ProviderResult{Status: payment.SessionCaptured})
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	if p.Status != payment.PaymentCaptured || p.Captured() != 5000 || p.CapturedAt == nil || len(p.Captures) != 1 {
		t.Errorf("auto-captured payment = %+v", p)
	}
	_, _, err = p.Begin(env, payment.KindCapture, payment.MovementRequest{})
	wantCode(t, "capture after auto-capture", err, kassa.EConflict)
	if err := p.Check(); err != nil {
		t.Error(err)
	}
}

// settle begins a movement and settles it as succeeded.
func settle(t testing.TB, env payment.Env, p *payment.Payment, kind string, r payment.MovementRequest) *payment.Payment {
	t.Helper()
	p, m, err := p.Begin(env, kind, r)
	if err != nil {
		t.Fatalf("Begin(%s, %+v): %v", kind, r, err)
	}
	return must(p.Settle(env, m.ID, payment.Outcome{}))
}

func TestSplitCaptures(t *testing.T) {
	env := testEnv()
	_, _, p := authorized(t, env, 5000)
	p = settle(t, env, p, payment.KindCapture, payment.MovementRequest{Amount: 2000})
	if p.Status != payment.PaymentPartiallyCaptured || p.Captured() != 2000 || p.CapturedAt != nil {
		t.Fatalf("after 2000: %+v", p)
	}
	_, _, err := p.Begin(env, payment.KindCapture, payment.MovementRequest{Amount: 3001})
	wantCode(t, "over-capture", err, kassa.EConflict)
	// No amount captures what is left, not the whole authorization.
	p = settle(t, env, p, payment.KindCapture, payment.MovementRequest{})
	if p.Status != payment.PaymentCaptured || p.Captured() != 5000 || p.CapturedAt == nil {
		t.Fatalf("after the rest: %+v", p)
	}
	_, _, err = p.Begin(env, payment.KindCapture, payment.MovementRequest{Amount: 1})
	wantCode(t, "capture when fully captured", err, kassa.EConflict)
}

func TestRefunds(t *testing.T) {
	env := testEnv()
	_, _, p := authorized(t, env, 5000)
	_, _, err := p.Begin(env, payment.KindRefund, payment.MovementRequest{Amount: 1})
	wantCode(t, "refund before capture", err, kassa.EConflict)
	p = settle(t, env, p, payment.KindCapture, payment.MovementRequest{Amount: 3000})
	p = settle(t, env, p, payment.KindRefund, payment.MovementRequest{Amount: 1000, Reason: "damaged", Note: "chair leg"})
	if p.Refunded() != 1000 || p.Refunds[0].Reason != "damaged" || p.Refunds[0].Note != "chair leg" {
		t.Fatalf("after refund: %+v", p.Refunds)
	}
	_, _, err = p.Begin(env, payment.KindRefund, payment.MovementRequest{Amount: 2001})
	wantCode(t, "over-refund", err, kassa.EConflict)
	p = settle(t, env, p, payment.KindRefund, payment.MovementRequest{})
	if p.Refunded() != 3000 {
		t.Fatalf("refunded %d, want 3000", p.Refunded())
	}
}

func TestPendingReserves(t *testing.T) {
	env := testEnv()
	_, _, p := authorized(t, env, 5000)
	p1, m1, err := p.Begin(env, payment.KindCapture, payment.MovementRequest{Key: "k1", Amount: 3000})
	if err != nil {
		t.Fatal(err)
	}
	// A second capture sees the first one's reservation.
	_, _, err = p1.Begin(env, payment.KindCapture, payment.MovementRequest{Key: "k2", Amount: 2001})
	wantCode(t, "capture over a reservation", err, kassa.EConflict)
	// An unknown outcome keeps the reservation and counts the attempt.
	p2 := must(p1.Settle(env, m1.ID, payment.Outcome{Err: errors.New("timeout")}))
	if m, _ := p2.Movement(m1.ID); m.Status != payment.Pending || m.Failure != "timeout" {
		t.Fatalf("after timeout: %+v", m)
	}
	// Retrying with the key finds the same movement, not a new one.
	p3, again, err := p2.Begin(env, payment.KindCapture, payment.MovementRequest{Key: "k1", Amount: 3000})
	if err != nil || again.ID != m1.ID || again.Attempts != 2 || len(p3.Captures) != 1 {
		t.Fatalf("retry: %+v, %v, captures %d", again, err, len(p3.Captures))
	}
	_, _, err = p2.Begin(env, payment.KindCapture, payment.MovementRequest{Key: "k1", Amount: 10})
	wantCode(t, "same key, other amount", err, kassa.EIdempotencyMismatch)
	// A refusal releases the reservation but keeps the record.
	p4 := must(p3.Settle(env, m1.ID, payment.Outcome{Err: errors.New("declined"), Definite: true}))
	if m, _ := p4.Movement(m1.ID); m.Status != payment.Failed || p4.Capturable() != 5000 {
		t.Fatalf("after refusal: %+v, capturable %d", m, p4.Capturable())
	}
	// The failed key answers with the failed movement, unchanged.
	p5, m, err := p4.Begin(env, payment.KindCapture, payment.MovementRequest{Key: "k1"})
	if err != nil || p5 != p4 || m.Status != payment.Failed {
		t.Fatalf("failed key: %+v, %v", m, err)
	}
	// Settling twice changes nothing the second time.
	if again := must(p4.Settle(env, m1.ID, payment.Outcome{})); again != p4 {
		t.Error("second Settle changed the payment")
	}
}

func TestCancel(t *testing.T) {
	env := testEnv()
	_, _, p := authorized(t, env, 5000)
	p1, m, err := p.Begin(env, payment.KindCancel, payment.MovementRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p1.Begin(env, payment.KindCapture, payment.MovementRequest{})
	wantCode(t, "capture while canceling", err, kassa.EConflict)
	p2 := must(p1.Settle(env, m.ID, payment.Outcome{}))
	if p2.Status != payment.PaymentCanceled || p2.CanceledAt == nil {
		t.Fatalf("canceled = %+v", p2)
	}
	if again, _, err := p2.Begin(env, payment.KindCancel, payment.MovementRequest{}); err != nil || again != p2 {
		t.Errorf("cancel again = %v; want unchanged", err)
	}
	_, _, err = p2.Begin(env, payment.KindCapture, payment.MovementRequest{})
	wantCode(t, "capture canceled", err, kassa.EConflict)

	_, _, q := authorized(t, env, 5000)
	q = settle(t, env, q, payment.KindCapture, payment.MovementRequest{Amount: 1})
	_, _, err = q.Begin(env, payment.KindCancel, payment.MovementRequest{})
	wantCode(t, "cancel after capture", err, kassa.EConflict)
}

func TestCapturedByProvider(t *testing.T) {
	env := testEnv()
	_, _, p := authorized(t, env, 5000)
	p1, m, _ := p.Begin(env, payment.KindCapture, payment.MovementRequest{Amount: 2000})
	// The webhook for this very capture arrives before its answer.
	p2 := must(p1.CapturedByProvider(env, 2000))
	if got, _ := p2.Movement(m.ID); got.Status != payment.Succeeded || p2.Captured() != 2000 || len(p2.Captures) != 1 {
		t.Fatalf("after webhook: %+v", p2.Captures)
	}
	// Then the answer: nothing changes. And replays change nothing.
	if p3 := must(p2.Settle(env, m.ID, payment.Outcome{})); p3 != p2 {
		t.Error("late answer changed the payment")
	}
	if p3 := must(p2.CapturedByProvider(env, 2000)); p3 != p2 {
		t.Error("replayed webhook changed the payment")
	}
	// A capture made at the provider directly is recorded.
	p4 := must(p2.CapturedByProvider(env, 5000))
	if p4.Captured() != 5000 || len(p4.Captures) != 2 || p4.Status != payment.PaymentCaptured {
		t.Fatalf("after provider capture: %+v", p4)
	}
	_, err := p2.CapturedByProvider(env, 5001)
	wantCode(t, "provider reports more than authorized", err, kassa.EConflict)
}

func TestDerive(t *testing.T) {
	env := testEnv()
	c := must(payment.NewCollection(env, "m1", "SEK", 5000, nil))
	d := must(c.Derive(env, nil, nil))
	if d != c || c.Status != payment.NotPaid {
		t.Fatalf("no sessions: %+v", d)
	}
	s1 := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "p", Amount: 2000}))
	s2 := must(payment.NewSession(env, c, payment.SessionParams{ProviderID: "p", Amount: 3000}))
	sessions := []*payment.Session{s1, s2}
	if d = must(c.Derive(env, sessions, nil)); d.Status != payment.Awaiting {
		t.Fatalf("sessions only: %s", d.Status)
	}
	_, p1, _ := s1.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	if d = must(c.Derive(env, sessions, []*payment.Payment{p1})); d.Status != payment.PartiallyAuthorized || d.AuthorizedAmount != 2000 {
		t.Fatalf("one payment: %+v", d)
	}
	_, p2, _ := s2.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	if d = must(c.Derive(env, sessions, []*payment.Payment{p1, p2})); d.Status != payment.Authorized || d.AuthorizedAmount != 5000 {
		t.Fatalf("both: %+v", d)
	}
	p1 = settle(t, env, p1, payment.KindCapture, payment.MovementRequest{})
	p2 = settle(t, env, p2, payment.KindCapture, payment.MovementRequest{Amount: 2999})
	if d = must(c.Derive(env, sessions, []*payment.Payment{p1, p2})); d.Status != payment.Authorized || d.CapturedAmount != 4999 {
		t.Fatalf("almost captured: %+v", d)
	}
	p2 = settle(t, env, p2, payment.KindCapture, payment.MovementRequest{})
	d = must(c.Derive(env, sessions, []*payment.Payment{p1, p2}))
	if d.Status != payment.Completed || d.CapturedAmount != 5000 || d.CompletedAt == nil || d.Version != c.Version+1 {
		t.Fatalf("captured: %+v", d)
	}
	p2 = settle(t, env, p2, payment.KindRefund, payment.MovementRequest{Amount: 500})
	d2 := must(d.Derive(env, sessions, []*payment.Payment{p1, p2}))
	if d2.Status != payment.Completed || d2.RefundedAmount != 500 {
		t.Fatalf("refund changed the status: %+v", d2)
	}
	if _, err := d.Cancel(env, nil); err == nil {
		t.Error("canceling a completed collection: no error")
	}

	// A payment in another currency is never summed in.
	other := *p1
	other.Currency = "EUR"
	_, err := c.Derive(env, sessions, []*payment.Payment{&other})
	wantCode(t, "foreign currency", err, kassa.EInternal)
}

func TestCanceledPaymentNotAuthorized(t *testing.T) {
	env := testEnv()
	c, s, p := authorized(t, env, 5000)
	p, m, _ := p.Begin(env, payment.KindCancel, payment.MovementRequest{})
	p = must(p.Settle(env, m.ID, payment.Outcome{}))
	d := must(c.Derive(env, []*payment.Session{s}, []*payment.Payment{p}))
	if d.AuthorizedAmount != 0 || d.Status != payment.Awaiting {
		t.Errorf("after cancel: %+v", d)
	}
}
