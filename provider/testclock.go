package provider

// Test clocks: in the sandbox a merchant's time can run ahead of the wall
// clock, so that what happens days after a purchase (expiry, captures,
// due dates, reminders) can be tried at once (docs/sandbox.md, "Test
// clocks"). Every use case that takes "now" for a merchant takes it from
// NowOf; the jobs' passes read each merchant's due work at its own time.

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// MaxTestClockOffset is how far a test clock may run ahead of the wall
// clock: ten years, far beyond any rule's period and far from overflowing
// a time.Duration.
const MaxTestClockOffset = 10 * 365 * 24 * time.Hour

// NowOf is the merchant's time: the wall clock's, plus its test clock's
// offset in the sandbox. Live mode reads no offset.
func (s *Service) NowOf(ctx context.Context, tx store.ReadTx, merchantID string) (time.Time, error) {
	now := s.clock.Now()
	if s.cfg.Live {
		return now, nil
	}
	offset, err := tx.TestClockOffset(ctx, merchantID)
	return now.Add(offset), err
}

// PrefetchClock lets a transaction that will take the merchant's time
// (NowOf) read it with its next statement: in the sandbox, the test
// clock's offset, a round trip saved on PostgreSQL.
func (s *Service) PrefetchClock(ctx context.Context, tx store.ReadTx, merchantID string) error {
	if s.cfg.Live {
		return nil
	}
	return tx.PrefetchTestClock(ctx, merchantID)
}

// EnvOf is the environment of an operation of the merchant's that starts
// now, on its clock (NowOf).
func (s *Service) EnvOf(ctx context.Context, tx store.ReadTx, merchantID string) (order.Env, error) {
	now, err := s.NowOf(ctx, tx, merchantID)
	return order.Env{Now: now, IDs: s.ids}, err
}

// TestClock is a merchant's test clock as the API shows it.
type TestClock struct {
	Now    time.Time     // the merchant's time
	Offset time.Duration // how far it runs ahead of the wall clock
}

// TestClockOf reads the merchant's test clock.
func (s *Service) TestClockOf(ctx context.Context, tx store.ReadTx, merchantID string) (TestClock, error) {
	if err := s.sandboxOnly(); err != nil {
		return TestClock{}, err
	}
	offset, err := tx.TestClockOffset(ctx, merchantID)
	return TestClock{Now: s.clock.Now().Add(offset), Offset: offset}, err
}

// Advance says how far to move a test clock: By, or To a time; exactly
// one of them.
type Advance struct {
	By time.Duration
	To time.Time
}

// AdvanceTestClock moves the merchant's test clock forward and makes its
// pending notification deliveries due as much earlier (a retry due in an
// hour on its clock is due at once after an advance of an hour). It never
// moves back: a To before the clock's time, or a By that is not positive,
// is EInvalid. The time-driven work it makes due is done by CatchUp, or
// by the jobs' next passes.
func (s *Service) AdvanceTestClock(ctx context.Context, tx store.Tx, merchantID string, a Advance) (TestClock, error) {
	old, err := s.TestClockOf(ctx, tx, merchantID)
	if err != nil {
		return TestClock{}, err
	}
	by := a.By
	switch {
	case !a.To.IsZero() && a.By != 0:
		return TestClock{}, kassa.Invalid("to", "give seconds or to, not both")
	case !a.To.IsZero():
		if a.To.Before(old.Now) {
			return TestClock{}, kassa.Invalid("to", "a test clock never goes back: to is before the clock's time, %s", old.Now.UTC().Format(time.RFC3339Nano))
		}
		by = a.To.Sub(old.Now)
	case by <= 0:
		return TestClock{}, kassa.Invalid("seconds", "seconds must be a positive number")
	}
	offset := old.Offset + by
	if by > MaxTestClockOffset || offset > MaxTestClockOffset {
		return TestClock{}, kassa.Invalid("seconds", "a test clock runs at most %d days ahead of the wall clock", int(MaxTestClockOffset/(24*time.Hour)))
	}
	if err := tx.SetTestClockOffset(ctx, merchantID, offset); err != nil {
		return TestClock{}, err
	}
	if _, err := tx.AdvanceDeliveries(ctx, merchantID, by); err != nil {
		return TestClock{}, err
	}
	return TestClock{Now: old.Now.Add(by), Offset: offset}, nil
}

// sandboxOnly refuses test clocks in live mode, whose clock is the wall
// clock's alone.
func (s *Service) sandboxOnly() error {
	if s.cfg.Live {
		return kassa.Errorf(kassa.EForbidden, "test clocks are the sandbox's: live mode runs on the wall clock")
	}
	return nil
}

// CatchUp does the merchant's time-driven work due at its clock's time at
// once, each job's pass in turn, as the jobs would on their next passes:
// readyForCapture, automatic captures, expiry, numbering the documents
// issued, and, when remindOverdue, the overdue reminders.
func (s *Service) CatchUp(ctx context.Context, merchantID string, remindOverdue bool) error {
	if err := s.sandboxOnly(); err != nil {
		return err
	}
	now, err := View(ctx, s, func(tx store.ReadTx) (time.Time, error) { return s.NowOf(ctx, tx, merchantID) })
	if err != nil {
		return err
	}
	passes := []func(context.Context, string, time.Time) (int, error){s.markReady, s.captureDue, s.expireDue}
	for _, pass := range passes {
		if _, err := pass(ctx, merchantID, now); err != nil {
			return err
		}
	}
	if _, err := s.NumberDocuments(ctx); err != nil || !remindOverdue {
		return err
	}
	_, err = s.remindOverdue(ctx, merchantID, now)
	return err
}

// onEveryClock runs pass over every merchant's work due at the wall
// clock's time, then, in the sandbox, over the work of each merchant
// whose test clock runs ahead, due at its time; it returns how much work
// the passes did.
func (s *Service) onEveryClock(ctx context.Context, pass func(ctx context.Context, merchantID string, now time.Time) (int, error)) (int, error) {
	n, err := pass(ctx, "", s.clock.Now())
	if err != nil || s.cfg.Live {
		return n, err
	}
	clocks, err := View(ctx, s, func(tx store.ReadTx) ([]store.TestClock, error) { return tx.TestClocks(ctx) })
	if err != nil {
		return n, err
	}
	for _, c := range clocks {
		m, err := pass(ctx, c.MerchantID, s.clock.Now().Add(c.Offset))
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
