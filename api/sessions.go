package api

import (
	"context"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
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

func decodeSession(r *http.Request, in *sessionIn) ([]byte, session.Params, error) {
	body, err := wire.ReadJSON(r, in)
	if err != nil {
		return nil, session.Params{}, err
	}
	p, err := in.params()
	return body, p, err
}

func (s *Server) handleSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var in sessionIn
	body, p, err := decodeSession(r, &in)
	if err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		ps, err := s.app.CreateSession(ctx, tx, principal(r).MerchantID, p)
		if err != nil {
			return 0, nil, err
		}
		setTarget(r, ps.ID)
		return http.StatusOK, s.sessionOf(ps, ps.CreatedAt), nil
	})
}

func (s *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) error {
	ctx, merchantID := r.Context(), principal(r).MerchantID
	var (
		ps  *session.Session
		now time.Time
	)
	err := s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if now, err = s.app.NowOf(ctx, tx, merchantID); err != nil {
			return err
		}
		ps, err = tx.Session(ctx, merchantID, r.PathValue("sessionId"))
		return err
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, s.sessionOf(ps, now))
	return nil
}

// sessionMutation applies change to the caller's session (provider's
// ChangeSession) and answers the session.
func (s *Server) sessionMutation(w http.ResponseWriter, r *http.Request, body []byte, change func(ctx context.Context, tx store.Tx, merchantID, sessionID string) (*session.Session, error)) error {
	merchantID, id := principal(r).MerchantID, r.PathValue("sessionId")
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		next, err := change(ctx, tx, merchantID, id)
		if err != nil {
			return 0, nil, err
		}
		now, err := s.app.NowOf(ctx, tx, merchantID)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, s.sessionOf(next, now), nil
	})
}

func (s *Server) handleSessionUpdate(w http.ResponseWriter, r *http.Request) error {
	var in sessionIn
	body, p, err := decodeSession(r, &in)
	if err != nil {
		return err
	}
	return s.sessionMutation(w, r, body, func(ctx context.Context, tx store.Tx, merchantID, id string) (*session.Session, error) {
		return s.app.UpdateSession(ctx, tx, merchantID, id, p, in.Settings != nil && in.Settings.URLs != nil)
	})
}

func (s *Server) handleSessionCancel(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	return s.sessionMutation(w, r, body, s.app.CancelSession)
}

// handleSandboxAuthorize does what the buyer's dialog does: assess the
// buyer and authorize the session.
func (s *Server) handleSandboxAuthorize(w http.ResponseWriter, r *http.Request) error {
	var in authorizeIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	if in.Customer == nil {
		return kassa.Invalid("customer", "customer is required")
	}
	return s.authorization(w, r, body, func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, provider.Authorization, error) {
		return s.app.Authorize(ctx, tx, ps, provider.Confirmation{Buyer: in.Customer.Order(), Method: string(in.PaymentMethod)}, env)
	})
}

func (s *Server) handleSandboxSign(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	return s.authorization(w, r, body, func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, provider.Authorization, error) {
		return s.app.Sign(ctx, tx, ps, order.VerifiedBySandboxAPI, env)
	})
}

// authorization runs a sandbox authorization step on the caller's session
// and answers its outcome.
func (s *Server) authorization(w http.ResponseWriter, r *http.Request, body []byte, step func(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, provider.Authorization, error)) error {
	merchantID, id := principal(r).MerchantID, r.PathValue("sessionId")
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		var a provider.Authorization
		_, err := s.app.ChangeSession(ctx, tx, merchantID, id, func(ps *session.Session, env order.Env) (next *session.Session, err error) {
			next, a, err = step(ctx, tx, ps, env)
			return next, err
		})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, a, nil
	})
}
