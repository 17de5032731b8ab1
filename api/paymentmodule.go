package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// The payment module's HTTP API lives under /v1/payment-module: Kassa's
// /v1/payment-sessions is already Ledyer's. Amounts are integer minor
// units; the views are the payment package's records as JSON.

func (s *Server) addPaymentModuleRoutes() {
	m, auth := s.mux, s.auth
	const p = "/v1/payment-module"
	m.HandleFunc("GET "+p+"/providers", auth(s.handlePMProviders))
	m.HandleFunc("POST "+p+"/collections", auth(s.handlePMCollectionCreate))
	m.HandleFunc("GET "+p+"/collections", auth(s.handlePMCollectionList))
	m.HandleFunc("GET "+p+"/collections/{id}", auth(s.handlePMCollectionGet))
	m.HandleFunc("POST "+p+"/collections/{id}", auth(s.handlePMCollectionUpdate))
	m.HandleFunc("DELETE "+p+"/collections/{id}", auth(s.handlePMCollectionDelete))
	m.HandleFunc("POST "+p+"/collections/{id}/cancel", auth(s.handlePMCollectionCancel))
	m.HandleFunc("POST "+p+"/collections/{id}/sessions", auth(s.handlePMSessionCreate))
	m.HandleFunc("GET "+p+"/sessions/{id}", auth(s.handlePMSessionGet))
	m.HandleFunc("POST "+p+"/sessions/{id}", auth(s.handlePMSessionUpdate))
	m.HandleFunc("DELETE "+p+"/sessions/{id}", auth(s.handlePMSessionDelete))
	m.HandleFunc("POST "+p+"/sessions/{id}/authorize", auth(s.handlePMAuthorize))
	m.HandleFunc("POST "+p+"/sessions/{id}/sync", auth(s.handlePMSync))
	m.HandleFunc("GET "+p+"/payments/{id}", auth(s.handlePMPaymentGet))
	m.HandleFunc("POST "+p+"/payments/{id}/capture", auth(s.handlePMMovement(payment.KindCapture)))
	m.HandleFunc("POST "+p+"/payments/{id}/refund", auth(s.handlePMMovement(payment.KindRefund)))
	m.HandleFunc("POST "+p+"/payments/{id}/cancel", auth(s.handlePMMovement(payment.KindCancel)))
	// Unauthenticated: the provider verifies its own deliveries.
	m.HandleFunc("POST "+p+"/providers/{id}/webhooks", s.handle(s.handlePMWebhook))
}

// moduleCall runs a payment-module call with the API's idempotency rules,
// which the module applies inside its own transactions (paymod.Key): it
// claims the Idempotency-Key in each write transaction of the call (on
// PostgreSQL with an advisory lock, as mutation does) and stores the
// answer in the transaction of the call's last change. A call that talks
// to a provider between its transactions also records, in its first,
// that it has begun, so that a retry — on any replica, after a lost
// answer or a crash — resumes that call instead of starting another. A
// replay answers the stored response byte for byte; a key used for
// another request is 422; a key whose request is running in this process,
// or holds it in a transaction on another, is 409. The body is decoded
// into in, unless in is nil; answer turns op's result into the status and
// the value to answer with. The call's audit event commits with its
// answer, in the transaction of its last change, with or without a key; a
// replay's is written on its own (audited records failures).
func (s *Server) moduleCall(w http.ResponseWriter, r *http.Request, in any, answer func(result any) (int, any), op func(ctx context.Context, pm *paymod.Service, key string) (any, error)) error {
	body, err := wire.ReadBody(r)
	if err == nil && in != nil {
		err = wire.Decode(body, in)
	}
	if err != nil {
		return err
	}
	key, fp, release, err := s.takeKey(r, body)
	if err != nil {
		return err
	}
	defer release()
	k := &moduleKey{merchantID: principal(r).MerchantID, key: key, fp: fp, answer: answer, now: s.app.Now,
		record: func(ctx context.Context, tx store.Tx, status int, result any) error {
			if id := moduleTarget(result); id != "" {
				setTarget(r, id)
			}
			return s.recordChange(ctx, tx, r, status, false)
		}}
	_, err = op(r.Context(), s.payments.WithKey(k), key)
	if rec, ok := errors.AsType[*replay](err); ok {
		e := event(r, rec.status)
		e.Replay = true
		s.app.AuditAlone(r.Context(), e)
		changeOf(r).recorded = true
		w.Header().Set("Idempotent-Replayed", "true")
		wire.WriteRaw(w, rec.status, rec.body)
		return nil
	}
	if err != nil {
		return err
	}
	changeOf(r).recorded = true
	wire.WriteRaw(w, k.status, k.body)
	return nil
}

