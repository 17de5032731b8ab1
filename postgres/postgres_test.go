package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		// storetest closes the store; pgtest closing it again is harmless.
		return pgtest.Open(t)
	})
}

// TestUpgrades upgrades a schema that an earlier release made, for each of
// storetest.Upgrades.
func TestUpgrades(t *testing.T) {
	for _, u := range storetest.Upgrades {
		t.Run(u.Name, func(t *testing.T) { testUpgrade(t, u.Last, u.Check) })
	}
}

// TestAuditAppendOnly: the database refuses to change or remove an audit
// event, even to a connection past the store, TRUNCATE included.
func TestAuditAppendOnly(t *testing.T) {
	u, ctx := pgtest.URL(t), t.Context()
	db, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	exec := func(ctx context.Context, q string, args ...any) error { _, err := c.Exec(ctx, q, args...); return err }
	storetest.AuditAppendOnly(t, db, exec)
	if err := exec(ctx, `TRUNCATE audit_events`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("TRUNCATE = %v, want the database to refuse it", err)
	}
}

// testUpgrade runs check on a schema migrated up to last.
func testUpgrade(t *testing.T, last string, check func(*testing.T, storetest.Exec, storetest.Count, func(*testing.T) store.Store)) {
	u, ctx := pgtest.URL(t), t.Context()
	if err := postgres.MigrateTo(ctx, u, last); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	exec := func(ctx context.Context, q string, args ...any) error { _, err := c.Exec(ctx, q, args...); return err }
	count := func(ctx context.Context, q string, args ...any) (n int, err error) {
		err = c.QueryRow(ctx, q, args...).Scan(&n)
		return n, err
	}
	check(t, exec, count, func(t *testing.T) store.Store {
		db, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// PostgreSQL refuses text that is not UTF-8 or holds NUL, and keys too
// long for an index; the store answers EInvalid for them, never an
// internal error, whether the statement runs at once, is deferred to the
// commit, or only reads, and the transaction writes nothing.
func TestRefusedValuesAreInvalid(t *testing.T) {
	db, ctx := pgtest.Open(t), t.Context()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	m := &merchant.Merchant{ID: "ac_1", Name: "Kassa AB", StoreID: "1", CreatedAt: now}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateMerchant(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	var long []byte // hexadecimal noise, which compression does not shorten
	for h := sha256.Sum256(nil); len(long) < 8000; h = sha256.Sum256(h[:]) {
		long = hex.AppendEncode(long, h[:])
	}
	for _, tc := range []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"NUL", func(tx store.Tx) error {
			return tx.CreateMerchant(ctx, &merchant.Merchant{ID: "ac_2", Name: "a\x00b", StoreID: "2", CreatedAt: now})
		}},
		{"invalid UTF-8", func(tx store.Tx) error {
			return tx.CreateMerchant(ctx, &merchant.Merchant{ID: "ac_2", Name: "a\xffb", StoreID: "2", CreatedAt: now})
		}},
		{"deferred write", func(tx store.Tx) error {
			return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{MerchantID: m.ID, Key: "k\x00", Status: 200, CreatedAt: now})
		}},
		{"index key too long", func(tx store.Tx) error {
			_, err := tx.AddBankPayment(ctx, &store.BankPayment{ID: "bp_1", MerchantID: m.ID, BankRef: string(long), Amount: 1, Currency: "SEK", BookedAt: now, CreatedAt: now})
			return err
		}},
	} {
		if err := db.Update(ctx, tc.fn); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("%s: Update = %v, want %s", tc.name, err, kassa.EInvalid)
		}
	}
	err := db.View(ctx, func(tx store.ReadTx) error { _, err := tx.Order(ctx, m.ID, "or_\x00"); return err })
	if kassa.ErrorCode(err) != kassa.EInvalid {
		t.Errorf("View = %v, want %s", err, kassa.EInvalid)
	}
	var n int
	if err := db.View(ctx, func(tx store.ReadTx) error { var err error; n, err = tx.CountMerchants(ctx); return err }); err != nil || n != 1 {
		t.Errorf("merchants = %d, %v; want the one created first", n, err)
	}
}

// TestInvoiceLogosImmutable: the triggers refuse to change or remove an
// invoice logo, or to move the start of a number series that has begun,
// even past the store.
func TestInvoiceLogosImmutable(t *testing.T) {
	testUpgrade(t, "", func(t *testing.T, exec storetest.Exec, _ storetest.Count, open func(*testing.T) store.Store) {
		storetest.InvoiceLogosImmutable(t, open(t), exec)
	})
}

// TestCreditDecisionsAppendOnly: the triggers refuse to change or remove
// a recorded credit decision, even past the store.
func TestCreditDecisionsAppendOnly(t *testing.T) {
	testUpgrade(t, "", func(t *testing.T, exec storetest.Exec, _ storetest.Count, open func(*testing.T) store.Store) {
		storetest.CreditDecisionsAppendOnly(t, open(t), exec)
	})
}

// A schema a newer Kassa migrated is refused, by Open and by Migrate.
func TestNewerSchema(t *testing.T) {
	u, ctx := pgtest.URL(t), t.Context()
	if _, err := postgres.Migrate(ctx, u); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	exec := func(ctx context.Context, q string, args ...any) error { _, err := c.Exec(ctx, q, args...); return err }
	storetest.NewerSchema(t, exec, func() error {
		db, err := postgres.Open(ctx, u)
		if err == nil {
			db.Close()
		}
		if _, merr := postgres.Migrate(ctx, u); (merr == nil) != (err == nil) {
			t.Errorf("Open = %v, but Migrate = %v", err, merr)
		}
		return err
	})
}
