package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// handleTokenOrder turns an authorization token into an order.
func (s *Server) handleTokenOrder(w http.ResponseWriter, r *http.Request) error {
	var in sessionIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	lines, err := linesIn(in.OrderLines)
	if err != nil {
		return err
	}
	totals, err := in.totals()
	if err != nil {
		return err
	}
	req := session.OrderRequest{
		Currency: deref(in.Currency), Country: deref(in.Country), Locale: deref(in.Locale),
		Reference: deref(in.Reference), StoreID: deref(in.StoreID),
		Lines: lines, Totals: totals, Customer: in.Customer.Order(), Metadata: in.Metadata,
	}
	if a := in.AutoCapture; a != nil {
		req.AutoCapture = &order.AutoCapture{Enabled: a.Enabled, DelayMinutes: a.DelayMinutes.V}
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		o, err := s.app.OrderFromToken(ctx, tx, principal(r).MerchantID, r.PathValue("token"), req)
		if err != nil {
			return 0, nil, err
		}
		setTarget(r, o.ID)
		return http.StatusOK, map[string]string{"orderId": o.ID}, nil
	})
}

// handleTokenCancel cancels an unused token; its session reopens so the
// merchant can update it and have the buyer authorize again.
func (s *Server) handleTokenCancel(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		return http.StatusNoContent, nil, s.app.CancelToken(ctx, tx, principal(r).MerchantID, r.PathValue("token"))
	})
}

func deref(s *wire.Str) string {
	if s == nil {
		return ""
	}
	return string(*s)
}
