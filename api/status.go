package api

import (
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

func (s *Server) handleOrderPaymentStatus(w http.ResponseWriter, r *http.Request) error {
	return s.paymentStatus(w, r, r.PathValue("orderId"), "")
}

// handlePaymentStatus is the documented form, ?orderId= or ?sessionId=.
func (s *Server) handlePaymentStatus(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	orderID, sessionID := q.Get("orderId"), q.Get("sessionId")
	if (orderID == "") == (sessionID == "") {
		return kassa.Invalid("orderId", "give exactly one of orderId and sessionId")
	}
	return s.paymentStatus(w, r, orderID, sessionID)
}

// paymentStatus reports an order's payment status, or a session's before
// it has an order: a session awaiting its signatory is orderPending.
func (s *Server) paymentStatus(w http.ResponseWriter, r *http.Request, orderID, sessionID string) error {
	ctx, merchantID := r.Context(), principal(r).MerchantID
	v := paymentStatusView{PaymentMethod: paymentMethodView{order.ProviderLedyer, order.Invoice}}
	err := s.app.View(ctx, func(tx store.ReadTx) error {
		now, err := s.app.NowOf(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		if sessionID != "" {
			ps, err := tx.Session(ctx, merchantID, sessionID)
			if err != nil {
				return err
			}
			switch ps.StateAt(now) {
			case session.StateAwaitingSignatory:
				v.Status, v.Note = order.StatusOrderPending, "Awaiting signature"
				return nil
			case session.StateCancelled:
				v.Status = order.StatusOrderCancelled
				return nil
			case session.StateExpired:
				v.Status = "unknown"
				return nil
			}
			if ps.OrderID == "" {
				v.Status = order.StatusOrderInitiated
				return nil
			}
			orderID = ps.OrderID
		}
		o, err := tx.Order(ctx, merchantID, orderID)
		if err != nil {
			return err
		}
		v.Status, v.PaymentMethod.Type = o.PaymentStatus(), o.PaymentMethod
		return nil
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, v)
	return nil
}
