package order_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"pgregory.net/rapid"
)

// with returns l changed by f, to write table rows as edits of a fixture.
func with(l order.Line, f func(*order.Line)) order.Line {
	f(&l)
	return l
}

func TestLineValidate(t *testing.T) {
	tests := []struct {
		name  string
		line  order.Line
		param string // "" when valid
	}{
		{"docs phone", phone(), ""},
		{"docs discount example", order.Line{Type: order.TypePhysical, Quantity: 1, UnitPrice: ptr(int64(30000)), UnitDiscountAmount: 6000, VAT: 2500, TotalAmount: 24000, TotalVATAmount: 4800}, ""},
		{"order-level discount line", rebate(), ""},
		{"vat one above", with(phone(), func(l *order.Line) { l.TotalVATAmount++ }), ""},
		{"vat one below", with(phone(), func(l *order.Line) { l.TotalVATAmount-- }), ""},
		{"vat two above", with(phone(), func(l *order.Line) { l.TotalVATAmount += 2 }), "line.totalVatAmount"},
		{"vat two below", with(phone(), func(l *order.Line) { l.TotalVATAmount -= 2 }), "line.totalVatAmount"},
		// 4900 at 6 %: 277.358…, so 276.358 is just outside and 278 inside.
		{"fractional vat within one", order.Line{Quantity: 1, VAT: 600, TotalAmount: 4900, TotalVATAmount: 278}, ""},
		{"fractional vat just outside one", order.Line{Quantity: 1, VAT: 600, TotalAmount: 4900, TotalVATAmount: 276}, "line.totalVatAmount"},
		{"zero vat must be zero", order.Line{Quantity: 1, VAT: 0, TotalAmount: 4900, TotalVATAmount: 2}, "line.totalVatAmount"},
		{"zero vat one off", order.Line{Quantity: 1, VAT: 0, TotalAmount: 4900, TotalVATAmount: 1}, ""},
		{"vat 100 %", order.Line{Quantity: 1, VAT: money.MaxVAT, TotalAmount: 1000, TotalVATAmount: 500}, ""},
		{"vat above 100 %", order.Line{Quantity: 1, VAT: money.MaxVAT + 1, TotalAmount: 1000, TotalVATAmount: 500}, "line.vat"},
		{"negative vat rate", order.Line{Quantity: 1, VAT: -1, TotalAmount: 1000}, "line.vat"},
		{"unit price rule", line(order.TypePhysical, "x", 3, 1999, 2500), ""},
		{"unit price mismatch", with(line(order.TypePhysical, "x", 3, 1999, 2500), func(l *order.Line) { l.UnitPrice = ptr(int64(2000)) }), "line.totalAmount"},
		{"unit discount applied per unit", order.Line{Quantity: 2, UnitPrice: ptr(int64(1000)), UnitDiscountAmount: 100, VAT: 0, TotalAmount: 1800}, ""},
		{"unit discount applied once only", order.Line{Quantity: 2, UnitPrice: ptr(int64(1000)), UnitDiscountAmount: 100, VAT: 0, TotalAmount: 1900}, "line.totalAmount"},
		{"no unit price skips the rule", order.Line{Quantity: 3, UnitDiscountAmount: 5, VAT: 0, TotalAmount: 1000}, ""},
		{"rounded quantity skips the rule", order.Line{Quantity: 2, UnitPrice: ptr(int64(1000)), VAT: 0, TotalAmount: 1500, QuantityRounded: true}, ""},
		{"negative physical", order.Line{Type: order.TypePhysical, Quantity: 1, VAT: 0, TotalAmount: -100}, "line.totalAmount"},
		{"negative untyped", order.Line{Quantity: 1, VAT: 0, TotalAmount: -100}, "line.totalAmount"},
		{"negative surcharge", order.Line{Type: order.TypeSurcharge, Quantity: 1, VAT: 0, TotalAmount: -100}, "line.totalAmount"},
		{"negative shipping fee", order.Line{Type: order.TypeShippingFee, Quantity: 1, VAT: 0, TotalAmount: -100}, "line.totalAmount"},
		{"negative discount", order.Line{Type: order.TypeDiscount, Quantity: 1, VAT: 2500, TotalAmount: -1000, TotalVATAmount: -200}, ""},
		{"negative gift card", order.Line{Type: order.TypeGiftCard, Quantity: 1, VAT: 0, TotalAmount: -1000}, ""},
		{"unknown type kept", order.Line{Type: "grouped", Quantity: 1, VAT: 0, TotalAmount: 100}, ""},
		{"zero amount", order.Line{Quantity: 1, VAT: 2500, TotalAmount: 0}, ""},
		{"quantity zero", with(phone(), func(l *order.Line) { l.Quantity = 0 }), "line.quantity"},
		{"quantity negative", with(phone(), func(l *order.Line) { l.Quantity = -1 }), "line.quantity"},
		{"quantity max", order.Line{Quantity: money.MaxQuantity, UnitPrice: ptr(int64(1)), VAT: 0, TotalAmount: money.MaxQuantity}, ""},
		{"quantity above max", order.Line{Quantity: money.MaxQuantity + 1, VAT: 0, TotalAmount: 1}, "line.quantity"},
		{"type 50", with(phone(), func(l *order.Line) { l.Type = strings.Repeat("t", 50) }), ""},
		{"type 51", with(phone(), func(l *order.Line) { l.Type = strings.Repeat("t", 51) }), "line.type"},
		{"reference 255", with(phone(), func(l *order.Line) { l.Reference = strings.Repeat("r", 255) }), ""},
		{"reference 256", with(phone(), func(l *order.Line) { l.Reference = strings.Repeat("r", 256) }), "line.reference"},
		{"description 1000", with(phone(), func(l *order.Line) { l.Description = strings.Repeat("d", 1000) }), ""},
		{"description 1001", with(phone(), func(l *order.Line) { l.Description = strings.Repeat("d", 1001) }), "line.description"},
		{"amount max", order.Line{Quantity: 1, VAT: 0, TotalAmount: money.MaxAmount}, ""},
		{"amount above max", order.Line{Quantity: 1, VAT: 0, TotalAmount: money.MaxAmount + 1}, "line.totalAmount"},
		{"discount below min", order.Line{Type: order.TypeDiscount, Quantity: 1, VAT: 0, TotalAmount: -money.MaxAmount - 1}, "line.totalAmount"},
		{"vat amount above max", order.Line{Quantity: 1, VAT: money.MaxVAT, TotalAmount: 1, TotalVATAmount: money.MaxAmount + 1}, "line.totalAmount"},
		{"unit discount negative", with(phone(), func(l *order.Line) { l.UnitDiscountAmount = -1 }), "line.unitDiscountAmount"},
		{"unit discount above max", with(phone(), func(l *order.Line) { l.UnitDiscountAmount = money.MaxAmount + 1 }), "line.unitDiscountAmount"},
		{"unit price above max", order.Line{Quantity: 1, UnitPrice: ptr(money.MaxAmount + 1), VAT: 0, TotalAmount: 1}, "line.unitPrice"},

		// Values whose arithmetic overflows int64 must not slip through.
		{"discount at MinInt64", order.Line{Type: order.TypeDiscount, Quantity: 1, VAT: 0, TotalAmount: math.MinInt64}, "line.totalAmount"},
		{"vat amount at MinInt64", order.Line{Quantity: 1, VAT: 0, TotalAmount: 100, TotalVATAmount: math.MinInt64}, "line.totalAmount"},
		{"unit price at MinInt64", order.Line{Type: order.TypeDiscount, Quantity: 1, UnitPrice: ptr(int64(math.MinInt64)), VAT: 0, TotalAmount: 0}, "line.unitPrice"},
		// 1e6 × 18446744073710 is 2⁶⁴ + 448384: wrapped, it would "equal" 448384.
		{"unit price product overflow", order.Line{Quantity: money.MaxQuantity, UnitPrice: ptr(int64(18446744073710)), VAT: 0, TotalAmount: 448384}, "line.totalAmount"},
		{"largest exact product", order.Line{Quantity: money.MaxQuantity, UnitPrice: ptr(money.MaxAmount / money.MaxQuantity), VAT: 0, TotalAmount: money.MaxAmount}, ""},
		{"negative product at the bound", order.Line{Type: order.TypeDiscount, Quantity: money.MaxQuantity, UnitPrice: ptr(int64(0)), UnitDiscountAmount: money.MaxAmount / money.MaxQuantity, VAT: 0, TotalAmount: -money.MaxAmount}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.line.Validate("line")
			if tt.param == "" {
				if err != nil {
					t.Errorf("Validate(%+v) = %v, want nil", tt.line, err)
				}
				return
			}
			wantError(t, "Validate", err, kassa.EInvalid, tt.param)
		})
	}
}

