package api

import (
	"context"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

func (s *Server) handleOrderGet(w http.ResponseWriter, r *http.Request) error {
	ctx, merchantID := r.Context(), principal(r).MerchantID
	var (
		o   *order.Order
		now time.Time
	)
	err := s.app.View(ctx, func(tx store.ReadTx) (err error) {
		if now, err = s.app.NowOf(ctx, tx, merchantID); err != nil {
			return err
		}
		o, err = tx.Order(ctx, merchantID, r.PathValue("orderId"))
		return err
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, orderOf(o, now))
	return nil
}

// orderHandler makes the handler of an order operation: decode the body
// into In, then apply op to the order in one transaction. Operations
// without a body use struct{}; an empty body, [] and {} all do.
func orderHandler[In any](s *Server, status int, op func(o *order.Order, env order.Env, in *In) (*order.Order, error)) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		in := new(In)
		body, err := wire.ReadJSON(r, in)
		if err != nil {
			return err
		}
		return s.orderMutation(w, r, body, status, func(ctx context.Context, tx store.Tx, merchantID, orderID string) (*order.Order, order.Env, error) {
			return s.app.ChangeOrder(ctx, tx, merchantID, orderID, func(o *order.Order, env order.Env) (*order.Order, error) {
				return op(o, env, in)
			})
		})
	}
}

type none struct{}

// handleAcknowledge answers 201, as Ledyer does and the Omnipay driver
// requires.
func (s *Server) handleAcknowledge(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusCreated, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.Acknowledge(env), nil
	})(w, r)
}

func (s *Server) handleReference(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *referenceIn) (*order.Order, error) {
		if in.Reference == nil {
			return nil, kassa.Invalid("reference", "reference is required")
		}
		return o.SetReference(env, string(*in.Reference))
	})(w, r)
}

func (s *Server) handleCapture(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *captureIn) (*order.Order, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		return o.Capture(env, req)
	})(w, r)
}

func (s *Server) handlePartialCapture(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *captureIn) (*order.Order, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		return o.PartialCapture(env, req)
	})(w, r)
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *refundIn) (*order.Order, error) {
		return o.Refund(env, r.PathValue("ledgerId"), string(in.Note))
	})(w, r)
}

func (s *Server) handlePartialRefund(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *refundIn) (*order.Order, error) {
		lines, err := linesIn(in.OrderLines)
		if err != nil {
			return nil, err
		}
		if !in.TotalRefundAmount.Set {
			return nil, kassa.Invalid("totalRefundAmount", "totalRefundAmount is required")
		}
		return o.PartialRefund(env, r.PathValue("ledgerId"), order.RefundRequest{Lines: lines, TotalAmount: in.TotalRefundAmount.V, Note: string(in.Note)})
	})(w, r)
}

func (s *Server) handleOrderCancel(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.Cancel(env)
	})(w, r)
}

func (s *Server) handleChunkCancel(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.CancelChunk(env, r.PathValue("ledgerId"))
	})(w, r)
}

func (s *Server) handleCustomer(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *wire.Customer) (*order.Order, error) {
		return o.EditCustomer(env, in.Update())
	})(w, r)
}

func (s *Server) handlePaymentMethod(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *paymentMethodIn) (*order.Order, error) {
		if in.PaymentMethod == nil {
			return nil, kassa.Invalid("paymentMethod", "paymentMethod is required")
		}
		return o.EditPaymentMethod(env, string(in.PaymentMethod.Provider), string(in.PaymentMethod.Type))
	})(w, r)
}

func (s *Server) handleExtendExpiry(w http.ResponseWriter, r *http.Request) error {
	return orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.ExtendExpiry(env)
	})(w, r)
}

// handleOrderEdit replaces the order's lines and totals; an order that
// grows passes a new credit check (provider's EditOrder).
func (s *Server) handleOrderEdit(w http.ResponseWriter, r *http.Request) error {
	var in editIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	return s.orderMutation(w, r, body, http.StatusOK, func(ctx context.Context, tx store.Tx, merchantID, orderID string) (*order.Order, order.Env, error) {
		lines, err := linesIn(in.OrderLines)
		if err != nil {
			return nil, order.Env{}, err
		}
		totals, err := in.totals()
		if err != nil {
			return nil, order.Env{}, err
		}
		return s.app.EditOrder(ctx, tx, merchantID, orderID, order.EditRequest{Lines: lines, Totals: totals})
	})
}
