// Package postgres is the store for several Kassa processes sharing one
// PostgreSQL database. Transactions run at read committed and lock what
// they will change: a row they read to write (SELECT … FOR UPDATE), or a
// name (an advisory lock) for rows that may not exist yet. Conflicting
// requests for one order, on any replica, so take turns, and the second
// sees the first's result. Serializable isolation would give the same
// guarantees without the locks, but aborts most concurrent transactions on
// index-page conflicts that are not real ones (measured: more rollbacks
// than commits at concurrency 16). Group commit comes from PostgreSQL
// itself, which flushes concurrent commits together.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/store/sqlstore"
)

var _ store.Store = (*DB)(nil)

// DefaultMaxConns is the pool size unless the URL sets pool_max_conns.
// PostgreSQL can only flush commits together that arrive together, so the
// pool must let enough requests commit at once to keep it busy.
const DefaultMaxConns = 32

// maxAttempts bounds how often Update runs a function that keeps being
// aborted; the last failure is answered as a conflict the client may
// retry.
const maxAttempts = 50

// DB is a PostgreSQL database. Its methods are safe for concurrent use.
type DB struct {
	pool    *pgxpool.Pool
	commits atomic.Int64 // read-write transactions committed (Stats)
	counts  counts
}

// Open connects to the database at url (a postgres:// URL or key=value
// string; pool_max_conns, pool_max_conn_lifetime, connect_timeout and
// PostgreSQL settings such as statement_timeout may be given in it) and
// brings its schema up to date.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	// Durability is not negotiable for money: whatever the server's
	// default, a commit is on disk before Kassa answers.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	// Every statement is a key lookup: planning it again at each execution
	// costs more than it finds.
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := migrate(ctx, pool, ""); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return &DB{pool: pool}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Update runs fn in a transaction and commits it. When PostgreSQL aborts
// the transaction for a deadlock (two transactions locking the same rows
// in opposite orders) or a serialization failure, fn runs again in a new
// one, after a short random pause.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.try(ctx, fn)
		if !retryable(err) {
			return refused(err)
		}
		if attempt == maxAttempts {
			return &kassa.Error{Code: kassa.EConflict, Message: "the request conflicted with concurrent requests too often; retry it", Err: err}
		}
		pause := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (db *DB) try(ctx context.Context, fn func(store.Tx) error) error {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// A connection left inside a transaction (a failed ROLLBACK) is
	// closed by the pool rather than reused.
	defer pc.Release()
	c := begin(pc.Conn(), &db.counts)
	if err := fn(sqlstore.NewTx(c)); err != nil {
		c.rollback(context.WithoutCancel(ctx))
		return err
	}
	// Once fn has run, the caller's cancellation must not leave the
	// outcome unknown: the commit runs to its answer.
	if err := c.commit(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	db.commits.Add(1)
	return nil
}

// Stats reads the pool's statistics. Each commit answers one Update:
// PostgreSQL flushes concurrent commits together itself, unseen here.
func (db *DB) Stats() store.Stats {
	p := db.pool.Stat()
	n := db.commits.Load()
	return store.Stats{
		MaxConns: int(p.MaxConns()), OpenConns: int(p.TotalConns()), InUseConns: int(p.AcquiredConns()), IdleConns: int(p.IdleConns()),
		Waits: p.EmptyAcquireCount(), WaitTime: p.EmptyAcquireWaitTime(),
		Commits: n, Updates: n,
		Statements: db.counts.statements.Load(), RoundTrips: db.counts.roundTrips.Load(),
	}
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// would succeed if run again.
func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

// View runs fn in a read-only snapshot.
func (db *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	db.counts.add(1)
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin read: %w", err)
	}
	defer func() {
		db.counts.add(1)
		tx.Rollback(context.WithoutCancel(ctx))
	}()
	return refused(fn(sqlstore.NewTx(&conn{tx: tx, n: &db.counts})))
}

// refused turns PostgreSQL refusing a value it was given (text that is
// not UTF-8 or holds NUL, which SQLite would store; a key too long for
// an index) into EInvalid: such values come from a request, so the
// request is at fault, never the server. The API refuses such text
// before it gets here; this keeps any it misses from becoming a 500.
func refused(err error) error {
	switch sqlState(err) {
	case "22021", // character_not_in_repertoire: invalid UTF-8, NUL
		"22P05", // untranslatable_character: \u0000 in a JSON value taken as text
		"22025": // invalid_escape_sequence
		return &kassa.Error{Code: kassa.EInvalid, Message: "the request holds text that cannot be stored: text must be UTF-8 without NUL characters", Err: err}
	case "54000": // program_limit_exceeded: a value too large for its index
		return &kassa.Error{Code: kassa.EInvalid, Message: "the request holds a value too long to store", Err: err}
	}
	return err
}

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock that replicas starting together take
// in turn, so that one applies the migrations and the others find them
// done.
const migrationLock = 0x6b61737361 // "kassa"

// Migrate brings the schema at url up to date and returns the names of the
// migrations it applied.
func Migrate(ctx context.Context, url string) ([]string, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	return migrate(ctx, pool, "")
}

// migrate applies, in lexical order, each embedded migration not yet
// recorded in schema_migrations, up to and including last ("" for all),
// each in its own transaction, holding the migration lock throughout.
// Migrations are forward-only: a database that has migrations this build
// does not know is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool, last string) (applied []string, err error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, err
	}
	defer func() {
		_, uerr := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
		err = errors.Join(err, uerr)
	}()
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       text PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, err
	}
	files, err := fs.ReadDir(migrations, "migrations") // sorted by name
	if err != nil {
		return nil, err
	}
	rows, _ := c.Query(ctx, `SELECT name FROM schema_migrations`)
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if err := sqlstore.NewerSchema(recorded, files); err != nil {
		return nil, err
	}
	for _, f := range files {
		if last != "" && f.Name() > last {
			break
		}
		done, err := migrateFile(ctx, c.Conn(), f.Name())
		if err != nil {
			return applied, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if done {
			applied = append(applied, f.Name())
		}
	}
	return applied, nil
}

func migrateFile(ctx context.Context, c *pgx.Conn, name string) (bool, error) {
	tx, err := c.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	sqlText, err := fs.ReadFile(migrations, "migrations/"+name)
	if err != nil {
		return false, err
	}
	// No arguments: the simple protocol, which runs several statements.
	if _, err := tx.Exec(ctx, string(sqlText)); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}
