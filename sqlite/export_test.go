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
	db, err := sql.Open("sqlite", dsn(path, nil))
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(context.Background(), db, last)
}
