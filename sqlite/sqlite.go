// Package sqlite is the embedded store: a single SQLite file in WAL mode,
// written by one goroutine that commits concurrent updates together, and
// read through a small pool of read-only connections.
//
// The statements themselves are package sqlstore's, shared with the
// PostgreSQL store; this package adds the connection handling.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"sync/atomic"

	"github.com/kassa-pay/kassa/store"
)

var _ store.Store = (*DB)(nil)

// readers is the size of the read pool. Readers never block the writer in
// WAL mode, so this bounds only concurrent Views.
const readers = 4

// DB is a SQLite database. Its methods are safe for concurrent use.
type DB struct {
	writer *sql.DB // one connection, used only by the writer goroutine
	reader *sql.DB // query_only connections for View
	writes *stmts  // prepared on writer
	reads  *stmts  // prepared on reader

	mu       sync.RWMutex // held to send on requests, taken to close it
	closed   bool
	requests chan *request
	stopped  chan struct{} // closed when the writer goroutine returns

	// How many transactions the writer committed, and how many requests
	// they answered (Stats).
	batches, batched atomic.Int64
}

// Stats reads the readers' pool, the commits and the updates waiting for
// the writer.
func (db *DB) Stats() store.Stats {
	r := db.reader.Stats()
	return store.Stats{
		MaxConns: r.MaxOpenConnections, OpenConns: r.OpenConnections, InUseConns: r.InUse, IdleConns: r.Idle,
		Waits: r.WaitCount, WaitTime: r.WaitDuration,
		Commits: db.batches.Load(), Updates: db.batched.Load(),
		Queued: len(db.requests),
	}
}

// Open opens or creates the database at path and brings its schema up to
// date. A new database file is readable and writable by its owner only
// (it holds token signing keys), and SQLite gives its -wal and -shm files
// the database file's mode.
func Open(path string) (*DB, error) {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	writer, err := sql.Open("sqlite", dsn(path, url.Values{"_txlock": {"immediate"}}))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	if err := migrate(context.Background(), writer, ""); err != nil {
		writer.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", dsn(path, url.Values{"_pragma": {"query_only(1)"}}))
	if err == nil {
		if err = reader.Ping(); err != nil {
			reader.Close()
		}
	}
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)

	db := &DB{
		writer:   writer,
		reader:   reader,
		writes:   newStmts(writer),
		reads:    newStmts(reader),
		requests: make(chan *request, maxBatch),
		stopped:  make(chan struct{}),
	}
	go db.write()
	return db, nil
}

// dsn is the data source name for path with the pragmas every connection
// needs plus extra. synchronous(FULL) makes each commit durable on power
// loss, which WAL's NORMAL does not: this is money.
func dsn(path string, extra url.Values) string {
	q := url.Values{"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"}}
	for k, vs := range extra {
		q[k] = append(q[k], vs...)
	}
	return path + "?" + q.Encode()
}

// Close waits for queued updates to commit, then closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	close(db.requests)
	db.mu.Unlock()
	<-db.stopped
	db.writes.close()
	db.reads.close()
	return errors.Join(db.reader.Close(), db.writer.Close())
}

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, in lexical order, each embedded migration not yet
// recorded in schema_migrations, up to and including last ("" for all),
// each in its own transaction. Migrations
// are forward-only: a released one is never edited, only followed. The
// transactions begin IMMEDIATE, so two processes opening a new file at
// once take turns and the second finds the work done.
func migrate(ctx context.Context, db *sql.DB, last string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY) STRICT`); err != nil {
		return err
	}
	files, err := fs.ReadDir(migrations, "migrations") // sorted by name
	if err != nil {
		return err
	}
	for _, f := range files {
		if last != "" && f.Name() > last {
			break
		}
		if err := migrateFile(ctx, db, f.Name()); err != nil {
			return fmt.Errorf("%s: %w", f.Name(), err)
		}
	}
	return nil
}

func migrateFile(ctx context.Context, db *sql.DB, name string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	sqlText, err := fs.ReadFile(migrations, "migrations/"+name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(sqlText)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
		return err
	}
	return tx.Commit()
}
