package order

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// Line types seen from Ledyer's clients. Only discount and giftCard lines
// may carry negative amounts; other types are stored as sent (clients pass
// shop product types straight through) and treated like physical goods.
const (
	TypePhysical    = "physical"
	TypeDigital     = "digital"
	TypeShippingFee = "shippingFee"
	TypeSurcharge   = "surcharge"
	TypeDiscount    = "discount"
	TypeGiftCard    = "giftCard"
	TypeService     = "service"
)

// Field limits, generous enough for every client studied (Ledyer's
// WooCommerce Checkout plugin truncates references to 64 and descriptions
// to 254 characters, its Order Management plugin both to 200).
const (
	MaxLines          = 1000
	maxReferenceLen   = 255
	maxDescriptionLen = 1000
	maxTypeLen        = 50
)

// Line is an order line. Amounts are minor units including VAT; VAT is in
// basis points.
type Line struct {
	ID                 string `json:"id,omitempty"`
	Type               string `json:"type"`
	Reference          string `json:"reference"`
	Description        string `json:"description"`
	Quantity           int64  `json:"quantity"`
	UnitPrice          *int64 `json:"unitPrice,omitempty"` // optional on the wire
	UnitDiscountAmount int64  `json:"unitDiscountAmount"`
	VAT                int64  `json:"vat"`
	TotalAmount        int64  `json:"totalAmount"`
	TotalVATAmount     int64  `json:"totalVatAmount"`

	// QuantityRounded marks a quantity that arrived with a fraction and was
	// rounded; the unit-price rule cannot be checked exactly for such lines.
	QuantityRounded bool `json:"-"`
}

func (l Line) mayBeNegative() bool { return l.Type == TypeDiscount || l.Type == TypeGiftCard }

// Validate checks one line's own rules; param names it in errors.
func (l Line) Validate(param string) error {
	switch {
	case len(l.Type) > maxTypeLen:
		return kassa.Invalid(param+".type", "type is longer than %d characters", maxTypeLen)
	case len(l.Reference) > maxReferenceLen:
		return kassa.Invalid(param+".reference", "reference is longer than %d characters", maxReferenceLen)
	case len(l.Description) > maxDescriptionLen:
		return kassa.Invalid(param+".description", "description is longer than %d characters", maxDescriptionLen)
	case l.Quantity < 1 || l.Quantity > money.MaxQuantity:
		return kassa.Invalid(param+".quantity", "quantity must be between 1 and %d", money.MaxQuantity)
	case l.VAT < 0 || l.VAT > money.MaxVAT:
		return kassa.Invalid(param+".vat", "vat must be between 0 and %d basis points", money.MaxVAT)
	case outOfRange(l.TotalAmount) || outOfRange(l.TotalVATAmount):
		return kassa.Invalid(param+".totalAmount", "amount is out of range")
	case l.UnitDiscountAmount < 0 || l.UnitDiscountAmount > money.MaxAmount:
		return kassa.Invalid(param+".unitDiscountAmount", "unitDiscountAmount must be between 0 and %d", money.MaxAmount)
	case l.TotalAmount < 0 && !l.mayBeNegative():
		return kassa.Invalid(param+".totalAmount", "totalAmount is negative; only %s and %s lines may be negative", TypeDiscount, TypeGiftCard)
	case !money.VATWithin(l.TotalAmount, l.TotalVATAmount, l.VAT):
		return kassa.Invalid(param+".totalVatAmount",
			"totalVatAmount %d does not match totalAmount %d at vat %d (expected %d ± 1)",
			l.TotalVATAmount, l.TotalAmount, l.VAT, money.VATPortion(l.TotalAmount, l.VAT))
	}
	if l.UnitPrice != nil && !l.QuantityRounded {
		u := *l.UnitPrice
		if outOfRange(u) {
			return kassa.Invalid(param+".unitPrice", "unitPrice is out of range")
		}
		// quantity × (unitPrice − unitDiscountAmount) can exceed int64; a
		// product beyond MaxAmount never equals an in-range totalAmount.
		d := u - l.UnitDiscountAmount
		if abs(d) > money.MaxAmount/l.Quantity {
			return kassa.Invalid(param+".totalAmount",
				"totalAmount %d is not quantity × (unitPrice − unitDiscountAmount), which is out of range", l.TotalAmount)
		}
		if want := l.Quantity * d; want != l.TotalAmount {
			return kassa.Invalid(param+".totalAmount",
				"totalAmount %d is not quantity × (unitPrice − unitDiscountAmount) = %d", l.TotalAmount, want)
		}
	}
	return nil
}

// ValidateLines checks every line; param is the field holding them.
func ValidateLines(lines []Line, param string) error {
	if len(lines) == 0 {
		return kassa.Invalid(param, "%s must not be empty", param)
	}
	if len(lines) > MaxLines {
		return kassa.Invalid(param, "%s has more than %d lines", param, MaxLines)
	}
	for i, l := range lines {
		if err := l.Validate(fmt.Sprintf("%s[%d]", param, i)); err != nil {
			return err
		}
	}
	return nil
}

