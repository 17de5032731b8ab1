package sqlite

import (
	"path/filepath"
	"testing"
)

// The writer's settings: commits durable on power loss (WAL with
// synchronous FULL), and savepoints' statement journals kept in memory
// (temp_store MEMORY): each request runs in a savepoint of the group
// commit, and a journal on disk cost the writer a pwrite per page it
// changed (docs/benchmarks.md, "SQLite settings").
func TestWriterPragmas(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"temp_store", "2"},  // MEMORY
		{"foreign_keys", "1"},
	} {
		var got string
		if err := db.writer.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
}
