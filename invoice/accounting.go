package invoice

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kassa-pay/kassa"
)

// Accounting is the merchant's account plan for the accounting export
// (package invoice/sie): the ledger account each part of a document or a
// payment is booked to. Every account is a 4-digit account number; an
// empty one is the Swedish BAS chart's account (DefaultAccounting), so
// merchants name only the accounts they keep differently.
type Accounting struct {
	Receivable string `json:"receivable,omitempty"` // 1510 Kundfordringar
	Bank       string `json:"bank,omitempty"`       // 1930 Företagskonto
	// Advances holds what advance invoices ask for until the final
	// invoice is issued: 2420 Förskott från kunder.
	Advances string `json:"advances,omitempty"`
	// Unmatched holds payments that match no document: 2890 Övriga
	// kortfristiga skulder.
	Unmatched string `json:"unmatchedPayments,omitempty"`
	// Rounding takes what converting a document to SEK leaves over: 3740
	// Öres- och kronutjämning.
	Rounding string `json:"rounding,omitempty"`
	// Rates are the sales and output VAT accounts per VAT rate; rates not
	// listed keep the BAS accounts of the Swedish rates.
	Rates []RateAccounts `json:"rates,omitempty"`
	// Sales at 0 % VAT, by why the line carries none.
	EUGoods        string `json:"euGoods,omitempty"`        // 3108 goods to another EU country
	EUServices     string `json:"euServices,omitempty"`     // 3308 services to another EU country (reverse charge)
	ExportGoods    string `json:"exportGoods,omitempty"`    // 3105 goods outside the EU
	ExportServices string `json:"exportServices,omitempty"` // 3305 services outside the EU
	Exempt         string `json:"exempt,omitempty"`         // 3004 exempt sales in Sweden
	// Series is the verification series the export's verifications are
	// in: A unless set.
	Series string `json:"series,omitempty"`
	// FiscalYearStart is the month (1–12) the merchant's fiscal year
	// begins in: January unless set.
	FiscalYearStart int `json:"fiscalYearStart,omitempty"`
}

// RateAccounts are the accounts of sales at one VAT rate (basis points)
// and of the output VAT on them.
type RateAccounts struct {
	Rate  int64  `json:"rate"`
	Sales string `json:"sales"`
	VAT   string `json:"vat"`
}

// DefaultAccounting is the BAS chart's accounts for what Kassa books.
var DefaultAccounting = Accounting{
	Receivable: "1510", Bank: "1930", Advances: "2420", Unmatched: "2890", Rounding: "3740",
	Rates: []RateAccounts{
		{Rate: 2500, Sales: "3001", VAT: "2611"},
		{Rate: 1200, Sales: "3002", VAT: "2621"},
		{Rate: 600, Sales: "3003", VAT: "2631"},
	},
	EUGoods: "3108", EUServices: "3308", ExportGoods: "3105", ExportServices: "3305", Exempt: "3004",
	Series: "A", FiscalYearStart: 1,
}

// accountFields are Accounting's single accounts, by JSON name.
var accountFields = []struct {
	param string
	get   func(a *Accounting) *string
}{
	{"receivable", func(a *Accounting) *string { return &a.Receivable }},
	{"bank", func(a *Accounting) *string { return &a.Bank }},
	{"advances", func(a *Accounting) *string { return &a.Advances }},
	{"unmatchedPayments", func(a *Accounting) *string { return &a.Unmatched }},
	{"rounding", func(a *Accounting) *string { return &a.Rounding }},
	{"euGoods", func(a *Accounting) *string { return &a.EUGoods }},
	{"euServices", func(a *Accounting) *string { return &a.EUServices }},
	{"exportGoods", func(a *Accounting) *string { return &a.ExportGoods }},
	{"exportServices", func(a *Accounting) *string { return &a.ExportServices }},
	{"exempt", func(a *Accounting) *string { return &a.Exempt }},
}

