package api

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/store"
)

// IdempotencyRetention is how long a stored response stays replayable:
// at least the 24 hours Stripe and the IETF draft promise, with margin.
const IdempotencyRetention = 48 * time.Hour

// RunMaintenance does the server's background work every interval until
// ctx ends: orders whose processing delay has passed become ready for
// capture, due automatic captures run, overdue invoices get their one
// reminder (when configured), and expired idempotency records are removed.
func (s *Server) RunMaintenance(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.MarkDueOrdersReady(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("marking orders ready for capture", "err", err)
		}
		if _, err := s.CaptureDueOrders(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("capturing orders automatically", "err", err)
		}
		if s.cfg.OverdueReminders {
			if _, err := s.RemindOverdue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("reminding of overdue invoices", "err", err)
			}
		}
		if _, err := s.PurgeIdempotencyRecords(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purging idempotency records", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// MarkDueOrdersReady emits readyForCapture on every order whose
// processing delay has ended, and returns how many it marked.
func (s *Server) MarkDueOrdersReady(ctx context.Context) (int, error) {
	marked := 0
	for {
		var due []store.OrderKey
		err := s.store.View(ctx, func(tx store.ReadTx) error {
			var err error
			due, err = tx.OrdersDueReady(ctx, s.clock.Now(), 100)
			return err
		})
		if err != nil || len(due) == 0 {
			return marked, err
		}
		pass := 0
		err = s.store.Update(ctx, func(tx store.Tx) error {
			pass = 0
			for _, k := range due {
				o, err := tx.Order(ctx, k.MerchantID, k.OrderID)
				if err != nil {
					return err
				}
				env := s.env().For(o)
				next, ok := o.MarkReady(env)
				if !ok {
					continue // another process got there first
				}
				if err := s.saveOrder(ctx, tx, o, next, env); err != nil {
					return err
				}
				pass++
			}
			return nil
		})
		if err != nil || pass == 0 {
			return marked, err // none left that can be marked now
		}
		marked += pass
	}
}

// purgeBatch bounds the records one purge transaction deletes, so that a
// backlog (a long stop, a burst of traffic) is cleared in short
// transactions rather than one that holds the writer.
const purgeBatch = 1000

// PurgeIdempotencyRecords deletes the stored answers older than
// IdempotencyRetention, in batches, and returns how many.
func (s *Server) PurgeIdempotencyRecords(ctx context.Context) (int, error) {
	before := s.clock.Now().Add(-IdempotencyRetention)
	total := 0
	for {
		n := 0
		err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			n, err = tx.DeleteIdempotencyRecords(ctx, before, purgeBatch)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
