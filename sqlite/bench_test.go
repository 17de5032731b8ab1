package sqlite_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/storetest"
)

// BenchmarkUpdate measures durable updates, each storing one idempotency
// record (what every keyed API request adds to its own writes), from 1 and
// from 16 concurrent callers. ops/commit shows how group commit shares
// fsyncs between them.
func BenchmarkUpdate(b *testing.B) {
	body := []byte(`{"orderId":"or_2sVJpLh6Qk1dQAl4sJ8y9fYvXbN","status":["uncaptured","unacknowledged"],` +
		`"totalOrderAmount":29900,"totalOrderVatAmount":5980,"reference":"cart-42"}`)
	fingerprint := make([]byte, 32)
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			ctx := b.Context()
			db := openTemp(b)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range callers {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						r := &store.IdempotencyRecord{
							MerchantID: "ac_bench", Key: strconv.FormatInt(i, 10),
							Fingerprint: fingerprint, Status: 201, Body: body, CreatedAt: now,
						}
						if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, r) }); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			commits, updates := sqlite.Batches(db)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64(updates)/float64(commits), "ops/commit")
		})
	}
}

// BenchmarkOrderList lists and searches 100,000 orders of one merchant
// (storetest.BenchOrderList; docs/benchmarks.md).
func BenchmarkOrderList(b *testing.B) { storetest.BenchOrderList(b, openTemp(b)) }