// moduleTarget is the ID of the collection or session a call answers
// with: what a create made, which its path does not name.
func moduleTarget(result any) string {
	switch v := result.(type) {
	case *payment.Collection:
		return v.ID
	case *payment.Session:
		return v.ID
	}
	return ""
}

// moduleKey is a payment-module call's Idempotency-Key, as the module
// claims it and stores its answer (paymod.Key), and where the call's
// audit event is written. Without a key it only renders the answer and
// records the event.
type moduleKey struct {
	merchantID, key string
	fp              []byte
	answer          func(result any) (int, any)
	now             func() time.Time
	record          func(ctx context.Context, tx store.Tx, status int, result any) error

	status int // the answer, once Answer has rendered it
	body   []byte
}

// replay is the answer a request with the key already got: the error
// Claim fails with, which moduleCall answers with.
type replay struct {
	status int
	body   []byte
}

func (*replay) Error() string { return "the request was answered before; replay its answer" }

func (k *moduleKey) Claim(ctx context.Context, tx store.Tx) ([]byte, error) {
	if k.key == "" {
		return nil, nil
	}
	rec, err := tx.IdempotencyRecord(ctx, k.merchantID, k.key)
	switch {
	case err != nil || rec == nil:
		return nil, err
	case !bytes.Equal(rec.Fingerprint, k.fp):
		return nil, kassa.Errorf(kassa.EIdempotencyMismatch, "this Idempotency-Key was used for a different request")
	case rec.Pending():
		return rec.Body, nil
	}
	return nil, &replay{rec.Status, rec.Body}
}

func (k *moduleKey) Intend(ctx context.Context, tx store.Tx, intent []byte) error {
	if k.key == "" {
		return nil
	}
	return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
		MerchantID: k.merchantID, Key: k.key, Fingerprint: k.fp,
		Status: store.Pending, Body: intent, CreatedAt: k.now(),
	})
}

// Answer renders result and records the call's event with it, and
// stores it under the key, if any.
func (k *moduleKey) Answer(ctx context.Context, tx store.Tx, result any) error {
	status, v := k.answer(result)
	body, err := marshal(v)
	if err != nil {
		return err
	}
	k.status, k.body = status, body
	if err := k.record(ctx, tx, status, result); err != nil || k.key == "" {
		return err
	}
	return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
		MerchantID: k.merchantID, Key: k.key, Fingerprint: k.fp,
		Status: status, Body: body, CreatedAt: k.now(),
	})
}

// The answers of module calls.
func created(v any) (int, any) { return http.StatusCreated, v }
func okay(v any) (int, any)    { return http.StatusOK, v }
func noContent(any) (int, any) { return http.StatusNoContent, nil }

// amountIn is an amount in minor units: fractions are refused.
func amountIn(param string, n wire.Int) (int64, error) {
	if n.Rounded {
		return 0, kassa.Invalid(param, "%s must be a whole number of minor units", param)
	}
	return n.V, nil
}

// optionalAmountIn is an amount that may be absent (nil).
func optionalAmountIn(param string, n wire.Int) (*int64, error) {
	if !n.Set {
		return nil, nil
	}
	a, err := amountIn(param, n)
	return &a, err
}

func (s *Server) handlePMProviders(w http.ResponseWriter, r *http.Request) error {
	wire.WriteJSON(w, http.StatusOK, map[string]any{"providers": s.payments.Providers().IDs()})
	return nil
}

type collectionIn struct {
	Currency wire.Str        `json:"currency"`
	Amount   wire.Int        `json:"amount"`
	Metadata json.RawMessage `json:"metadata"`
}

func (s *Server) handlePMCollectionCreate(w http.ResponseWriter, r *http.Request) error {
	var in collectionIn
	return s.moduleCall(w, r, &in, created, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		amount, err := amountIn("amount", in.Amount)
		if err != nil {
			return nil, err
		}
		return pm.CreateCollection(ctx, principal(r).MerchantID, string(in.Currency), amount, in.Metadata)
	})
}

