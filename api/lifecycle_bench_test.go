package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// BenchmarkLifecycle runs whole purchases over HTTP against a durable
// SQLite store (synchronous=FULL): session, authorize, order, acknowledge,
// capture, partial refund — six writes, each with an Idempotency-Key (the
// client caches its access token, as real integrations do). It reports
// flows/s at each concurrency.
//
//	go test -run '^$' -bench Lifecycle -benchtime 2000x ./api/
func BenchmarkLifecycle(b *testing.B) {
	for _, conc := range []int{1, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			c := benchServer(b)
			ctx := context.Background()
			if _, err := c.Lifecycle(ctx); err != nil { // warm up: token, connections
				b.Fatal(err)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, conc)
			b.ResetTimer()
			start := time.Now()
			for range conc {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if _, err := c.Lifecycle(ctx); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "flows/s")
		})
	}
}

func benchServer(b *testing.B) *client.Client {
	b.Helper()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "kassa.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	ids, now := kassa.RandomIDs{}, time.Now()
	m, _ := merchant.NewMerchant(ids, now, "Bench")
	cl, secret := merchant.NewClient(ids, now, m.ID)
	if err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateMerchant(ctx, m); err != nil {
			return err
		}
		return tx.CreateClient(ctx, cl)
	}); err != nil {
		b.Fatal(err)
	}
	signer, err := api.LoadSigner(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	srv := api.NewServer(slog.New(slog.DiscardHandler), api.Config{Sandbox: true, PublicURL: "http://bench"}, db, kassa.SystemClock{}, ids, signer)
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	c := client.New(hs.URL, cl.ID, secret)
	c.HTTP.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	return c
}
