package paymod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

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
	hints     *hintLimiter // bounds the work of unverified webhooks, shared by WithKey's copies
	key       Key
}

// New returns the module over a store with the given providers.
func New(log *slog.Logger, st store.Store, providers Registry, clock kassa.Clock, ids kassa.IDs) *Service {
	return &Service{store: st, providers: providers, clock: clock, ids: ids, log: log, key: noKey{}, hints: &hintLimiter{}}
}

// Key ties a call to its caller's idempotency key (package api's
// Idempotency-Key), so that retries of the call — after a lost answer, a
// crash, or on another replica — do its work once and answer as it did.
// A call claims the key at the start of each of its write transactions
// and stores its answer in the transaction of its last change, so the
// change and the answer commit together. A call that talks to a provider
// between transactions also records, in its first transaction, that it
// has begun and what it created: a retry resumes that call, with the same
// records and the same provider idempotency keys, instead of starting
// another.
type Key interface {
	// Claim claims the key for the rest of tx: meanwhile, another
	// transaction that claims it fails with EIdempotencyInFlight. It
	// returns what an earlier try of the call recorded with Intend (nil
	// if nothing); when an earlier try has answered, it fails with an
	// error that carries that answer, and the call does nothing.
	Claim(ctx context.Context, tx store.Tx) (intent []byte, err error)
	// Intend records that the call has begun, and intent, what a retry
	// needs to resume it.
	Intend(ctx context.Context, tx store.Tx, intent []byte) error
	// Answer stores result as the call's answer.
	Answer(ctx context.Context, tx store.Tx, result any) error
}

// noKey is the Key of calls made without one.
type noKey struct{}

func (noKey) Claim(context.Context, store.Tx) ([]byte, error) { return nil, nil }
func (noKey) Intend(context.Context, store.Tx, []byte) error  { return nil }
func (noKey) Answer(context.Context, store.Tx, any) error     { return nil }

// WithKey returns the module making its calls under k.
func (s *Service) WithKey(k Key) *Service {
	n := *s
	n.key = k
	return &n
}

// Providers returns the registry.
func (s *Service) Providers() Registry { return s.providers }

func (s *Service) env() payment.Env { return payment.Env{Now: s.clock.Now(), IDs: s.ids} }

// staleRetries bounds how often an Update is re-run after losing a race
// to a concurrent save of the same record.
const staleRetries = 8

// callLease is how long a session stays marked with a provider call under
// way (Session.StartCall). The call itself runs under a deadline of half
// that, so a mark outlives its call, and ends by itself only when its
// process died.
const callLease = 2 * time.Minute

// startCall marks ps with a provider call of kind under way. intent is
// what an earlier try of the call recorded, the ID of its mark, which a
// retry takes again.
func (s *Service) startCall(env payment.Env, ps *payment.Session, kind string, intent []byte) (*payment.Session, error) {
	id := string(intent)
	if id == "" {
		id = env.IDs.New(payment.PrefixCall)
	}
	return ps.StartCall(env, kind, id, env.Now.Add(callLease))
}

// endCall removes the mark of a call that ended with nothing to record.
func (s *Service) endCall(ctx context.Context, ps *payment.Session) error {
	return s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, ps.MerchantID, ps.ID)
		if err != nil {
			return err
		}
		if next := cur.EndCall(s.env(), ps.InFlight.ID); next != cur {
			return tx.UpdatePaymentSession(ctx, next)
		}
		return nil
	})
}

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

// once runs fn as the one transaction of a call: it claims the call's key
// first, and stores what fn returns as the call's answer.
func (s *Service) once(ctx context.Context, fn func(tx store.Tx) (any, error)) error {
	return s.update(ctx, func(tx store.Tx) error {
		if _, err := s.key.Claim(ctx, tx); err != nil {
			return err
		}
		v, err := fn(tx)
		if err != nil {
			return err
		}
		return s.key.Answer(ctx, tx, v)
	})
}

// begin is the first transaction of a call about a session that then
// talks to its provider: it claims the call's key, reads the session,
// checks it with check (if any), and records that the call has begun.
func (s *Service) begin(ctx context.Context, merchantID, id string, check func(*payment.Session) error) (*payment.Session, error) {
	var ps *payment.Session
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := s.key.Claim(ctx, tx); err != nil {
			return err
		}
		var err error
		if ps, err = tx.PaymentSession(ctx, merchantID, id); err != nil {
			return err
		}
		if check != nil {
			if err := check(ps); err != nil {
				return err
			}
		}
		return s.key.Intend(ctx, tx, nil)
	})
	return ps, err
}

// records are a collection's records as a transaction holds them: read
// under the collection's lock (lockCollection), with what the
// transaction has changed since put in their place. The collection is
// derived from them (refresh) without reading them again: what Derive
// counts (which sessions the collection has, and its payments' amounts,
// cancellations and settled movements) changes only in transactions
// that take the collection's lock before they commit, so none of it
// changes while the lock is held.
type records struct {
	c        *payment.Collection
	sessions []*payment.Session
	payments []*payment.Payment
}

