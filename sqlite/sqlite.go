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
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/store/sqlstore"
)

var _ store.Store = (*DB)(nil)

// readers is the size of the read pool. Readers never block the writer in
// WAL mode, so this bounds only concurrent Views.
const readers = 4

// DB is a SQLite database. Its methods are safe for concurrent use.
type DB struct {
	writer *sql.DB    // one connection, held by writes
	writes *connStmts // the writer's connection, used only by the writer goroutine
	reader *sql.DB    // query_only connections for View
	reads  *stmts     // prepared on reader
	ckpt   *sql.DB    // one connection, used only by the checkpoint goroutine

	mu       sync.RWMutex // held to send on requests, taken to close it
	closed   bool
	requests chan *request
	stopped  chan struct{} // closed once the last request is answered
	// committed wakes the checkpoint goroutine after a commit;
	// ckptStopped is closed when it returns.
	committed   chan struct{}
	ckptStopped chan struct{}

	// How many transactions the writer committed, and how many requests
	// they answered; the statements run (Stats).
	batches, batched, statements atomic.Int64

	// The writer's commits waiting for their fsync (sync.go): syncs
	// carries them to the sync goroutine, which fsyncs wal. begun
	// numbers the commits, synced is the last one durable, advanced is
	// closed (and replaced, under syncMu) when synced grows; syncErr is
	// a failed fsync's error.
	syncs    chan commitment
	wal      walFile
	begun    atomic.Int64
	synced   atomic.Int64
	syncMu   sync.Mutex
	advanced chan struct{}
	syncErr  atomic.Pointer[error]
}

// Stats reads the readers' pool, the commits and the updates waiting for
// the writer.
func (db *DB) Stats() store.Stats {
	r := db.reader.Stats()
	return store.Stats{
		MaxConns: r.MaxOpenConnections, OpenConns: r.OpenConnections, InUseConns: r.InUse, IdleConns: r.Idle,
		Waits: r.WaitCount, WaitTime: r.WaitDuration,
		Commits: db.batches.Load(), Updates: db.batched.Load(),
		Queued:     len(db.requests),
		Statements: db.statements.Load(),
	}
}

// Open opens or creates the database at path and brings its schema up to
// date. A new database file is readable and writable by its owner only
// (it holds token signing keys), and SQLite gives its -wal and -shm files
// the database file's mode. A database it created is removed again when
// it fails.
func Open(path string) (*DB, error) { return open(path, nil) }

