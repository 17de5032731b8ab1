package invoice

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
)

func TestAccountingValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		param string
		a     Accounting
	}{
		{"accounting.receivable", Accounting{Receivable: "151"}},
		{"accounting.receivable", Accounting{Receivable: "15100"}},
		{"accounting.bank", Accounting{Bank: "19a0"}},
		{"accounting.rounding", Accounting{Rounding: "0740"}},
		{"accounting.euServices", Accounting{EUServices: "9308"}},
		{"accounting.unmatchedPayments", Accounting{Unmatched: "x"}},
		{"accounting.rates[0].rate", Accounting{Rates: []RateAccounts{{Rate: 0, Sales: "3001", VAT: "2611"}}}},
		{"accounting.rates[0].rate", Accounting{Rates: []RateAccounts{{Rate: 10001, Sales: "3001", VAT: "2611"}}}},
		{"accounting.rates[1].rate", Accounting{Rates: []RateAccounts{{Rate: 2500, Sales: "3001", VAT: "2611"}, {Rate: 2500, Sales: "3011", VAT: "2611"}}}},
		{"accounting.rates[0].sales", Accounting{Rates: []RateAccounts{{Rate: 2550, VAT: "2611"}}}},
		{"accounting.rates[0].vat", Accounting{Rates: []RateAccounts{{Rate: 2550, Sales: "3001", VAT: "26111"}}}},
		{"accounting.rates", Accounting{Rates: make([]RateAccounts, 21)}},
		{"accounting.series", Accounting{Series: "A B"}},
		{"accounting.series", Accounting{Series: "ABCDEFGHIJK"}},
		{"accounting.fiscalYearStart", Accounting{FiscalYearStart: 13}},
	} {
		s := completeSettings()
		s.Accounting = tc.a
		err := s.Validate()
		if ke, ok := errors.AsType[*kassa.Error](err); !ok || ke.Code != kassa.EInvalid || ke.Param != tc.param {
			t.Errorf("%+v: Validate = %v, want an invalid %s", tc.a, err, tc.param)
		}
	}
	s := completeSettings()
	s.Accounting = Accounting{Receivable: " 1511 ", Rates: []RateAccounts{{Rate: 2550, Sales: "3011", VAT: " 2614"}}, Series: "K", FiscalYearStart: 7}
	if err := s.Validate(); err != nil || s.Accounting.Receivable != "1511" || s.Accounting.Rates[0].VAT != "2614" {
		t.Errorf("Validate = %v, accounting %+v", err, s.Accounting)
	}
}

// A plan names only what differs from BAS; the rest is BAS's.
func TestAccountingWithDefaults(t *testing.T) {
	got := Accounting{Receivable: "1511", Rates: []RateAccounts{{Rate: 2500, Sales: "3010", VAT: "2610"}, {Rate: 2550, Sales: "3011", VAT: "2614"}}}.WithDefaults()
	want := DefaultAccounting
	want.Receivable = "1511"
	want.Rates = []RateAccounts{{Rate: 2500, Sales: "3010", VAT: "2610"}, {Rate: 2550, Sales: "3011", VAT: "2614"}, {Rate: 1200, Sales: "3002", VAT: "2621"}, {Rate: 600, Sales: "3003", VAT: "2631"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WithDefaults (-want +got):\n%s", diff)
	}
	if _, ok := got.RateAccounts(1400); ok {
		t.Error("RateAccounts found accounts for a rate the plan does not list")
	}
}

func TestSalesAccount(t *testing.T) {
	a := DefaultAccounting
	se := Party{Country: "SE", VATID: "SE556036079301"}
	de := Party{Country: "DE", VATID: "DE136695976"}
	for _, tc := range []struct {
		name  string
		buyer Party
		line  Line
		want  string
	}{
		{"25 %", de, Line{VAT: 2500}, "3001"},
		{"6 %", se, Line{VAT: 600}, "3003"},
		{"EU services", de, Line{Type: "service"}, "3308"},
		{"EU goods", de, Line{Type: "physical"}, "3108"},
		{"EU buyer without a VAT number", Party{Country: "DE"}, Line{Type: "service"}, "3004"},
		{"export services", Party{Country: "NO"}, Line{Type: "digital"}, "3305"},
		{"export goods", Party{Country: "NO"}, Line{Type: "shipping_fee"}, "3105"},
		{"exempt in Sweden", se, Line{Type: "service"}, "3004"},
	} {
		d := &Document{Seller: Party{Country: "SE", VATID: "SE556000000101"}, Buyer: tc.buyer}
		if got, ok := a.SalesAccount(d, tc.line); !ok || got != tc.want {
			t.Errorf("%s: SalesAccount = %s, %v; want %s", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := a.SalesAccount(&Document{}, Line{VAT: 2550}); ok {
		t.Error("SalesAccount found an account for 25.5 %, which the plan lacks")
	}
}
