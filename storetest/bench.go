package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// BenchOrders is how many orders BenchOrderList seeds.
const BenchOrders = 100_000

// benchWords name the seeded companies: each begins 1 order in 100.
var benchWords = func() []string {
	var ws []string
	for _, a := range []string{"Bygg", "Trä", "Stål", "Data", "Mat", "Frakt", "Kraft", "Sjö", "Berg", "Dal"} {
		for _, b := range []string{"varor", "teknik", "konsult", "gross", "service", "lager", "verken", "partner", "handel", "center"} {
			ws = append(ws, a+b)
		}
	}
	return ws
}()

// BenchOrderList seeds s with BenchOrders orders of one merchant (and a
// few of another's), one a minute, then measures listing them as GET
// /v1/orders reads its first page (50 orders, newest first) and
// searching them (a prefix of a company name that 1 order in 100 has,
// newest 50 of those), each read in a View of its own, and reports each
// one's p50 and p99 in milliseconds.
func BenchOrderList(b *testing.B, s store.Store) {
	ctx := b.Context()
	ids := new(kassatest.IDs)
	m := &merchant.Merchant{ID: ids.New(kassa.PrefixMerchant), Name: "Bench AB", StoreID: "4711000001", CreatedAt: t0}
	other := &merchant.Merchant{ID: ids.New(kassa.PrefixMerchant), Name: "Other AB", StoreID: "4711000002", CreatedAt: t0}
	template, err := order.New(order.Env{Now: t0, IDs: ids}, order.NewParams{
		MerchantID: m.ID, StoreID: m.StoreID, SessionID: ids.New(kassa.PrefixSession),
		Currency: "SEK", Country: "SE", Locale: "sv-SE", Lines: lines, Totals: totals, Customer: customer,
		AuthorizeStatus: order.Authorized, RiskTags: []string{"newCustomer"},
	})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	for start := 0; start < BenchOrders; start += batch {
		err := s.Update(ctx, func(tx store.Tx) error {
			if start == 0 {
				for _, mm := range []*merchant.Merchant{m, other} {
					if err := tx.CreateMerchant(ctx, mm); err != nil {
						return err
					}
				}
			}
			for i := start; i < start+batch; i++ {
				o := template.Clone()
				o.ID = fmt.Sprintf("or_bench%09d", i)
				o.MerchantID = m.ID
				if i%1000 == 999 {
					o.MerchantID = other.ID
				}
				o.Reference = fmt.Sprintf("cart-%d", i)
				o.OrderReference = fmt.Sprintf("B%07d", i)
				o.Customer.CompanyName = fmt.Sprintf("%s %d AB", benchWords[i%len(benchWords)], i)
				o.Customer.CompanyID = fmt.Sprintf("55%08d", i)
				o.Customer.Email = fmt.Sprintf("ap%d@%s.example", i, benchWords[i%len(benchWords)])
				o.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
				o.UpdatedAt, o.Events = o.CreatedAt, nil
				if err := tx.CreateOrder(ctx, o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seeding orders: %v", err)
		}
	}
	for _, c := range []struct {
		name string
		f    store.OrderFilter
	}{
		{"list", store.OrderFilter{}},
		{"search", store.OrderFilter{Query: "stålgr"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			filter := c.f
			filter.Limit = 51 // as the API reads a page of 50
			for b.Loop() {
				start := time.Now()
				err := s.View(ctx, func(tx store.ReadTx) error {
					os, err := tx.Orders(ctx, m.ID, filter)
					if err == nil && len(os) != filter.Limit {
						err = fmt.Errorf("listed %d orders, want %d", len(os), filter.Limit)
					}
					return err
				})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