// open is Open, with the WAL file wrapped by wrap unless it is nil (the
// tests' way to watch and fail its fsyncs).
func open(path string, wrap func(walFile) walFile) (db *DB, err error) {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
		defer func() {
			if err != nil {
				os.Remove(path)
				os.Remove(path + "-wal")
				os.Remove(path + "-shm")
			}
		}()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := registerWALVFS(); err != nil {
		return nil, err
	}
	writer, err := sql.Open("sqlite", dsn(path, "NORMAL", url.Values{"vfs": {walVFS}, "_pragma": {"wal_autocheckpoint(" + strconv.Itoa(walRestartPages) + ")"}}))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	if err := migrate(context.Background(), writer, ""); err != nil {
		writer.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	wal, err := openWAL(path)
	if err == nil {
		if wrap != nil {
			wal = wrap(wal)
		}
		if err = wal.Sync(); err != nil { // the migrations' commits
			wal.Close()
		}
	}
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", dsn(path, "FULL", url.Values{"_pragma": {"query_only(1)"}}))
	if err == nil {
		if err = reader.Ping(); err != nil {
			reader.Close()
		}
	}
	if err != nil {
		writer.Close()
		wal.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	ckpt, err := sql.Open("sqlite", dsn(path, "FULL", nil))
	if err == nil {
		if err = ckpt.Ping(); err != nil {
			ckpt.Close()
		}
	}
	if err != nil {
		writer.Close()
		reader.Close()
		wal.Close()
		return nil, fmt.Errorf("open %s for checkpoints: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	wconn, err := writer.Conn(context.Background())
	if err != nil {
		writer.Close()
		reader.Close()
		ckpt.Close()
		wal.Close()
		return nil, fmt.Errorf("open %s for writing: %w", path, err)
	}

	db = &DB{
		writer:      writer,
		reader:      reader,
		ckpt:        ckpt,
		requests:    make(chan *request, maxBatch),
		stopped:     make(chan struct{}),
		committed:   make(chan struct{}, 1),
		ckptStopped: make(chan struct{}),
		syncs:       make(chan commitment, maxBatch),
		wal:         wal,
		advanced:    make(chan struct{}),
	}
	db.writes = &connStmts{conn: wconn, n: &db.statements, ready: map[string]*sql.Stmt{}}
	db.reads = newStmts(reader, &db.statements)
	go db.write()
	go db.syncWAL()
	go db.checkpoint()
	return db, nil
}

// ckptInterval is the least time between two checkpoints. Short, so
// that each copies few pages: the database file's fsync at the end of a
// checkpoint delays the WAL's fsyncs that overlap it, and with them the
// answers to every request they cover (docs/benchmarks.md, "Checkpoints
// more often").
const ckptInterval = 30 * time.Millisecond

// checkpoint is the checkpoint goroutine. It copies committed pages from
// the WAL into the database file (a PASSIVE checkpoint, which waits for
// no one) on a connection of its own, at most every ckptInterval while
// commits come: off the writer, whose commits SQLite would otherwise
// stall every 1,000 pages to do it, with an fsync of the database file.
// A commit's durability is the WAL's fsync, which the writer still makes.
// The writer starts the WAL from its beginning again only when it finds
// every frame copied, which under a steady stream of commits it never
// does: each passive checkpoint catches the frames committed before it
// began, never those committed while it ran. So the writer still
// checkpoints, past walRestartPages (wal_autocheckpoint), copying only the
// frames committed since the last passive checkpoint, and then starts the
// WAL again: the WAL stays bounded, at about 160 MiB. That checkpoint syncs
// the WAL and the database file inside a COMMIT, stalling the requests
// queued behind it for some 10 ms; past 10,000 pages it did so four
// times as often, and the stalls showed in every operation's p99
// (docs/benchmarks.md, "The WAL restarted less often").
func (db *DB) checkpoint() {
	defer close(db.ckptStopped)
	for range db.committed {
		if _, err := db.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			// Only the WAL grows meanwhile; the next commit tries again.
			continue
		}
		select {
		case <-db.stopped:
			return
		case <-time.After(ckptInterval):
		}
	}
}

// walRestartPages is the WAL's length, in pages, past which the writer
// checkpoints and starts the WAL again (checkpoint). A variable so that
// the tests can make it short.
var walRestartPages = 40000

// dsn is the data source name for path with the pragmas every connection
// needs, synchronous set to sync, plus extra. Every commit is durable on
// power loss before anyone learns of it: FULL makes SQLite fsync the WAL
// in COMMIT; the writer's NORMAL leaves that to the sync goroutine, which
// answers no request before it (sync.go). temp_store(MEMORY)
// keeps the statement journals of the group commit's savepoints in
// memory: they only ever roll back a request within its transaction, and
// past 64 KiB SQLite would write them to a temporary file, a pwrite per
// page a request changes (TestWriterPragmas).
func dsn(path, sync string, extra url.Values) string {
	q := url.Values{"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(" + sync + ")", "foreign_keys(1)", "temp_store(MEMORY)"}}
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
	close(db.committed)
	<-db.ckptStopped
	werr := db.writes.close()
	db.reads.close()
	return errors.Join(werr, db.reader.Close(), db.ckpt.Close(), db.writer.Close(), db.wal.Close())
}

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, in lexical order, each embedded migration not yet
// recorded in schema_migrations, up to and including last ("" for all),
// each in its own transaction. Migrations
// are forward-only: a released one is never edited, only followed, and a
// database that has migrations this build does not know is refused. The
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
	if err := checkSchema(ctx, db, files); err != nil {
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

// checkSchema refuses a schema a newer Kassa migrated
// (sqlstore.NewerSchema).
func checkSchema(ctx context.Context, db *sql.DB, files []fs.DirEntry) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return err
	}
	var applied []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		applied = append(applied, name)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	return sqlstore.NewerSchema(applied, files)
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

// Backup writes a consistent copy of the database at path to a new file
// to, readable and writable by its owner only, while other processes go
// on reading and writing it: VACUUM INTO reads one snapshot, so it waits
// for no writer and no writer waits for it. The copy is a database like
// any other (it needs no -wal file) and is synced to disk before Backup
// returns. It neither creates nor migrates the database at path, and
// refuses a file to that exists already.
func Backup(ctx context.Context, path, to string) (err error) {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database to back up: %w", err)
	}
	f, err := os.OpenFile(to, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600) // VACUUM INTO takes an empty file, and keeps its mode
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	defer func() {
		if err = errors.Join(err, f.Close()); err != nil {
			os.Remove(to)
		}
	}()
	db, err := sql.Open("sqlite", dsn(path, "FULL", nil)) // not query_only, which refuses VACUUM INTO
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, to); err != nil {
		return fmt.Errorf("backing up %s: %w", path, err)
	}
	return f.Sync()
}
