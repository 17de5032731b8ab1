package provider

// One pass of each background job that works on orders and documents;
// package jobs runs them in loops. Each is safe to run in several processes
// sharing the database at once.

import (
	"context"
	"errors"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The background jobs' names. Each change a pass makes is recorded in the
// audit log with the job's name as its action, by audit.System(name), in
// the transaction of the change.
const (
	jobMarkReady       = "mark-ready"
	jobAutoCapture     = "auto-capture"
	jobPurgeIdempotent = "purge-idempotency-records"
	jobPurgeSessions   = "purge-dashboard-sessions"
	jobNumber          = "number-documents"
	jobRemindOverdue   = "remind-overdue"
	jobExpire          = "expire-orders"
)

// jobChanged records in tx that job changed target, of merchantID.
func (s *Service) jobChanged(ctx context.Context, tx store.Tx, job, merchantID, target string) error {
	return s.Audit(ctx, tx, audit.Event{Actor: audit.System(job), MerchantID: merchantID, Action: job, Target: target})
}

// IdempotencyRetention is how long a stored response stays replayable:
// at least the 24 hours Stripe and the IETF draft promise, with margin.
const IdempotencyRetention = 48 * time.Hour

// MarkDueOrdersReady emits readyForCapture on every order whose
// processing delay has ended, and returns how many it marked.
func (s *Service) MarkDueOrdersReady(ctx context.Context) (int, error) {
	return s.onEveryClock(ctx, s.markReady)
}

func (s *Service) markReady(ctx context.Context, merchantID string, now time.Time) (int, error) {
	return s.changeDue(ctx, jobMarkReady, merchantID, now, store.ReadTx.OrdersDueReady, (*order.Order).MarkReady)
}

// ExpireOrders records the expiry of every order that expired with lines
// uncaptured (order.Order.Expire), which notifies its merchant, and
// returns how many it recorded.
func (s *Service) ExpireOrders(ctx context.Context) (int, error) {
	return s.onEveryClock(ctx, s.expireDue)
}

func (s *Service) expireDue(ctx context.Context, merchantID string, now time.Time) (int, error) {
	return s.changeDue(ctx, jobExpire, merchantID, now, store.ReadTx.OrdersDueExpiry, (*order.Order).Expire)
}

// changeDue applies op, under job's name, to each order that due lists
// (the merchant's, or every merchant's when merchantID is empty, due at
// now) in batches of 100, each in one Update, until a batch changes
// nothing, and returns how many it changed. op's ok is false when there
// is nothing to do (another process got there first).
func (s *Service) changeDue(ctx context.Context, job, merchantID string, now time.Time,
	due func(store.ReadTx, context.Context, string, time.Time, int) ([]store.OrderKey, error),
	op func(*order.Order, order.Env) (*order.Order, bool)) (int, error) {
	changed := 0
	for {
		keys, err := View(ctx, s, func(tx store.ReadTx) ([]store.OrderKey, error) { return due(tx, ctx, merchantID, now, 100) })
		if err != nil || len(keys) == 0 {
			return changed, err
		}
		pass := 0
		err = s.store.Update(ctx, func(tx store.Tx) error {
			pass = 0
			for _, k := range keys {
				ok := false
				_, _, err := s.ChangeOrder(ctx, tx, k.MerchantID, k.OrderID, func(o *order.Order, env order.Env) (next *order.Order, err error) {
					next, ok = op(o, env)
					return next, nil
				})
				if err == nil && ok {
					pass++
					err = s.jobChanged(ctx, tx, job, k.MerchantID, k.OrderID)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || pass == 0 {
			return changed, err // none left that can be changed now
		}
		changed += pass
	}
}

// purgeBatch bounds the records one purge transaction deletes, so that a
// backlog (a long stop, a burst of traffic) is cleared in short
// transactions rather than one that holds the writer.
const purgeBatch = 1000

// PurgeIdempotencyRecords deletes the stored answers older than
// IdempotencyRetention, in batches, and returns how many.
func (s *Service) PurgeIdempotencyRecords(ctx context.Context) (int, error) {
	before := s.clock.Now().Add(-IdempotencyRetention)
	total := 0
	for {
		n := 0
		err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			if n, err = tx.DeleteIdempotencyRecords(ctx, before, purgeBatch); err != nil || n == 0 {
				return err
			}
			// Records of every merchant: the event belongs to none.
			return s.jobChanged(ctx, tx, jobPurgeIdempotent, "", "")
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

// PurgeDashboardSessions deletes the dashboard sessions that have ended
// (user.Expiry) and the one-time tokens that have expired, in batches,
// and returns how many of both. An ended session opens nothing already;
// this keeps the tables from growing with every sign-in.
func (s *Service) PurgeDashboardSessions(ctx context.Context) (int, error) {
	now := s.clock.Now()
	total := 0
	for {
		var sessions, tokens int
		err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			sessions, tokens, err = tx.DeleteExpiredDashboardSessions(ctx, user.ExpiryAt(now), now, purgeBatch)
			if err != nil || sessions+tokens == 0 {
				return err
			}
			return s.jobChanged(ctx, tx, jobPurgeSessions, "", "")
		})
		if err != nil {
			return total, err
		}
		total += sessions + tokens
		if sessions < purgeBatch && tokens < purgeBatch {
			return total, nil
		}
	}
}

// autoCaptureRetry is how long an automatic capture the order's state
// refuses for now (an advance invoice not yet acknowledged) waits before
// it is tried again.
const autoCaptureRetry = 10 * time.Minute

// CaptureDueOrders captures in full every order whose automatic capture is
// due, and returns how many it captured. Each capture runs in an Update
// that reads the order again, so processes sharing the database cannot
// capture an order twice; the capture's notification is written by the
// outbox like a manual one's.
func (s *Service) CaptureDueOrders(ctx context.Context) (int, error) {
	return s.onEveryClock(ctx, s.captureDue)
}

func (s *Service) captureDue(ctx context.Context, merchantID string, now time.Time) (int, error) {
	captured := 0
	for {
		due, err := View(ctx, s, func(tx store.ReadTx) ([]store.OrderKey, error) { return tx.AutoCapturesDue(ctx, merchantID, now, 100) })
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

func (s *Service) autoCapture(ctx context.Context, k store.OrderKey) (captured bool, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		captured = false
		_, _, err := s.ChangeOrder(ctx, tx, k.MerchantID, k.OrderID, func(o *order.Order, env order.Env) (*order.Order, error) {
			if o.Uncaptured == nil {
				return o, tx.CancelAutoCapture(ctx, k) // captured or cancelled meanwhile
			}
			total, _ := o.Uncaptured.Totals()
			next, err := o.Capture(env, order.CaptureRequest{Lines: o.Uncaptured.Lines, TotalAmount: total})
			if kassa.ErrorCode(err) == kassa.EConflict {
				if !env.Now.Before(o.ExpiresAt) {
					return o, tx.CancelAutoCapture(ctx, k)
				}
				return o, tx.ScheduleAutoCapture(ctx, k, env.Now.Add(autoCaptureRetry))
			}
			if err != nil {
				return nil, err
			}
			captured = true
			return next, nil
		})
		if err != nil || !captured {
			return err
		}
		return s.jobChanged(ctx, tx, jobAutoCapture, k.MerchantID, k.OrderID)
	})
	if errors.Is(err, errIncompleteDocument) {
		// The merchant's invoice settings lack something: try again later,
		// and go on with the other orders meanwhile.
		s.log.Warn("automatic capture waits for complete invoice settings", "merchant", k.MerchantID, "order", k.OrderID, "err", err)
		return false, s.store.Update(ctx, func(tx store.Tx) error {
			now, err := s.NowOf(ctx, tx, k.MerchantID)
			if err != nil {
				return err
			}
			return tx.ScheduleAutoCapture(ctx, k, now.Add(autoCaptureRetry))
		})
	}
	return captured, err
}

// overdueBatch bounds one round of the overdue scan.
const overdueBatch = 100

// RemindOverdue marks the documents whose due date has passed unpaid as
// overdue and queues one reminder e-mail for each, and returns how many.
// Marking and queueing share a transaction, and a document is marked only
// once, so several Kassa processes scanning together send one reminder.
func (s *Service) RemindOverdue(ctx context.Context) (int, error) {
	return s.onEveryClock(ctx, s.remindOverdue)
}

func (s *Service) remindOverdue(ctx context.Context, merchantID string, now time.Time) (int, error) {
	keys, err := View(ctx, s, func(tx store.ReadTx) ([]store.DocumentKey, error) {
		return tx.OverdueDocuments(ctx, merchantID, now, overdueBatch)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		var marked bool
		err := s.store.Update(ctx, func(tx store.Tx) error {
			env, err := s.EnvOf(ctx, tx, k.MerchantID)
			if err != nil {
				return err
			}
			if marked, err = tx.MarkOverdue(ctx, k, env.Now); err != nil || !marked {
				return err
			}
			var d *invoice.Document
			if d, err = tx.Document(ctx, k.MerchantID, k.DocumentID); err != nil {
				return err
			}
			if m := s.mailOf(d, env, true); m != nil {
				if err := tx.EnqueueMails(ctx, m); err != nil {
					return err
				}
			}
			return s.jobChanged(ctx, tx, jobRemindOverdue, k.MerchantID, k.DocumentID)
		})
		if err != nil {
			return n, err
		}
		if marked {
			n++
		}
	}
	return n, nil
}
