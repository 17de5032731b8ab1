package paymod_test

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/load"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// benchStores are the stores the benchmark runs on, each opened by one
// function: a durable SQLite file (synchronous=FULL), and PostgreSQL when
// KASSA_TEST_POSTGRES_URL is set.
var benchStores = []struct {
	name string
	open func(b *testing.B) store.Store
}{
	{"sqlite", func(b *testing.B) store.Store {
		db, err := sqlite.Open(filepath.Join(b.TempDir(), "kassa.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}},
	{"postgres", func(b *testing.B) store.Store { return pgtest.Open(b) }},
}

// BenchmarkAcceptPayment runs the accept-payment flow through the module
// as a library, with the system provider: create a collection, create a
// session, authorize it, capture it, refund part of it (five
// transactions: TestAcceptPaymentCost). It reports flows/s at each
// concurrency.
//
//	go test -run '^$' -bench AcceptPayment -benchtime 2000x ./paymod/
func BenchmarkAcceptPayment(b *testing.B) {
	for _, st := range benchStores {
		for _, conc := range []int{1, 16} {
			b.Run(fmt.Sprintf("store=%s/concurrency=%d", st.name, conc), func(b *testing.B) {
				kassatest.ServeGC(b) // the module runs in kassa serve's process
				svc := paymod.New(slog.New(slog.DiscardHandler), st.open(b),
					paymod.Registry{paymod.SystemProviderID: paymod.System{}}, kassa.SystemClock{}, kassa.RandomIDs{})
				// Warm up as a running server is: a connection for each
				// caller, with its statements prepared.
				if _, err := load.Repeat(conc, conc, func() error { return acceptPayment(b, svc) }); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				elapsed, err := load.Repeat(b.N, conc, func() error { return acceptPayment(b, svc) })
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "flows/s")
			})
		}
	}
}

func acceptPayment(b *testing.B, svc *paymod.Service) error {
	ctx := b.Context()
	c, err := svc.CreateCollection(ctx, "ac_bench", "SEK", 500000, nil)
	if err != nil {
		return err
	}
	ps, err := svc.CreateSession(ctx, "ac_bench", c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID})
	if err != nil {
		return err
	}
	a, err := svc.AuthorizeSession(ctx, "ac_bench", ps.ID, nil)
	if err != nil {
		return err
	}
	if _, err := svc.Capture(ctx, "ac_bench", a.Payment.ID, payment.MovementRequest{}); err != nil {
		return err
	}
	p, err := svc.Refund(ctx, "ac_bench", a.Payment.ID, payment.MovementRequest{Amount: 100000})
	if err != nil {
		return err
	}
	if p.Refunded() != 100000 {
		return fmt.Errorf("refunded %d", p.Refunded())
	}
	return nil
}
