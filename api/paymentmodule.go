package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
)

// The payment module's HTTP API lives under /v1/payment-module: Kassa's
// /v1/payment-sessions is already Ledyer's. Amounts are integer minor
// units; the views are the payment package's records as JSON.

func (s *Server) addPaymentModuleRoutes() {
	m, auth := s.mux, s.authenticated
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
	m.HandleFunc("POST "+p+"/providers/{id}/webhooks", s.handlePMWebhook)
}

// moduleCall runs a payment-module mutation with the API's idempotency
// rules. Unlike mutation, op cannot share one transaction with the stored
// response, because it calls providers between its own transactions; so
// the response is stored after op succeeds, and op itself is idempotent
// by the key (it receives it), which covers a crash in between. A replay
// answers the stored response byte for byte; a key reused for another
// request is 422; a key whose first request is running is 409. The body
// is decoded into in, unless in is nil.
func (s *Server) moduleCall(w http.ResponseWriter, r *http.Request, in any, op func(ctx context.Context, key string) (int, any, error)) {
	ctx := r.Context()
	merchantID := principal(r).MerchantID
	body, err := readBody(r)
	if err == nil && in != nil {
		err = decode(body, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	key, fp, release, ok := s.takeKey(w, r, body)
	if !ok {
		return
	}
	defer release()
	if key != "" {
		var rec *store.IdempotencyRecord
		err := s.store.View(ctx, func(tx store.ReadTx) error {
			var err error
			rec, err = tx.IdempotencyRecord(ctx, merchantID, key)
			return err
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if rec != nil {
			if !bytes.Equal(rec.Fingerprint, fp) {
				s.writeError(w, r, kassa.Errorf(kassa.EIdempotencyMismatch, "this Idempotency-Key was used for a different request"))
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeRaw(w, rec.Status, rec.Body)
			return
		}
	}
	status, v, err := op(ctx, key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	payload, err := marshal(v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if key != "" {
		err := s.store.Update(ctx, func(tx store.Tx) error {
			return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
				MerchantID: merchantID, Key: key, Fingerprint: fp,
				Status: status, Body: payload, CreatedAt: s.clock.Now(),
			})
		})
		if err != nil {
			// The change is made; only its replay is lost, and op is
			// idempotent by key, so the answer still stands.
			s.log.Warn("storing idempotency record", "key", key, "err", err)
		}
	}
	writeRaw(w, status, payload)
}

// amountIn is an amount in minor units: fractions are refused.
func amountIn(param string, n Int) (int64, error) {
	if n.Rounded {
		return 0, kassa.Invalid(param, "%s must be a whole number of minor units", param)
	}
	return n.V, nil
}

// optionalAmountIn is an amount that may be absent (nil).
func optionalAmountIn(param string, n Int) (*int64, error) {
	if !n.Set {
		return nil, nil
	}
	a, err := amountIn(param, n)
	return &a, err
}

func (s *Server) handlePMProviders(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"providers": s.payments.Providers().IDs()})
}

type collectionIn struct {
	Currency Str             `json:"currency"`
	Amount   Int             `json:"amount"`
	Metadata json.RawMessage `json:"metadata"`
}

func (s *Server) handlePMCollectionCreate(w http.ResponseWriter, r *http.Request) {
	var in collectionIn
	s.moduleCall(w, r, &in, func(ctx context.Context, _ string) (int, any, error) {
		amount, err := amountIn("amount", in.Amount)
		if err != nil {
			return 0, nil, err
		}
		c, err := s.payments.CreateCollection(ctx, principal(r).MerchantID, string(in.Currency), amount, in.Metadata)
		return http.StatusCreated, c, err
	})
}

func (s *Server) handlePMCollectionList(w http.ResponseWriter, r *http.Request) {
	limit := 15
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			s.writeError(w, r, kassa.Invalid("limit", "limit must be between 1 and 100"))
			return
		}
		limit = n
	}
	list, err := s.payments.Collections(r.Context(), principal(r).MerchantID, r.URL.Query().Get("after"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []*payment.Collection{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": list})
}

// collectionView is a collection with its sessions and payments.
type collectionView struct {
	*payment.Collection
	Sessions []*payment.Session `json:"sessions"`
	Payments []*payment.Payment `json:"payments"`
}

func (s *Server) handlePMCollectionGet(w http.ResponseWriter, r *http.Request) {
	v, err := s.payments.Collection(r.Context(), principal(r).MerchantID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := collectionView{v.Collection, v.Sessions, v.Payments}
	if out.Sessions == nil {
		out.Sessions = []*payment.Session{}
	}
	if out.Payments == nil {
		out.Payments = []*payment.Payment{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handlePMCollectionUpdate(w http.ResponseWriter, r *http.Request) {
	var in collectionIn
	s.moduleCall(w, r, &in, func(ctx context.Context, _ string) (int, any, error) {
		if in.Currency != "" {
			return 0, nil, kassa.Invalid("currency", "a collection's currency cannot change")
		}
		amount, err := optionalAmountIn("amount", in.Amount)
		if err != nil {
			return 0, nil, err
		}
		u := payment.CollectionUpdate{Amount: amount, Metadata: in.Metadata}
		c, err := s.payments.UpdateCollection(ctx, principal(r).MerchantID, r.PathValue("id"), u)
		return http.StatusOK, c, err
	})
}

func (s *Server) handlePMCollectionDelete(w http.ResponseWriter, r *http.Request) {
	s.moduleCall(w, r, nil, func(ctx context.Context, _ string) (int, any, error) {
		return http.StatusNoContent, nil, s.payments.DeleteCollection(ctx, principal(r).MerchantID, r.PathValue("id"))
	})
}

func (s *Server) handlePMCollectionCancel(w http.ResponseWriter, r *http.Request) {
	s.moduleCall(w, r, nil, func(ctx context.Context, _ string) (int, any, error) {
		c, err := s.payments.CancelCollection(ctx, principal(r).MerchantID, r.PathValue("id"))
		return http.StatusOK, c, err
	})
}

type moduleSessionIn struct {
	ProviderID Str             `json:"providerId"`
	Currency   Str             `json:"currency"`
	Amount     Int             `json:"amount"`
	Data       json.RawMessage `json:"data"`
	Context    json.RawMessage `json:"context"`
	Metadata   json.RawMessage `json:"metadata"`
}

func (s *Server) handlePMSessionCreate(w http.ResponseWriter, r *http.Request) {
	var in moduleSessionIn
	s.moduleCall(w, r, &in, func(ctx context.Context, _ string) (int, any, error) {
		amount, err := amountIn("amount", in.Amount)
		if err != nil {
			return 0, nil, err
		}
		p := payment.SessionParams{
			ProviderID: string(in.ProviderID), Currency: string(in.Currency), Amount: amount,
			Data: in.Data, Context: in.Context, Metadata: in.Metadata,
		}
		ps, err := s.payments.CreateSession(ctx, principal(r).MerchantID, r.PathValue("id"), p)
		return http.StatusCreated, ps, err
	})
}

func (s *Server) handlePMSessionGet(w http.ResponseWriter, r *http.Request) {
	ps, err := s.payments.Session(r.Context(), principal(r).MerchantID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *Server) handlePMSessionUpdate(w http.ResponseWriter, r *http.Request) {
	var in moduleSessionIn
	s.moduleCall(w, r, &in, func(ctx context.Context, _ string) (int, any, error) {
		amount, err := optionalAmountIn("amount", in.Amount)
		if err != nil {
			return 0, nil, err
		}
		u := payment.SessionUpdate{Amount: amount, Data: in.Data, Context: in.Context, Metadata: in.Metadata}
		ps, err := s.payments.UpdateSession(ctx, principal(r).MerchantID, r.PathValue("id"), u)
		return http.StatusOK, ps, err
	})
}

func (s *Server) handlePMSessionDelete(w http.ResponseWriter, r *http.Request) {
	s.moduleCall(w, r, nil, func(ctx context.Context, _ string) (int, any, error) {
		return http.StatusNoContent, nil, s.payments.DeleteSession(ctx, principal(r).MerchantID, r.PathValue("id"))
	})
}

// authorizationView answers an authorization: the payment when there is
// one; otherwise the session, whose status says what must happen first.
type moduleAuthorizationView struct {
	Status  string           `json:"status"`
	Session *payment.Session `json:"session"`
	Payment *payment.Payment `json:"payment,omitempty"`
}

func (s *Server) handlePMAuthorize(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Data map[string]any `json:"data"`
	}
	s.moduleCall(w, r, &in, func(ctx context.Context, _ string) (int, any, error) {
		return authorizationOf(s.payments.AuthorizeSession(ctx, principal(r).MerchantID, r.PathValue("id"), in.Data))
	})
}

// authorizationOf answers 200 with the payment, or 202 (accepted, not yet
// authorized) with the session whose status says why.
func authorizationOf(a *paymod.Authorization, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	v := moduleAuthorizationView{Status: a.Session.Status, Session: a.Session, Payment: a.Payment}
	if a.Pending() {
		return http.StatusAccepted, v, nil
	}
	return http.StatusOK, v, nil
}

// handlePMSync asks the provider for the status of a session not yet
// authorized, for when its webhook may have been lost.
func (s *Server) handlePMSync(w http.ResponseWriter, r *http.Request) {
	s.moduleCall(w, r, nil, func(ctx context.Context, _ string) (int, any, error) {
		return authorizationOf(s.payments.SyncSession(ctx, principal(r).MerchantID, r.PathValue("id")))
	})
}

func (s *Server) handlePMPaymentGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.payments.Payment(r.Context(), principal(r).MerchantID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type movementIn struct {
	Amount    Int `json:"amount"`
	Reason    Str `json:"reason"`
	Note      Str `json:"note"`
	CreatedBy Str `json:"createdBy"`
}

// handlePMMovement captures, refunds or cancels a payment. The request's
// Idempotency-Key is the movement's key: retrying with it after an
// unknown outcome sends the provider the same idempotency key.
func (s *Server) handlePMMovement(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in movementIn
		s.moduleCall(w, r, &in, func(ctx context.Context, key string) (int, any, error) {
			amount, err := amountIn("amount", in.Amount)
			if err != nil {
				return 0, nil, err
			}
			req := payment.MovementRequest{Key: key, Amount: amount, Reason: string(in.Reason), Note: string(in.Note), CreatedBy: string(in.CreatedBy)}
			mid, id := principal(r).MerchantID, r.PathValue("id")
			var p *payment.Payment
			switch kind {
			case payment.KindCapture:
				p, err = s.payments.Capture(ctx, mid, id, req)
			case payment.KindRefund:
				p, err = s.payments.Refund(ctx, mid, id, req)
			default:
				p, err = s.payments.Cancel(ctx, mid, id, req)
			}
			return http.StatusOK, p, err
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
func (s *Server) handlePMWebhook(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.payments.HandleProviderEvent(r.Context(), r.PathValue("id"), paymod.Webhook{Header: r.Header, Body: body})
	if err != nil {
		if kassa.ErrorCode(err) == kassa.ERateLimited {
			w.Header().Set("Retry-After", "1")
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"action": res.Action, "duplicate": res.Duplicate, "ignored": res.Ignored})
}
