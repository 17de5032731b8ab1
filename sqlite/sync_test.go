package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// heldWAL is a WAL file whose fsyncs the test holds: once held, each Sync
// reports on syncing and waits for release, then answers fail.
type heldWAL struct {
	sqlite.WALFile
	mu      sync.Mutex
	held    bool
	fail    error
	syncing chan struct{}
	release chan struct{}
}

func (w *heldWAL) Sync() error {
	w.mu.Lock()
	held, fail := w.held, w.fail
	w.mu.Unlock()
	if held {
		w.syncing <- struct{}{}
		<-w.release
	}
	if fail != nil {
		return fail
	}
	return w.WALFile.Sync()
}

func (w *heldWAL) hold() {
	w.mu.Lock()
	w.held = true
	w.mu.Unlock()
}

func (w *heldWAL) failWith(err error) {
	w.mu.Lock()
	w.fail = err
	w.mu.Unlock()
}

func openHeld(t *testing.T) (*sqlite.DB, *heldWAL) {
	t.Helper()
	w := &heldWAL{syncing: make(chan struct{}), release: make(chan struct{})}
	db, err := sqlite.OpenWrapped(filepath.Join(t.TempDir(), "kassa.db"), func(f sqlite.WALFile) sqlite.WALFile {
		w.WALFile = f
		return w
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, w
}

// TestAnsweredOnceDurable holds the WAL's fsync after a commit and checks
// that neither the update nor a read that sees its row returns before
// the fsync does, while the writer goes on committing the next update.
func TestAnsweredOnceDurable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db, wal := openHeld(t)
		wal.hold()

		var first, view error
		firstDone, viewDone := make(chan struct{}), make(chan struct{})
		go func() {
			first = db.Update(ctx, putSetting(ctx, "first", "1"))
			close(firstDone)
		}()
		<-wal.syncing // committed, its fsync held
		var seen []byte
		go func() {
			view = db.View(ctx, func(tx store.ReadTx) (err error) {
				seen, err = tx.Setting(ctx, "first")
				return err
			})
			close(viewDone)
		}()
		// The writer is free: the next update runs and commits while
		// the first one's fsync is still held.
		ran := make(chan struct{})
		go db.Update(ctx, func(tx store.Tx) error {
			close(ran)
			return tx.PutSetting(ctx, "second", nil)
		})
		<-ran
		synctest.Wait()
		select {
		case <-firstDone:
			t.Fatal("Update returned before its commit's fsync")
		case <-viewDone:
			t.Fatal("View returned a commit before its fsync")
		default:
		}

		close(wal.release) // every fsync from here on passes
		<-wal.syncing
		<-firstDone
		<-viewDone
		if first != nil || view != nil {
			t.Fatalf("Update: %v; View: %v", first, view)
		}
		if string(seen) != "1" {
			t.Errorf("View read %q, want the first update's 1", seen)
		}
	})
}

// TestSyncFails checks that when the WAL's fsync fails, the updates it
// covered fail, no later update runs, and reads fail too: after a failed
// fsync the kernel's copy of the file cannot be trusted.
func TestSyncFails(t *testing.T) {
	ctx := t.Context()
	db, wal := openHeld(t)
	if err := db.Update(ctx, putSetting(ctx, "before", "1")); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("EIO")
	wal.failWith(broken)
	if err := db.Update(ctx, putSetting(ctx, "lost", "1")); !errors.Is(err, broken) {
		t.Fatalf("Update whose fsync failed = %v, want %v", err, broken)
	}
	ran := false
	err := db.Update(ctx, func(tx store.Tx) error {
		ran = true
		return nil
	})
	if !errors.Is(err, broken) || ran {
		t.Errorf("Update after a failed fsync = %v (ran: %v), want %v without running", err, ran, broken)
	}
	err = db.View(ctx, func(tx store.ReadTx) error {
		_, err := tx.Setting(context.Background(), "before")
		return err
	})
	if !errors.Is(err, broken) {
		t.Errorf("View after a failed fsync = %v, want %v", err, broken)
	}
}
