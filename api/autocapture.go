package api

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// autoCaptureRetry is how long an automatic capture the order's state
// refuses for now (an advance invoice not yet acknowledged) waits before
// it is tried again.
const autoCaptureRetry = 10 * time.Minute

// CaptureDueOrders captures in full every order whose automatic capture is
// due, and returns how many it captured. Each capture runs in an Update
// that reads the order again, so processes sharing the database cannot
// capture an order twice; the capture's notification is written by the
// outbox like a manual one's.
func (s *Server) CaptureDueOrders(ctx context.Context) (int, error) {
	captured := 0
	for {
		var due []store.OrderKey
		err := s.store.View(ctx, func(tx store.ReadTx) error {
			var err error
			due, err = tx.AutoCapturesDue(ctx, s.clock.Now(), 100)
			return err
		})
		if err != nil || len(due) == 0 {
			return captured, err
		}
		for _, k := range due {
			ok, err := s.autoCapture(ctx, k)
			if err != nil {
				return captured, err
			}
			if ok {
				captured++
			}
		}
	}
}

func (s *Server) autoCapture(ctx context.Context, k store.OrderKey) (captured bool, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		captured = false
		o, err := tx.Order(ctx, k.MerchantID, k.OrderID)
		if err != nil {
			return err
		}
		env := s.env().For(o)
		if o.Uncaptured == nil {
			return tx.CancelAutoCapture(ctx, k) // captured or cancelled meanwhile
		}
		total, _ := o.Uncaptured.Totals()
		next, err := o.Capture(env, order.CaptureRequest{Lines: o.Uncaptured.Lines, TotalAmount: total})
		if kassa.ErrorCode(err) == kassa.EConflict {
			if !env.Now.Before(o.ExpiresAt) {
				return tx.CancelAutoCapture(ctx, k)
			}
			return tx.ScheduleAutoCapture(ctx, k, env.Now.Add(autoCaptureRetry))
		}
		if err != nil {
			return err
		}
		captured = true
		return s.saveOrder(ctx, tx, o, next, env)
	})
	return captured, err
}
