package paymod_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
)

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := kassa.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func ok[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// authorizedPayment runs collection → session → authorize with provider.
func authorizedPayment(t *testing.T, svc *paymod.Service, provider string, amount int64) (*payment.Collection, *payment.Payment) {
	t.Helper()
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "sek", amount, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: provider}))
	a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	if a.Pending() {
		t.Fatalf("AuthorizeSession: pending, session %+v", a.Session)
	}
	return c, a.Payment
}

func (c collectionWant) check(t *testing.T, svc *paymod.Service, id string) {
	t.Helper()
	v := ok[*paymod.CollectionView](t, "Collection")(svc.Collection(t.Context(), mid, id))
	checkDerived(t, v)
	got := collectionWant{v.Status, v.AuthorizedAmount, v.CapturedAmount, v.RefundedAmount}
	if got != c {
		t.Fatalf("collection = %+v, want %+v", got, c)
	}
}

type collectionWant struct {
	status                         string
	authorized, captured, refunded int64
}

// TestAcceptPayment is the seed's flow with the system provider:
// collection, session, authorize, capture, partial refund, with the
// collection's derived amounts and status after each step.
func TestAcceptPayment(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "usd", 5000, json.RawMessage(`{"cart":"cart_1"}`)))
	collectionWant{payment.NotPaid, 0, 0, 0}.check(t, svc, c.ID)
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID, Currency: "usd"}))
	if ps.Status != payment.SessionPending || ps.Amount != 5000 {
		t.Fatalf("session = %+v", ps)
	}
	collectionWant{payment.Awaiting, 0, 0, 0}.check(t, svc, c.ID)
	a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	if a.Pending() || a.Payment.Amount != 5000 || a.Session.Status != payment.SessionAuthorized {
		t.Fatalf("authorization = %+v", a)
	}
	collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)
	// Authorizing again answers with the same payment.
	again := ok[*paymod.Authorization](t, "AuthorizeSession again")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	if again.Payment.ID != a.Payment.ID {
		t.Fatalf("second authorization made payment %s, want %s", again.Payment.ID, a.Payment.ID)
	}
	p := ok[*payment.Payment](t, "Capture")(svc.Capture(ctx, mid, a.Payment.ID, payment.MovementRequest{}))
	if p.Status != payment.PaymentCaptured || p.Captured() != 5000 {
		t.Fatalf("captured payment = %+v", p)
	}
	collectionWant{payment.Completed, 5000, 5000, 0}.check(t, svc, c.ID)
	p = ok[*payment.Payment](t, "Refund")(svc.Refund(ctx, mid, p.ID, payment.MovementRequest{Amount: 1500, Reason: "returned", Note: "one chair"}))
	if p.Refunded() != 1500 || p.Refunds[0].Status != payment.Succeeded {
		t.Fatalf("refunded payment = %+v", p)
	}
	collectionWant{payment.Completed, 5000, 5000, 1500}.check(t, svc, c.ID)
	_, err := svc.Refund(ctx, mid, p.ID, payment.MovementRequest{Amount: 3501})
	wantCode(t, "over-refund", err, kassa.EConflict)
}

func TestSplitCapturesAndErrors(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	c, p := authorizedPayment(t, svc, paymod.SystemProviderID, 5000)
	_, err := svc.Refund(ctx, mid, p.ID, payment.MovementRequest{Amount: 1})
	wantCode(t, "refund before capture", err, kassa.EConflict)
	ok[*payment.Payment](t, "Capture 2000")(svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Amount: 2000}))
	collectionWant{payment.Authorized, 5000, 2000, 0}.check(t, svc, c.ID)
	_, err = svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Amount: 3001})
	wantCode(t, "over-capture", err, kassa.EConflict)
	_, err = svc.Cancel(ctx, mid, p.ID, payment.MovementRequest{})
	wantCode(t, "cancel after capture", err, kassa.EConflict)
	p = ok[*payment.Payment](t, "Capture rest")(svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Amount: 3000}))
	if len(p.Captures) != 2 || p.Status != payment.PaymentCaptured {
		t.Fatalf("payment = %+v", p)
	}
	_, err = svc.Capture(ctx, mid, "pay_missing", payment.MovementRequest{})
	wantCode(t, "missing payment", err, kassa.ENotFound)
	_, err = svc.Capture(ctx, "ac_other", p.ID, payment.MovementRequest{})
	wantCode(t, "another merchant's payment", err, kassa.ENotFound)
}