// fromStore is the records a store read.
func fromStore(r *store.CollectionRecords) *records {
	return &records{c: r.Collection, sessions: r.Sessions, payments: r.Payments}
}

// lockCollection reads a collection's records, locking the collection in
// a read-write transaction before its sessions and payments are read.
// Payments are created, and captures begun, only under that lock, so none
// appears while it is held.
func lockCollection(ctx context.Context, tx store.Tx, merchantID, id string) (*records, error) {
	r, err := tx.PaymentCollectionRecords(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	return fromStore(r), nil
}

// putSession puts ps, saved by the transaction, in place of the session
// it changed, or adds it.
func (r *records) putSession(ps *payment.Session) {
	r.sessions = put(r.sessions, ps, func(x *payment.Session) bool { return x.ID == ps.ID })
}

// putPayment is putSession for a payment.
func (r *records) putPayment(p *payment.Payment) {
	r.payments = put(r.payments, p, func(x *payment.Payment) bool { return x.ID == p.ID })
}

// put replaces the element of list that is v's earlier version (same),
// or appends v.
func put[T any](list []*T, v *T, same func(*T) bool) []*T {
	if i := slices.IndexFunc(list, same); i >= 0 {
		list[i] = v
		return list
	}
	return append(list, v)
}

// refresh re-derives the collection's amounts and status from its
// sessions and payments, and saves it if they changed.
func (r *records) refresh(ctx context.Context, tx store.Tx, env payment.Env) error {
	next, err := r.c.Derive(env, r.sessions, r.payments)
	if err != nil || next == r.c {
		return err
	}
	if err := tx.UpdatePaymentCollection(ctx, next); err != nil {
		return err
	}
	r.c = next
	return nil
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
	return c, s.once(ctx, func(tx store.Tx) (any, error) { return c, tx.CreatePaymentCollection(ctx, c) })
}

// Collection returns a collection with its sessions and payments.
func (s *Service) Collection(ctx context.Context, merchantID, id string) (*CollectionView, error) {
	var v CollectionView
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		r, err := tx.PaymentCollectionRecords(ctx, merchantID, id)
		if err == nil {
			v = CollectionView{Collection: r.Collection, Sessions: r.Sessions, Payments: r.Payments}
		}
		return err
	})
	return &v, err
}

// Collections lists up to f.Limit of a merchant's collections that match
// f, newest first. afterID, if not "", continues after that collection
// (f.After is then its place): an ID that is not one of the merchant's
// collections is EInvalid.
func (s *Service) Collections(ctx context.Context, merchantID, afterID string, f store.CollectionFilter) ([]*payment.Collection, error) {
	var out []*payment.Collection
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		if afterID != "" {
			c, err := tx.PaymentCollection(ctx, merchantID, afterID)
			if kassa.ErrorCode(err) == kassa.ENotFound {
				return kassa.Invalid("after", "after must be the ID of one of your payment collections")
			} else if err != nil {
				return err
			}
			f.After = &store.ListPosition{CreatedAt: c.CreatedAt, ID: c.ID}
		}
		var err error
		out, err = tx.PaymentCollections(ctx, merchantID, f)
		return err
	})
	return out, err
}

// UpdateCollection changes a collection's amount or metadata. The amount
// cannot drop below what its payments authorize.
func (s *Service) UpdateCollection(ctx context.Context, merchantID, id string, u payment.CollectionUpdate) (*payment.Collection, error) {
	var out *payment.Collection
	err := s.once(ctx, func(tx store.Tx) (any, error) {
		r, err := lockCollection(ctx, tx, merchantID, id)
		if err != nil {
			return nil, err
		}
		env := s.env()
		next, err := r.c.Update(env, u)
		if err != nil {
			return nil, err
		}
		if err := tx.UpdatePaymentCollection(ctx, next); err != nil {
			return nil, err
		}
		r.c = next
		if err := r.refresh(ctx, tx, env); err != nil {
			return nil, err
		}
		out = r.c
		return out, nil
	})
	return out, err
}

// CancelCollection cancels a collection nothing of which was captured or
// is being captured.
func (s *Service) CancelCollection(ctx context.Context, merchantID, id string) (*payment.Collection, error) {
	var out *payment.Collection
	err := s.once(ctx, func(tx store.Tx) (any, error) {
		r, err := lockCollection(ctx, tx, merchantID, id)
		if err != nil {
			return nil, err
		}
		if out, err = r.c.Cancel(s.env(), r.payments); err != nil || out == r.c {
			return out, err
		}
		return out, tx.UpdatePaymentCollection(ctx, out)
	})
	return out, err
}

