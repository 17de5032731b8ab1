package postgres

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store/sqlstore"
)

// conn runs the shared statements (package store/sqlstore) in a
// transaction: a pgx.Tx for reads, and for writes a pooled connection on
// which BEGIN is sent with the first statement and COMMIT with the last
// writes (begin and commit), saving two round trips per transaction.
type conn struct {
	tx     querier
	n      *counts // the DB's statistics
	write  bool
	later  []pending // statements that go with the next one or the commit
	begun  bool      // BEGIN has been sent
	failed error     // a pending write's failure: the transaction must not commit
}

// counts are the statements and round trips sent (store.Stats).
type counts struct{ statements, roundTrips atomic.Int64 }

// add counts a round trip of statements statements.
func (n *counts) add(statements int) {
	n.statements.Add(int64(statements))
	n.roundTrips.Add(1)
}

// querier is what conn needs of a pgx.Tx or a *pgx.Conn.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// begin starts a read-committed transaction on c, with the first
// statement sent.
func begin(c *pgx.Conn, n *counts) *conn {
	return &conn{tx: c, n: n, write: true, later: []pending{{query: "BEGIN ISOLATION LEVEL READ COMMITTED", check: func(_ int64, err error) error {
		return err
	}}}}
}

// commit sends the pending writes and COMMIT, together when it is safe;
// on any failure the transaction is rolled back.
func (c *conn) commit(ctx context.Context) error {
	// A write whose check fails on a statement that succeeded (one that
	// must change a row and changed none) aborts nothing in PostgreSQL,
	// so a COMMIT in its batch would commit the rest: such writes are
	// sent in a form that fails when they change no row (mustChange). A
	// check is a function of the outcome, so asking it about "no row
	// changed, no error" finds them.
	for i, p := range c.later {
		if p.check(0, nil) != nil {
			c.later[i] = p.mustChange()
		}
	}
	if c.failed != nil {
		c.rollback(ctx)
		return c.failed
	}
	br, err := c.send(ctx, func(b *pgx.Batch) { b.Queue("COMMIT") })
	if err != nil {
		c.rollback(ctx)
		return err
	}
	tag, err := br.Exec()
	if err = errors.Join(err, br.Close()); err == nil && tag.String() != "COMMIT" {
		// PostgreSQL answers COMMIT in a failed transaction by rolling it back.
		err = errors.New("the transaction failed and was rolled back")
	}
	if err != nil {
		c.rollback(ctx)
		return err
	}
	c.begun = false
	return nil
}

// rollback ends a transaction that was begun; one whose BEGIN is still
// pending was never started.
func (c *conn) rollback(ctx context.Context) {
	c.later = nil
	if c.begun {
		c.n.add(1)
		c.tx.Exec(ctx, "ROLLBACK") // a failure leaves the connection broken, and the pool drops it
		c.begun = false
	}
}

// pending is a statement sent later and how its outcome is judged: a
// write (ExecLater), or a read whose rows scan takes (QueryLater).
type pending struct {
	query string
	args  []any
	check func(int64, error) error
	scan  func(sqlstore.Scanner) error
}

// mustChange is p sent so that changing no row fails it, and the
// transaction with it (kassa_changed, migration 0027): a COMMIT in its
// batch then commits nothing. Its check sees such a failure as what it
// is, no row changed.
func (p pending) mustChange() pending {
	query := p.query
	if !strings.HasPrefix(query, "SELECT") {
		query += " RETURNING 1"
	}
	return pending{
		query: "WITH changed AS (" + query + ") SELECT kassa_changed(count(*)) FROM changed",
		args:  p.args,
		check: func(n int64, err error) error {
			if sqlState(err) == "P0002" {
				return p.check(0, nil)
			}
			return p.check(n, err)
		},
	}
}

// result reads p's outcome from br: the rows a write changed, or a
// read's rows, scanned.
func (p pending) result(br pgx.BatchResults) (int64, error) {
	if p.scan == nil {
		tag, err := br.Exec()
		return tag.RowsAffected(), err
	}
	rows, err := br.Query()
	if err == nil {
		err = scanRows(rows, p.scan)
	}
	return 0, err
}

// QueryLater holds the read until the transaction's next statement, or
// its commit, and sends them together, the read first.
func (c *conn) QueryLater(_ context.Context, q sqlstore.Query) error {
	if c.failed != nil {
		return c.failed
	}
	c.later = append(c.later, pending{query: q.SQL, args: q.Args, scan: q.Scan, check: func(_ int64, err error) error { return err }})
	return nil
}

// ExecLater holds the write until the transaction's next statement, or its
// commit, and sends them together: one round trip instead of two. The
// write runs under the context of the call that sends it.
func (c *conn) ExecLater(_ context.Context, check func(int64, error) error, query string, args ...any) error {
	if c.failed != nil {
		return c.failed
	}
	c.later = append(c.later, pending{query: query, args: args, check: check})
	return nil
}