func TestCancel(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	c, p := authorizedPayment(t, svc, paymod.SystemProviderID, 5000)
	p = ok[*payment.Payment](t, "Cancel")(svc.Cancel(ctx, mid, p.ID, payment.MovementRequest{}))
	if p.Status != payment.PaymentCanceled || p.CanceledAt == nil {
		t.Fatalf("canceled = %+v", p)
	}
	collectionWant{payment.Awaiting, 0, 0, 0}.check(t, svc, c.ID)
	_, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{})
	wantCode(t, "capture canceled", err, kassa.EConflict)
	ok[*payment.Collection](t, "CancelCollection")(svc.CancelCollection(ctx, mid, c.ID))
	collectionWant{payment.Canceled, 0, 0, 0}.check(t, svc, c.ID)
	_, err = svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID})
	wantCode(t, "session of a canceled collection", err, kassa.EConflict)
}

func TestSessions(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	_, err := svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_nope"})
	wantCode(t, "unknown provider", err, kassa.EInvalid)
	_, err = svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default", Currency: "EUR"})
	wantCode(t, "currency mismatch", err, kassa.EInvalid)
	_, err = svc.CreateSession(ctx, mid, "pay_col_missing", payment.SessionParams{ProviderID: "pp_fake_default"})
	wantCode(t, "missing collection", err, kassa.ENotFound)

	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default", Amount: 2000}))
	if ps.ProviderRef != "ref_"+ps.ID || string(ps.Data) != `{"fake":true}` {
		t.Fatalf("initiated session = %+v", ps)
	}
	ps = ok[*payment.Session](t, "UpdateSession")(svc.UpdateSession(ctx, mid, ps.ID, payment.SessionUpdate{Amount: new(int64(3000))}))
	if ps.Amount != 3000 {
		t.Fatalf("updated session = %+v", ps)
	}
	// A provider failure is recorded on the session, not lost.
	fake.initErr = kassa.Errorf(kassa.EInvalid, "the provider refuses")
	failed, err := svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"})
	wantCode(t, "provider refuses", err, kassa.EInvalid)
	if failed.Status != payment.SessionError || failed.Failure == "" {
		t.Fatalf("failed session = %+v", failed)
	}
	stored := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, failed.ID))
	if stored.Status != payment.SessionError {
		t.Fatalf("stored failed session = %+v", stored)
	}
	if err := svc.DeleteSession(ctx, mid, failed.ID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Session(ctx, mid, failed.ID)
	wantCode(t, "deleted session", err, kassa.ENotFound)

	ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	wantCode(t, "delete authorized session", svc.DeleteSession(ctx, mid, ps.ID), kassa.EConflict)
	wantCode(t, "delete collection with a payment", svc.DeleteCollection(ctx, mid, c.ID), kassa.EConflict)
	c2 := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 100, nil))
	if err := svc.DeleteCollection(ctx, mid, c2.ID); err != nil {
		t.Fatal(err)
	}
}

// TestAuthorizeRequiresMore: the provider needs more from the customer;
// the answer says so, and authorizing again later works.
func TestAuthorizeRequiresMore(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	fake.authorize = []payment.ProviderResult{{Status: payment.SessionRequiresMore, Data: json.RawMessage(`{"redirect":"https://3ds.example"}`)}}
	a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	if !a.Pending() || a.Session.Status != payment.SessionRequiresMore || string(a.Session.Data) != `{"redirect":"https://3ds.example"}` {
		t.Fatalf("authorization = %+v", a.Session)
	}
	collectionWant{payment.Awaiting, 0, 0, 0}.check(t, svc, c.ID)
	a = ok[*paymod.Authorization](t, "AuthorizeSession again")(svc.AuthorizeSession(ctx, mid, ps.ID, map[string]any{"answer": "done"}))
	if a.Pending() {
		t.Fatalf("second authorization still pending: %+v", a.Session)
	}
	collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)

	// A refusal is ERejected and leaves the session in error, retryable.
	c2 := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps2 := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c2.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	fake.authorize = []payment.ProviderResult{{Status: payment.SessionError}}
	_, err := svc.AuthorizeSession(ctx, mid, ps2.ID, nil)
	wantCode(t, "declined", err, kassa.ERejected)
}