func TestValidateLines(t *testing.T) {
	many := make([]order.Line, order.MaxLines+1)
	for i := range many {
		many[i] = line(order.TypePhysical, "x", 1, 100, 0)
	}
	tests := []struct {
		name  string
		lines []order.Line
		param string
	}{
		{"one", []order.Line{phone()}, ""},
		{"max lines", many[:order.MaxLines], ""},
		{"nil", nil, "orderLines"},
		{"empty", []order.Line{}, "orderLines"},
		{"too many", many, "orderLines"},
		{"second line named", []order.Line{phone(), with(phone(), func(l *order.Line) { l.Quantity = 0 })}, "orderLines[1].quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := order.ValidateLines(tt.lines, "orderLines")
			if tt.param == "" {
				if err != nil {
					t.Errorf("ValidateLines(%d lines) = %v, want nil", len(tt.lines), err)
				}
				return
			}
			wantError(t, "ValidateLines", err, kassa.EInvalid, tt.param)
		})
	}
}

func TestCheckTotals(t *testing.T) {
	voucher := order.Line{Type: order.TypeGiftCard, Reference: "voucher", Quantity: 1, VAT: 0, TotalAmount: -10000}
	vatVoucher := order.Line{Type: order.TypeGiftCard, Reference: "voucher", Quantity: 1, VAT: 2500, TotalAmount: -10000, TotalVATAmount: -2000}
	withVoucher := []order.Line{phone(), voucher}
	// phone 500000 incl. 100000 VAT, voucher −10000: total 490000, VAT 100000.
	tests := []struct {
		name   string
		lines  []order.Line
		totals order.Totals
		param  string
	}{
		{"exact", []order.Line{phone(), books()}, totalsOf(phone(), books()), ""},
		{"no exclVat", []order.Line{phone()}, order.Totals{Amount: 500000, VATAmount: 100000}, ""},
		{"amount off by one", []order.Line{phone()}, order.Totals{Amount: 500001, VATAmount: 100000}, "totalOrderAmount"},
		{"vat off by one", []order.Line{phone()}, order.Totals{Amount: 500000, VATAmount: 99999}, "totalOrderVatAmount"},
		{"exclVat wrong", []order.Line{phone()}, order.Totals{Amount: 500000, VATAmount: 100000, AmountExclVAT: ptr(int64(500000))}, "totalOrderAmountExclVat"},
		{"voucher: exclVat = total − vat", withVoucher, order.Totals{Amount: 490000, VATAmount: 100000, AmountExclVAT: ptr(int64(390000))}, ""},
		{"voucher: the Checkout plugin's exclVat without the voucher", withVoucher, order.Totals{Amount: 490000, VATAmount: 100000, AmountExclVAT: ptr(int64(400000))}, ""},
		{"voucher: neither", withVoucher, order.Totals{Amount: 490000, VATAmount: 100000, AmountExclVAT: ptr(int64(380000))}, "totalOrderAmountExclVat"},
		{"voucher with vat is no Checkout-plugin voucher", []order.Line{phone(), vatVoucher}, order.Totals{Amount: 490000, VATAmount: 98000, AmountExclVAT: ptr(int64(400000))}, "totalOrderAmountExclVat"},
		{"discount is no Checkout-plugin voucher", []order.Line{phone(), with(voucher, func(l *order.Line) { l.Type = order.TypeDiscount })}, order.Totals{Amount: 490000, VATAmount: 100000, AmountExclVAT: ptr(int64(400000))}, "totalOrderAmountExclVat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := order.CheckTotals(tt.lines, tt.totals)
			if tt.param == "" {
				if err != nil {
					t.Errorf("CheckTotals(%+v) = %v, want nil", tt.totals, err)
				}
				return
			}
			wantError(t, "CheckTotals", err, kassa.EInvalid, tt.param)
		})
	}
}

