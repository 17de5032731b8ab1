package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/store/sqlstore"
)

// maxBatch caps how many updates share one commit, so that one fsync
// never waits on an unbounded amount of work.
const maxBatch = 128

var errClosed = errors.New("sqlite: database is closed")

// request is one Update waiting for the writer.
type request struct {
	ctx  context.Context
	fn   func(store.Tx) error
	err  error      // fn's outcome, set by the writer
	done chan error // the final answer, sent once
}

// Update runs fn in a read-write transaction and returns once it has
// committed durably, or with fn's error after undoing fn's writes.
//
// Concurrent Updates share a commit, and so an fsync: the writer goroutine
// runs every update queued behind the first in one transaction, each fn in
// its own savepoint, then commits once. fn therefore sees the writes of
// the updates before it in the batch, and must not call Update itself: it
// runs on the writer goroutine, which would wait for itself forever.
//
// If ctx is done before fn starts, Update returns ctx.Err() and fn never
// runs. Once fn has run, its outcome stands whatever happens to ctx: ctx
// only stops fn's later statements, which then fail with ctx.Err(). A
// panic in fn is returned as an error.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := db.enqueue(r); err != nil {
		return err
	}
	// Not selecting on ctx here: once queued, fn may commit, and the
	// caller must learn whether it did.
	return <-r.done
}

func (db *DB) enqueue(r *request) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return errClosed
	}
	select {
	case db.requests <- r:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// write is the writer goroutine. It takes the first request plus every
// other already queued, without waiting for more: under load the queue
// fills while the previous batch commits, so batches grow with
// concurrency and a lone update is never delayed.
func (db *DB) write() {
	defer close(db.syncs)
	for r := range db.requests {
		batch := make([]*request, 1, maxBatch)
		batch[0] = r
		db.commit(appendQueued(batch, db.requests, maxBatch))
	}
}

// appendQueued appends to batch what ch holds now, without waiting for
// more, until batch holds max.
func appendQueued[T any](batch []T, ch <-chan T, max int) []T {
	for len(batch) < max {
		select {
		case v, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}

// commit runs a batch in one transaction and hands it to the sync
// goroutine, which answers every request once the commit is durable:
// fn's own error, or the transaction's error for those whose fn
// succeeded.
func (db *DB) commit(batch []*request) {
	// The transaction outlives any one request, so none of their contexts
	// may cancel it.
	ctx := context.Background()
	var seq int64
	err := func() error {
		if err := db.syncFailed(); err != nil {
			return err
		}
		if err := db.begin(ctx); err != nil {
			return fmt.Errorf("sqlite: begin: %w", err)
		}
		for _, r := range batch {
			if r.err = r.ctx.Err(); r.err != nil {
				continue
			}
			if err := db.runInSavepoint(ctx, r); err != nil {
				// SQLite may have rolled the whole transaction back (a
				// full disk, say), so nothing in it can be trusted.
				db.rollback(ctx)
				return fmt.Errorf("sqlite: batch aborted: %w", err)
			}
		}
		// Counted before the commit can show: a View that sees it waits
		// for its sync.
		seq = db.begun.Add(1)
		if _, err := db.writes.exec(ctx, `COMMIT`); err != nil {
			db.rollback(ctx)
			return fmt.Errorf("sqlite: commit: %w", err)
		}
		return nil
	}()
	if err == nil {
		db.batches.Add(1)
		db.batched.Add(int64(len(batch)))
		select {
		case db.committed <- struct{}{}:
		default: // a checkpoint is already due
		}
	}
	for _, r := range batch {
		if r.err == nil {
			r.err = err
		}
	}
	db.syncs <- commitment{seq: seq, batch: batch}
}

// runInSavepoint runs r.fn, setting r.err, and keeps its writes only if it
// succeeds. The error returned is the savepoint's own, which breaks the
// whole batch.
func (db *DB) runInSavepoint(ctx context.Context, r *request) error {
	if _, err := db.writes.exec(ctx, `SAVEPOINT request`); err != nil {
		return err
	}
	c := &conn{run: db.writes}
	if r.err = call(r.fn, sqlstore.NewTx(c)); r.err == nil {
		r.err = c.failed
	}
	if r.err != nil {
		if _, err := db.writes.exec(ctx, `ROLLBACK TO request`); err != nil {
			return err
		}
	}
	_, err := db.writes.exec(ctx, `RELEASE request`)
	return err
}

// begin begins the writer's transaction for a batch. A transaction a
// failed ROLLBACK left open would fail BEGIN, and with it every batch
// after: it is rolled back, and BEGIN tried once more.
func (db *DB) begin(ctx context.Context) error {
	if _, err := db.writes.exec(ctx, `BEGIN IMMEDIATE`); err == nil {
		return nil
	}
	db.rollback(ctx)
	_, err := db.writes.exec(ctx, `BEGIN IMMEDIATE`)
	return err
}

// rollback ends the writer's transaction after a failure. SQLite may
// have ended it already, and then ROLLBACK fails, harmlessly.
func (db *DB) rollback(ctx context.Context) {
	db.statements.Add(1)
	db.writes.conn.ExecContext(ctx, `ROLLBACK`)
}

// call runs fn, turning a panic into an error so that it fails one
// request instead of the writer goroutine and the process with it.
func call(fn func(store.Tx) error, t store.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: update panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(t)
}

// View runs fn in a read transaction on its own connection: it sees one
// consistent snapshot, taken at its first read, and never delays the
// writer. It returns once every commit its snapshot may hold is durable,
// so that what it read is never lost to a crash.
func (db *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	db.statements.Add(2) // BEGIN, ROLLBACK
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer db.reads.prepare(ctx) // after the rollback below frees the connection
	defer tx.Rollback()
	if err := fn(sqlstore.NewTx(&conn{run: txStmts{tx, db.reads}})); err != nil {
		return err
	}
	return db.waitSynced(ctx)
}
