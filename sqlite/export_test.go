package sqlite

// Batches reports how many transactions db's writer has committed and how
// many updates ran in them.
func Batches(db *DB) (commits, updates int64) { return db.batches.Load(), db.batched.Load() }
