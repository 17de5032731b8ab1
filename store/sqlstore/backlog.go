package sqlstore

import (
	"context"
	"fmt"

	"github.com/kassa-pay/kassa/store"
)

// Backlog counts what waits, each query over a partial index that holds
// only the waiting rows, so that reading it costs the backlog's size, not
// the tables'.
func (t *Tx) Backlog(ctx context.Context) (store.Backlog, error) {
	var b store.Backlog
	queue := func(q *store.Queue) func(Scanner) error {
		return func(rows Scanner) error {
			var n, oldest int64
			if err := rows.Scan(&n, &oldest); err != nil {
				return err
			}
			if q.Count = int(n); n > 0 {
				q.Oldest = fromMicros(oldest)
			}
			return nil
		}
	}
	err := t.c.Queries(ctx,
		Query{
			SQL: `SELECT merchant_id, endpoint_id, COUNT(*), MIN(created_at) FROM notification_deliveries
				WHERE state = 'pending' GROUP BY merchant_id, endpoint_id ORDER BY merchant_id, endpoint_id`,
			Scan: func(rows Scanner) error {
				var d store.DeliveryQueue
				var n, oldest int64
				if err := rows.Scan(&d.MerchantID, &d.EndpointID, &n, &oldest); err != nil {
					return err
				}
				d.Count, d.Oldest = int(n), fromMicros(oldest)
				b.Deliveries = append(b.Deliveries, d)
				return nil
			},
		},
		Query{SQL: `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM mail_outbox WHERE next_at IS NOT NULL`, Scan: queue(&b.Mails)},
		Query{SQL: `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM documents WHERE number IS NULL`, Scan: queue(&b.Unnumbered)},
	)
	if err != nil {
		return b, fmt.Errorf("read the backlog: %w", err)
	}
	return b, nil
}