// collectionList is a page of collections: the lists' shape
// (docs/api-reference.md, Lists) and, for the clients from before it,
// the same collections as "collections".
type collectionList struct {
	Data        []*payment.Collection `json:"data"`
	NextCursor  string                `json:"nextCursor,omitempty"`
	Collections []*payment.Collection `json:"collections"`
}

// handlePMCollectionList lists the merchant's collections, newest first,
// by status and currency, a page at a time. ?after= (a collection's ID,
// as clients from before the cursor send it) continues after that
// collection.
func (s *Server) handlePMCollectionList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := paymod.CollectionFilterOf(q)
	if err != nil {
		return err
	}
	after := q.Get("after")
	if after != "" && f.After != nil {
		return kassa.Invalid("after", "send cursor or after, not both")
	}
	limit := f.Limit
	f.Limit++
	cs, err := s.payments.Collections(r.Context(), principal(r).MerchantID, after, f)
	if err != nil {
		return err
	}
	p := pageOf(cs, limit, func(c *payment.Collection) *payment.Collection { return c },
		func(c *payment.Collection) string { return list.Cursor(c.CreatedAt, c.ID) })
	wire.WriteJSON(w, http.StatusOK, collectionList{Data: p.Data, NextCursor: p.NextCursor, Collections: p.Data})
	return nil
}

// collectionView is a collection with its sessions and payments.
type collectionView struct {
	*payment.Collection
	Sessions []*payment.Session `json:"sessions"`
	Payments []*payment.Payment `json:"payments"`
}

func (s *Server) handlePMCollectionGet(w http.ResponseWriter, r *http.Request) error {
	v, err := s.payments.Collection(r.Context(), principal(r).MerchantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := collectionView{v.Collection, v.Sessions, v.Payments}
	if out.Sessions == nil {
		out.Sessions = []*payment.Session{}
	}
	if out.Payments == nil {
		out.Payments = []*payment.Payment{}
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handlePMCollectionUpdate(w http.ResponseWriter, r *http.Request) error {
	var in collectionIn
	return s.moduleCall(w, r, &in, okay, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		if in.Currency != "" {
			return nil, kassa.Invalid("currency", "a collection's currency cannot change")
		}
		amount, err := optionalAmountIn("amount", in.Amount)
		if err != nil {
			return nil, err
		}
		u := payment.CollectionUpdate{Amount: amount, Metadata: in.Metadata}
		return pm.UpdateCollection(ctx, principal(r).MerchantID, r.PathValue("id"), u)
	})
}

func (s *Server) handlePMCollectionDelete(w http.ResponseWriter, r *http.Request) error {
	return s.moduleCall(w, r, nil, noContent, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		return nil, pm.DeleteCollection(ctx, principal(r).MerchantID, r.PathValue("id"))
	})
}

func (s *Server) handlePMCollectionCancel(w http.ResponseWriter, r *http.Request) error {
	return s.moduleCall(w, r, nil, okay, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		return pm.CancelCollection(ctx, principal(r).MerchantID, r.PathValue("id"))
	})
}

type moduleSessionIn struct {
	ProviderID wire.Str        `json:"providerId"`
	Currency   wire.Str        `json:"currency"`
	Amount     wire.Int        `json:"amount"`
	Data       json.RawMessage `json:"data"`
	Context    json.RawMessage `json:"context"`
	Metadata   json.RawMessage `json:"metadata"`
}

func (s *Server) handlePMSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var in moduleSessionIn
	return s.moduleCall(w, r, &in, created, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		amount, err := amountIn("amount", in.Amount)
		if err != nil {
			return nil, err
		}
		p := payment.SessionParams{
			ProviderID: string(in.ProviderID), Currency: string(in.Currency), Amount: amount,
			Data: in.Data, Context: in.Context, Metadata: in.Metadata,
		}
		return pm.CreateSession(ctx, principal(r).MerchantID, r.PathValue("id"), p)
	})
}

func (s *Server) handlePMSessionGet(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.payments.Session(r.Context(), principal(r).MerchantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, ps)
	return nil
}

func (s *Server) handlePMSessionUpdate(w http.ResponseWriter, r *http.Request) error {
	var in moduleSessionIn
	return s.moduleCall(w, r, &in, okay, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		amount, err := optionalAmountIn("amount", in.Amount)
		if err != nil {
			return nil, err
		}
		u := payment.SessionUpdate{Amount: amount, Data: in.Data, Context: in.Context, Metadata: in.Metadata}
		return pm.UpdateSession(ctx, principal(r).MerchantID, r.PathValue("id"), u)
	})
}