// DeleteCollection deletes a collection that has no payments, with its
// sessions, each of which must be one DeleteSession would delete. Its
// sessions are not deleted at their providers: delete those first when
// the provider keeps state.
func (s *Service) DeleteCollection(ctx context.Context, merchantID, id string) error {
	return s.once(ctx, func(tx store.Tx) (any, error) {
		// Locked first: sessions become payments, or hold refused
		// authorizations, only under the collection's lock.
		if _, err := tx.PaymentCollection(ctx, merchantID, id); err != nil {
			return nil, err
		}
		sessions, err := tx.PaymentSessionsOf(ctx, merchantID, id)
		if err != nil {
			return nil, err
		}
		now := s.clock.Now()
		for _, ps := range sessions {
			if err := ps.CheckDelete(now); err != nil {
				return nil, err
			}
		}
		return nil, tx.DeletePaymentCollection(ctx, merchantID, id)
	})
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
		Amount: ps.Amount, Data: ps.Data, Context: ps.Context, Revision: ps.Revision,
	}
}

// CreateSession creates a session of a collection and initiates it at its
// provider. The session is saved first, and the provider is then called
// with the session's ID as its idempotency key: a retry of the call finds
// the session the first try saved and sends the same key again, so it
// creates neither a second session nor a second provider session. The
// provider's answer is saved on the session; a failure too (status
// error), and returned with it. The system provider is called before the
// session is saved, in the same transaction.
func (s *Service) CreateSession(ctx context.Context, merchantID, collectionID string, p payment.SessionParams) (*payment.Session, error) {
	prov, err := s.providers.Get(p.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	if local(prov) {
		return s.createSessionLocal(ctx, prov, merchantID, collectionID, p)
	}
	var ps *payment.Session
	err = s.update(ctx, func(tx store.Tx) error {
		earlier, err := s.key.Claim(ctx, tx)
		if err != nil {
			return err
		}
		if earlier != nil {
			ps, err = tx.PaymentSession(ctx, merchantID, string(earlier))
			return err
		}
		env := s.env()
		var r *records
		if ps, r, err = newSession(ctx, tx, env, merchantID, collectionID, p); err != nil {
			return err
		}
		if err := tx.CreatePaymentSession(ctx, ps); err != nil {
			return err
		}
		r.putSession(ps)
		if err := r.refresh(ctx, tx, env); err != nil {
			return err
		}
		return s.key.Intend(ctx, tx, []byte(ps.ID))
	})
	if err != nil {
		return nil, err
	}
	var (
		res     payment.ProviderResult
		callErr error
	)
	if ps.AwaitsProvider() {
		res, callErr = prov.Initiate(ctx, sessionInput(ps))
	}
	var out *payment.Session
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := s.key.Claim(ctx, tx); err != nil {
			return err
		}
		cur, err := tx.PaymentSession(ctx, merchantID, ps.ID)
		if err != nil {
			return err
		}
		out = cur
		if cur.AwaitsProvider() { // else a concurrent try has recorded the answer
			if out, err = cur.Initiated(s.env(), res, callErr); err != nil {
				return err
			}
			if err := tx.UpdatePaymentSession(ctx, out); err != nil {
				return err
			}
		}
		if callErr != nil {
			return nil
		}
		return s.key.Answer(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, providerError(ps.ProviderID, callErr)
}

// newSession makes a new session of a collection, not saved yet, and
// returns the collection's records, which saving it refreshes.
func newSession(ctx context.Context, tx store.Tx, env payment.Env, merchantID, collectionID string, p payment.SessionParams) (*payment.Session, *records, error) {
	r, err := lockCollection(ctx, tx, merchantID, collectionID)
	if err != nil {
		return nil, nil, err
	}
	ps, err := payment.NewSession(env, r.c, p)
	return ps, r, err
}

// createSessionLocal is CreateSession with the system provider, in one
// transaction: the session is saved as the provider initiated it, with
// the records the two transactions of a provider with I/O leave.
func (s *Service) createSessionLocal(ctx context.Context, prov Provider, merchantID, collectionID string, p payment.SessionParams) (*payment.Session, error) {
	var (
		out     *payment.Session
		callErr error
	)
	err := s.update(ctx, func(tx store.Tx) error {
		earlier, err := s.key.Claim(ctx, tx)
		if err != nil {
			return err
		}
		var (
			ps *payment.Session
			r  *records // the collection's, read with a new session
		)
		env := s.env()
		if earlier != nil { // an earlier try's, made by an older version in two transactions
			ps, err = tx.PaymentSession(ctx, merchantID, string(earlier))
		} else {
			ps, r, err = newSession(ctx, tx, env, merchantID, collectionID, p)
		}
		if err != nil {
			return err
		}
		out, callErr = ps, nil
		if ps.AwaitsProvider() {
			var res payment.ProviderResult
			res, callErr = prov.Initiate(ctx, sessionInput(ps))
			if out, err = ps.Initiated(env, res, callErr); err != nil {
				return err
			}
		}
		switch {
		case earlier == nil:
			if err := tx.CreatePaymentSession(ctx, out); err != nil {
				return err
			}
			r.putSession(out)
			if err := r.refresh(ctx, tx, env); err != nil {
				return err
			}
		case out != ps:
			if err := tx.UpdatePaymentSession(ctx, out); err != nil {
				return err
			}
		}
		if callErr != nil {
			if earlier != nil {
				return nil
			}
			return s.key.Intend(ctx, tx, []byte(out.ID))
		}
		return s.key.Answer(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, providerError(out.ProviderID, callErr)
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

// UpdateSession changes a session before authorization. The provider is
// told first and the change saved only once it has accepted it: a change
// it refuses, or whose outcome is unknown, changes nothing (retrying the
// same call sends the same update again). While the provider is being
// told, the session is marked (Session.StartCall): another update, an
// authorization or a delete of the session is refused meanwhile, so that
// the revision the update makes is sent to the provider by this call
// alone, and what the provider authorizes is what the session says.
func (s *Service) UpdateSession(ctx context.Context, merchantID, id string, u payment.SessionUpdate) (*payment.Session, error) {
	var marked, next *payment.Session
	err := s.update(ctx, func(tx store.Tx) error {
		earlier, err := s.key.Claim(ctx, tx)
		if err != nil {
			return err
		}
		cur, err := tx.PaymentSession(ctx, merchantID, id)
		if err != nil {
			return err
		}
		c, err := tx.PaymentCollection(ctx, merchantID, cur.CollectionID)
		if err != nil {
			return err
		}
		env := s.env()
		if next, err = cur.Update(env, c, u, payment.ProviderResult{}); err != nil {
			return err
		}
		if marked, err = s.startCall(env, cur, payment.CallUpdate, earlier); err != nil {
			return err
		}
		if err := tx.UpdatePaymentSession(ctx, marked); err != nil {
			return err
		}
		return s.key.Intend(ctx, tx, []byte(marked.InFlight.ID))
	})
	if err != nil {
		return nil, err
	}
	prov, err := s.providers.Get(next.ProviderID, "providerId")
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, callLease/2)
	res, err := prov.Update(callCtx, sessionInput(next))
	cancel()
	if err != nil {
		if eerr := s.endCall(ctx, marked); eerr != nil {
			s.log.WarnContext(ctx, "unmarking a session after its provider did not take an update failed; the mark ends by itself",
				"session", id, "err", eerr)
		}
		return nil, providerError(next.ProviderID, err)
	}
	var out *payment.Session
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := s.key.Claim(ctx, tx); err != nil {
			return err
		}
		cur, err := tx.PaymentSession(ctx, merchantID, id)
		if err != nil {
			return err
		}
		if cur.InFlight == nil || cur.InFlight.ID != marked.InFlight.ID {
			// Only when this call's mark ran out (its process stalled)
			// and another call took the session meanwhile.
			return kassa.Errorf(kassa.EConflict, "payment session %s changed while its provider was told of this update; send the update again", id)
		}
		c, err := tx.PaymentCollection(ctx, merchantID, cur.CollectionID)
		if err != nil {
			return err
		}
		if out, err = cur.Update(s.env(), c, u, res); err != nil {
			return err
		}
		if err := tx.UpdatePaymentSession(ctx, out); err != nil {
			return err
		}
		return s.key.Answer(ctx, tx, out)
	})
	return out, err
}

// DeleteSession deletes a session that never became a payment, first at
// its provider.
func (s *Service) DeleteSession(ctx context.Context, merchantID, id string) error {
	ps, err := s.begin(ctx, merchantID, id, func(ps *payment.Session) error { return ps.CheckDelete(s.clock.Now()) })
	if err != nil {
		return err
	}
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return err
	}
	if err := prov.Delete(ctx, sessionInput(ps)); err != nil {
		return providerError(ps.ProviderID, err)
	}
	return s.once(ctx, func(tx store.Tx) (any, error) {
		cur, err := tx.PaymentSession(ctx, merchantID, id)
		if err != nil {
			return nil, err
		}
		if err := cur.CheckDelete(s.clock.Now()); err != nil {
			return nil, err // authorized, or being authorized, since it was read
		}
		if err := tx.DeletePaymentSession(ctx, merchantID, id); err != nil {
			return nil, err
		}
		r, err := lockCollection(ctx, tx, merchantID, cur.CollectionID)
		if err != nil {
			return nil, err
		}
		return nil, r.refresh(ctx, tx, s.env())
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
// the buyer's dialog produced). Any refusal by the provider (an answer
// of status error or canceled, or a refused call) is ERejected; an
// unreachable provider is recorded and returned as an internal error,
// and the same call may be retried.
//
// The session's collection must take the payment (Collection.Admit): it
// is checked before the provider is asked, which is then not asked if it
// does not, and again in the transaction that creates the payment. An
// authorization the provider gave but the collection no longer takes
// (another session took it meanwhile) is refused with EConflict: the
// session is canceled, and the provider's authorization is canceled at
// the provider (Session.Void), again by each later call to authorize the
// session until the provider confirms it.
func (s *Service) AuthorizeSession(ctx context.Context, merchantID, id string, extra map[string]any) (*Authorization, error) {
	return s.authorize(ctx, merchantID, id, extra, false)
}

// authorize is AuthorizeSession. reported says the provider has reported
// the session authorized (a webhook, or its status): it holds an
// authorization already, so it is asked even when the collection would
// not take the payment, and the refusal then cancels that authorization.
func (s *Service) authorize(ctx context.Context, merchantID, id string, extra map[string]any, reported bool) (*Authorization, error) {
	var (
		ps, sent *payment.Session // as marked; as sent to the provider
		done     *Authorization
		joined   bool // the system provider was called in the first transaction
		res      payment.ProviderResult
		callErr  error
		out      Authorization
		admitErr *kassa.Error
	)
	err := s.update(ctx, func(tx store.Tx) error {
		done, joined = nil, false
		var (
			r   *records
			err error
		)
		if ps, r, done, err = s.authorizeBegin(ctx, tx, merchantID, id, extra, reported); err != nil || done != nil || ps.VoidPending() {
			return err
		}
		prov, err := s.providers.Get(ps.ProviderID, "providerId")
		if err != nil || !local(prov) {
			// The mark is saved for the call that runs after this
			// transaction; a joined call's end saves what it leads to.
			if err := tx.UpdatePaymentSession(ctx, ps); err != nil {
				return err
			}
			return s.key.Intend(ctx, tx, []byte(ps.InFlight.ID))
		}
		joined, sent = true, ps
		res, callErr = s.callAuthorize(ctx, prov, ps)
		// The collection took the payment under its lock, held since,
		// unless the provider reported the authorization (r nil).
		var answer bool
		if out, admitErr, answer, err = s.authorizeEnd(ctx, tx, ps, ps, res, callErr, r); err != nil {
			return err
		}
		if answer {
			return s.key.Answer(ctx, tx, &out)
		}
		return s.key.Intend(ctx, tx, []byte(ps.InFlight.ID))
	})
	switch {
	case err != nil:
		return nil, err
	case done != nil:
		return done, nil
	case ps.VoidPending():
		return nil, s.void(ctx, ps)
	}
	if !joined {
		prov, perr := s.providers.Get(ps.ProviderID, "providerId")
		if perr != nil {
			return nil, perr
		}
		sent = ps
		res, callErr = s.callAuthorize(ctx, prov, ps)
		err = s.update(ctx, func(tx store.Tx) error {
			if _, err := s.key.Claim(ctx, tx); err != nil {
				return err
			}
			cur, err := tx.PaymentSession(ctx, merchantID, id)
			if err != nil {
				return err
			}
			var answer bool
			if out, admitErr, answer, err = s.authorizeEnd(ctx, tx, ps, cur, res, callErr, nil); err != nil || !answer {
				return err
			}
			return s.key.Answer(ctx, tx, &out)
		})
	}
	refusal, refused := errors.AsType[*kassa.Error](callErr)
	switch {
	case kassa.ErrorCode(err) == kassa.ENotFound && callErr == nil &&
		(res.Status == payment.SessionAuthorized || res.Status == payment.SessionCaptured):
		return nil, s.voidGone(ctx, sent, res)
	case err != nil:
		return nil, err
	case admitErr != nil:
		return nil, s.void(ctx, out.Session)
	case refused:
		return &out, &kassa.Error{Code: kassa.ERejected, Message: fmt.Sprintf("payment session %s was not authorized by the provider: %s", id, refusal.Message), Err: callErr}
	case callErr != nil:
		return &out, providerError(ps.ProviderID, callErr)
	case rejected(out.Session.Status):
		return &out, kassa.Errorf(kassa.ERejected, "payment session %s was not authorized by the provider (%s)", id, out.Session.Status)
	}
	return &out, nil
}

// authorizeBegin is the first step of authorizing, after the key's claim:
// it answers with the payment of an authorized session (done), counts
// another attempt at a pending void, or checks that the session may be
// authorized and that its collection takes the payment (unless reported),
// and marks the session with the call (Session.StartCall). It returns the
// session marked, for the caller to save unless the call joins the
// transaction, and the collection's records when it took the payment.
func (s *Service) authorizeBegin(ctx context.Context, tx store.Tx, merchantID, id string, extra map[string]any, reported bool) (*payment.Session, *records, *Authorization, error) {
	earlier, err := s.key.Claim(ctx, tx)
	if err != nil {
		return nil, nil, nil, err
	}
	// Unless reported, the collection takes the payment under its lock,
	// read with the session's.
	var (
		cur *payment.Session
		r   *records
	)
	if reported {
		cur, err = tx.PaymentSession(ctx, merchantID, id)
	} else {
		var recs *store.CollectionRecords
		if cur, recs, err = tx.PaymentSessionRecords(ctx, merchantID, id); err == nil {
			r = fromStore(recs)
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	env := s.env()
	switch {
	case cur.Status == payment.SessionAuthorized:
		p, err := tx.Payment(ctx, merchantID, cur.PaymentID)
		if err != nil {
			return nil, nil, nil, err
		}
		done := &Authorization{Session: cur, Payment: p}
		return nil, nil, done, s.key.Answer(ctx, tx, done)
	case cur.VoidPending():
		ps := cur.RetryVoid(env)
		return ps, nil, nil, tx.UpdatePaymentSession(ctx, ps)
	}
	if err := cur.CheckAuthorize(); err != nil {
		return nil, nil, nil, err
	}
	if r != nil {
		if err := r.c.Admit(r.payments, cur.Amount); err != nil {
			return nil, nil, nil, err
		}
	}
	marked, err := s.startCall(env, cur, payment.CallAuthorize, earlier)
	if err != nil {
		return nil, nil, nil, err
	}
	ps, err := marked.WithData(extra)
	if err != nil {
		return nil, nil, nil, err
	}
	return ps, r, nil, nil
}

// callAuthorize asks the provider to authorize ps, under the call's
// deadline. A refusal is answered as status error.
func (s *Service) callAuthorize(ctx context.Context, prov Provider, ps *payment.Session) (payment.ProviderResult, error) {
	callCtx, cancel := context.WithTimeout(ctx, callLease/2)
	defer cancel()
	res, err := prov.Authorize(callCtx, sessionInput(ps))
	if _, refused := errors.AsType[*kassa.Error](err); refused {
		res = payment.ProviderResult{Status: payment.SessionError}
	}
	return res, err
}

// authorizeEnd records the provider's answer res (or callErr) to
// authorizing ps, on cur, the session as it is now: the payment, if the
// provider authorized and the collection takes it, else the session as
// the answer leaves it. r is the collection's records when the
// collection took the payment under its lock in this transaction; nil,
// authorizeEnd reads them and asks the collection. answer says the call
// is answered (its key then stores out); else out is what it returns
// with its error. admitErr is the collection's refusal of an
// authorization the provider gave.
func (s *Service) authorizeEnd(ctx context.Context, tx store.Tx, ps, cur *payment.Session, res payment.ProviderResult, callErr error, r *records) (out Authorization, admitErr *kassa.Error, answer bool, err error) {
	merchantID, id := cur.MerchantID, cur.ID
	env := s.env()
	_, refused := errors.AsType[*kassa.Error](callErr)
	if callErr != nil && !refused {
		out.Session = cur.Failed(env, callErr)
		return out, nil, false, tx.UpdatePaymentSession(ctx, out.Session)
	}
	next, pay, err := cur.Authorized(env, res)
	if err != nil {
		return out, nil, false, err
	}
	if next == cur {
		// A concurrent authorization won; its payment is the answer.
		out.Session = cur
		out.Payment, err = tx.Payment(ctx, merchantID, cur.PaymentID)
		return out, nil, err == nil, err
	}
	if refused {
		next.Failure = callErr.Error()
	}
	if pay != nil && (cur.Amount != ps.Amount || cur.Revision != ps.Revision) {
		// Only when this call's mark ran out (its process stalled) and
		// an update took the session meanwhile: the provider authorized
		// what it was sent, which the session no longer says.
		admitErr = kassa.Errorf(kassa.EConflict, "payment session %s changed while its provider authorized it: %d was authorized, the session now asks %d", id, ps.Amount, cur.Amount)
		next, pay = cur.Refused(env, res, admitErr.Message), nil
	}
	if r == nil {
		// Locked after the session, as every transaction does.
		if r, err = lockCollection(ctx, tx, merchantID, cur.CollectionID); err != nil {
			return out, nil, false, err
		}
		if pay != nil {
			if err := r.c.Admit(r.payments, pay.Amount); err != nil {
				admitErr, _ = errors.AsType[*kassa.Error](err)
				next, pay = cur.Refused(env, res, admitErr.Message), nil
			}
		}
	}
	out.Session, out.Payment = next, pay
	if err := tx.UpdatePaymentSession(ctx, next); err != nil {
		return out, nil, false, err
	}
	r.putSession(next)
	if pay != nil {
		if err := tx.CreatePayment(ctx, pay); err != nil {
			return out, nil, false, err
		}
		r.putPayment(pay)
	}
	if err := r.refresh(ctx, tx, env); err != nil {
		return out, nil, false, err
	}
	return out, admitErr, admitErr == nil && !rejected(next.Status), nil
}

// rejected says a session status is a provider's refusal to authorize.
func rejected(status string) bool {
	return status == payment.SessionError || status == payment.SessionCanceled
}

// void sends the cancellation of an authorization the session's
// collection refused (ps.Void) to the provider, records its answer, and
// returns the refusal the call answers.
func (s *Service) void(ctx context.Context, ps *payment.Session) error {
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return err
	}
	_, callErr := prov.Cancel(ctx, MovementInput{Key: ps.Void.ID, Session: ps})
	_, definite := errors.AsType[*kassa.Error](callErr)
	var out *payment.Session
	err = s.update(ctx, func(tx store.Tx) error {
		cur, err := tx.PaymentSession(ctx, ps.MerchantID, ps.ID)
		if err != nil {
			return err
		}
		if out = cur.Voided(s.env(), payment.Outcome{Err: callErr, Definite: definite}); out == cur {
			return nil
		}
		return tx.UpdatePaymentSession(ctx, out)
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("payment session %s was canceled: %s", ps.ID, out.Failure)
	switch out.Void.Status {
	case payment.Succeeded:
		msg += "; its authorization was canceled at the provider"
	case payment.Failed:
		msg += "; the provider refused to cancel its authorization: " + out.Void.Failure
	default:
		s.log.WarnContext(ctx, "canceling a refused authorization at its provider failed; authorizing the session again retries it",
			"provider", ps.ProviderID, "session", ps.ID, "void", out.Void.ID, "err", callErr)
		msg += "; canceling its authorization at the provider did not complete, and authorizing the session again retries it"
	}
	return kassa.Errorf(kassa.EConflict, "%s", msg)
}

// voidGone cancels at the provider the authorization it gave, with res,
// for session ps, deleted meanwhile (possible only once the call outlived
// its mark): there is no session left to record it on, so it is canceled
// with no record but the log, under the key "<session id>:void".
func (s *Service) voidGone(ctx context.Context, ps *payment.Session, res payment.ProviderResult) error {
	prov, err := s.providers.Get(ps.ProviderID, "providerId")
	if err != nil {
		return err
	}
	gone := *ps
	if res.Data != nil {
		gone.Data = res.Data
	}
	if res.Ref != "" {
		gone.ProviderRef = res.Ref
	}
	key := ps.ID + ":void"
	msg := fmt.Sprintf("payment session %s was deleted while its provider authorized it", ps.ID)
	if _, err := prov.Cancel(ctx, MovementInput{Key: key, Session: &gone}); err != nil {
		s.log.ErrorContext(ctx, "canceling the authorization of a deleted session at its provider failed; cancel it there",
			"provider", ps.ProviderID, "session", ps.ID, "key", key, "err", err)
		return kassa.Errorf(kassa.EConflict, "%s, and canceling that authorization at the provider failed: %v", msg, err)
	}
	s.log.WarnContext(ctx, "canceled the authorization of a deleted session at its provider", "provider", ps.ProviderID, "session", ps.ID, "key", key)
	return kassa.Errorf(kassa.EConflict, "%s; the authorization was canceled at the provider", msg)
}

// answerSession answers a call with a session not authorized, as it is:
// its status says what must happen first.
func (s *Service) answerSession(ctx context.Context, merchantID, id string) (*Authorization, error) {
	out := &Authorization{}
	err := s.once(ctx, func(tx store.Tx) (any, error) {
		var err error
		out.Session, err = tx.PaymentSession(ctx, merchantID, id)
		return out, err
	})
	return out, err
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

// move is the three steps of a capture, refund or cancellation; one
// transaction with the system provider.
func (s *Service) move(ctx context.Context, merchantID, paymentID, kind string, req payment.MovementRequest) (*payment.Payment, error) {
	var (
		p, out  *payment.Payment
		m       payment.Movement
		joined  bool // the system provider was called in the first transaction
		callErr error
	)
	err := s.update(ctx, func(tx store.Tx) error {
		joined = false
		if _, err := s.key.Claim(ctx, tx); err != nil {
			return err
		}
		cur, recs, err := tx.PaymentRecords(ctx, merchantID, paymentID)
		if err != nil {
			return err
		}
		prov, err := s.providers.Get(cur.ProviderID, "providerId")
		joins := err == nil && local(prov)
		var r *records
		if p, m, r, err = s.moveBegin(ctx, tx, cur, fromStore(recs), kind, req, joins); err != nil || m.Status == payment.Succeeded {
			return err
		}
		if m.Status != payment.Pending || !joins {
			return s.key.Intend(ctx, tx, nil)
		}
		// The collection's sessions, read without a lock: transactions
		// lock a session before its payment, never after.
		i := slices.IndexFunc(r.sessions, func(ps *payment.Session) bool { return ps.ID == p.SessionID })
		if i < 0 {
			return kassa.Errorf(kassa.EInternal, "payment %s has no session %s", p.ID, p.SessionID)
		}
		joined = true
		o := s.callMove(ctx, prov, kind, p, r.sessions[i], m)
		callErr = o.Err
		var answer bool
		if out, answer, err = s.moveEnd(ctx, tx, p, m, o, r, p != cur); err != nil {
			return err
		}
		if answer {
			return s.key.Answer(ctx, tx, out)
		}
		return s.key.Intend(ctx, tx, nil)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case m.Status == payment.Succeeded:
		return p, nil
	case m.Status == payment.Failed:
		return p, kassa.Errorf(kassa.EConflict, "%s %s failed at the provider: %s", kind, m.ID, m.Failure)
	case !joined:
		prov, err := s.providers.Get(p.ProviderID, "providerId")
		if err != nil {
			return nil, err
		}
		// Read apart from the payment's transaction, which then locks only the
		// payment: transactions lock a session before its payment, never after.
		ps, err := s.Session(ctx, merchantID, p.SessionID)
		if err != nil {
			return nil, err
		}
		o := s.callMove(ctx, prov, kind, p, ps, m)
		callErr = o.Err
		err = s.update(ctx, func(tx store.Tx) error {
			if _, err := s.key.Claim(ctx, tx); err != nil {
				return err
			}
			cur, err := tx.Payment(ctx, merchantID, paymentID)
			if err != nil {
				return err
			}
			var answer bool
			if out, answer, err = s.moveEnd(ctx, tx, cur, m, o, nil, false); err != nil || !answer {
				return err
			}
			return s.key.Answer(ctx, tx, out)
		})
		if err != nil {
			return nil, err
		}
	}
	if _, definite := errors.AsType[*kassa.Error](callErr); callErr != nil && !definite {
		s.log.WarnContext(ctx, "payment provider call failed; the movement stays pending for a retry with the same key",
			"provider", p.ProviderID, "payment", p.ID, "movement", m.ID, "kind", kind, "err", callErr)
	}
	return out, providerError(p.ProviderID, callErr)
}

// moveBegin is the first step of a movement, after the key's claim and
// the read of cur, the payment, with recs, its collection's records, read
// under the collection's lock after the payment's: it begins the movement
// on the payment (Payment.Begin) and saves it, unless the movement joins
// the transaction, whose end saves it. A movement that has succeeded
// already answers the call. When a pending movement joins this
// transaction (its provider does no I/O), moveBegin also returns the
// collection's records, which the movement's end derives the collection
// from.
func (s *Service) moveBegin(ctx context.Context, tx store.Tx, cur *payment.Payment, recs *records, kind string, req payment.MovementRequest, joins bool) (*payment.Payment, payment.Movement, *records, error) {
	next, mv, err := cur.Begin(s.env(), kind, req)
	if err != nil {
		return nil, payment.Movement{}, nil, err
	}
	var r *records
	if mv.Status == payment.Pending {
		if joins {
			r = recs
		}
		if kind == payment.KindCapture {
			if err := recs.c.CheckCapture(); err != nil {
				return nil, payment.Movement{}, nil, err
			}
		}
	}
	if mv.Status == payment.Succeeded {
		return next, *mv, nil, s.key.Answer(ctx, tx, next)
	}
	// A movement that joins the transaction is saved by its end, with
	// what it leads to.
	if next != cur && !(joins && mv.Status == payment.Pending) {
		if err := tx.UpdatePayment(ctx, next); err != nil {
			return nil, payment.Movement{}, nil, err
		}
	}
	return next, *mv, r, nil
}

// callMove asks the provider for movement m of payment p, and returns its
// outcome.
func (s *Service) callMove(ctx context.Context, prov Provider, kind string, p *payment.Payment, ps *payment.Session, m payment.Movement) payment.Outcome {
	in := MovementInput{Key: m.ID, Payment: p, Session: ps, Amount: m.Amount, Note: m.Note}
	var (
		res MovementResult
		err error
	)
	switch kind {
	case payment.KindCapture:
		res, err = prov.Capture(ctx, in)
	case payment.KindRefund:
		res, err = prov.Refund(ctx, in)
	default:
		res, err = prov.Cancel(ctx, in)
	}
	_, definite := errors.AsType[*kassa.Error](err)
	return payment.Outcome{Err: err, Definite: definite, Ref: res.Ref, Data: res.Data}
}

// moveEnd records outcome o of movement m on cur, the payment as it is
// now. r is the collection's records if this transaction holds them, else
// nil. unsaved says cur holds changes not saved yet (moveBegin leaves a
// joined movement's begin for its end to save). answer says the call is
// answered (its key then stores out).
func (s *Service) moveEnd(ctx context.Context, tx store.Tx, cur *payment.Payment, m payment.Movement, o payment.Outcome, r *records, unsaved bool) (out *payment.Payment, answer bool, err error) {
	env := s.env()
	if out, err = cur.Settle(env, m.ID, o); err != nil {
		return nil, false, err
	}
	if out == cur {
		if unsaved {
			err = tx.UpdatePayment(ctx, out)
		}
		return out, o.Err == nil, err
	}
	if err := tx.UpdatePayment(ctx, out); err != nil {
		return nil, false, err
	}
	if r == nil {
		// Locked after the payment, as every transaction does.
		if r, err = lockCollection(ctx, tx, cur.MerchantID, cur.CollectionID); err != nil {
			return nil, false, err
		}
	}
	r.putPayment(out)
	if err := r.refresh(ctx, tx, env); err != nil {
		return nil, false, err
	}
	return out, o.Err == nil, nil
}
