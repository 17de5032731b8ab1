package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
)

// clientColumns are the columns clientRow scans, in its order.
const clientColumns = `id, merchant_id, name, scope, secret_hash, created_at, generation, rotated_at, previous_hash, previous_until, revoked_at`

// clientRow is an API client as its row holds it.
type clientRow struct {
	c                                        merchant.Client
	scope                                    string
	created, rotated, previousUntil, revoked int64
}

func (r *clientRow) dest() []any {
	return []any{&r.c.ID, &r.c.MerchantID, &r.c.Name, &r.scope, &r.c.SecretHash, &r.created,
		&r.c.Generation, &r.rotated, &r.c.PreviousHash, &r.previousUntil, &r.revoked}
}

func (r *clientRow) client() merchant.Client {
	c := r.c
	c.Scope, c.CreatedAt = merchant.Scope(r.scope), fromMicros(r.created)
	c.RotatedAt, c.PreviousUntil, c.RevokedAt = timeOrZero(r.rotated), timeOrZero(r.previousUntil), timeOrZero(r.revoked)
	return c
}

// timeOrZero is the time of microseconds us, the zero time for 0
// (microsOrZero's inverse).
func timeOrZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func (t *Tx) Client(ctx context.Context, id string) (*merchant.Client, error) {
	var r clientRow
	if err := t.c.QueryRow(ctx, r.dest(), `SELECT `+clientColumns+` FROM api_clients WHERE id = $1`, id); err != nil {
		return nil, readErr(err, "client "+id)
	}
	c := r.client()
	return &c, nil
}

// queryClients lists the clients query selects (with clientColumns).
func (t *Tx) queryClients(ctx context.Context, query string, args ...any) ([]merchant.Client, error) {
	var cs []merchant.Client
	err := t.c.Query(ctx, func(rows Scanner) error {
		var r clientRow
		if err := rows.Scan(r.dest()...); err != nil {
			return err
		}
		cs = append(cs, r.client())
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list API clients: %w", err)
	}
	return cs, nil
}

func (t *Tx) Clients(ctx context.Context, merchantID string) ([]merchant.Client, error) {
	if err := t.c.Lock(ctx, "api clients "+merchantID); err != nil {
		return nil, err
	}
	return t.queryClients(ctx, `SELECT `+clientColumns+` FROM api_clients WHERE merchant_id = $1 ORDER BY created_at, id`, merchantID)
}

func (t *Tx) ClientChanges(ctx context.Context, since time.Time) ([]merchant.Client, error) {
	from := max(since.UnixMicro(), 1) // 0 is never
	cs, err := t.queryClients(ctx, `SELECT `+clientColumns+` FROM api_clients WHERE revoked_at >= $1 OR rotated_at >= $1 ORDER BY id`, from)
	for i := range cs {
		cs[i].SecretHash, cs[i].PreviousHash = nil, nil // what reads the changes needs no secrets
	}
	return cs, err
}

func (t *Tx) CreateClient(ctx context.Context, c *merchant.Client) error {
	_, err := t.c.Exec(ctx, `INSERT INTO api_clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.MerchantID, c.Name, string(c.Scope), c.SecretHash, c.CreatedAt.UnixMicro(),
		c.Generation, microsOrZero(c.RotatedAt), c.PreviousHash, microsOrZero(c.PreviousUntil), microsOrZero(c.RevokedAt))
	return t.writeErr(err, "client "+c.ID)
}

func (t *Tx) RotateClient(ctx context.Context, c *merchant.Client) error {
	what := "API client " + c.ID
	n, err := t.c.Exec(ctx, `UPDATE api_clients SET secret_hash = $3, generation = $4, rotated_at = $5, previous_hash = $6, previous_until = $7
		WHERE `+byID,
		c.ID, c.MerchantID, c.SecretHash, c.Generation, microsOrZero(c.RotatedAt), c.PreviousHash, microsOrZero(c.PreviousUntil))
	if err != nil {
		return t.writeErr(err, what)
	}
	return mustChange(n, what)
}

func (t *Tx) RevokeClient(ctx context.Context, merchantID, id string, at time.Time) error {
	what := "API client " + id
	if at.IsZero() {
		return kassa.Errorf(kassa.EInvalid, "%s cannot be revoked at the zero time, which means never", what)
	}
	n, err := t.c.Exec(ctx, `UPDATE api_clients SET revoked_at = $3 WHERE `+byID, id, merchantID, at.UnixMicro())
	if err != nil {
		return t.writeErr(err, what)
	}
	return mustChange(n, what)
}
