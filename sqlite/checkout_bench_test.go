package sqlite_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kassa-pay/kassa/store"
)

// BenchmarkCreditReservation measures what an authorization adds to its
// transaction: lock the company's credit line, sum its live holds, write
// the session's hold. 16 callers reserve on one company's line (as many
// buyers of one company at once) or each on its own.
func BenchmarkCreditReservation(b *testing.B) {
	for _, lines := range []string{"one", "many"} {
		b.Run("lines="+lines, func(b *testing.B) {
			ctx := b.Context()
			db := openTemp(b)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := range 16 {
				wg.Go(func() {
					line := store.CreditLine{MerchantID: "ac_bench", CompanyID: "556677-8899", Currency: "SEK"}
					if lines == "many" {
						line.CompanyID = fmt.Sprintf("5566%02d-0000", c)
					}
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						err := db.Update(ctx, func(tx store.Tx) error {
							if err := tx.LockCreditLine(ctx, line); err != nil {
								return err
							}
							if _, err := tx.CreditStanding(ctx, line, now, ""); err != nil {
								return err
							}
							return tx.PutCreditHold(ctx, store.CreditHold{SessionID: "ps_" + strconv.FormatInt(i, 10), Line: line, Amount: 100})
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
