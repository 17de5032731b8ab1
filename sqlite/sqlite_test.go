package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/storetest"
	modernc "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "kassa.db"))
	})
}

// mustOpen opens the database at path; the caller closes it.
func mustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return db
}

// openTemp opens a new database that is closed when tb ends.
func openTemp(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db := mustOpen(tb, filepath.Join(tb.TempDir(), "kassa.db"))
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// raw opens the file behind the store's back, as an operator's sqlite3
// shell would.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var now = time.Date(2026, time.March, 2, 9, 30, 15, 123456000, time.UTC)

type seqIDs struct{ n int }

func (g *seqIDs) New(prefix string) string {
	g.n++
	return fmt.Sprintf("%s%020d", prefix, g.n)
}

func newOrder(t *testing.T) *order.Order {
	t.Helper()
	line := order.Line{Type: order.TypePhysical, Reference: "SKU-1", Quantity: 1, VAT: 2500, TotalAmount: 10000, TotalVATAmount: 2000}
	o, err := order.New(order.Env{Now: now, IDs: &seqIDs{}}, order.NewParams{
		MerchantID: "ac_1", SessionID: "ps_1", Currency: "SEK",
		Lines: []order.Line{line}, Totals: order.Totals{Amount: 10000, VATAmount: 2000},
		AuthorizeStatus: order.Authorized,
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func putSetting(ctx context.Context, name, value string) func(store.Tx) error {
	return func(tx store.Tx) error { return tx.PutSetting(ctx, name, []byte(value)) }
}

func setting(t *testing.T, db *sqlite.DB, name string) []byte {
	t.Helper()
	var v []byte
	err := db.View(t.Context(), func(tx store.ReadTx) (err error) {
		v, err = tx.Setting(t.Context(), name)
		return err
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kassa.db")
	o := newOrder(t)
	db := mustOpen(t, path)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateOrder(ctx, o) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Reopening finds the schema up to date and the data in place.
	for range 2 {
		db := mustOpen(t, path)
		var got *order.Order
		err := db.View(ctx, func(tx store.ReadTx) (err error) {
			got, err = tx.Order(ctx, o.MerchantID, o.ID)
			return err
		})
		if err != nil {
			t.Fatalf("Order after reopening: %v", err)
		}
		if diff := cmp.Diff(o, got); diff != "" {
			t.Errorf("Order after reopening mismatch (-want +got):\n%s", diff)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	var applied []string
	rows, err := raw(t, path).QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		applied = append(applied, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	if diff := cmp.Diff(want, applied); diff != "" {
		t.Errorf("schema_migrations after three opens mismatch (-want +got):\n%s", diff)
	}
}

func TestOrderEventsAppendOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kassa.db")
	db := mustOpen(t, path)
	defer db.Close()
	o := newOrder(t)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateOrder(ctx, o) }); err != nil {
		t.Fatalf("Update: %v", err)
	}

	r := raw(t, path)
	for _, stmt := range []string{
		`UPDATE order_events SET amount = 0`,
		`DELETE FROM order_events`,
	} {
		_, err := r.ExecContext(ctx, stmt)
		if e, ok := errors.AsType[*modernc.Error](err); !ok || e.Code() != sqlite3.SQLITE_CONSTRAINT_TRIGGER {
			t.Errorf("%s = %v, want SQLITE_CONSTRAINT_TRIGGER", stmt, err)
		}
	}
	var n int
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM order_events WHERE amount <> 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(o.Events)-1 { // readyForCapture has no amount
		t.Errorf("%d events with an amount remain, want %d", n, len(o.Events)-1)
	}
}

func TestForeignKeys(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	c := &merchant.Client{ID: "cl_1", MerchantID: "ac_missing", SecretHash: []byte("hash"), CreatedAt: now}
	err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateClient(ctx, c) })
	if got := kassa.ErrorCode(err); got != kassa.EInternal {
		t.Errorf("CreateClient for a missing merchant = %v (code %q), want an internal error", err, got)
	}
}

// TestGroupCommit holds the writer inside one update while 63 more queue
// up, and checks that those 63 then commit together, once.
func TestGroupCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db := openTemp(t)
		const n = 64
		entered, release := make(chan struct{}), make(chan struct{})
		errs := make([]error, n)
		var wg sync.WaitGroup
		wg.Go(func() {
			errs[0] = db.Update(ctx, func(tx store.Tx) error {
				close(entered)
				<-release
				return tx.PutSetting(ctx, "first", nil)
			})
		})
		<-entered
		for i := 1; i < n; i++ {
			wg.Go(func() { errs[i] = db.Update(ctx, putSetting(ctx, "setting", "value")) })
		}
		synctest.Wait() // every other update is queued
		close(release)
		wg.Wait()

		if err := errors.Join(errs...); err != nil {
			t.Fatalf("Update: %v", err)
		}
		if commits, updates := sqlite.Batches(db); commits != 2 || updates != n {
			t.Errorf("%d updates, the last %d of them queued behind the first, took %d commits for %d updates; want 2 commits for %d", n, n-1, commits, updates, n)
		}
	})
}

// TestUpdateContext checks that an update whose context ends before it
// runs never runs, and that one that has run stands.
func TestUpdateContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openTemp(t)
		entered, release := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			ctx := t.Context()
			err := db.Update(ctx, func(tx store.Tx) error {
				close(entered)
				<-release
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		})
		<-entered

		ctx, cancel := context.WithCancel(t.Context())
		ran := false
		var err error
		wg.Go(func() {
			err = db.Update(ctx, func(tx store.Tx) error {
				ran = true
				return nil
			})
		})
		synctest.Wait() // queued behind the first
		cancel()
		close(release)
		wg.Wait()
		if !errors.Is(err, context.Canceled) || ran {
			t.Errorf("Update cancelled while queued = %v, and ran = %v; want context.Canceled without running", err, ran)
		}

		ctx, cancel = context.WithCancel(t.Context())
		err = db.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutSetting(ctx, "key", []byte("value")); err != nil {
				return err
			}
			cancel() // too late: the write is done
			return nil
		})
		if err != nil {
			t.Errorf("Update cancelled after its writes = %v, want nil", err)
		}
		if got := setting(t, db, "key"); string(got) != "value" {
			t.Errorf("Setting written by an Update cancelled after its writes = %q, want %q", got, "value")
		}
	})
}