// TestAutoCapture: a provider that captures on authorization yields a
// captured payment, and the provider's capture is not called.
func TestAutoCapture(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	fake.authorize = []payment.ProviderResult{{Status: payment.SessionCaptured}}
	c, p := authorizedPayment(t, svc, "pp_fake_default", 5000)
	if p.Status != payment.PaymentCaptured || p.Captured() != 5000 {
		t.Fatalf("payment = %+v", p)
	}
	collectionWant{payment.Completed, 5000, 5000, 0}.check(t, svc, c.ID)
	if len(fake.captureKeys) != 0 {
		t.Errorf("provider capture called %d times", len(fake.captureKeys))
	}
	_, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{})
	wantCode(t, "capture after auto-capture", err, kassa.EConflict)
}

// TestPendingAuthorizationWebhook: the provider answers
// pending_authorization (a signatory must approve); the webhook that
// follows completes it, and a redelivery changes nothing.
func TestPendingAuthorizationWebhook(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	fake.authorize = []payment.ProviderResult{{Status: payment.SessionPendingAuthorization}}
	a := ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))
	if !a.Pending() || a.Session.Status != payment.SessionPendingAuthorization {
		t.Fatalf("authorization = %+v", a.Session)
	}
	collectionWant{payment.Awaiting, 0, 0, 0}.check(t, svc, c.ID)

	body, _ := json.Marshal(fakeEvent{ID: "evt_1", Action: paymod.ActionAuthorized, Ref: ps.ProviderRef, Data: map[string]any{"token": "t1"}})
	hook := paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body}
	res := ok[*paymod.EventResult](t, "HandleProviderEvent")(svc.HandleProviderEvent(ctx, "pp_fake_default", hook))
	if res.Duplicate || res.Ignored || res.SessionID != ps.ID {
		t.Fatalf("result = %+v", res)
	}
	collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)
	got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID))
	if got.Status != payment.SessionAuthorized || !json.Valid(got.Data) || string(got.Data) != `{"fake":true,"token":"t1"}` {
		t.Fatalf("session = %+v %s", got, got.Data)
	}
	calls := fake.authorized
	res = ok[*paymod.EventResult](t, "HandleProviderEvent again")(svc.HandleProviderEvent(ctx, "pp_fake_default", hook))
	if !res.Duplicate || fake.authorized != calls {
		t.Fatalf("redelivery = %+v, provider asked %d more times", res, fake.authorized-calls)
	}
}

func TestWebhookRejects(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	body, _ := json.Marshal(fakeEvent{ID: "evt_1", Action: paymod.ActionAuthorized, Ref: "ref_unknown"})
	_, err := svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Header: http.Header{}, Body: body})
	wantCode(t, "unsigned", err, kassa.EUnauthorized)
	_, err = svc.HandleProviderEvent(ctx, "pp_nope", paymod.Webhook{Body: body})
	wantCode(t, "unknown provider", err, kassa.ENotFound)
	_, err = svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body})
	wantCode(t, "unknown session", err, kassa.ENotFound)
	res, err := svc.HandleProviderEvent(ctx, paymod.SystemProviderID, paymod.Webhook{Body: body})
	if err != nil || !res.Ignored {
		t.Fatalf("system provider webhook = %+v, %v", res, err)
	}
}

// TestConcurrentCaptures: many captures of one payment at once never
// capture more than was authorized, at the provider or in the books; the
// same for refunds. On SQLite the writer is serial; on PostgreSQL
// (KASSA_TEST_POSTGRES_URL) the transactions run at once and the row
// locks and version checks keep them apart.
func TestConcurrentCaptures(t *testing.T) { stores(t, concurrentCaptures) }

