package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/load"
)

// BenchmarkQuotaIsolation: one merchant floods the API from 16
// connections with cheap reads, far over its quota (1,000 requests a
// second, 1,000 at once), while a shop of another merchant places orders
// one after another (session, authorize, order: three durable writes).
// It reports the flood's rate and share of 429s, and the shop's share of
// orders placed and each of its operations' p50 and p99 latency;
// flood=off is the shop alone, for comparison.
//
//	go test -run '^$' -bench QuotaIsolation -benchtime 500x ./api/
func BenchmarkQuotaIsolation(b *testing.B) {
	cfg := api.Config{Sandbox: true, Limits: api.Limits{Quota: limit.Quota{Rate: 1000, Burst: 1000}}}
	for _, st := range benchStores {
		for _, flood := range []bool{false, true} {
			b.Run(fmt.Sprintf("store=%s/flood=%v", st.name, flood), func(b *testing.B) {
				m := benchMerchants(b, st.open(b), cfg, "Flooder", "Shop")
				flooder, shop := m[0], m[1]
				ctx := context.Background()
				if _, err := load.PlaceOrder(ctx, shop.Client); err != nil { // warm up: token, connections
					b.Fatal(err)
				}
				shop.rec.Reset()
				var limited, other atomic.Int64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				floodStart := time.Now()
				if flood {
					for range 16 {
						wg.Go(func() {
							for {
								select {
								case <-stop:
									return
								default:
								}
								if status, _ := flooder.Do(ctx, http.MethodGet, "/v1/orders/or_missing", nil, nil); status == http.StatusTooManyRequests {
									limited.Add(1)
								} else {
									other.Add(1)
								}
							}
						})
					}
				}
				placed := 0
				for b.Loop() {
					if _, err := load.PlaceOrder(ctx, shop.Client); err == nil {
						placed++
					}
				}
				close(stop)
				wg.Wait()
				floodElapsed := time.Since(floodStart).Seconds()
				elapsed := b.Elapsed().Seconds()
				b.ReportMetric(100*float64(placed)/float64(b.N), "shop-placed-%")
				b.ReportMetric(float64(placed)/elapsed, "shop-orders/s")
				for op, s := range shop.rec.Stats() {
					b.ReportMetric(float64(s.P50)/float64(time.Millisecond), "shop-"+op+"-p50-ms")
					b.ReportMetric(float64(s.P99)/float64(time.Millisecond), "shop-"+op+"-p99-ms")
				}
				if flood {
					n := limited.Load() + other.Load()
					b.ReportMetric(float64(n)/floodElapsed, "flood-req/s")
					b.ReportMetric(100*float64(limited.Load())/float64(n), "flood-429-%")
				}
			})
		}
	}
}
