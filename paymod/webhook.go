package paymod

import (
	"context"
	"sync"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/store"
)

// EventResult says what became of a webhook delivery.
type EventResult struct {
	Action    string
	Duplicate bool   // already applied, by an earlier or a concurrent delivery: nothing was done
	Ignored   bool   // nothing to do for this action
	SessionID string // the session it was about, if any
}

// HandleProviderEvent handles a webhook delivery. The provider verifies it
// first, calling no one (ParseWebhook): a delivery that fails verification
// changes and stores nothing. What follows depends on what it means.
//
// A verified event is claimed under its provider's event id
// (store.ProviderEvent): one delivery applies it, and a delivery of the
// same event that arrives meanwhile waits for that one's outcome. It is
// then answered as a duplicate, or, if the first failed, applies the
// event itself. The event is marked processed only after its action
// succeeded, so a delivery that failed half way is applied again on
// redelivery. Its action is applied to the session it names:
//
//   - authorized: authorize the session (the provider is asked, so even
//     a verified payload never authorizes anything by itself);
//   - captured: authorize first if needed, then record the provider's
//     captured total, settling the pending captures it covers;
//   - failed, canceled, requires_more, pending_authorization: set the
//     status of a session not yet authorized;
//   - not_supported: nothing.
//
// A hint (ActionSync, from a provider that cannot verify its deliveries)
// is not recorded: the session it names is synced with the provider
// (SyncSession), acting only on what the provider answers. Hints are
// bounded per process (hintLimiter) before the session is even looked
// up; over the bound they are ERateLimited, and the sender retries them
// later. A hint naming no session is answered as one naming a session.
func (s *Service) HandleProviderEvent(ctx context.Context, providerID string, w Webhook) (*EventResult, error) {
	prov, ok := s.providers[providerID]
	if !ok {
		return nil, kassa.Errorf(kassa.ENotFound, "no payment provider %q", providerID)
	}
	w.ReceivedAt = s.clock.Now()
	ev, err := prov.ParseWebhook(ctx, w)
	if err != nil {
		return nil, providerError(providerID, err)
	}
	res := &EventResult{Action: ev.Action}
	if ev.Action == ActionNotSupported || (ev.ID == "" && ev.Action != ActionSync) {
		res.Ignored = true
		return res, nil
	}
	if ev.Action == ActionSync {
		return res, s.hint(ctx, providerID, ev.SessionRef, res)
	}
	ps, err := s.sessionByRef(ctx, providerID, ev.SessionRef)
	if err != nil {
		return nil, err
	}
	res.SessionID = ps.ID
	return res, s.applyOnce(ctx, ps, ev, w.Body, res)
}

// sessionByRef reads the session a provider names by its reference.
func (s *Service) sessionByRef(ctx context.Context, providerID, ref string) (*payment.Session, error) {
	var ps *payment.Session
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		ps, err = tx.PaymentSessionByRef(ctx, providerID, ref)
		return err
	})
	return ps, err
}

// claimLease is how long a delivery may spend applying an event before a
// delivery of the same event may take it over. The action runs under a
// deadline this long, so a claim outlives its work only when its process
// died, and then it ends by itself.
const claimLease = 2 * time.Minute

// Outcomes of claiming an event.
const (
	claimTaken     = iota // this delivery applies it
	claimBusy             // another delivery is applying it
	claimProcessed        // applied already
)

