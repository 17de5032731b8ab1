package sqlite

import (
	"context"
	"database/sql"
)

// Batches reports how many transactions db's writer has committed and how
// many updates ran in them.
func Batches(db *DB) (commits, updates int64) { return db.batches.Load(), db.batched.Load() }

// MigrateTo brings the database at path to the schema of migration last,
// as a release that ended there left it.
func MigrateTo(path, last string) error {
	db, err := sql.Open("sqlite", dsn(path, "FULL", nil))
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(context.Background(), db, last)
}

// WALFile is the WAL file as the sync goroutine uses it.
type WALFile = walFile

// OpenWrapped is Open with the WAL file, which the sync goroutine fsyncs,
// wrapped by wrap.
func OpenWrapped(path string, wrap func(WALFile) WALFile) (*DB, error) { return open(path, wrap) }