// Sum returns Σ totalAmount and Σ totalVatAmount. Within MaxLines and
// MaxAmount the sums cannot overflow.
func Sum(lines []Line) (total, vat int64) {
	for _, l := range lines {
		total += l.TotalAmount
		vat += l.TotalVATAmount
	}
	return total, vat
}

// Totals are the three order totals a request states.
type Totals struct {
	Amount        int64
	VATAmount     int64
	AmountExclVAT *int64 // optional; see CheckTotals
}

// CheckTotals verifies that stated totals equal the sums of the lines.
// totalOrderAmountExclVat may also be what the WooCommerce Checkout plugin sends with a multi-purpose
// voucher: the sum excluding negative zero-VAT giftCard lines.
func CheckTotals(lines []Line, t Totals) error {
	total, vat := Sum(lines)
	if t.Amount != total {
		return kassa.Invalid("totalOrderAmount", "totalOrderAmount %d is not the sum of the lines' totalAmount, %d", t.Amount, total)
	}
	if t.VATAmount != vat {
		return kassa.Invalid("totalOrderVatAmount", "totalOrderVatAmount %d is not the sum of the lines' totalVatAmount, %d", t.VATAmount, vat)
	}
	if t.AmountExclVAT == nil {
		return nil
	}
	excl := total - vat
	var vouchers int64
	for _, l := range lines {
		if l.Type == TypeGiftCard && l.VAT == 0 && l.TotalAmount < 0 {
			vouchers += l.TotalAmount
		}
	}
	if got := *t.AmountExclVAT; got != excl && got != excl-vouchers {
		return kassa.Invalid("totalOrderAmountExclVat", "totalOrderAmountExclVat %d is not totalOrderAmount − totalOrderVatAmount, %d", got, excl)
	}
	return nil
}

// normalizeType defaults an empty type to physical.
func normalizeType(t string) string {
	if strings.TrimSpace(t) == "" {
		return TypePhysical
	}
	return t
}

// outOfRange reports whether |x| > MaxAmount, without abs's overflow at
// math.MinInt64.
func outOfRange(x int64) bool { return x < -money.MaxAmount || x > money.MaxAmount }

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Part is qty of the line's units as a line of its own, to capture or
// refund part of the line: the whole line, id and all, when qty is its
// quantity; otherwise a line without id of the same type, reference,
// description and VAT rate whose amounts are qty units' share (qty ×
// (unitPrice − unitDiscountAmount) when the line has a unit price, else
// its total pro rata, rounded towards zero).
func (l Line) Part(qty int64) (Line, error) {
	switch {
	case qty < 1:
		return Line{}, kassa.Invalid("quantity", "quantity must be at least 1")
	case qty > l.Quantity:
		return Line{}, kassa.Invalid("quantity", "quantity %d is more than the %d of line %s", qty, l.Quantity, l.ID)
	case qty == l.Quantity:
		return l, nil
	}
	p := l
	p.ID, p.Quantity, p.QuantityRounded = "", qty, false
	if l.UnitPrice != nil && !l.QuantityRounded {
		p.TotalAmount = qty * (*l.UnitPrice - l.UnitDiscountAmount)
	} else {
		p.UnitPrice = nil
		p.TotalAmount = l.TotalAmount * qty / l.Quantity // within MaxQuantity × MaxAmount
	}
	p.TotalVATAmount = money.VATPortion(p.TotalAmount, p.VAT)
	return p, nil
}

// Pick is the lines of c that qty chooses, by line id, in c's order:
// each chosen line's Part of that many units. A line not named, or
// named with 0, is left out; an unknown id, a negative quantity or more
// than a line has is refused, and so is choosing nothing.
func (c *Chunk) Pick(qty map[string]int64) ([]Line, error) {
	for id, q := range qty {
		if !slices.ContainsFunc(c.Lines, func(l Line) bool { return l.ID == id }) {
			return nil, kassa.Invalid("orderLines", "the order has no line %q here", id)
		}
		if q < 0 {
			return nil, kassa.Invalid("orderLines", "the quantity of line %s is negative", id)
		}
	}
	var lines []Line
	for _, l := range c.Lines {
		q := qty[l.ID]
		if q == 0 {
			continue
		}
		if q > l.Quantity {
			return nil, kassa.Invalid("orderLines", "line %s (%s) has %d, not %d", l.ID, l.Reference, l.Quantity, q)
		}
		p, _ := l.Part(q) // 1 ≤ q ≤ its quantity
		lines = append(lines, p)
	}
	if len(lines) == 0 {
		return nil, kassa.Invalid("orderLines", "choose at least one line")
	}
	return lines, nil
}