// validAccount reports whether s is an account number of the BAS chart's
// form: 4 digits, the first 1 to 8 (the chart's classes).
func validAccount(s string) bool {
	if len(s) != 4 || s[0] < '1' || s[0] > '8' {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validate checks the accounts a merchant sets, trimmed of spaces.
func (a *Accounting) validate() error {
	for _, f := range accountFields {
		v := f.get(a)
		if *v = strings.TrimSpace(*v); *v != "" && !validAccount(*v) {
			return kassa.Invalid("accounting."+f.param, "accounting.%s %q is not a 4-digit account number, like 1510", f.param, *v)
		}
	}
	if len(a.Rates) > 20 {
		return kassa.Invalid("accounting.rates", "at most 20 VAT rates")
	}
	seen := map[int64]bool{}
	for i := range a.Rates {
		r, param := &a.Rates[i], fmt.Sprintf("accounting.rates[%d]", i)
		if r.Rate <= 0 || r.Rate > 10000 {
			return kassa.Invalid(param+".rate", "%s.rate must be a VAT rate in basis points, 1 to 10000 (0 %% sales have accounts of their own)", param)
		}
		if seen[r.Rate] {
			return kassa.Invalid(param+".rate", "%s.rate %d is listed twice", param, r.Rate)
		}
		seen[r.Rate] = true
		for _, f := range []struct {
			name string
			v    *string
		}{{"sales", &r.Sales}, {"vat", &r.VAT}} {
			if *f.v = strings.TrimSpace(*f.v); !validAccount(*f.v) {
				return kassa.Invalid(param+"."+f.name, "%s.%s %q is not a 4-digit account number", param, f.name, *f.v)
			}
		}
	}
	if a.Series = strings.TrimSpace(a.Series); len(a.Series) > 10 || strings.ContainsFunc(a.Series, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		return kassa.Invalid("accounting.series", "accounting.series must be at most 10 letters A–Z or digits")
	}
	if a.FiscalYearStart < 0 || a.FiscalYearStart > 12 {
		return kassa.Invalid("accounting.fiscalYearStart", "accounting.fiscalYearStart must be a month, 1 to 12 (0 means January)")
	}
	return nil
}

// WithDefaults is a's plan with the BAS account of everything a leaves
// empty: the plan the export books by.
func (a Accounting) WithDefaults() Accounting {
	d := DefaultAccounting
	out := a
	for _, f := range accountFields {
		if v := f.get(&out); *v == "" {
			*v = *f.get(&d)
		}
	}
	out.Rates = slices.Clone(a.Rates)
	for _, r := range d.Rates {
		if !slices.ContainsFunc(out.Rates, func(x RateAccounts) bool { return x.Rate == r.Rate }) {
			out.Rates = append(out.Rates, r)
		}
	}
	if out.Series == "" {
		out.Series = d.Series
	}
	if out.FiscalYearStart == 0 {
		out.FiscalYearStart = d.FiscalYearStart
	}
	return out
}

// RateAccounts are the accounts of sales at VAT rate, false when the
// plan has none.
func (a *Accounting) RateAccounts(rate int64) (RateAccounts, bool) {
	i := slices.IndexFunc(a.Rates, func(r RateAccounts) bool { return r.Rate == rate })
	if i < 0 {
		return RateAccounts{}, false
	}
	return a.Rates[i], true
}

// SalesAccount is the account of line l's sales on d under a: by its
// VAT rate, or at 0 % by why it carries none (the reasons vatNotes
// states); false when the plan has no account for its rate.
func (a *Accounting) SalesAccount(d *Document, l Line) (string, bool) {
	if l.VAT != 0 {
		r, ok := a.RateAccounts(l.VAT)
		return r.Sales, ok
	}
	services := l.Services()
	switch {
	case d.IntraEU() && services:
		return a.EUServices, true
	case d.IntraEU():
		return a.EUGoods, true
	case d.Export() && services:
		return a.ExportServices, true
	case d.Export():
		return a.ExportGoods, true
	}
	return a.Exempt, true
}
