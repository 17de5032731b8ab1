// Package pgtest gives tests their own PostgreSQL store: a fresh schema in
// the database that KASSA_TEST_POSTGRES_URL names, dropped when the test
// ends. Without that variable the test is skipped, saying so, unless CI is
// set: CI provides the database, so there a missing one is a failure.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassa-pay/kassa/postgres"
)

// EnvURL names the variable holding the test database's URL.
const EnvURL = "KASSA_TEST_POSTGRES_URL"

var seq atomic.Int64

// URL returns a URL of a new, empty schema in the test database, dropped
// when tb ends. It skips tb if EnvURL is unset, or fails it if CI is set.
func URL(tb testing.TB) string {
	tb.Helper()
	base, ok := baseURL(tb, os.Getenv)
	if !ok {
		return ""
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", EnvURL, err)
	}
	defer admin.Close(ctx)
	schema := fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return withParam(tb, base, "search_path", schema)
}

// Open opens a store on a new schema (see URL); it is closed when tb ends.
func Open(tb testing.TB) *postgres.DB {
	tb.Helper()
	u := URL(tb)
	db, err := postgres.Open(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// baseURL reads EnvURL. When it is unset it skips tb, or fails it when CI
// is set, and reports false (for a tb whose Skip and Fatal return).
func baseURL(tb testing.TB, getenv func(string) string) (string, bool) {
	tb.Helper()
	base := getenv(EnvURL)
	if base != "" {
		return base, true
	}
	if getenv("CI") != "" {
		tb.Fatalf("%s is not set, and CI is set: the PostgreSQL tests must run in CI (.ci/run starts PostgreSQL and sets it)", EnvURL)
	} else {
		tb.Skipf("%s is not set: skipping the PostgreSQL test (.ci/run sets it)", EnvURL)
	}
	return "", false
}

func withParam(tb testing.TB, base, name, value string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatalf("%s: %v", EnvURL, err)
		}
		q := u.Query()
		q.Set(name, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " " + name + "=" + value
}
