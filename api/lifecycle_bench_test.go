package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/jobs"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/load"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// benchStores are the stores the benchmarks run on, with the
// concurrencies measured on each. PostgreSQL runs when
// KASSA_TEST_POSTGRES_URL is set.
var benchStores = []struct {
	name  string
	open  func(b *testing.B) store.Store
	concs []int
}{
	{"sqlite", func(b *testing.B) store.Store {
		db, err := sqlite.Open(filepath.Join(b.TempDir(), "kassa.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}, []int{1, 16}},
	{"postgres", func(b *testing.B) store.Store { return pgtest.Open(b) }, []int{1, 16, 64}},
}

// BenchmarkLifecycle runs whole purchases over HTTP, durably
// (synchronous=FULL on SQLite, synchronous_commit=on on PostgreSQL):
// session, authorize, order, acknowledge, capture, partial refund — six
// writes, each with an Idempotency-Key (the client caches its access
// token, as real integrations do). It reports flows/s and each
// operation's p50 and p99 latency in milliseconds.
//
//	go test -run '^$' -bench Lifecycle -benchtime 1000x ./api/
func BenchmarkLifecycle(b *testing.B) {
	for _, st := range benchStores {
		for _, conc := range st.concs {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, conc), func(b *testing.B) {
				c, rec := benchServer(b, st.open(b))
				ctx := context.Background()
				// Warm up as a running server is: the access token, and a
				// connection for each client with its statements prepared.
				if _, err := load.Repeat(conc, conc, func() error {
					_, err := load.Purchase(ctx, c)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				rec.Reset()
				elapsed := parallel(b, conc, func() error {
					_, err := load.Purchase(ctx, c)
					return err
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "flows/s")
				for op, s := range rec.Stats() {
					b.ReportMetric(float64(s.P50)/1e6, op+"-p50-ms")
					b.ReportMetric(float64(s.P99)/1e6, op+"-p99-ms")
				}
			})
		}
	}
}

// BenchmarkCapture measures one operation alone: full captures of orders
// placed beforehand, each its own durable transaction over HTTP. Its
// captures/s set against pgbench's TPC-B-like tps at the same concurrency
// on the same database say how much of the database's write capacity a
// capture uses (docs/benchmarks.md).
//
//	go test -run '^$' -bench Capture -benchtime 3000x ./api/
func BenchmarkCapture(b *testing.B) {
	for _, st := range benchStores {
		for _, conc := range st.concs {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, conc), func(b *testing.B) {
				c, _ := benchServer(b, st.open(b))
				ctx := context.Background()
				ids := make(chan string, b.N)
				b.StopTimer()
				place := make(chan struct{}, 16)
				var wg sync.WaitGroup
				for range b.N {
					place <- struct{}{}
					wg.Go(func() {
						defer func() { <-place }()
						id, err := load.PlaceOrder(ctx, c)
						if err != nil {
							b.Error(err)
							return
						}
						ids <- id
					})
				}
				wg.Wait()
				close(ids)
				if b.Failed() {
					return
				}
				b.StartTimer()
				elapsed := parallel(b, conc, func() error {
					_, err := c.CaptureOrder(ctx, <-ids, load.SampleCapture())
					return err
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "captures/s")
			})
		}
	}
}

// parallel calls fn b.N times from conc goroutines and returns how long
// that took. Where the CPU time can be read (Linux) it reports what a
// call took of it, in milliseconds: this process's (the server, the
// benchmark's client, and SQLite when the store is SQLite) as
// process-cpu-ms/op, and the whole machine's (PostgreSQL's too) as
// machine-cpu-ms/op; docs/benchmarks.md sets them against what the
// machine has.
func parallel(b *testing.B, conc int, fn func() error) time.Duration {
	proc0, machine0, ok0 := cpuUsed()
	b.ResetTimer()
	elapsed, err := load.Repeat(b.N, conc, fn)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if proc1, machine1, ok1 := cpuUsed(); ok0 && ok1 {
		perOp := func(d time.Duration) float64 { return float64(d) / 1e6 / float64(b.N) }
		b.ReportMetric(perOp(proc1-proc0), "process-cpu-ms/op")
		b.ReportMetric(perOp(machine1-machine0), "machine-cpu-ms/op")
	}
	return elapsed
}

// benchServer serves the API over st with one merchant and returns a
// client whose requests' latencies are recorded per operation.
func benchServer(b *testing.B, st store.Store) (*client.Client, *load.Recorder) {
	b.Helper()
	m := benchMerchants(b, st, api.Config{Sandbox: true}, "Bench")
	return m[0].Client, m[0].rec
}

// benchMerchant is a merchant's client, whose requests' latencies are
// recorded per operation.
type benchMerchant struct {
	*client.Client
	rec *load.Recorder
}

// benchMerchants serves the API with cfg over st with a merchant of each
// name and returns their clients.
func benchMerchants(b *testing.B, st store.Store, cfg api.Config, names ...string) []benchMerchant {
	b.Helper()
	kassatest.ServeGC(b)
	ctx := context.Background()
	ids, now := kassa.RandomIDs{}, time.Now()
	var creds [][2]string
	for _, name := range names {
		m, _ := merchant.NewMerchant(ids, now, name)
		cl, secret := kassatest.AddMerchant(b, st, ids, now, m)
		creds = append(creds, [2]string{cl.ID, secret})
	}
	signer, err := provider.LoadSigner(ctx, st, kassatest.KEK())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	app := provider.New(log, provider.Config{PublicURL: "http://bench", KEK: kassatest.KEK()}, st, kassa.SystemClock{}, ids, signer)
	hs := httptest.NewServer(api.NewServer(log, cfg, app))
	// Documents are numbered as kassa serve numbers them, in the
	// background, and that work counts in every figure.
	numbering, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { jobs.Numbering(app, time.Second).Run(numbering, log, observe.New()) })
	b.Cleanup(func() {
		hs.Close()
		stop()
		wg.Wait()
	})
	var out []benchMerchant
	for _, c := range creds {
		rec := load.NewRecorder(&http.Transport{MaxIdleConnsPerHost: 128})
		// No retries: each request is measured as it was answered.
		c := client.New(hs.URL, c[0], c[1], client.WithRetry(client.Retry{Attempts: 1}), client.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}))
		out = append(out, benchMerchant{c, rec})
	}
	return out
}
