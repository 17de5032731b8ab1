package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store/sqlstore"
)

// conn runs the shared statements (package store/sqlstore) in a pgx
// transaction.
type conn struct {
	tx    pgx.Tx
	write bool
}

func (c *conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

// ExecEach sends the statements in one batch: one round trip for all.
func (c *conn) ExecEach(ctx context.Context, query string, argsList [][]any) error {
	if len(argsList) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, args := range argsList {
		b.Queue(query, args...)
	}
	br := c.tx.SendBatch(ctx, b)
	for range argsList {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

func (c *conn) QueryRow(ctx context.Context, dest []any, query string, args ...any) error {
	err := c.tx.QueryRow(ctx, query, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

func (c *conn) Query(ctx context.Context, scan func(sqlstore.Scanner) error, query string, args ...any) error {
	rows, err := c.tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (c *conn) IsUniqueViolation(err error) bool { return sqlState(err) == "23505" }

func (c *conn) ForUpdate() string {
	if c.write {
		return " FOR UPDATE"
	}
	return ""
}

func (c *conn) Lock(ctx context.Context, name string) error {
	if !c.write {
		return nil
	}
	_, err := c.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, name)
	return err
}

// ClaimKey takes a transaction-scoped advisory lock on the key, so a
// request whose first try is still running on another replica is told so
// at once (409) instead of waiting for it. Once the lock is free, the
// first try has committed or rolled back, and the next statement's fresh
// snapshot (read committed) sees its stored answer, if any.
func (c *conn) ClaimKey(ctx context.Context, merchantID, key string) error {
	if !c.write {
		return nil
	}
	var got bool
	// Merchant IDs hold no spaces, so the joined text names one key.
	err := c.tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`, merchantID+" "+key).Scan(&got)
	if err != nil {
		return err
	}
	if !got {
		return kassa.Errorf(kassa.EIdempotencyInFlight, "a request with this Idempotency-Key is still being processed; retry later")
	}
	return nil
}

// sqlState is err's PostgreSQL error code, or "".
func sqlState(err error) string {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code
	}
	return ""
}
