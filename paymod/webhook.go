package paymod

import (
	"context"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/store"
)

// EventResult says what became of a webhook delivery.
type EventResult struct {
	Action    string
	Duplicate bool   // already processed: nothing was done
	Ignored   bool   // nothing to do for this action
	SessionID string // the session it was about, if any
}

// HandleProviderEvent verifies a webhook delivery with its provider,
// de-duplicates it by the provider's event id, and applies its action to
// the session it names:
//
//   - authorized: authorize the session (the provider is asked, so an
//     unverified payload never authorizes anything by itself);
//   - captured: authorize first if needed, then record the provider's
//     captured total, settling the pending captures it covers;
//   - failed, canceled, requires_more, pending_authorization: set the
//     status of a session not yet authorized;
//   - not_supported: nothing.
//
// Every action is idempotent, so a delivery racing a redelivery, or a
// direct call to the same effect, applies once. The event is marked
// processed only after its action succeeded: a delivery that failed half
// way is applied again on redelivery.
func (s *Service) HandleProviderEvent(ctx context.Context, providerID string, w Webhook) (*EventResult, error) {
	prov, ok := s.providers[providerID]
	if !ok {
		return nil, kassa.Errorf(kassa.ENotFound, "no payment provider %q", providerID)
	}
	ev, err := prov.ParseWebhook(ctx, w)
	if err != nil {
		return nil, providerError(providerID, err)
	}
	res := &EventResult{Action: ev.Action}
	if ev.Action == ActionNotSupported || ev.ID == "" {
		res.Ignored = true
		return res, nil
	}
	var rec *store.ProviderEvent
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if rec, err = tx.ProviderEvent(ctx, providerID, ev.ID); err != nil || rec != nil {
			return err
		}
		rec = &store.ProviderEvent{
			ProviderID: providerID, EventID: ev.ID, Status: store.EventReceived,
			Action: ev.Action, Body: w.Body, ReceivedAt: s.clock.Now(),
		}
		return tx.PutProviderEvent(ctx, rec)
	})
	if err != nil {
		return nil, err
	}
	if rec.Status == store.EventProcessed {
		res.Duplicate = true
		return res, nil
	}
	var ps *payment.Session
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		ps, err = tx.PaymentSessionByRef(ctx, providerID, ev.SessionRef)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.SessionID = ps.ID
	if err := s.apply(ctx, ps, ev); err != nil {
		return nil, err
	}
	done := *rec
	done.MerchantID, done.Status, done.ProcessedAt = ps.MerchantID, store.EventProcessed, s.clock.Now()
	return res, s.store.Update(ctx, func(tx store.Tx) error { return tx.PutProviderEvent(ctx, &done) })
}

func (s *Service) apply(ctx context.Context, ps *payment.Session, ev *Event) error {
	mid := ps.MerchantID
	switch ev.Action {
	case ActionAuthorized:
		_, err := s.authorize(ctx, mid, ps.ID, ev.Data, true)
		return err
	case ActionCaptured:
		a, err := s.authorize(ctx, mid, ps.ID, ev.Data, true)
		if err != nil {
			return err
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
			_, err = s.refresh(ctx, tx, env, mid, p.CollectionID)
			return err
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
		_, err = s.refresh(ctx, tx, env, mid, cur.CollectionID)
		return err
	})
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