func concurrentCaptures(t *testing.T, svc *paymod.Service, fake *fakeProvider) {
	ctx := t.Context()
	c, p := authorizedPayment(t, svc, "pp_fake_default", 5000)
	var (
		wg        sync.WaitGroup
		succeeded sync.Map
	)
	for i := range 16 {
		wg.Go(func() {
			if _, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Amount: 700}); err == nil {
				succeeded.Store(i, true)
			} else if kassa.ErrorCode(err) != kassa.EConflict {
				t.Errorf("capture %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	n := 0
	succeeded.Range(func(any, any) bool { n++; return true })
	if n != 7 || fake.sum(fake.captured) != 4900 {
		t.Fatalf("%d captures succeeded, provider captured %d; want 7 and 4900", n, fake.sum(fake.captured))
	}
	collectionWant{payment.Authorized, 5000, 4900, 0}.check(t, svc, c.ID)

	for i := range 16 {
		wg.Go(func() {
			if _, err := svc.Refund(ctx, mid, p.ID, payment.MovementRequest{Amount: 1000}); err != nil && kassa.ErrorCode(err) != kassa.EConflict {
				t.Errorf("refund %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := fake.sum(fake.refunded); got != 4000 {
		t.Fatalf("provider refunded %d, want 4000", got)
	}
	collectionWant{payment.Authorized, 5000, 4900, 4000}.check(t, svc, c.ID)
}

// TestConcurrentAuthorize: one payment however many authorize at once,
// and no authorization is undone.
func TestConcurrentAuthorize(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			a, err := svc.AuthorizeSession(ctx, mid, ps.ID, nil)
			if err != nil {
				t.Errorf("authorize %d: %v", i, err)
				return
			}
			ids[i] = a.Payment.ID
		})
	}
	wg.Wait()
	v := ok[*paymod.CollectionView](t, "Collection")(svc.Collection(ctx, mid, c.ID))
	if len(v.Payments) != 1 {
		t.Fatalf("%d payments", len(v.Payments))
	}
	for i, id := range ids {
		if id != v.Payments[0].ID {
			t.Errorf("authorize %d answered payment %q, want %s", i, id, v.Payments[0].ID)
		}
	}
}

// TestCaptureRetryAfterTimeout: the provider captured but the answer was
// lost. The capture stays pending with its amount reserved; the retry
// with the same key sends the same idempotency key, and the provider
// captures once.
func TestCaptureRetryAfterTimeout(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c, p := authorizedPayment(t, svc, "pp_fake_default", 5000)
	fake.lose = true
	_, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Key: "order-1-capture", Amount: 3000})
	if err == nil || kassa.ErrorCode(err) != kassa.EInternal || !errors.Is(err, errTimeout) {
		t.Fatalf("first capture = %v, want the timeout", err)
	}
	stored := ok[*payment.Payment](t, "Payment")(svc.Payment(ctx, mid, p.ID))
	if len(stored.Captures) != 1 || stored.Captures[0].Status != payment.Pending || stored.Captures[0].Failure == "" || stored.Capturable() != 2000 {
		t.Fatalf("after timeout: %+v", stored.Captures)
	}
	_, err = svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Amount: 2001})
	wantCode(t, "capture over the reservation", err, kassa.EConflict)

	retried := ok[*payment.Payment](t, "retry")(svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Key: "order-1-capture", Amount: 3000}))
	if len(retried.Captures) != 1 || retried.Captures[0].Status != payment.Succeeded || retried.Captures[0].Attempts != 2 {
		t.Fatalf("after retry: %+v", retried.Captures)
	}
	if len(fake.captureKeys) != 2 || fake.captureKeys[0] != fake.captureKeys[1] || fake.sum(fake.captured) != 3000 {
		t.Fatalf("provider saw keys %v and captured %d; want one key twice and 3000", fake.captureKeys, fake.sum(fake.captured))
	}
	collectionWant{payment.Authorized, 5000, 3000, 0}.check(t, svc, c.ID)
	// A third call with the key is a replay: no provider call.
	ok[*payment.Payment](t, "replay")(svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Key: "order-1-capture"}))
	if len(fake.captureKeys) != 2 {
		t.Fatalf("replay called the provider")
	}
}

// TestRefusedCaptureIsRecorded: a refusal marks the capture failed and
// releases its amount; the record stays, and its key answers with it.
func TestRefusedCaptureIsRecorded(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	_, p := authorizedPayment(t, svc, "pp_fake_default", 5000)
	fake.refuse = kassa.Errorf(kassa.EConflict, "order is not ready for capture")
	_, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Key: "k"})
	wantCode(t, "refused", err, kassa.EConflict)
	stored := ok[*payment.Payment](t, "Payment")(svc.Payment(ctx, mid, p.ID))
	if len(stored.Captures) != 1 || stored.Captures[0].Status != payment.Failed || stored.Capturable() != 5000 {
		t.Fatalf("after refusal: %+v", stored.Captures)
	}
	_, err = svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Key: "k"})
	wantCode(t, "same key again", err, kassa.EConflict)
	p = ok[*payment.Payment](t, "new key")(svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Key: "k2"}))
	if p.Captured() != 5000 || len(p.Captures) != 2 {
		t.Fatalf("after new capture: %+v", p.Captures)
	}
}

