package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"

	"github.com/kassa-pay/kassa/store/sqlstore"
	modernc "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// conn runs the shared statements (package sqlstore) in a transaction of
// Update (read-write) or View (on a query_only connection, where any write
// fails).
type conn struct {
	run    runner
	failed error // a write's failure (ExecLater): the transaction must not commit
}

// detach checks ctx, then drops its cancellation for the statement about
// to run. Cancelling a running statement interrupts the connection, and
// SQLite answers an interrupted write by rolling back the whole
// transaction: in a group commit, every other request's writes too.
func detach(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

func (c *conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, err := detach(ctx)
	if err != nil {
		return 0, err
	}
	res, err := c.run.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Queries runs the queries one after the other.
func (c *conn) Queries(ctx context.Context, qs ...sqlstore.Query) error {
	for _, q := range qs {
		if err := c.Query(ctx, q.Scan, q.SQL, q.Args...); err != nil {
			return err
		}
	}
	return nil
}

// ExecLater runs the write now: it is a call into the database file, not
// a round trip. Its failure fails the transaction even if the caller goes
// on, as on PostgreSQL.
func (c *conn) ExecLater(ctx context.Context, check func(int64, error) error, query string, args ...any) error {
	if err := check(c.Exec(ctx, query, args...)); err != nil {
		c.failed = cmp.Or(c.failed, err)
	}
	return c.failed
}

// QueryLater runs the read now: it is a call into the database file, not
// a round trip. Its failure fails the transaction, as on PostgreSQL.
func (c *conn) QueryLater(ctx context.Context, q sqlstore.Query) error {
	if err := c.Query(ctx, q.Scan, q.SQL, q.Args...); err != nil {
		c.failed = cmp.Or(c.failed, err)
	}
	return c.failed
}

// ExecEach runs the statements one by one: they are calls into the
// database file, not round trips.
func (c *conn) ExecEach(ctx context.Context, query string, argsList [][]any) error {
	for _, args := range argsList {
		if _, err := c.Exec(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) QueryRow(ctx context.Context, dest []any, query string, args ...any) error {
	ctx, err := detach(ctx)
	if err != nil {
		return err
	}
	err = c.run.queryRow(ctx, query, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

func (c *conn) Query(ctx context.Context, scan func(sqlstore.Scanner) error, query string, args ...any) error {
	ctx, err := detach(ctx)
	if err != nil {
		return err
	}
	rows, err := c.run.query(ctx, query, args...)
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

// IsUniqueViolation goes by SQLite's extended result code, never by the
// message text.
func (c *conn) IsUniqueViolation(err error) bool {
	e, ok := errors.AsType[*modernc.Error](err)
	return ok && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// IsNullViolation goes by the extended result code too.
func (c *conn) IsNullViolation(err error) bool {
	e, ok := errors.AsType[*modernc.Error](err)
	return ok && e.Code() == sqlite3.SQLITE_CONSTRAINT_NOTNULL
}

// ForUpdate and Lock have nothing to do: the writer runs one transaction
// at a time (see ClaimKey).
func (c *conn) ForUpdate() string                  { return "" }
func (c *conn) Lock(context.Context, string) error { return nil }

// ClaimKey has nothing to do: one writer goroutine runs every Update of
// the process in turn, and a database file is served by one process, so
// no other transaction can hold the key. (Requests waiting for the writer
// are told apart by the API's own in-flight set.)
func (c *conn) ClaimKey(context.Context, string, string) error { return nil }
