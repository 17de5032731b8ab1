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
	u, ctx := pgtest.URL(t), t.Context()
	if err := postgres.MigrateTo(ctx, u, "0005_invoices.sql"); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	exec := func(ctx context.Context, q string, args ...any) error { _, err := c.Exec(ctx, q, args...); return err }
	storetest.UpgradeDocuments(t, exec, func(t *testing.T) store.Store {
		db, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
