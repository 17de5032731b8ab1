package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
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

// TestUpgradeDocuments upgrades a schema that the release ending with
// migration 0005 made.
func TestUpgradeDocuments(t *testing.T) {
	testUpgrade(t, "0005_invoices.sql", storetest.UpgradeDocuments)
}

// TestUpgradeDeliveries upgrades a schema that the release ending with
// migration 0006 made.
func TestUpgradeDeliveries(t *testing.T) {
	testUpgrade(t, "0006_document_numbering.sql", storetest.UpgradeDeliveries)
}

// testUpgrade runs check on a schema migrated up to last.
func testUpgrade(t *testing.T, last string, check func(*testing.T, storetest.Exec, func(*testing.T) store.Store)) {
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
	check(t, exec, func(t *testing.T) store.Store {
		db, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
