package paymod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/store"
)

// Service is the payment module.
type Service struct {
	store     store.Store
	providers Registry
	clock     kassa.Clock
	ids       kassa.IDs
	log       *slog.Logger
	hints     hintLimiter // bounds the provider calls of unverified webhooks
}

// New returns the module over a store with the given providers.
func New(log *slog.Logger, st store.Store, providers Registry, clock kassa.Clock, ids kassa.IDs) *Service {
	return &Service{store: st, providers: providers, clock: clock, ids: ids, log: log}
}

// Providers returns the registry.
func (s *Service) Providers() Registry { return s.providers }

func (s *Service) env() payment.Env { return payment.Env{Now: s.clock.Now(), IDs: s.ids} }

// staleRetries bounds how often an Update is re-run after losing a race
// to a concurrent save of the same record.
const staleRetries = 8

// update runs fn in an Update, re-running it from a fresh read when a
// versioned save found the record changed by a concurrent transaction.
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	for i := 0; ; i++ {
		err := s.store.Update(ctx, fn)
		if !errors.Is(err, store.ErrStale) || i == staleRetries {
			return err
		}
	}
}

// refresh re-derives a collection's amounts and status from its sessions
// and payments, and saves it if they changed.
func (s *Service) refresh(ctx context.Context, tx store.Tx, env payment.Env, merchantID, collectionID string) (*payment.Collection, error) {
	c, err := tx.PaymentCollection(ctx, merchantID, collectionID)
	if err != nil {
		return nil, err
	}
	sessions, err := tx.PaymentSessionsOf(ctx, merchantID, collectionID)
	if err != nil {
		return nil, err
	}
	payments, err := tx.PaymentsOf(ctx, merchantID, collectionID)
	if err != nil {
		return nil, err
	}
	next, err := c.Derive(env, sessions, payments)
	if err != nil || next == c {
		return c, err
	}
	return next, tx.UpdatePaymentCollection(ctx, next)
}

// CollectionView is a collection with its sessions and payments.
type CollectionView struct {
	*payment.Collection
	Sessions []*payment.Session
	Payments []*payment.Payment
}

// CreateCollection creates a payment collection.
func (s *Service) CreateCollection(ctx context.Context, merchantID, currency string, amount int64, metadata json.RawMessage) (*payment.Collection, error) {
	c, err := payment.NewCollection(s.env(), merchantID, currency, amount, metadata)
	if err != nil {
		return nil, err
	}
	return c, s.store.Update(ctx, func(tx store.Tx) error { return tx.CreatePaymentCollection(ctx, c) })
}

// Collection returns a collection with its sessions and payments.
func (s *Service) Collection(ctx context.Context, merchantID, id string) (*CollectionView, error) {
	var v CollectionView
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		if v.Collection, err = tx.PaymentCollection(ctx, merchantID, id); err != nil {
			return err
		}
		if v.Sessions, err = tx.PaymentSessionsOf(ctx, merchantID, id); err != nil {
			return err
		}
		v.Payments, err = tx.PaymentsOf(ctx, merchantID, id)
		return err
	})
	return &v, err
}

// Collections lists a merchant's collections, limit at a time after the
// ID after.
func (s *Service) Collections(ctx context.Context, merchantID, after string, limit int) ([]*payment.Collection, error) {
	var out []*payment.Collection
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		out, err = tx.PaymentCollections(ctx, merchantID, after, limit)
		return err
	})
	return out, err
}

// UpdateCollection changes a collection's amount or metadata.
func (s *Service) UpdateCollection(ctx context.Context, merchantID, id string, u payment.CollectionUpdate) (*payment.Collection, error) {
	var out *payment.Collection
	err := s.update(ctx, func(tx store.Tx) error {
		c, err := tx.PaymentCollection(ctx, merchantID, id)
		if err != nil {
			return err
		}
		env := s.env()
		next, err := c.Update(env, u)
		if err != nil {
			return err
		}
		if err := tx.UpdatePaymentCollection(ctx, next); err != nil {
			return err
		}
		out, err = s.refresh(ctx, tx, env, merchantID, id)
		return err
	})
	return out, err
}

