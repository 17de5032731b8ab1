package money_test

import (
	"testing"

	"github.com/kassa-pay/kassa/money"
	"pgregory.net/rapid"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		minor            int64
		cur              money.Currency
		decimal, grouped string
	}{
		{0, "SEK", "0.00", "0.00"},
		{5, "SEK", "0.05", "0.05"},
		{-5, "SEK", "-0.05", "-0.05"},
		{100, "EUR", "1.00", "1.00"},
		{500000, "SEK", "5000.00", "5,000.00"},
		{510000, "SEK", "5100.00", "5,100.00"},
		{-123456789, "SEK", "-1234567.89", "-1,234,567.89"},
		{100000, "SEK", "1000.00", "1,000.00"},
		{99999, "SEK", "999.99", "999.99"},
		{5000, "JPY", "5000", "5,000"},
		{-1, "JPY", "-1", "-1"},
		{1234567, "BHD", "1234.567", "1,234.567"},
		{money.MaxAmount, "SEK", "1000000000000.00", "1,000,000,000,000.00"},
	}
	for _, tt := range tests {
		if got := money.Decimal(tt.minor, tt.cur); got != tt.decimal {
			t.Errorf("Decimal(%d, %s) = %q, want %q", tt.minor, tt.cur, got, tt.decimal)
		}
		if got := money.Grouped(tt.minor, tt.cur); got != tt.grouped {
			t.Errorf("Grouped(%d, %s) = %q, want %q", tt.minor, tt.cur, got, tt.grouped)
		}
	}
}

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		in      string
		want    money.Currency
		digits  int
		wantErr bool
	}{
		{"SEK", "SEK", 2, false},
		{"sek", "SEK", 2, false},
		{" eur ", "EUR", 2, false},
		{"JPY", "JPY", 0, false},
		{"NOK", "NOK", 2, false},
		{"XXY", "", 0, true},
		{"", "", 0, true},
		{"SEKK", "", 0, true},
	}
	for _, tt := range tests {
		got, err := money.ParseCurrency(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCurrency(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseCurrency(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if err == nil && got.Digits() != tt.digits {
			t.Errorf("%s.Digits() = %d, want %d", got, got.Digits(), tt.digits)
		}
	}
}

func TestVATWithin(t *testing.T) {
	tests := []struct {
		total, vat, rate int64
		want             bool
	}{
		{500000, 100000, 2500, true}, // 25 % of 400000 ex VAT
		{500000, 100001, 2500, true}, // +1 tolerated
		{500000, 99999, 2500, true},  // -1 tolerated
		{500000, 100002, 2500, false},
		{24000, 4800, 2500, true},   // docs' discount example
		{-24000, -4800, 2500, true}, // order-level discount line
		{-24000, 4800, 2500, false},
		{11200, 1200, 1200, true},
		{10600, 600, 600, true},
		{1000, 0, 0, true},
		{1000, 1, 0, true},
		{1000, 2, 0, false},
		{333, 67, 2500, true}, // 66.6 exact
		{333, 66, 2500, true},
		{333, 68, 2500, false},
	}
	for _, tt := range tests {
		if got := money.VATWithin(tt.total, tt.vat, tt.rate); got != tt.want {
			t.Errorf("VATWithin(%d, %d, %d) = %v, want %v", tt.total, tt.vat, tt.rate, got, tt.want)
		}
	}
}

func TestDivRound(t *testing.T) {
	tests := []struct{ n, d, want int64 }{
		{5, 2, 3}, {-5, 2, -3}, {4, 3, 1}, {-4, 3, -1}, {7, 7, 1}, {0, 9, 0}, {1, 3, 0}, {2, 3, 1}, {-2, 3, -1},
	}
	for _, tt := range tests {
		if got := money.DivRound(tt.n, tt.d); got != tt.want {
			t.Errorf("DivRound(%d, %d) = %d, want %d", tt.n, tt.d, got, tt.want)
		}
	}
}

// VATPortion's result always passes VATWithin, for every amount and rate in bounds.
func TestVATPortionAlwaysWithin(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		total := rapid.Int64Range(-money.MaxAmount, money.MaxAmount).Draw(t, "total")
		rate := rapid.Int64Range(0, money.MaxVAT).Draw(t, "rate")
		vat := money.VATPortion(total, rate)
		if !money.VATWithin(total, vat, rate) {
			t.Fatalf("VATWithin(%d, VATPortion=%d, %d) = false", total, vat, rate)
		}
		if (total >= 0) != (vat >= 0) && vat != 0 {
			t.Fatalf("VATPortion(%d, %d) = %d has the wrong sign", total, rate, vat)
		}
	})
}
