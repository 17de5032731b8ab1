package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/postgres/pgtest"
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
//	go test -run '^$' -bench Lifecycle -benchtime 2000x ./api/
func BenchmarkLifecycle(b *testing.B) {
	for _, st := range benchStores {
		for _, conc := range st.concs {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, conc), func(b *testing.B) {
				c, lat := benchServer(b, st.open(b))
				ctx := context.Background()
				if _, err := c.Lifecycle(ctx); err != nil { // warm up: token, connections
					b.Fatal(err)
				}
				lat.reset()
				elapsed := parallel(b, conc, func() error {
					_, err := c.Lifecycle(ctx)
					return err
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "flows/s")
				lat.report(b)
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
						id, err := c.PlaceOrder(ctx)
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
					_, err := c.Do(ctx, http.MethodPost, "/v1/orders/"+<-ids+"/capture", client.SampleCapture, nil, "")
					return err
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "captures/s")
			})
		}
	}
}

// parallel calls fn b.N times from conc goroutines and returns how long
// that took.
func parallel(b *testing.B, conc int, fn func() error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	b.ResetTimer()
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := fn(); err != nil {
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
	return elapsed
}

// benchServer serves the API over st with one merchant and returns a
// client whose requests' latencies are recorded per operation.
func benchServer(b *testing.B, st store.Store) (*client.Client, *latencies) {
	b.Helper()
	ctx := context.Background()
	ids, now := kassa.RandomIDs{}, time.Now()
	m, _ := merchant.NewMerchant(ids, now, "Bench")
	cl, secret := merchant.NewClient(ids, now, m.ID)
	if err := st.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateMerchant(ctx, m); err != nil {
			return err
		}
		return tx.CreateClient(ctx, cl)
	}); err != nil {
		b.Fatal(err)
	}
	signer, err := api.LoadSigner(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	srv := api.NewServer(slog.New(slog.DiscardHandler), api.Config{Sandbox: true, PublicURL: "http://bench"}, st, kassa.SystemClock{}, ids, signer)
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	c := client.New(hs.URL, cl.ID, secret)
	lat := &latencies{next: &http.Transport{MaxIdleConnsPerHost: 128}, byOp: map[string][]time.Duration{}}
	c.HTTP.Transport = lat
	return c, lat
}

// latencies is a RoundTripper that records each request's latency under
// its operation: the path's last segment that is not an ID.
type latencies struct {
	next http.RoundTripper
	mu   sync.Mutex
	byOp map[string][]time.Duration
}

func (l *latencies) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.next.RoundTrip(r)
	d := time.Since(start)
	l.mu.Lock()
	l.byOp[operation(r)] = append(l.byOp[operation(r)], d)
	l.mu.Unlock()
	return resp, err
}

func operation(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if p := parts[i]; !strings.Contains(p, "_") && p != "" {
			return p
		}
	}
	return r.URL.Path
}

func (l *latencies) reset() {
	l.mu.Lock()
	clear(l.byOp)
	l.mu.Unlock()
}

// report adds each operation's p50 and p99 in milliseconds.
func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for op, ds := range l.byOp {
		slices.Sort(ds)
		at := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))]) / 1e6 }
		b.ReportMetric(at(0.50), op+"-p50-ms")
		b.ReportMetric(at(0.99), op+"-p99-ms")
	}
}
