package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// A commit is durable once the WAL holding it is on disk. SQLite would
// fsync the WAL inside COMMIT (synchronous FULL), holding the writer
// goroutine, and with it every request queued behind the batch, for the
// whole fsync. Instead the writer commits with synchronous NORMAL, which
// writes the WAL without syncing it, and passes the batch to the sync
// goroutine, which fsyncs the WAL and only then answers the batch's
// requests; meanwhile the writer runs the next batch. One fsync covers
// every batch committed before it began, so no request is answered
// before its commit is on disk, and a crash loses only commits nobody was
// told of. Reads in this process wait too (View): none sees a commit
// before it is durable. A checkpoint, on either connection, syncs the WAL before it
// copies pages into the database file, in NORMAL as in FULL.

// walFile is the WAL file, as the sync goroutine uses it.
type walFile interface {
	Sync() error
	Close() error
}

// commitment is a batch the writer has committed (or failed to: its
// requests' errors say so), numbered seq in commit order (0 if it never
// reached COMMIT), waiting for the WAL's fsync.
type commitment struct {
	seq   int64
	batch []*request
}

// syncWAL is the sync goroutine. It takes every batch committed since its
// last fsync, fsyncs the WAL once, and answers them. After a failed fsync
// no write is trusted again (the kernel may have dropped the pages it
// could not write): those requests and every later one fail, as
// PostgreSQL stops on a failed fsync.
func (db *DB) syncWAL() {
	defer close(db.stopped)
	var due []commitment
	for c := range db.syncs {
		due = appendQueued(append(due[:0], c), db.syncs, math.MaxInt)
		err := db.syncFailed()
		if err == nil {
			if err = db.wal.Sync(); err != nil {
				err = fmt.Errorf("sqlite: sync the WAL: %w", err)
				db.syncErr.Store(&err)
			}
		}
		var last int64
		for _, c := range due {
			for _, r := range c.batch {
				if r.err == nil {
					r.err = err
				}
				r.done <- r.err
			}
			last = max(last, c.seq)
		}
		db.markSynced(last)
	}
}

// syncFailed is the error of a failed fsync of the WAL, if one failed.
func (db *DB) syncFailed() error {
	if err := db.syncErr.Load(); err != nil {
		return *err
	}
	return nil
}

// markSynced records that every commit up to seq is durable, and wakes
// the Views waiting for it.
func (db *DB) markSynced(seq int64) {
	db.syncMu.Lock()
	defer db.syncMu.Unlock()
	if seq <= db.synced.Load() {
		return
	}
	db.synced.Store(seq)
	close(db.advanced)
	db.advanced = make(chan struct{})
}

// waitSynced returns once every commit begun so far is durable: nil, or
// the error of a failed fsync.
func (db *DB) waitSynced(ctx context.Context) error {
	n := db.begun.Load()
	for {
		if db.synced.Load() >= n {
			return db.syncFailed()
		}
		db.syncMu.Lock()
		ch := db.advanced
		done := db.synced.Load() >= n
		db.syncMu.Unlock()
		if done {
			return db.syncFailed()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// openWAL opens the WAL file of the database at path, for the sync
// goroutine, and makes its directory entry durable. SQLite creates it
// when the database is first opened in WAL mode and keeps the same file
// while any connection is open, so the file stays the one SQLite writes.
func openWAL(path string) (walFile, error) {
	f, err := os.OpenFile(path+"-wal", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
