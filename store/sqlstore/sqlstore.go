// Package sqlstore implements store.Tx once for the SQL databases Kassa
// runs on. Its statements use $N placeholders and portable types (times as
// BIGINT unix microseconds UTC, documents as JSON text), so SQLite and
// PostgreSQL run the same ones. Each backend supplies a Conn: how to run a
// statement in its transaction, and the few things that differ.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/kassa-pay/kassa"
)

// Query is a query for Conn.Queries.
type Query struct {
	SQL  string
	Args []any
	Scan func(Scanner) error // called for each row
}

// ErrNoRows is what Conn.QueryRow returns when the query finds no row.
var ErrNoRows = errors.New("sqlstore: no rows")

// Scanner reads one row.
type Scanner interface{ Scan(dest ...any) error }

// Conn runs statements in one transaction of a backend.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	// QueryRow scans the first row into dest, or returns ErrNoRows.
	QueryRow(ctx context.Context, dest []any, query string, args ...any) error
	// Query calls scan for each row.
	Query(ctx context.Context, scan func(Scanner) error, query string, args ...any) error
	// Queries runs the queries in order, each its own statement, and calls
	// each one's Scan for its rows; a backend sends them together where it
	// can. On PostgreSQL a later one sees what committed while an earlier
	// one waited for a lock, which a join would not.
	Queries(ctx context.Context, qs ...Query) error
	// ExecLater runs a write whose outcome matters only if it fails: now,
	// or, where the backend gains by it, together with the transaction's
	// next statement or its commit. check turns the outcome into the
	// error that fails the transaction, which a later call on the Conn, or
	// the commit, may then return.
	ExecLater(ctx context.Context, check func(rowsAffected int64, err error) error, query string, args ...any) error
	// QueryLater runs a read whose rows are wanted only later: now, or,
	// where the backend gains by it, together with the transaction's next
	// statement, ahead of it. Its failure fails the transaction.
	QueryLater(ctx context.Context, q Query) error
	// ExecEach runs query once for each of argsList, in order, and stops at
	// the first error. A backend sends them together where it can.
	ExecEach(ctx context.Context, query string, argsList [][]any) error
	// IsUniqueViolation reports whether err is a unique-key clash.
	IsUniqueViolation(err error) bool
	// IsNullViolation reports whether err is a NULL written to a NOT NULL
	// column.
	IsNullViolation(err error) bool
	// ForUpdate is appended to a SELECT of a row the transaction may
	// write: it locks the row until the transaction ends, so concurrent
	// read-modify-writes of one row take turns, each reading the last
	// one's result. "" where writes are serial anyway.
	ForUpdate() string
	// Lock takes an exclusive lock on name until the transaction ends, for
	// read-modify-writes of rows that may not exist yet.
	Lock(ctx context.Context, name string) error
	// ClaimKey claims an Idempotency-Key for the rest of a read-write
	// transaction, or fails with EIdempotencyInFlight while another
	// transaction, in any process, holds it; a backend may send the claim
	// with the transaction's next statement (ExecLater), which then
	// returns that failure. A backend whose writes are already serial in
	// one process may do nothing.
	ClaimKey(ctx context.Context, merchantID, key string) error
}

// readErr turns ErrNoRows into ENotFound and gives any other error
// context; what names the row sought.
func readErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoRows):
		return kassa.Errorf(kassa.ENotFound, "%s not found", what)
	default:
		return fmt.Errorf("read %s: %w", what, err)
	}
}

// writeErr turns a unique-key clash into EConflict and gives any other
// error context; what names the row written.
func (t *Tx) writeErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if t.c.IsUniqueViolation(err) {
		return &kassa.Error{Code: kassa.EConflict, Message: what + " already exists", Err: err}
	}
	return fmt.Errorf("write %s: %w", what, err)
}

// writeLater runs a write with ExecLater: its failure is writeErr's.
func (t *Tx) writeLater(ctx context.Context, what, query string, args ...any) error {
	return t.c.ExecLater(ctx, func(_ int64, err error) error { return t.writeErr(err, what) }, query, args...)
}

// upsertLater runs with ExecLater an upsert whose WHERE refuses to
// replace some rows: its failure is writeErr's, and a refused
// replacement, which changes no row, is EConflict with message refused.
func (t *Tx) upsertLater(ctx context.Context, what, refused, query string, args ...any) error {
	return t.c.ExecLater(ctx, func(n int64, err error) error {
		if err != nil {
			return t.writeErr(err, what)
		}
		if n == 0 {
			return kassa.Errorf(kassa.EConflict, "%s", refused)
		}
		return nil
	}, query, args...)
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// unmarshal decodes a stored document into v. It is encoding/json's
// Unmarshal as go-json-experiment/json/v1 implements it, the code behind
// encoding/json in Go's jsonv2 experiment: the same results
// (FuzzUnmarshalAsEncodingJSON) in half the time and a third of the
// allocations (BenchmarkUnmarshalOrder). Every change to an order or a
// session decodes it on SQLite's one writer goroutine.
func unmarshal(doc string, v any) error { return jsonv1.Unmarshal([]byte(doc), v) }