// applyOnce applies a verified event unless it was applied already,
// waiting while another delivery of it is at work (see
// HandleProviderEvent).
func (s *Service) applyOnce(ctx context.Context, ps *payment.Session, ev *Event, body []byte, res *EventResult) error {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		rec, state, err := s.claim(ctx, ps, ev, body)
		switch {
		case err != nil:
			return err
		case state == claimProcessed:
			res.Duplicate = true
			return nil
		case state == claimTaken:
			return s.applyClaimed(ctx, ps, ev, rec)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// claim records the event, or finds it recorded, and claims it for this
// delivery unless it was processed or another delivery's claim holds.
// ProviderEvent locks the event, recorded or not, so concurrent claims
// take turns on every store.
func (s *Service) claim(ctx context.Context, ps *payment.Session, ev *Event, body []byte) (*store.ProviderEvent, int, error) {
	var (
		rec   *store.ProviderEvent
		state int
	)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if rec, err = tx.ProviderEvent(ctx, ps.ProviderID, ev.ID); err != nil {
			return err
		}
		now := s.clock.Now()
		switch {
		case rec == nil:
			rec = &store.ProviderEvent{
				ProviderID: ps.ProviderID, EventID: ev.ID, Status: store.EventReceived,
				Action: ev.Action, Body: body, ReceivedAt: now,
			}
		case rec.Status == store.EventProcessed:
			state = claimProcessed
			return nil
		case rec.ClaimedUntil.After(now):
			state = claimBusy
			return nil
		}
		state = claimTaken
		rec.MerchantID, rec.ClaimedUntil = ps.MerchantID, now.Add(claimLease)
		return tx.PutProviderEvent(ctx, rec)
	})
	return rec, state, err
}

// applyClaimed applies a claimed event, then marks it processed, or gives
// the claim back if the action failed so that the next delivery applies
// it at once. The work belongs to the event, not to the request: it runs
// on if the sender stops waiting, up to the claim's lease.
func (s *Service) applyClaimed(ctx context.Context, ps *payment.Session, ev *Event, rec *store.ProviderEvent) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimLease)
	defer cancel()
	err := s.apply(ctx, ps, ev)
	done := *rec
	done.ClaimedUntil = time.Time{}
	if err == nil {
		done.Status, done.ProcessedAt = store.EventProcessed, s.clock.Now()
	}
	if uerr := s.store.Update(ctx, func(tx store.Tx) error { return tx.PutProviderEvent(ctx, &done) }); err == nil {
		err = uerr
	}
	return err
}

func (s *Service) apply(ctx context.Context, ps *payment.Session, ev *Event) error {
	mid := ps.MerchantID
	switch ev.Action {
	case ActionAuthorized:
		_, err := s.authorize(ctx, mid, ps.ID, ev.Data, true)
		return s.unlessUndone(ctx, ps, err)
	case ActionCaptured:
		a, err := s.authorize(ctx, mid, ps.ID, ev.Data, true)
		if err != nil {
			return s.unlessUndone(ctx, ps, err)
		}
		if a.Pending() {
			return kassa.Errorf(kassa.EConflict, "provider reports session %s captured but answers %s", ps.ID, a.Session.Status)
		}
		return s.update(ctx, func(tx store.Tx) error {
			p, err := tx.Payment(ctx, mid, a.Payment.ID)
			if err != nil {
				return err
			}
			total := ev.Amount
			if total == 0 {
				total = p.Amount
			}
			env := s.env()
			next, err := p.CapturedByProvider(env, total)
			if err != nil || next == p {
				return err
			}
			if err := tx.UpdatePayment(ctx, next); err != nil {
				return err
			}
			r, err := lockCollection(ctx, tx, mid, p.CollectionID)
			if err != nil {
				return err
			}
			return r.refresh(ctx, tx, env)
		})
	}
	status := map[string]string{
		ActionFailed:               payment.SessionError,
		ActionCanceled:             payment.SessionCanceled,
		ActionRequiresMore:         payment.SessionRequiresMore,
		ActionPendingAuthorization: payment.SessionPendingAuthorization,
	}[ev.Action]
	if status == "" {
		return kassa.Errorf(kassa.EInternal, "provider %s answered unknown webhook action %q", ps.ProviderID, ev.Action)
	}
	return s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, mid, ps.ID)
		if err != nil {
			return err
		}
		env := s.env()
		next := cur.Event(env, status)
		if next == cur {
			return nil
		}
		if err := tx.UpdatePaymentSession(ctx, next); err != nil {
			return err
		}
		r, err := lockCollection(ctx, tx, mid, cur.CollectionID)
		if err != nil {
			return err
		}
		return r.refresh(ctx, tx, env)
	})
}

