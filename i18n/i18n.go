// Package i18n holds what the buyer reads in their own language: the
// message catalogues of the dialog, the signing page, the demo shop, the
// e-mails and the invoice PDFs in English, Swedish, Finnish, Norwegian
// Bokmål and Danish, and the formatting of amounts, dates and numbers
// for each. It is pure: a Printer is chosen by a session's or an order's
// locale and does nothing but return text.
//
// The rule (docs/checkout.md, "Languages"): the locale's language
// subtag picks the language: sv → Swedish, fi → Finnish, nb, no and nn →
// Norwegian Bokmål, da → Danish; any other, and none, → English. The
// region does not matter (sv-FI reads Swedish).
package i18n

import (
	"fmt"
	"strings"
	"time"

	"github.com/bojanz/currency"
	"github.com/kassa-pay/kassa/money"
)

// Lang is a language Kassa speaks to buyers.
type Lang string

// The languages, English first: it is the fallback.
const (
	English   Lang = "en"
	Swedish   Lang = "sv"
	Finnish   Lang = "fi"
	Norwegian Lang = "nb"
	Danish    Lang = "da"
)

// Langs are every language, English first.
var Langs = []Lang{English, Swedish, Finnish, Norwegian, Danish}

// catalogues are the messages of each language by key; a message is a
// fmt format whose verbs take the caller's arguments in order.
var catalogues = map[Lang]map[string]string{English: en, Swedish: sv, Finnish: fi, Norwegian: nb, Danish: da}

// Keys are the keys of the English catalogue, which every other one has
// too (TestCataloguesComplete).
func Keys() []string {
	keys := make([]string, 0, len(en))
	for k := range en {
		keys = append(keys, k)
	}
	return keys
}

// LangOf is the language a locale (sv-SE, fi_FI, nb, …) reads, by the
// package's rule.
func LangOf(locale string) Lang {
	tag, _, _ := strings.Cut(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"), "-")
	switch strings.ToLower(tag) {
	case "sv":
		return Swedish
	case "fi":
		return Finnish
	case "nb", "no", "nn":
		return Norwegian
	case "da":
		return Danish
	}
	return English
}

// MissingMark opens what T returns for a key no catalogue has, so that
// tests find it in rendered text.
const MissingMark = "⟦missing "

// format is how a language writes numbers and dates.
type format struct {
	cldr           string // the CLDR locale amounts are formatted by
	group, decimal string
	percent        string // between a number and "%"
	date           string // a time.Format layout
}

var formats = map[Lang]format{
	// English keeps Kassa's own forms (package money's en_US grouping,
	// ISO dates), which the API and the documents always used.
	English:   {cldr: "en", group: ",", decimal: ".", date: time.DateOnly},
	Swedish:   {cldr: "sv-SE", group: "\u00a0", decimal: ",", percent: "\u00a0", date: time.DateOnly},
	Finnish:   {cldr: "fi-FI", group: "\u00a0", decimal: ",", percent: "\u00a0", date: "2.1.2006"},
	Norwegian: {cldr: "nb-NO", group: "\u00a0", decimal: ",", percent: "\u00a0", date: "02.01.2006"},
	Danish:    {cldr: "da-DK", group: ".", decimal: ",", percent: "\u00a0", date: "02.01.2006"},
}

// Printer writes a language's messages, amounts, dates and numbers.
type Printer struct {
	lang Lang
	f    format
	cur  *currency.Formatter
	none *currency.Formatter // without the currency
}

var printers = func() map[Lang]*Printer {
	m := map[Lang]*Printer{}
	for _, l := range Langs {
		f := formats[l]
		p := &Printer{lang: l, f: f, cur: currency.NewFormatter(currency.NewLocale(f.cldr)), none: currency.NewFormatter(currency.NewLocale(f.cldr))}
		p.none.CurrencyDisplay = currency.DisplayNone
		m[l] = p
	}
	return m
}()

// For is the printer of locale's language.
func For(locale string) *Printer { return printers[LangOf(locale)] }

// In is the printer of l; an unknown l is English.
func In(l Lang) *Printer {
	if p := printers[l]; p != nil {
		return p
	}
	return printers[English]
}

// Lang is the printer's language, as an HTML lang attribute takes it.
func (p *Printer) Lang() Lang { return p.lang }

// T is the message key in the printer's language, or in English when its
// catalogue lacks it, formatted with args.
func (p *Printer) T(key string, args ...any) string {
	msg, ok := catalogues[p.lang][key]
	if !ok {
		if msg, ok = en[key]; !ok {
			return MissingMark + key + "⟧"
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Messages are the printer's messages whose keys start with prefix, by
// key without it: what a page's script needs.
func (p *Printer) Messages(prefix string) map[string]string {
	out := map[string]string{}
	for k := range en {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = p.T(k)
		}
	}
	return out
}

// Money is minor units of c with the currency, as the language writes
// an amount: "2 549,00 kr" in Swedish, "SEK 2,549.00" in English.
func (p *Printer) Money(minor int64, c money.Currency) string {
	if p.lang == English {
		return string(c) + " " + money.Grouped(minor, c)
	}
	a, err := currency.NewAmountFromInt64(minor, string(c))
	if err != nil { // a currency CLDR does not know: its code
		return p.Amount(minor, c) + "\u00a0" + string(c)
	}
	return p.cur.Format(a)
}

// Amount is minor units of c without the currency, for columns whose
// currency is said once: "2 549,00", "2,549.00".
func (p *Printer) Amount(minor int64, c money.Currency) string {
	if p.lang == English {
		return money.Grouped(minor, c)
	}
	a, err := currency.NewAmountFromInt64(minor, string(c))
	if err != nil {
		s := money.Grouped(minor, c) // en_US: swap the separators
		return strings.NewReplacer(",", p.f.group, ".", p.f.decimal).Replace(s)
	}
	return p.none.Format(a)
}

// Date is t's day (UTC) as the language writes dates.
func (p *Printer) Date(t time.Time) string { return t.UTC().Format(p.f.date) }

// Number is n with the language's grouping: 12 345.
func (p *Printer) Number(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(p.f.group)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Percent is basis points as a percentage: 2500 → "25 %", 1250 →
// "12,5 %" in Swedish, "25%" and "12.5%" in English.
func (p *Printer) Percent(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return strings.Replace(s, ".", p.f.decimal, 1) + p.f.percent + "%"
}