func TestUpdatePanic(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutSetting(ctx, "key", []byte("value")); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil {
		t.Fatalf("Update of a panicking function = nil, want an error")
	}
	if got := setting(t, db, "key"); got != nil {
		t.Errorf("Setting written before a panic = %q, want nil", got)
	}
	// The writer survived.
	if err := db.Update(ctx, putSetting(ctx, "key", "after")); err != nil {
		t.Fatalf("Update after a panic: %v", err)
	}
}

func TestClose(t *testing.T) {
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "kassa.db"))
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Update(ctx, putSetting(ctx, "key", "value")); err == nil {
		t.Errorf("Update after Close = nil, want an error")
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// TestUpgrades upgrades a database that an earlier release made, for each of
// storetest.Upgrades.
func TestUpgrades(t *testing.T) {
	for _, u := range storetest.Upgrades {
		t.Run(u.Name, func(t *testing.T) { testUpgrade(t, u.Last, u.Check) })
	}
}

// testUpgrade runs check on a database migrated up to last.
func testUpgrade(t *testing.T, last string, check func(*testing.T, storetest.Exec, storetest.Count, func(*testing.T) store.Store)) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	if err := sqlite.MigrateTo(path, last); err != nil {
		t.Fatal(err)
	}
	r := raw(t, path)
	exec := func(ctx context.Context, q string, args ...any) error {
		_, err := r.ExecContext(ctx, q, args...)
		return err
	}
	count := func(ctx context.Context, q string, args ...any) (n int, err error) {
		err = r.QueryRowContext(ctx, q, args...).Scan(&n)
		return n, err
	}
	check(t, exec, count, func(t *testing.T) store.Store {
		db := mustOpen(t, path)
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestAppendOnly: the database refuses to change or remove an audit event,
// a credit decision or an invoice logo, or to move the start of a number
// series that has begun, even to a connection past the store.
func TestAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	db := mustOpen(t, path)
	t.Cleanup(func() { db.Close() })
	r := raw(t, path)
	exec := func(ctx context.Context, q string, args ...any) error {
		_, err := r.ExecContext(ctx, q, args...)
		return err
	}
	storetest.AuditAppendOnly(t, db, exec)
	storetest.CreditDecisionsAppendOnly(t, db, exec)
	storetest.InvoiceLogosImmutable(t, db, exec)
}

// A database a newer Kassa migrated is refused, and left as it was.
func TestNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	if err := mustOpen(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	r := raw(t, path)
	exec := func(ctx context.Context, q string, args ...any) error {
		_, err := r.ExecContext(ctx, q, args...)
		return err
	}
	storetest.NewerSchema(t, exec, func() error {
		db, err := sqlite.Open(path)
		if err == nil {
			db.Close()
		}
		return err
	})
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the refused database is gone: %v", err)
	}
}

// Backup copies the database while it is being written, and the copy
// opens as a database of its own holding what was committed before.
func TestBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kassa.db")
	db := mustOpen(t, path)
	defer db.Close()
	ctx := t.Context()
	m := &merchant.Merchant{ID: "ac_1", Name: "Kassa AB", StoreID: "1", CreatedAt: now}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateMerchant(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	// A writer keeps committing while the backup runs.
	stop, written := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 2; ; i++ {
			select {
			case <-stop:
				written <- nil
				return
			default:
			}
			m := &merchant.Merchant{ID: fmt.Sprintf("ac_%d", i), Name: "Kassa AB", StoreID: fmt.Sprint(i), CreatedAt: now}
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateMerchant(ctx, m) }); err != nil {
				written <- err
				return
			}
		}
	}()
	to := filepath.Join(dir, "backup.db")
	err := sqlite.Backup(ctx, path, to)
	close(stop)
	if werr := <-written; werr != nil {
		t.Fatalf("writing during the backup: %v", werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(to); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v, want mode 0600", fi.Mode(), err)
	}
	if err := sqlite.Backup(ctx, path, to); err == nil {
		t.Error("a backup over an existing file succeeded")
	}
	if err := sqlite.Backup(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "other.db")); err == nil {
		t.Error("a backup of a missing database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("backing up a missing database created it")
	}

	restored := filepath.Join(t.TempDir(), "kassa.db")
	b, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, b, 0o600); err != nil {
		t.Fatal(err)
	}
	copyDB := mustOpen(t, restored)
	defer copyDB.Close()
	var got *merchant.Merchant
	if err := copyDB.View(ctx, func(tx store.ReadTx) (err error) {
		got, err = tx.Merchant(ctx, "ac_1")
		return err
	}); err != nil {
		t.Fatalf("reading the restored copy: %v", err)
	}
	if got.Name != "Kassa AB" {
		t.Errorf("restored merchant = %+v", got)
	}
}
