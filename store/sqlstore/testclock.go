package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store"
)

// testClockQuery reads a merchant's offset in microseconds, 0 without a
// test clock: always one row.
const testClockQuery = `SELECT COALESCE((SELECT offset_us FROM test_clocks WHERE merchant_id = $1), 0)`

// TestClockOffset answers from PrefetchTestClock's read when it has run.
func (t *Tx) TestClockOffset(ctx context.Context, merchantID string) (time.Duration, error) {
	if offset, ok := t.clocks[merchantID]; ok {
		return offset, nil
	}
	return t.readTestClock(ctx, merchantID)
}

func (t *Tx) PrefetchTestClock(ctx context.Context, merchantID string) error {
	return t.c.QueryLater(ctx, Query{SQL: testClockQuery, Args: []any{merchantID}, Scan: func(rows Scanner) error {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return fmt.Errorf("read test clock of %s: %w", merchantID, err)
		}
		t.setClock(merchantID, time.Duration(us)*time.Microsecond)
		return nil
	}})
}

func (t *Tx) readTestClock(ctx context.Context, merchantID string) (time.Duration, error) {
	var us int64
	if err := t.c.QueryRow(ctx, []any{&us}, testClockQuery, merchantID); err != nil {
		return 0, fmt.Errorf("read test clock of %s: %w", merchantID, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// setClock notes what the merchant's test clock reads in this transaction.
func (t *Tx) setClock(merchantID string, offset time.Duration) {
	if t.clocks == nil {
		t.clocks = make(map[string]time.Duration, 1)
	}
	t.clocks[merchantID] = offset
}

func (t *Tx) TestClocks(ctx context.Context) ([]store.TestClock, error) {
	var clocks []store.TestClock
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			c  store.TestClock
			us int64
		)
		if err := rows.Scan(&c.MerchantID, &us); err != nil {
			return err
		}
		c.Offset = time.Duration(us) * time.Microsecond
		clocks = append(clocks, c)
		return nil
	}, `SELECT merchant_id, offset_us FROM test_clocks WHERE offset_us > 0 ORDER BY merchant_id`)
	if err != nil {
		return nil, fmt.Errorf("list test clocks: %w", err)
	}
	return clocks, nil
}

func (t *Tx) SetTestClockOffset(ctx context.Context, merchantID string, offset time.Duration) error {
	us := offset.Microseconds()
	if us < 0 {
		return kassa.Errorf(kassa.EInvalid, "a test clock's offset cannot be negative")
	}
	// Two advances take turns, so that neither goes back from the other's.
	if err := t.c.Lock(ctx, "test clock "+merchantID); err != nil {
		return err
	}
	// Read again, not from a prefetch: only a read after the lock sees
	// the other advance's result.
	old, err := t.readTestClock(ctx, merchantID)
	if err != nil {
		return err
	}
	if offset < old {
		return kassa.Errorf(kassa.EInvalid, "a test clock never goes back")
	}
	_, err = t.c.Exec(ctx, `INSERT INTO test_clocks (merchant_id, offset_us) VALUES ($1, $2)
		ON CONFLICT (merchant_id) DO UPDATE SET offset_us = excluded.offset_us`, merchantID, us)
	if err != nil {
		return t.writeErr(err, "test clock of "+merchantID)
	}
	t.setClock(merchantID, offset)
	return nil
}

func (t *Tx) AdvanceDeliveries(ctx context.Context, merchantID string, by time.Duration) (int, error) {
	if by <= 0 {
		return 0, nil
	}
	// Claimed ones are in flight: their next_at is the claim's lease.
	n, err := t.c.Exec(ctx, `UPDATE notification_deliveries SET next_at = next_at - $2
		WHERE merchant_id = $1 AND state = 'pending' AND claim = ''`, merchantID, by.Microseconds())
	if err != nil {
		return 0, t.writeErr(err, "deliveries of "+merchantID)
	}
	return int(n), nil
}