// unlessUndone is err, the outcome of authorizing a session a provider
// reported authorized, unless err is a refusal whose undoing is complete:
// the session is canceled and its void has its outcome at the provider
// (succeeded, or refused for good). A redelivery of the event could change
// nothing more, so the event is processed (nil). A void still pending
// keeps the error, so that the sender redelivers and the void is sent
// again.
func (s *Service) unlessUndone(ctx context.Context, ps *payment.Session, err error) error {
	if kassa.ErrorCode(err) != kassa.EConflict {
		return err
	}
	cur, rerr := s.Session(ctx, ps.MerchantID, ps.ID)
	if rerr != nil || cur.Status != payment.SessionCanceled || cur.Void == nil || cur.VoidPending() {
		return err
	}
	s.log.InfoContext(ctx, "a provider reported an authorization the module refused and canceled at the provider",
		"provider", ps.ProviderID, "session", ps.ID, "void", cur.Void.ID, "void_status", cur.Void.Status, "reason", cur.Failure)
	return nil
}

// hint syncs the session an unverified delivery names by ref, within the
// limiter's bounds, which are taken before anything is read: a flood of
// forged deliveries costs at most the bounded lookups. An unknown
// reference is answered as a known one is, so that hints do not tell
// their sender which references exist. A session that is authorized or
// canceled has nothing left that a sync could change, so its hints call
// no one.
func (s *Service) hint(ctx context.Context, providerID, ref string, res *EventResult) error {
	if !s.hints.acquire(s.clock.Now()) {
		return kassa.Errorf(kassa.ERateLimited, "too many unverified webhook deliveries at once; retry later")
	}
	defer s.hints.release()
	ps, err := s.sessionByRef(ctx, providerID, ref)
	switch {
	case kassa.ErrorCode(err) == kassa.ENotFound:
		return nil
	case err != nil:
		return err
	}
	res.SessionID = ps.ID
	if ps.Status == payment.SessionAuthorized || ps.Status == payment.SessionCanceled {
		return nil
	}
	_, err = s.SyncSession(ctx, ps.MerchantID, ps.ID)
	return err
}

// The bounds of hints: at most hintConcurrency at once, and a token
// bucket (hintQuota: 20 at once, 5 more a second). Forged deliveries
// cost at most this many session lookups and provider calls.
const hintConcurrency = 4

var hintQuota = limit.Quota{Rate: 5, Burst: 20}

// hintLimiter bounds the lookups and provider calls that hints cause, per
// process. The zero value is ready to use.
type hintLimiter struct {
	mu      sync.Mutex
	running int
	bucket  limit.Bucket
}

// acquire takes a slot and a token at now, or reports that either is
// lacking.
func (l *hintLimiter) acquire(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running == hintConcurrency || l.bucket.Take(hintQuota, now) > 0 {
		return false
	}
	l.running++
	return true
}

func (l *hintLimiter) release() {
	l.mu.Lock()
	l.running--
	l.mu.Unlock()
}

// SyncSession asks the provider for the status of a session not yet
// authorized, for when a webhook may have been lost: a provider that says
// authorized gets the session authorized (AuthorizeSession), any other
// status is saved on the session as a webhook's would be.
func (s *Service) SyncSession(ctx context.Context, merchantID, id string) (*Authorization, error) {
	ps, err := s.begin(ctx, merchantID, id, nil)
	if err != nil {
		return nil, err
	}
	if ps.Status == payment.SessionAuthorized {
		return s.AuthorizeSession(ctx, merchantID, id, nil) // answers with its payment
	}
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	res, err := prov.Status(ctx, sessionInput(ps))
	if err != nil {
		return nil, providerError(ps.ProviderID, err)
	}
	switch res.Status {
	case payment.SessionAuthorized, payment.SessionCaptured:
		return s.authorize(ctx, merchantID, id, nil, true)
	case "":
		return s.answerSession(ctx, merchantID, id)
	}
	ev := &Event{Action: map[string]string{
		payment.SessionError: ActionFailed, payment.SessionCanceled: ActionCanceled,
		payment.SessionRequiresMore: ActionRequiresMore, payment.SessionPendingAuthorization: ActionPendingAuthorization,
	}[res.Status]}
	if ev.Action != "" {
		if err := s.apply(ctx, ps, ev); err != nil {
			return nil, err
		}
	}
	return s.answerSession(ctx, merchantID, id)
}
