package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// handleTokenOrder turns an authorization token into an order (T1).
func (s *Server) handleTokenOrder(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in sessionIn
	if err := wire.Decode(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	lines, err := linesIn(in.OrderLines)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	totals, err := in.totals()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req := session.OrderRequest{
		Currency: deref(in.Currency), Country: deref(in.Country), Locale: deref(in.Locale),
		Reference: deref(in.Reference), StoreID: deref(in.StoreID),
		Lines: lines, Totals: totals, Customer: in.Customer.Order(), Metadata: in.Metadata,
	}
	if a := in.AutoCapture; a != nil {
		req.AutoCapture = &order.AutoCapture{Enabled: a.Enabled, DelayMinutes: a.DelayMinutes.V}
	}
	merchantID, token := principal(r).MerchantID, r.PathValue("token")
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		o, err := s.orderFromToken(ctx, tx, merchantID, token, req)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]string{"orderId": o.ID}, nil
	})
}

// orderFromToken turns a token into an order: the API's T1 and the demo
// shop's backend both use it.
func (s *Server) orderFromToken(ctx context.Context, tx store.Tx, merchantID, token string, req session.OrderRequest) (*order.Order, error) {
	if req.StoreID != "" { // empty keeps the session's store
		if _, err := callerStore(ctx, tx, merchantID, req.StoreID); err != nil {
			return nil, err
		}
	}
	tok, err := tx.Token(ctx, merchantID, token)
	if err != nil {
		return nil, err
	}
	ps, err := tx.Session(ctx, merchantID, tok.SessionID)
	if err != nil {
		return nil, err
	}
	o, usedTok, done, err := session.CreateOrder(s.env(), tok, ps, req, s.cfg.ProcessingDelay)
	if err != nil {
		return nil, err
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := tx.CreateOrder(ctx, o); err != nil {
		return nil, err
	}
	if err := holdOrder(ctx, tx, o); err != nil {
		return nil, err
	}
	if err := tx.PutToken(ctx, usedTok); err != nil {
		return nil, err
	}
	if err := tx.UpdateSession(ctx, done); err != nil {
		return nil, err
	}
	return o, nil
}

// handleTokenCancel cancels an unused token; its session reopens so the
// merchant can update it and have the buyer authorize again.
func (s *Server) handleTokenCancel(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	merchantID, token := principal(r).MerchantID, r.PathValue("token")
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		tok, err := tx.Token(ctx, merchantID, token)
		if err != nil {
			return 0, nil, err
		}
		env := s.env()
		cancelled, err := tok.Cancel(env.Now)
		if err != nil {
			return 0, nil, err
		}
		ps, err := tx.Session(ctx, merchantID, tok.SessionID)
		if err != nil {
			return 0, nil, err
		}
		if err := tx.PutToken(ctx, cancelled); err != nil {
			return 0, nil, err
		}
		reopened := ps.Reopen(env, token)
		if err := tx.UpdateSession(ctx, reopened); err != nil {
			return 0, nil, err
		}
		if reopened != ps {
			if err := releaseHold(ctx, tx, ps.ID); err != nil {
				return 0, nil, err
			}
		}
		return http.StatusNoContent, nil, nil
	})
}

func deref(s *wire.Str) string {
	if s == nil {
		return ""
	}
	return string(*s)
}
