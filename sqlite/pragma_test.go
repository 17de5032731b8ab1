package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/store"
)

// The writer's settings: WAL, synchronous NORMAL, which leaves the WAL's
// fsync to the sync goroutine (TestAnsweredOnceDurable shows no request
// is answered before it), and savepoints' statement journals kept in memory
// (temp_store MEMORY): each request runs in a savepoint of the group
// commit, and a journal on disk cost the writer a pwrite per page it
// changed; the writer checkpoints only past 40,000 pages, to start the
// WAL again (the checkpoint goroutine copies the pages first;
// docs/benchmarks.md, "SQLite settings" and "The WAL restarted less
// often").
func TestWriterPragmas(t *testing.T) {
	db := openIn(t, t.TempDir())
	for _, tt := range []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL: the sync goroutine fsyncs
		{"temp_store", "2"},  // MEMORY
		{"foreign_keys", "1"},
		{"wal_autocheckpoint", "40000"},
	} {
		var got string
		if err := db.writes.conn.QueryRowContext(context.Background(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
}

// A commit reaches the database file itself, not only the WAL, without
// the writer checkpointing: the checkpoint goroutine copies it there.
func TestCheckpointGoroutine(t *testing.T) {
	dir := t.TempDir()
	db := openIn(t, dir)
	ctx := context.Background()
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "checkpointed", []byte("yes")) }); err != nil {
		t.Fatal(err)
	}
	// The database file alone, copied without its WAL, has the row once
	// the checkpoint has run.
	inFile := func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "kassa.db"))
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := sql.Open("sqlite", cp)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var n int
		c.QueryRow(`SELECT count(*) FROM settings WHERE name = 'checkpointed'`).Scan(&n)
		return n == 1
	}
	for deadline := time.Now().Add(10 * time.Second); !inFile(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the commit never reached the database file")
		}
	}
}

// openIn opens the database kassa.db in dir, closed when the test ends.
func openIn(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestWALBounded: under a steady stream of commits, which never leaves
// the checkpoint goroutine's passive checkpoints a moment with every
// frame copied, the writer still starts the WAL again once it is
// walRestartPages long, so the WAL file stays about that long.
func TestWALBounded(t *testing.T) {
	defer func(n int) { walRestartPages = n }(walRestartPages)
	walRestartPages = 64
	dir := t.TempDir()
	db := openIn(t, dir)
	ctx := context.Background()
	value := bytes.Repeat([]byte("x"), 3000) // a page of its own
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 100 {
				name := fmt.Sprintf("s%d-%d", w, i)
				if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, name, value) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// 800 pages of values were written, plus the index's; a WAL never
	// started again would hold them all. A commit of up to eight requests
	// may cross the mark by their pages.
	fi, err := os.Stat(filepath.Join(dir, "kassa.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	if pages, most := fi.Size()/(walFrameHeader+4096), int64(2*walRestartPages); pages > most {
		t.Errorf("the WAL holds %d pages, want at most %d", pages, most)
	}
}

// The append-only tables number their rows with the plain rowid: their
// rows are never deleted, so AUTOINCREMENT would add nothing but a read
// and a write of sqlite_sequence to every insert.
func TestAppendOnlyTablesPlainRowid(t *testing.T) {
	db := openIn(t, t.TempDir())
	for _, table := range []string{"order_events", "audit_events", "credit_decisions"} {
		var ddl string
		if err := db.writes.conn.QueryRowContext(context.Background(), `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = $1`, table).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToUpper(ddl), "AUTOINCREMENT") {
			t.Errorf("%s is AUTOINCREMENT:\n%s", table, ddl)
		}
	}
}

// TestWriterTransactionLeftOpen: a transaction left open on the writer's
// connection (as a failed ROLLBACK would leave it) does not stop the
// writes after it.
func TestWriterTransactionLeftOpen(t *testing.T) {
	db := openIn(t, t.TempDir())
	if _, err := db.writes.conn.ExecContext(context.Background(), `BEGIN`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.Update(context.Background(), func(tx store.Tx) error {
			return tx.PutSetting(context.Background(), "left-open", []byte("yes"))
		}); err != nil {
			t.Fatalf("Update after a transaction left open: %v", err)
		}
	}
}