// TestWebhookRacesCapture: the provider's "captured" webhook for a
// capture arrives while the capture call is still waiting for its
// answer. The capture is recorded once.
func TestWebhookRacesCapture(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c, p := authorizedPayment(t, svc, "pp_fake_default", 5000)
	ps := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, p.SessionID))
	fake.hold, fake.started = make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := svc.Capture(ctx, mid, p.ID, payment.MovementRequest{Amount: 2000})
		done <- err
	}()
	<-fake.started
	body, _ := json.Marshal(fakeEvent{ID: "evt_cap", Action: paymod.ActionCaptured, Ref: ps.ProviderRef, Amount: 2000})
	hook := paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body}
	ok[*paymod.EventResult](t, "webhook")(svc.HandleProviderEvent(ctx, "pp_fake_default", hook))
	close(fake.hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := ok[*payment.Payment](t, "Payment")(svc.Payment(ctx, mid, p.ID))
	if len(got.Captures) != 1 || got.Captured() != 2000 || got.Captures[0].ProviderRef != "" {
		t.Fatalf("captures = %+v", got.Captures)
	}
	collectionWant{payment.Authorized, 5000, 2000, 0}.check(t, svc, c.ID)

	// A capture made at the provider alone is recorded from its webhook.
	body, _ = json.Marshal(fakeEvent{ID: "evt_cap2", Action: paymod.ActionCaptured, Ref: ps.ProviderRef})
	ok[*paymod.EventResult](t, "webhook")(svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Header: hook.Header, Body: body}))
	collectionWant{payment.Completed, 5000, 5000, 0}.check(t, svc, c.ID)
}

// TestWebhookStatuses: failure and cancel webhooks mark a session that is
// not authorized; they never touch an authorized one.
func TestWebhookStatuses(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	deliver := func(id, action string) {
		t.Helper()
		body, _ := json.Marshal(fakeEvent{ID: id, Action: action, Ref: ps.ProviderRef})
		ok[*paymod.EventResult](t, action)(svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body}))
	}
	want := func(status string) {
		t.Helper()
		if got := ok[*payment.Session](t, "Session")(svc.Session(ctx, mid, ps.ID)); got.Status != status {
			t.Fatalf("session status %s, want %s", got.Status, status)
		}
	}
	deliver("e1", paymod.ActionRequiresMore)
	want(payment.SessionRequiresMore)
	deliver("e2", paymod.ActionFailed)
	want(payment.SessionError)
	deliver("e3", paymod.ActionAuthorized)
	want(payment.SessionAuthorized)
	deliver("e4", paymod.ActionCanceled)
	want(payment.SessionAuthorized)
}

// TestSyncSession: without the webhook, asking the provider completes a
// pending authorization, and other statuses are saved.
func TestSyncSession(t *testing.T) {
	svc, fake := newService(t)
	ctx := t.Context()
	c := ok[*payment.Collection](t, "CreateCollection")(svc.CreateCollection(ctx, mid, "SEK", 5000, nil))
	ps := ok[*payment.Session](t, "CreateSession")(svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: "pp_fake_default"}))
	fake.authorize = []payment.ProviderResult{{Status: payment.SessionPendingAuthorization}}
	ok[*paymod.Authorization](t, "AuthorizeSession")(svc.AuthorizeSession(ctx, mid, ps.ID, nil))

	fake.status = payment.SessionRequiresMore
	a := ok[*paymod.Authorization](t, "SyncSession")(svc.SyncSession(ctx, mid, ps.ID))
	if !a.Pending() || a.Session.Status != payment.SessionRequiresMore {
		t.Fatalf("after sync = %+v", a.Session)
	}
	fake.status = payment.SessionAuthorized
	a = ok[*paymod.Authorization](t, "SyncSession")(svc.SyncSession(ctx, mid, ps.ID))
	if a.Pending() {
		t.Fatalf("after sync = %+v", a.Session)
	}
	collectionWant{payment.Authorized, 5000, 0, 0}.check(t, svc, c.ID)
	again := ok[*paymod.Authorization](t, "SyncSession again")(svc.SyncSession(ctx, mid, ps.ID))
	if again.Payment == nil || again.Payment.ID != a.Payment.ID {
		t.Fatalf("second sync = %+v", again)
	}
}
