package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store"
)

func (t *Tx) TestClockOffset(ctx context.Context, merchantID string) (time.Duration, error) {
	var us int64
	err := t.c.QueryRow(ctx, []any{&us}, `SELECT offset_us FROM test_clocks WHERE merchant_id = $1`, merchantID)
	if errors.Is(err, ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read test clock of %s: %w", merchantID, err)
	}
	return time.Duration(us) * time.Microsecond, nil
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
	old, err := t.TestClockOffset(ctx, merchantID)
	if err != nil {
		return err
	}
	if offset < old {
		return kassa.Errorf(kassa.EInvalid, "a test clock never goes back")
	}
	_, err = t.c.Exec(ctx, `INSERT INTO test_clocks (merchant_id, offset_us) VALUES ($1, $2)
		ON CONFLICT (merchant_id) DO UPDATE SET offset_us = excluded.offset_us`, merchantID, us)
	return t.writeErr(err, "test clock of "+merchantID)
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
