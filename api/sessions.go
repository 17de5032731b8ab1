package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

func (in *sessionIn) params() (session.Params, error) {
	lines, err := linesIn(in.OrderLines)
	if err != nil {
		return session.Params{}, err
	}
	totals, err := in.totals()
	if err != nil {
		return session.Params{}, err
	}
	p := session.Params{
		Currency: in.Currency.Ptr(), Country: in.Country.Ptr(), Locale: in.Locale.Ptr(),
		Reference: in.Reference.Ptr(), StoreID: in.StoreID.Ptr(),
		Lines: lines, Totals: totals, Metadata: in.Metadata,
	}
	if st := in.Settings; st != nil {
		p.Settings = &session.Settings{}
		if st.Security != nil {
			p.Settings.SecurityLevel = st.Security.Level.V
		}
		if st.URLs != nil {
			p.Settings.ConfirmationURL = string(st.URLs.Confirmation)
			p.Settings.NotificationURL = string(st.URLs.Notification)
		}
	}
	return p, nil
}

func (s *Server) handleSessionCreate(w http.ResponseWriter, r *http.Request) {
	var in sessionIn
	body, p, err := decodeSession(r, &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	merchantID := principal(r).MerchantID
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		var storeID string
		if p.StoreID != nil {
			storeID = *p.StoreID
		}
		storeID, err := callerStore(ctx, tx, merchantID, storeID)
		if err != nil {
			return 0, nil, err
		}
		p.StoreID = &storeID
		env := s.env()
		ps, err := session.New(env, merchantID, p)
		if err != nil {
			return 0, nil, err
		}
		if err := tx.CreateSession(ctx, ps); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, s.sessionOf(ps, env.Now), nil
	})
}

// callerStore resolves a request's storeId for the calling merchant:
// empty is its default store ("if not set, defaults to the first store"),
// and any other must be one of its stores, of which a merchant has one.
func callerStore(ctx context.Context, tx store.ReadTx, merchantID, storeID string) (string, error) {
	m, err := tx.Merchant(ctx, merchantID)
	if err != nil {
		return "", err
	}
	if storeID != "" && storeID != m.StoreID {
		return "", kassa.Invalid("storeId", "storeId %q is not a store of this merchant", storeID)
	}
	return m.StoreID, nil
}

func decodeSession(r *http.Request, in *sessionIn) ([]byte, session.Params, error) {
	body, err := wire.ReadBody(r)
	if err != nil {
		return nil, session.Params{}, err
	}
	if err := wire.Decode(body, in); err != nil {
		return nil, session.Params{}, err
	}
	p, err := in.params()
	return body, p, err
}

func (s *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) {
	var ps *session.Session
	err := s.store.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		ps, err = tx.Session(r.Context(), principal(r).MerchantID, r.PathValue("sessionId"))
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, s.sessionOf(ps, s.clock.Now()))
}

// sessionMutation loads the caller's session, applies op and saves it.
func (s *Server) sessionMutation(w http.ResponseWriter, r *http.Request, body []byte, op func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, any, error)) {
	merchantID, id := principal(r).MerchantID, r.PathValue("sessionId")
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		ps, err := tx.Session(ctx, merchantID, id)
		if err != nil {
			return 0, nil, err
		}
		env := s.env()
		next, v, err := op(ctx, tx, ps, env)
		if err != nil {
			return 0, nil, err
		}
		if err := tx.UpdateSession(ctx, next); err != nil {
			return 0, nil, err
		}
		if v == nil {
			v = s.sessionOf(next, env.Now)
		}
		return http.StatusOK, v, nil
	})
}

func (s *Server) handleSessionUpdate(w http.ResponseWriter, r *http.Request) {
	var in sessionIn
	body, p, err := decodeSession(r, &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sessionMutation(w, r, body, func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, any, error) {
		if p.StoreID != nil {
			storeID, err := callerStore(ctx, tx, ps.MerchantID, *p.StoreID)
			if err != nil {
				return nil, nil, err
			}
			p.StoreID = &storeID
		}
		if p.Settings != nil && in.Settings.URLs == nil {
			// The WooCommerce Payments plugin's updates send
			// settings.security alone; the URLs it set at creation stay
			// (the dialog's frame-ancestors come from them).
			p.Settings.ConfirmationURL, p.Settings.NotificationURL = ps.Settings.ConfirmationURL, ps.Settings.NotificationURL
		}
		next, err := ps.Update(env, p)
		return next, nil, err
	})
}

func (s *Server) handleSessionCancel(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sessionMutation(w, r, body, func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, any, error) {
		next, err := ps.Cancel(env)
		if err != nil {
			return nil, nil, err
		}
		return next, nil, releaseHold(ctx, tx, ps.ID)
	})
}

// authorizationView is what authorizing answers: the state and, when
// authorized, the token (the SDK's promise resolves to the same fields).
type authorizationView struct {
	State              string `json:"state"`
	AuthorizationToken string `json:"authorizationToken,omitempty"`
}

// handleSandboxAuthorize does what the buyer's dialog does: assess the
// buyer and authorize the session.
func (s *Server) handleSandboxAuthorize(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in authorizeIn
	if err := wire.Decode(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Customer == nil {
		s.writeError(w, r, kassa.Invalid("customer", "customer is required"))
		return
	}
	s.sessionMutation(w, r, body, func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, any, error) {
		return s.authorizeSession(ctx, tx, ps, in.Customer.Order(), string(in.PaymentMethod), env)
	})
}

// supersede cancels a session's earlier token that a new authorization
// replaces, so only the newest can create the order.
func (s *Server) supersede(ctx context.Context, tx store.Tx, merchantID, token string, env order.Env) error {
	if token == "" {
		return nil
	}
	old, err := tx.Token(ctx, merchantID, token)
	if err != nil {
		return err
	}
	if cancelled, err := old.Cancel(env.Now); err == nil {
		return tx.PutToken(ctx, cancelled)
	}
	return nil // already used, cancelled or expired: nothing to undo
}

func (s *Server) handleSandboxSign(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sessionMutation(w, r, body, func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, any, error) {
		return s.signSession(ctx, tx, ps, env)
	})
}