// TestLineValidateMatchesExactArithmetic compares the unit-price and VAT
// rules with the same rules computed without any chance of overflow.
func TestLineValidateMatchesExactArithmetic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		qty := rapid.Int64Range(1, money.MaxQuantity).Draw(t, "qty")
		unit := rapid.Int64Range(-money.MaxAmount, money.MaxAmount).Draw(t, "unit")
		disc := rapid.Int64Range(0, money.MaxAmount).Draw(t, "disc")
		total := rapid.Int64Range(-money.MaxAmount, money.MaxAmount).Draw(t, "total")
		if rapid.Bool().Draw(t, "exact") {
			// Aim at the exact product when it is in range.
			if p, ok := mulExact(qty, unit-disc); ok && p >= -money.MaxAmount && p <= money.MaxAmount {
				total = p
			}
		}
		l := order.Line{Type: order.TypeDiscount, Quantity: qty, UnitPrice: &unit, UnitDiscountAmount: disc, VAT: 0, TotalAmount: total}
		p, ok := mulExact(qty, unit-disc)
		want := ok && p == total
		if got := l.Validate("l") == nil; got != want {
			t.Fatalf("Validate(qty %d, unit %d, disc %d, total %d) ok = %v, want %v", qty, unit, disc, total, got, want)
		}
	})
}

// mulExact multiplies when the product fits in int64.
func mulExact(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return p, true
}

func TestSum(t *testing.T) {
	total, vat := order.Sum([]order.Line{phone(), rebate(), books()})
	if total != 500000-20000+24000 || vat != 100000-4000+1358 {
		t.Errorf("Sum(phone, rebate, books) = %d, %d, want %d, %d", total, vat, 504000, 97358)
	}
	if total, vat := order.Sum(nil); total != 0 || vat != 0 {
		t.Errorf("Sum(nil) = %d, %d, want 0, 0", total, vat)
	}
}

func TestLineFixtures(t *testing.T) {
	for _, l := range []order.Line{phone(), shipping(), books(), rebate()} {
		if err := l.Validate("fixture"); err != nil {
			t.Errorf("fixture %s: Validate = %v, want nil", l.Reference, err)
		}
	}
	if diff := cmp.Diff(int64(1358), books().TotalVATAmount); diff != "" {
		t.Errorf("books VAT (-want +got):\n%s", diff)
	}
}
