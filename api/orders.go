package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

func (s *Server) handleOrderGet(w http.ResponseWriter, r *http.Request) error {
	o, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) (*order.Order, error) {
		return tx.Order(r.Context(), principal(r).MerchantID, r.PathValue("orderId"))
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, orderOf(o, s.app.Now()))
	return nil
}

// orderHandler makes the handler of an order operation: decode the body
// into In, then apply op to the order in one transaction. Operations
// without a body use struct{}; an empty body, [] and {} all do.
func orderHandler[In any](s *Server, status int, op func(r *http.Request, o *order.Order, env order.Env, in *In) (*order.Order, error)) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		in := new(In)
		body, err := wire.ReadJSON(r, in)
		if err != nil {
			return err
		}
		return s.orderMutation(w, r, body, status, func(ctx context.Context, tx store.Tx, merchantID, orderID string) (*order.Order, order.Env, error) {
			return s.app.ChangeOrder(ctx, tx, merchantID, orderID, func(o *order.Order, env order.Env) (*order.Order, error) {
				return op(r, o, env, in)
			})
		})
	}
}

type none struct{}

func (s *Server) addOrderRoutes(m *http.ServeMux) {
	auth := s.auth
	// 201, as Ledyer answers and the Omnipay driver requires.
	m.HandleFunc("POST /v1/orders/{orderId}/acknowledge", auth(orderHandler(s, http.StatusCreated, func(_ *http.Request, o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.Acknowledge(env), nil
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/reference", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, in *referenceIn) (*order.Order, error) {
		if in.Reference == nil {
			return nil, kassa.Invalid("reference", "reference is required")
		}
		return o.SetReference(env, string(*in.Reference))
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/capture", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, in *captureIn) (*order.Order, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		return o.Capture(env, req)
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/partialcapture", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, in *captureIn) (*order.Order, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		return o.PartialCapture(env, req)
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/refund/{ledgerId}", auth(orderHandler(s, http.StatusOK, func(r *http.Request, o *order.Order, env order.Env, in *refundIn) (*order.Order, error) {
		return o.Refund(env, r.PathValue("ledgerId"), string(in.Note))
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/partialrefund/{ledgerId}", auth(orderHandler(s, http.StatusOK, func(r *http.Request, o *order.Order, env order.Env, in *refundIn) (*order.Order, error) {
		lines, err := linesIn(in.OrderLines)
		if err != nil {
			return nil, err
		}
		if !in.TotalRefundAmount.Set {
			return nil, kassa.Invalid("totalRefundAmount", "totalRefundAmount is required")
		}
		return o.PartialRefund(env, r.PathValue("ledgerId"), order.RefundRequest{Lines: lines, TotalAmount: in.TotalRefundAmount.V, Note: string(in.Note)})
	})))
	m.HandleFunc("DELETE /v1/orders/{orderId}", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.Cancel(env)
	})))
	m.HandleFunc("DELETE /v1/orders/{orderId}/{ledgerId}", auth(orderHandler(s, http.StatusOK, func(r *http.Request, o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.CancelChunk(env, r.PathValue("ledgerId"))
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/customer", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, in *wire.Customer) (*order.Order, error) {
		return o.EditCustomer(env, in.Update())
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/paymentmethod", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, in *paymentMethodIn) (*order.Order, error) {
		if in.PaymentMethod == nil {
			return nil, kassa.Invalid("paymentMethod", "paymentMethod is required")
		}
		return o.EditPaymentMethod(env, string(in.PaymentMethod.Provider), string(in.PaymentMethod.Type))
	})))
	m.HandleFunc("POST /v1/orders/{orderId}/extendexpiry", auth(orderHandler(s, http.StatusOK, func(_ *http.Request, o *order.Order, env order.Env, _ *none) (*order.Order, error) {
		return o.ExtendExpiry(env)
	})))
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
