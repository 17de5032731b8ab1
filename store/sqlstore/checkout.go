package sqlstore

import (
	"context"

	"github.com/kassa-pay/kassa/store"
)

// LockCreditLine upserts the line's row: the row lock it takes (on
// PostgreSQL; SQLite's writes are serial anyway) lasts until the
// transaction ends, so authorizations of one company take turns, and at
// read committed the next one's Exposure sees the holds the last one wrote.
// The upsert goes with the transaction's next statement (ExecLater), ahead
// of it: that statement runs once the lock is taken, with a snapshot of
// its own, as it would in a round trip of its own.
func (t *Tx) LockCreditLine(ctx context.Context, l store.CreditLine) error {
	return t.writeLater(ctx, "credit line", `INSERT INTO credit_lines (merchant_id, company_id, currency, version) VALUES ($1, $2, $3, 1)
		ON CONFLICT (merchant_id, company_id, currency) DO UPDATE SET version = credit_lines.version + 1`,
		l.MerchantID, l.CompanyID, string(l.Currency))
}

func (t *Tx) PutCreditHold(ctx context.Context, h store.CreditHold) error {
	if h.Amount <= 0 {
		return t.writeLater(ctx, "credit hold", `DELETE FROM credit_holds WHERE session_id = $1`, h.SessionID)
	}
	var expires int64
	if !h.ExpiresAt.IsZero() {
		expires = h.ExpiresAt.UnixMicro()
	}
	return t.writeLater(ctx, "credit hold", `INSERT INTO credit_holds (session_id, merchant_id, company_id, currency, amount, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (session_id) DO UPDATE SET merchant_id = excluded.merchant_id, company_id = excluded.company_id,
			currency = excluded.currency, amount = excluded.amount, expires_at = excluded.expires_at`,
		h.SessionID, h.Line.MerchantID, h.Line.CompanyID, string(h.Line.Currency), h.Amount, expires)
}

func (t *Tx) SessionOwner(ctx context.Context, sessionID string) (string, error) {
	var m string
	err := t.c.QueryRow(ctx, []any{&m}, `SELECT merchant_id FROM payment_sessions WHERE id = $1`, sessionID)
	return m, readErr(err, "session "+sessionID)
}