func (s *Server) handlePMSessionDelete(w http.ResponseWriter, r *http.Request) error {
	return s.moduleCall(w, r, nil, noContent, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		return nil, pm.DeleteSession(ctx, principal(r).MerchantID, r.PathValue("id"))
	})
}

// authorizationView answers an authorization: the payment when there is
// one; otherwise the session, whose status says what must happen first.
type moduleAuthorizationView struct {
	Status  string           `json:"status"`
	Session *payment.Session `json:"session"`
	Payment *payment.Payment `json:"payment,omitempty"`
}

func (s *Server) handlePMAuthorize(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Data map[string]any `json:"data"`
	}
	return s.moduleCall(w, r, &in, authorizationOf, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		return pm.AuthorizeSession(ctx, principal(r).MerchantID, r.PathValue("id"), in.Data)
	})
}

// authorizationOf answers an authorization (a *paymod.Authorization): 200
// with the payment, or 202 (accepted, not yet authorized) with the
// session whose status says why.
func authorizationOf(result any) (int, any) {
	a := result.(*paymod.Authorization)
	v := moduleAuthorizationView{Status: a.Session.Status, Session: a.Session, Payment: a.Payment}
	if a.Pending() {
		return http.StatusAccepted, v
	}
	return http.StatusOK, v
}

// handlePMSync asks the provider for the status of a session not yet
// authorized, for when its webhook may have been lost.
func (s *Server) handlePMSync(w http.ResponseWriter, r *http.Request) error {
	return s.moduleCall(w, r, nil, authorizationOf, func(ctx context.Context, pm *paymod.Service, _ string) (any, error) {
		return pm.SyncSession(ctx, principal(r).MerchantID, r.PathValue("id"))
	})
}

func (s *Server) handlePMPaymentGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payments.Payment(r.Context(), principal(r).MerchantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, p)
	return nil
}

type movementIn struct {
	Amount    wire.Int `json:"amount"`
	Reason    wire.Str `json:"reason"`
	Note      wire.Str `json:"note"`
	CreatedBy wire.Str `json:"createdBy"`
}

// handlePMMovement captures, refunds or cancels a payment. The request's
// Idempotency-Key is the movement's key: retrying with it after an
// unknown outcome sends the provider the same idempotency key.
func (s *Server) handlePMMovement(kind string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in movementIn
		return s.moduleCall(w, r, &in, okay, func(ctx context.Context, pm *paymod.Service, key string) (any, error) {
			amount, err := amountIn("amount", in.Amount)
			if err != nil {
				return nil, err
			}
			req := payment.MovementRequest{Key: key, Amount: amount, Reason: string(in.Reason), Note: string(in.Note), CreatedBy: string(in.CreatedBy)}
			mid, id := principal(r).MerchantID, r.PathValue("id")
			switch kind {
			case payment.KindCapture:
				return pm.Capture(ctx, mid, id, req)
			case payment.KindRefund:
				return pm.Refund(ctx, mid, id, req)
			}
			return pm.Cancel(ctx, mid, id, req)
		})
	}
}

// maxWebhookBody bounds a provider webhook's body. Notifications are
// small JSON documents (Ledyer's and Kassa's are well under 1 KiB), and
// the route is open to anyone: a larger body is refused (413) before the
// module sees it.
const maxWebhookBody = 64 << 10

// handlePMWebhook receives a provider's webhook. It answers 200 once the
// event is applied (or was already), so a provider that retries failed
// deliveries retries exactly those; 401 when the provider verifies its
// deliveries and this one fails (unsigned, badly signed, or a timestamp
// more than five minutes off); 429 with Retry-After when unverified
// deliveries come faster than the module syncs sessions for them.
func (s *Server) handlePMWebhook(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	res, err := s.payments.HandleProviderEvent(r.Context(), r.PathValue("id"), paymod.Webhook{Header: r.Header, Body: body})
	if err != nil {
		if kassa.ErrorCode(err) == kassa.ERateLimited {
			w.Header().Set("Retry-After", "1")
		}
		return err
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"action": res.Action, "duplicate": res.Duplicate, "ignored": res.Ignored})
	return nil
}