// CancelCollection cancels a collection nothing of which was captured.
func (s *Service) CancelCollection(ctx context.Context, merchantID, id string) (*payment.Collection, error) {
	var out *payment.Collection
	err := s.update(ctx, func(tx store.Tx) error {
		c, err := tx.PaymentCollection(ctx, merchantID, id)
		if err != nil {
			return err
		}
		if out, err = c.Cancel(s.env()); err != nil || out == c {
			return err
		}
		return tx.UpdatePaymentCollection(ctx, out)
	})
	return out, err
}

// DeleteCollection deletes a collection that has no payments, with its
// sessions. Its sessions are not deleted at their providers: delete those
// first when the provider keeps state.
func (s *Service) DeleteCollection(ctx context.Context, merchantID, id string) error {
	return s.store.Update(ctx, func(tx store.Tx) error { return tx.DeletePaymentCollection(ctx, merchantID, id) })
}

// Session returns a payment session.
func (s *Service) Session(ctx context.Context, merchantID, id string) (*payment.Session, error) {
	var out *payment.Session
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		out, err = tx.PaymentSession(ctx, merchantID, id)
		return err
	})
	return out, err
}

// Payment returns a payment.
func (s *Service) Payment(ctx context.Context, merchantID, id string) (*payment.Payment, error) {
	var out *payment.Payment
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		out, err = tx.Payment(ctx, merchantID, id)
		return err
	})
	return out, err
}

func sessionInput(ps *payment.Session) SessionInput {
	return SessionInput{
		Key: ps.ID, SessionID: ps.ID, Ref: ps.ProviderRef, Currency: ps.Currency,
		Amount: ps.Amount, Data: ps.Data, Context: ps.Context,
	}
}

// CreateSession creates a session of a collection and initiates it at its
// provider. The provider is called first, with the new session's ID as
// its idempotency key, and the session is saved once with the answer: a
// session that never got saved leaves at most an unused provider session,
// which moves no money. A provider failure is saved on the session
// (status error) and returned with it.
func (s *Service) CreateSession(ctx context.Context, merchantID, collectionID string, p payment.SessionParams) (*payment.Session, error) {
	prov, err := s.providers.Get(p.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	var ps *payment.Session
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		c, err := tx.PaymentCollection(ctx, merchantID, collectionID)
		if err != nil {
			return err
		}
		ps, err = payment.NewSession(s.env(), c, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	res, callErr := prov.Initiate(ctx, sessionInput(ps))
	var out *payment.Session
	err = s.update(ctx, func(tx store.Tx) error {
		c, err := tx.PaymentCollection(ctx, merchantID, collectionID)
		if err != nil {
			return err
		}
		env := s.env()
		if _, err := payment.NewSession(env, c, p); err != nil {
			return err // the collection changed meanwhile
		}
		if out, err = ps.Initiated(env, res, callErr); err != nil {
			return err
		}
		out.Version = ps.Version // a new row, however often it was touched
		if err := tx.CreatePaymentSession(ctx, out); err != nil {
			return err
		}
		_, err = s.refresh(ctx, tx, env, merchantID, collectionID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, providerError(ps.ProviderID, callErr)
}

// recordSession saves a provider's answer about a session (Initiated) and
// returns the session, with the provider's error if there was one.
func (s *Service) recordSession(ctx context.Context, ps *payment.Session, res payment.ProviderResult, callErr error) (*payment.Session, error) {
	var out *payment.Session
	err := s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, ps.MerchantID, ps.ID)
		if err != nil {
			return err
		}
		if out, err = cur.Initiated(s.env(), res, callErr); err != nil {
			return err
		}
		return tx.UpdatePaymentSession(ctx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, providerError(ps.ProviderID, callErr)
}

// providerError is what callers see of a provider's error: its refusal as
// it stated it, or an internal error for an unknown outcome (which the
// caller may retry).
func providerError(providerID string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*kassa.Error](err); ok {
		return err
	}
	return fmt.Errorf("payment provider %s: %w", providerID, err)
}

// UpdateSession changes a session before authorization and tells its
// provider.
func (s *Service) UpdateSession(ctx context.Context, merchantID, id string, u payment.SessionUpdate) (*payment.Session, error) {
	var ps *payment.Session
	err := s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, merchantID, id)
		if err != nil {
			return err
		}
		c, err := tx.PaymentCollection(ctx, merchantID, cur.CollectionID)
		if err != nil {
			return err
		}
		if ps, err = cur.Update(s.env(), c, u); err != nil {
			return err
		}
		return tx.UpdatePaymentSession(ctx, ps)
	})
	if err != nil {
		return nil, err
	}
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	res, callErr := prov.Update(ctx, sessionInput(ps))
	return s.recordSession(ctx, ps, res, callErr)
}

// DeleteSession deletes a session that never became a payment, first at
// its provider.
func (s *Service) DeleteSession(ctx context.Context, merchantID, id string) error {
	ps, err := s.Session(ctx, merchantID, id)
	if err != nil {
		return err
	}
	if err := ps.CheckDelete(); err != nil {
		return err
	}
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return err
	}
	if err := prov.Delete(ctx, sessionInput(ps)); err != nil {
		return providerError(ps.ProviderID, err)
	}
	return s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, merchantID, id)
		if err != nil {
			return err
		}
		if err := cur.CheckDelete(); err != nil {
			return err // authorized since it was read
		}
		if err := tx.DeletePaymentSession(ctx, merchantID, id); err != nil {
			return err
		}
		_, err = s.refresh(ctx, tx, s.env(), merchantID, cur.CollectionID)
		return err
	})
}

