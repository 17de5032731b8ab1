package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

func (s *Server) handleOrderGet(w http.ResponseWriter, r *http.Request) {
	o, err := s.loadOrder(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, orderOf(o, s.clock.Now()))
}

func (s *Server) loadOrder(r *http.Request) (*order.Order, error) {
	var o *order.Order
	err := s.store.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		o, err = tx.Order(r.Context(), principal(r).MerchantID, r.PathValue("orderId"))
		return err
	})
	return o, err
}

// orderHandler makes the handler of an order operation: decode the body
// into In, then apply op to the order in one transaction. Operations
// without a body use struct{}; an empty body, [] and {} all do.
func orderHandler[In any](s *Server, status int, op func(o *order.Order, env order.Env, in *In) (*order.Order, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := wire.ReadBody(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		in := new(In)
		if err := wire.Decode(body, in); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.orderMutation(w, r, body, status, func(_ context.Context, _ store.Tx, o *order.Order, env order.Env) (*order.Order, error) {
			return op(o, env, in)
		})
	}
}

type none struct{}

func (s *Server) handleAcknowledge(w http.ResponseWriter, r *http.Request) {
	// 201, as Ledyer answers and the Omnipay driver requires.
	orderHandler(s, http.StatusCreated, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.Acknowledge(env), nil
	})(w, r)
}

func (s *Server) handleReference(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *referenceIn) (*order.Order, error) {
		if in.Reference == nil {
			return nil, kassa.Invalid("reference", "reference is required")
		}
		return o.SetReference(env, string(*in.Reference))
	})(w, r)
}

func (s *Server) handleCapture(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *captureIn) (*order.Order, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		return o.Capture(env, req)
	})(w, r)
}

func (s *Server) handlePartialCapture(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *captureIn) (*order.Order, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		return o.PartialCapture(env, req)
	})(w, r)
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) {
	ledgerID := r.PathValue("ledgerId")
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *refundIn) (*order.Order, error) {
		return o.Refund(env, ledgerID, string(in.Note))
	})(w, r)
}

func (s *Server) handlePartialRefund(w http.ResponseWriter, r *http.Request) {
	ledgerID := r.PathValue("ledgerId")
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *refundIn) (*order.Order, error) {
		lines, err := linesIn(in.OrderLines)
		if err != nil {
			return nil, err
		}
		if !in.TotalRefundAmount.Set {
			return nil, kassa.Invalid("totalRefundAmount", "totalRefundAmount is required")
		}
		return o.PartialRefund(env, ledgerID, order.RefundRequest{Lines: lines, TotalAmount: in.TotalRefundAmount.V, Note: string(in.Note)})
	})(w, r)
}

func (s *Server) handleOrderCancel(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.Cancel(env)
	})(w, r)
}

func (s *Server) handleChunkCancel(w http.ResponseWriter, r *http.Request) {
	ledgerID := r.PathValue("ledgerId")
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.CancelChunk(env, ledgerID)
	})(w, r)
}

func (s *Server) handleOrderEdit(w http.ResponseWriter, r *http.Request) {
	body, err := wire.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in editIn
	if err := wire.Decode(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.orderMutation(w, r, body, http.StatusOK, func(ctx context.Context, tx store.Tx, o *order.Order, env order.Env) (*order.Order, error) {
		lines, err := linesIn(in.OrderLines)
		if err != nil {
			return nil, err
		}
		totals, err := in.totals()
		if err != nil {
			return nil, err
		}
		return o.Edit(env, order.EditRequest{Lines: lines, Totals: totals}, s.creditCheck(ctx, tx, o, env.Now))
	})
}

func (s *Server) handleCustomer(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *wire.Customer) (*order.Order, error) {
		return o.EditCustomer(env, in.Update())
	})(w, r)
}

func (s *Server) handlePaymentMethod(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, in *paymentMethodIn) (*order.Order, error) {
		if in.PaymentMethod == nil {
			return nil, kassa.Invalid("paymentMethod", "paymentMethod is required")
		}
		return o.EditPaymentMethod(env, string(in.PaymentMethod.Provider), string(in.PaymentMethod.Type))
	})(w, r)
}

func (s *Server) handleExtendExpiry(w http.ResponseWriter, r *http.Request) {
	orderHandler(s, http.StatusOK, func(o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.ExtendExpiry(env)
	})(w, r)
}
