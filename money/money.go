// Package money holds exact money arithmetic: amounts are int64 minor units
// of an ISO 4217 currency, VAT rates are basis points (2500 = 25 %), and no
// float ever takes part.
package money

import (
	"strconv"
	"strings"

	"github.com/bojanz/currency"
	"github.com/kassa-pay/kassa"
)

// Bounds that keep every product and sum below in int64 range:
// MaxAmount × (10000 + MaxVAT) and MaxQuantity × MaxAmount both fit.
const (
	MaxAmount   int64 = 100_000_000_000_000 // 1e14 minor units (1e12 SEK)
	MaxQuantity int64 = 1_000_000
	MaxVAT      int64 = 10_000 // 100 %
)

// Currency is an upper-case ISO 4217 code.
type Currency string

// ParseCurrency accepts a known ISO 4217 code in any letter case.
func ParseCurrency(s string) (Currency, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if len(c) != 3 || !currency.IsValid(c) {
		return "", kassa.Invalid("currency", "currency %q is not an ISO 4217 code", s)
	}
	return Currency(c), nil
}

// Digits is the number of minor-unit digits: 2 for SEK and EUR, 0 for JPY.
func (c Currency) Digits() int {
	d, ok := currency.GetDigits(string(c))
	if !ok {
		return 2
	}
	return int(d)
}

// Decimal renders minor units as a plain decimal string with the
// currency's digits: 500000 SEK → "5000.00", -5 SEK → "-0.05".
func Decimal(minor int64, c Currency) string {
	return format(minor, c.Digits(), false)
}

// Grouped renders minor units the way Ledyer's "formatted" field does
// (en_US, comma thousands separator): 500000 SEK → "5,000.00".
func Grouped(minor int64, c Currency) string {
	return format(minor, c.Digits(), true)
}

func format(minor int64, digits int, group bool) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	whole, frac := s[:len(s)-digits], s[len(s)-digits:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := range len(whole) {
		if group && i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	if digits > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// VATWithin reports whether vatAmount is within one minor unit of the VAT
// contained in the VAT-inclusive total at rate basis points, i.e.
// |vatAmount − total × rate / (10000 + rate)| ≤ 1, in exact integers.
// Arguments must be within MaxAmount and MaxVAT.
func VATWithin(total, vatAmount, rate int64) bool {
	d := vatAmount*(10_000+rate) - total*rate
	return d >= -(10_000+rate) && d <= 10_000+rate
}

// VATPortion is the VAT contained in a VAT-inclusive total at rate basis
// points, rounded half away from zero.
func VATPortion(total, rate int64) int64 {
	return DivRound(total*rate, 10_000+rate)
}

// DivRound divides n by a positive d, rounding half away from zero.
func DivRound(n, d int64) int64 {
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}