// send runs the pending writes and then the statements queue adds, in one
// round trip, and returns the results of queue's statements. A pending
// write that fails ends it with that write's error, and so does every
// later call: the transaction cannot commit.
func (c *conn) send(ctx context.Context, queue func(*pgx.Batch)) (pgx.BatchResults, error) {
	if c.failed != nil {
		return nil, c.failed
	}
	b := &pgx.Batch{}
	for _, p := range c.later {
		b.Queue(p.query, p.args...)
	}
	queue(b)
	later := c.later
	c.later = nil
	c.begun = c.begun || c.write // a write conn's first batch holds BEGIN
	c.n.add(b.Len())
	br := c.tx.SendBatch(ctx, b)
	for _, p := range later {
		n, err := p.result(br)
		if err := p.check(n, err); err != nil {
			br.Close()
			c.failed = err
			return nil, err
		}
	}
	return br, nil
}

func (c *conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if len(c.later) == 0 && c.failed == nil {
		c.n.add(1)
		tag, err := c.tx.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	br, err := c.send(ctx, func(b *pgx.Batch) { b.Queue(query, args...) })
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	return tag.RowsAffected(), errors.Join(err, br.Close())
}

// ExecEach sends the statements in one batch: one round trip for all.
func (c *conn) ExecEach(ctx context.Context, query string, argsList [][]any) error {
	if len(argsList) == 0 {
		return nil
	}
	br, err := c.send(ctx, func(b *pgx.Batch) {
		for _, args := range argsList {
			b.Queue(query, args...)
		}
	})
	if err != nil {
		return err
	}
	for range argsList {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

func (c *conn) QueryRow(ctx context.Context, dest []any, query string, args ...any) error {
	var err error
	if len(c.later) == 0 && c.failed == nil {
		c.n.add(1)
		err = c.tx.QueryRow(ctx, query, args...).Scan(dest...)
	} else {
		var br pgx.BatchResults
		if br, err = c.send(ctx, func(b *pgx.Batch) { b.Queue(query, args...) }); err != nil {
			return err
		}
		err = errors.Join(br.QueryRow().Scan(dest...), br.Close())
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

func (c *conn) Query(ctx context.Context, scan func(sqlstore.Scanner) error, query string, args ...any) error {
	if len(c.later) == 0 && c.failed == nil {
		c.n.add(1)
		rows, err := c.tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		return scanRows(rows, scan)
	}
	br, err := c.send(ctx, func(b *pgx.Batch) { b.Queue(query, args...) })
	if err != nil {
		return err
	}
	rows, err := br.Query()
	if err == nil {
		err = scanRows(rows, scan)
	}
	return errors.Join(err, br.Close())
}

// Queries sends the queries in one batch, with the pending writes.
func (c *conn) Queries(ctx context.Context, qs ...sqlstore.Query) error {
	br, err := c.send(ctx, func(b *pgx.Batch) {
		for _, q := range qs {
			b.Queue(q.SQL, q.Args...)
		}
	})
	if err != nil {
		return err
	}
	for _, q := range qs {
		rows, err := br.Query()
		if err == nil {
			err = scanRows(rows, q.Scan)
		}
		if err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

func scanRows(rows pgx.Rows, scan func(sqlstore.Scanner) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (c *conn) IsUniqueViolation(err error) bool { return sqlState(err) == "23505" }
func (c *conn) IsNullViolation(err error) bool   { return sqlState(err) == "23502" }

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
	_, err := c.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, name)
	return err
}

// ClaimKey takes a transaction-scoped advisory lock on the key, so a
// request whose first try is still running on another replica is told so
// at once (409) instead of waiting for it. Once the lock is free, the
// first try has committed or rolled back, and the next statement's fresh
// snapshot (read committed) sees its stored answer, if any. The lock is
// sent with that next statement (ExecLater), in one round trip: it runs
// first, and its query returns a row only when it got the lock.
func (c *conn) ClaimKey(ctx context.Context, merchantID, key string) error {
	if !c.write {
		return nil
	}
	// Merchant IDs hold no spaces, so the joined text names one key.
	return c.ExecLater(ctx, func(got int64, err error) error {
		if err == nil && got == 0 {
			err = kassa.Errorf(kassa.EIdempotencyInFlight, "a request with this Idempotency-Key is still being processed; retry later")
		}
		return err
	}, `SELECT 1 WHERE pg_try_advisory_xact_lock(hashtextextended($1, 0))`, merchantID+" "+key)
}

// sqlState is err's PostgreSQL error code, or "".
func sqlState(err error) string {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code
	}
	return ""
}
