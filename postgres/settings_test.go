package postgres_test

import (
	"context"
	"testing"

	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/postgres/pgtest"
)

// The connection settings the README and architecture.md promise: a
// pool of 32 unless the URL sizes it, synchronous_commit on whatever the
// URL or the server says, and generic plans unless the URL chooses.
func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, params           string
		maxConns               int32
		syncCommit, planCaches string
	}{
		{"defaults", "", 32, "on", "force_generic_plan"},
		{"URL settings", "&pool_max_conns=5&synchronous_commit=off&plan_cache_mode=auto", 5, "on", "auto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := postgres.Open(ctx, pgtest.URL(t)+tt.params)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := db.MaxConns(); got != tt.maxConns {
				t.Errorf("pool size %d, want %d", got, tt.maxConns)
			}
			for name, want := range map[string]string{"synchronous_commit": tt.syncCommit, "plan_cache_mode": tt.planCaches} {
				got, err := db.Setting(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}
