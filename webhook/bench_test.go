package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/webhook"
)

// benchStore is a fresh SQLite store and a receiver that answers 200 at
// once, calling arrived with each request's webhook-id.
func benchSetup(b *testing.B, arrived func(id string)) (store.Store, string) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "kassa.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived(r.Header.Get("webhook-id"))
	}))
	b.Cleanup(rcv.Close)
	return db, rcv.URL
}

func benchNotification(i int, url string, now time.Time) (*notify.Notification, []notify.Delivery) {
	id := fmt.Sprintf("nt_%027d", i)
	n := &notify.Notification{ID: id, MerchantID: merchantID, Type: notify.OrderCreate, OrderID: "or_1", SessionID: "ps_1",
		Body: []byte(`{"eventType":"com.ledyer.order.create","merchantId":"ac_merchant","orderId":"or_1","reference":"r","storeId":"1"}`), CreatedAt: now}
	return n, []notify.Delivery{{ID: "nd_" + id[3:], URL: url, NextAt: now}}
}

// BenchmarkDeliveryThroughput delivers b.N stored notifications to a fast
// local receiver; notifications/s is the figure.
func BenchmarkDeliveryThroughput(b *testing.B) {
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			var mu sync.Mutex
			got := 0
			st, url := benchSetup(b, func(string) { mu.Lock(); got++; mu.Unlock() })
			clock := kassa.SystemClock{}
			ctx := context.Background()
			for lo := 0; lo < b.N; lo += 500 {
				err := st.Update(ctx, func(tx store.Tx) error {
					for i := lo; i < min(lo+500, b.N); i++ {
						n, ds := benchNotification(i, url, clock.Now())
						if err := tx.CreateNotification(ctx, n, ds); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			d := webhook.New(slog.New(slog.DiscardHandler), st, clock, key, webhook.Config{AllowPrivate: true, Concurrency: conc})
			b.ResetTimer()
			start := time.Now()
			n, err := d.Drain(ctx)
			elapsed := time.Since(start)
			if err != nil || n != b.N || got != b.N {
				b.Fatalf("Drain = %d, %v; receiver got %d; want %d", n, err, got, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "notifications/s")
		})
	}
}

// BenchmarkCommitToFirstAttempt commits b.N notifications, one per
// transaction, from 1 producer (an idle server) and from 8 (a busy one),
// each waking the running dispatcher as the API does, and measures from
// each commit to its request reaching the receiver.
func BenchmarkCommitToFirstAttempt(b *testing.B) {
	for _, producers := range []int{1, 8} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) { benchLag(b, producers, 0) })
	}
}

// BenchmarkCommitToDeliveryWhileHung is BenchmarkCommitToFirstAttempt
// while another merchant's receiver hangs: 200 notifications to it are
// due when the benchmark starts, and it answers none of them before the
// benchmark ends (the dispatcher's timeout is the default 15 s). The
// figures are the healthy receiver's.
func BenchmarkCommitToDeliveryWhileHung(b *testing.B) {
	for _, producers := range []int{1, 8} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) { benchLag(b, producers, 200) })
	}
}

// benchLag measures from commit to arrival with producers committing and,
// if hung > 0, that many notifications due to a receiver that hangs.
func benchLag(b *testing.B, producers, hung int) {
	var (
		mu        sync.Mutex
		committed = map[string]time.Time{}
		arrived   = map[string]time.Time{}
		all       = make(chan struct{})
	)
	st, url := benchSetup(b, func(id string) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if _, dup := arrived[id]; !dup {
			arrived[id] = now
			if len(arrived) == b.N {
				close(all)
			}
		}
	})
	clock := kassa.SystemClock{}
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	if hung > 0 {
		rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
		b.Cleanup(rcv.Close)
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := range hung {
				n, ds := benchNotification(b.N+i, rcv.URL, clock.Now())
				n.MerchantID = "ac_hung"
				if err := tx.CreateNotification(ctx, n, ds); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	d := webhook.New(slog.New(slog.DiscardHandler), st, clock, key, webhook.Config{AllowPrivate: true})
	var run sync.WaitGroup
	run.Go(func() { d.Run(ctx) })
	b.ResetTimer()
	var wg sync.WaitGroup
	next := make(chan int)
	for range producers {
		wg.Go(func() {
			for i := range next {
				n, ds := benchNotification(i, url, clock.Now())
				if err := st.Update(ctx, func(tx store.Tx) error { return tx.CreateNotification(ctx, n, ds) }); err != nil {
					b.Error(err)
					return
				}
				// Committed: from here the notification counts as waiting.
				mu.Lock()
				committed[n.ID] = time.Now()
				mu.Unlock()
				d.Wake()
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	<-all
	b.StopTimer()
	cancel()
	close(release) // after cancel: the hung receiver's backlog is left unsent
	run.Wait()
	lags := make([]time.Duration, 0, b.N)
	for id, c := range committed {
		// A request can arrive before its producer notes the commit; that
		// lag counts as zero.
		lags = append(lags, max(arrived[id].Sub(c), 0))
	}
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
}
