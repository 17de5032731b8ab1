package invoice

import (
	"testing"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/money"
	"pgregory.net/rapid"
)

// TestPick: whatever the uncaptured lines and the amount, pick either
// refuses or returns lines worth exactly the amount, each taken from a
// different uncaptured line, none larger than it, with VAT consistent for
// its rate — what Kassa's partial capture accepts.
func TestPick(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var lines []client.OrderLine
		var total int64
		for i := range rapid.IntRange(1, 5).Draw(t, "lines") {
			qty := rapid.Int64Range(1, 5).Draw(t, "qty")
			unit := rapid.Int64Range(1, 100_000).Draw(t, "unit")
			vat := rapid.SampledFrom([]int64{0, 600, 1200, 2500}).Draw(t, "vat")
			amount := qty * unit
			lines = append(lines, client.OrderLine{
				ID: string(rune('a' + i)), Type: "physical", Reference: string(rune('A' + i)), Quantity: qty,
				UnitPrice: &unit, VAT: vat, TotalAmount: amount, TotalVATAmount: money.VATPortion(amount, vat),
			})
			total += amount
		}
		amount := rapid.Int64Range(1, total).Draw(t, "amount")
		got, err := pick(lines, amount)
		if err != nil {
			return
		}
		var sum int64
		seen := map[string]bool{}
		for _, g := range got {
			if seen[g.Reference] {
				t.Fatalf("line %s taken twice: %+v", g.Reference, got)
			}
			seen[g.Reference] = true
			var from *client.OrderLine
			for i := range lines {
				if lines[i].Reference == g.Reference {
					from = &lines[i]
				}
			}
			if from == nil || g.TotalAmount > from.TotalAmount || g.VAT != from.VAT || g.Quantity > from.Quantity || g.Quantity < 1 {
				t.Fatalf("picked %+v from %+v", g, from)
			}
			if (g.ID == "") == (g.TotalAmount == from.TotalAmount) {
				t.Fatalf("a whole line goes by id, a part without: %+v from %+v", g, from)
			}
			if !money.VATWithin(g.TotalAmount, g.TotalVATAmount, g.VAT) {
				t.Fatalf("VAT of %+v", g)
			}
			sum += g.TotalAmount
		}
		if sum != amount {
			t.Fatalf("picked %d, want %d: %+v", sum, amount, got)
		}
	})
	// Amounts that no whole lines or units make are refused.
	unit := int64(250000)
	chairs := []client.OrderLine{{ID: "a", Reference: "SKU-1", Quantity: 2, UnitPrice: &unit, VAT: 2500, TotalAmount: 500000, TotalVATAmount: 100000}}
	if _, err := pick(chairs, 100000); err == nil {
		t.Error("pick(2 chairs, 1000.00): no error")
	}
	if got, err := pick(chairs, 250000); err != nil || len(got) != 1 || got[0].Quantity != 1 || got[0].ID != "" {
		t.Errorf("pick(2 chairs, one chair) = %+v, %v", got, err)
	}
}
