package api

import (
	"context"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/store"
)

// overdueBatch bounds one round of the overdue scan.
const overdueBatch = 100

// RemindOverdue marks the documents whose due date has passed unpaid as
// overdue and queues one reminder e-mail for each, and returns how many.
// Marking and queueing share a transaction, and a document is marked only
// once, so several Kassa processes scanning together send one reminder.
func (s *Server) RemindOverdue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var keys []store.DocumentKey
	err := s.store.View(ctx, func(tx store.ReadTx) (err error) {
		keys, err = tx.OverdueDocuments(ctx, now, overdueBatch)
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		var marked bool
		err := s.store.Update(ctx, func(tx store.Tx) error {
			var err error
			if marked, err = tx.MarkOverdue(ctx, k, now); err != nil || !marked {
				return err
			}
			var d *invoice.Document
			if d, err = tx.Document(ctx, k.MerchantID, k.DocumentID); err != nil {
				return err
			}
			if m := s.mailOf(d, s.env(), true); m != nil {
				return tx.EnqueueMails(ctx, m)
			}
			return nil
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
