package sqlstore

import (
	"context"
	"fmt"
	"math"

	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/store"
)

func (t *Tx) AppendAuditEvent(ctx context.Context, e *audit.Event) error {
	replay := 0
	if e.Replay {
		replay = 1
	}
	return t.writeLater(ctx, "audit event", `INSERT INTO audit_events
		(merchant_id, actor, action, target, request_id, source, status, outcome, replay, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.MerchantID, e.Actor, e.Action, e.Target, e.RequestID, e.Source, e.Status, e.Outcome, replay, e.At.UnixMicro())
}

// AuditEvents runs one statement whatever the filter: an empty filter
// field, an open time bound or a listing's start are values that match
// every row, so backends prepare and plan it once.
func (t *Tx) AuditEvents(ctx context.Context, merchantID string, f store.AuditFilter) ([]audit.Event, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		from = f.From.UnixMicro()
	}
	if !f.To.IsZero() {
		to = f.To.UnixMicro()
	}
	afterAt, afterSeq := int64(math.MaxInt64), int64(math.MaxInt64)
	if f.After != nil {
		afterAt, afterSeq = f.After.At.UnixMicro(), f.After.Seq
	}
	var es []audit.Event
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			e      audit.Event
			replay int64
			at     int64
		)
		if err := rows.Scan(&e.Seq, &e.MerchantID, &e.Actor, &e.Action, &e.Target, &e.RequestID, &e.Source, &e.Status, &e.Outcome, &replay, &at); err != nil {
			return err
		}
		e.Replay, e.At = replay != 0, fromMicros(at)
		es = append(es, e)
		return nil
	}, `SELECT seq, merchant_id, actor, action, target, request_id, source, status, outcome, replay, at FROM audit_events
		WHERE merchant_id = $1 AND ($2 = '' OR action = $2) AND ($3 = '' OR target = $3) AND ($4 = '' OR actor = $4)
			AND ($5 = '' OR outcome = $5 OR $5 = '`+audit.Failed+`' AND outcome <> '`+audit.OK+`')
			AND at >= $6 AND at < $7 AND (at < $8 OR at = $8 AND seq < $9)
		ORDER BY at DESC, seq DESC LIMIT $10`,
		merchantID, f.Action, f.Target, f.Actor, f.Outcome, from, to, afterAt, afterSeq, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return es, nil
}