// Authorization is the outcome of authorizing a session: the payment, or
// (Payment nil) the session whose Status says what the customer must do
// first: requires_more (more input, then authorize again) or
// pending_authorization (wait: the provider completes it later, usually
// announced by a webhook).
type Authorization struct {
	Session *payment.Session
	Payment *payment.Payment
}

// Pending says the authorization is not complete yet.
func (a *Authorization) Pending() bool { return a.Payment == nil }

// AuthorizeSession authorizes a session at its provider and creates its
// payment. Authorizing an authorized session returns its payment; one
// that answered requires_more or pending_authorization can be authorized
// again. extra, if any, is merged into the session's data first (what
// the buyer's dialog produced). A refusal (status error or canceled) is
// ERejected; an unreachable provider is recorded and returned as an
// internal error, and the same call may be retried.
func (s *Service) AuthorizeSession(ctx context.Context, merchantID, id string, extra map[string]any) (*Authorization, error) {
	ps, err := s.Session(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	if err := ps.CheckAuthorize(); err != nil {
		return nil, err
	}
	if ps.Status != payment.SessionAuthorized && len(extra) > 0 {
		err := s.update(ctx, func(tx store.Tx) error {
			cur, err := tx.PaymentSession(ctx, merchantID, id)
			if err != nil {
				return err
			}
			if ps, err = cur.WithData(s.env(), extra); err != nil || ps == cur {
				return err
			}
			return tx.UpdatePaymentSession(ctx, ps)
		})
		if err != nil {
			return nil, err
		}
	}
	if ps.Status == payment.SessionAuthorized {
		return s.authorization(ctx, ps)
	}
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	res, callErr := prov.Authorize(ctx, sessionInput(ps))
	if _, refused := errors.AsType[*kassa.Error](callErr); refused {
		res = payment.ProviderResult{Status: payment.SessionError}
	}
	var out Authorization
	err = s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, merchantID, id)
		if err != nil {
			return err
		}
		env := s.env()
		if callErr != nil && res.Status == "" {
			out.Session = cur.Failed(env, callErr)
			return tx.UpdatePaymentSession(ctx, out.Session)
		}
		next, pay, err := cur.Authorized(env, res)
		if err != nil {
			return err
		}
		if callErr != nil {
			next.Failure = callErr.Error()
		}
		out.Session, out.Payment = next, pay
		if next == cur {
			// A concurrent authorization won; its payment is the answer.
			out.Payment, err = tx.Payment(ctx, merchantID, cur.PaymentID)
			return err
		}
		if err := tx.UpdatePaymentSession(ctx, next); err != nil {
			return err
		}
		if pay != nil {
			if err := tx.CreatePayment(ctx, pay); err != nil {
				return err
			}
		}
		_, err = s.refresh(ctx, tx, env, merchantID, cur.CollectionID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if callErr != nil {
		return &out, providerError(ps.ProviderID, callErr)
	}
	switch out.Session.Status {
	case payment.SessionError, payment.SessionCanceled:
		return &out, kassa.Errorf(kassa.ERejected, "payment session %s was not authorized by the provider (%s)", id, out.Session.Status)
	}
	return &out, nil
}

// authorization answers for an authorized session: its payment.
func (s *Service) authorization(ctx context.Context, ps *payment.Session) (*Authorization, error) {
	p, err := s.Payment(ctx, ps.MerchantID, ps.PaymentID)
	if err != nil {
		return nil, err
	}
	return &Authorization{Session: ps, Payment: p}, nil
}

// Capture captures r.Amount (0: all that is left) of a payment. Never more
// than authorized less captured (pending captures included) is captured,
// however many run at once. Retrying with r.Key after an unknown outcome
// sends the provider the same idempotency key.
func (s *Service) Capture(ctx context.Context, merchantID, paymentID string, r payment.MovementRequest) (*payment.Payment, error) {
	return s.move(ctx, merchantID, paymentID, payment.KindCapture, r)
}

// Refund refunds r.Amount (0: all that is left) of what a payment captured.
func (s *Service) Refund(ctx context.Context, merchantID, paymentID string, r payment.MovementRequest) (*payment.Payment, error) {
	return s.move(ctx, merchantID, paymentID, payment.KindRefund, r)
}

// Cancel cancels a payment nothing of which is captured.
func (s *Service) Cancel(ctx context.Context, merchantID, paymentID string, r payment.MovementRequest) (*payment.Payment, error) {
	return s.move(ctx, merchantID, paymentID, payment.KindCancel, r)
}

// move is the three steps of a capture, refund or cancellation.
func (s *Service) move(ctx context.Context, merchantID, paymentID, kind string, r payment.MovementRequest) (*payment.Payment, error) {
	var (
		p  *payment.Payment
		ps *payment.Session
		m  payment.Movement
	)
	err := s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.Payment(ctx, merchantID, paymentID)
		if err != nil {
			return err
		}
		next, mv, err := cur.Begin(s.env(), kind, r)
		if err != nil {
			return err
		}
		p, m = next, *mv
		if next == cur {
			return nil
		}
		return tx.UpdatePayment(ctx, next)
	})
	if err != nil {
		return nil, err
	}
	switch m.Status {
	case payment.Succeeded:
		return p, nil
	case payment.Failed:
		return p, kassa.Errorf(kassa.EConflict, "%s %s failed at the provider: %s", kind, m.ID, m.Failure)
	}
	prov, err := s.providers.Get(p.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	// Read apart from the payment's transaction, which then locks only the
	// payment: transactions lock a session before its payment, never after.
	if ps, err = s.Session(ctx, merchantID, p.SessionID); err != nil {
		return nil, err
	}
	in := MovementInput{Key: m.ID, Payment: p, Session: ps, Amount: m.Amount, Note: m.Note}
	var res MovementResult
	switch kind {
	case payment.KindCapture:
		res, err = prov.Capture(ctx, in)
	case payment.KindRefund:
		res, err = prov.Refund(ctx, in)
	default:
		res, err = prov.Cancel(ctx, in)
	}
	_, definite := errors.AsType[*kassa.Error](err)
	o := payment.Outcome{Err: err, Definite: definite, Ref: res.Ref, Data: res.Data}
	var out *payment.Payment
	uerr := s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.Payment(ctx, merchantID, paymentID)
		if err != nil {
			return err
		}
		env := s.env()
		if out, err = cur.Settle(env, m.ID, o); err != nil || out == cur {
			return err
		}
		if err := tx.UpdatePayment(ctx, out); err != nil {
			return err
		}
		_, err = s.refresh(ctx, tx, env, merchantID, cur.CollectionID)
		return err
	})
	if uerr != nil {
		return nil, uerr
	}
	if err != nil && !definite {
		s.log.Warn("payment provider call failed; the movement stays pending for a retry with the same key",
			"provider", p.ProviderID, "payment", p.ID, "movement", m.ID, "kind", kind, "err", err)
	}
	return out, providerError(p.ProviderID, err)
}
