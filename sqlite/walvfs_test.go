package sqlite

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWALVFS writes through walVFS and copies the database and its WAL as
// a crash would leave them, after each commit, with the connection still
// open: every committed row must be in the copy, whole. With runs of
// walRun, each commit of a few pages must have gone to the WAL in one
// write; with runs a frame and a header long, a commit frame's header
// ends every run before its page, which must still be written by COMMIT.
// The last commit changes more pages than the connection's page cache
// holds, so that SQLite writes frames to the WAL before the commit and
// reads them back.
func TestWALVFS(t *testing.T) {
	if err := registerWALVFS(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		run      int
		oneWrite bool
	}{
		{"runs of walRun", walRun, true},
		{"a run a frame", walFrameHeader + 4096 + walFrameHeader, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(run int) { walRun = run }(walRun)
			walRun = tt.run
			writeAndCrash(t, tt.oneWrite)
		})
	}
}

func writeAndCrash(t *testing.T, oneWrite bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wal.db")
	db, err := sql.Open("sqlite", dsn(path, "NORMAL", map[string][]string{"vfs": {walVFS}}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	value := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 3000+i) }
	const rows = 40
	total := 0
	for i := 1; i <= rows; i++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		n := 3 // several pages a commit
		if i == rows {
			if _, err := tx.Exec(`PRAGMA cache_size = 8`); err != nil {
				t.Fatal(err)
			}
			n = 100
		}
		before := written.Load()
		for j := range n {
			if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES ($1, $2)`, i*1000+j, value(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if w := written.Load() - before; oneWrite && i < rows && w != 1 {
			t.Errorf("commit %d: %d writes to the WAL, want 1", i, w)
		}
		crashed := filepath.Join(dir, fmt.Sprintf("crash%d.db", i))
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		total += n
		checkRows(t, crashed, i, total, value)
	}
}

// checkRows opens the copy at path with the unix VFS and checks it holds
// the total rows of the first commits commits, and passes SQLite's
// integrity check.
func checkRows(t *testing.T, path string, commits, total int, value func(int) []byte) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("after commit %d: integrity_check = %q, %v", commits, check, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != total {
		t.Fatalf("after commit %d: %d rows, %v; want %d", commits, n, err, total)
	}
	for i := 1; i <= commits; i++ {
		var v []byte
		if err := db.QueryRow(`SELECT v FROM t WHERE id = $1`, i*1000+2).Scan(&v); err != nil || !bytes.Equal(v, value(i)) {
			t.Fatalf("after commit %d: row %d reads back %d bytes, %v", commits, i*1000+2, len(v), err)
		}
	}
}
