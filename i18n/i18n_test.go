package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/money"
)

var verb = regexp.MustCompile(`%[a-z%]`)

// Every catalogue has exactly English's keys, each with the same
// formatting verbs in the same order, so every argument is printed.
func TestCataloguesComplete(t *testing.T) {
	keys := Keys()
	slices.Sort(keys)
	for _, l := range Langs {
		c := catalogues[l]
		for _, k := range keys {
			msg, ok := c[k]
			if !ok {
				t.Errorf("%s lacks %q", l, k)
				continue
			}
			if got, want := verb.FindAllString(msg, -1), verb.FindAllString(en[k], -1); !slices.Equal(got, want) {
				t.Errorf("%s %q has verbs %v, English %v", l, k, got, want)
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s %q is empty", l, k)
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which English lacks", l, k)
			}
		}
	}
}

func TestLangOf(t *testing.T) {
	for in, want := range map[string]Lang{
		"sv-SE": Swedish, "sv_se": Swedish, "SV": Swedish, "sv-FI": Swedish,
		"fi-FI": Finnish, "fi": Finnish,
		"nb-NO": Norwegian, "no-NO": Norwegian, "nn-NO": Norwegian, "nn": Norwegian, "NB_no": Norwegian,
		"da-DK": Danish, "da": Danish,
		"en-GB": English, "en-US": English, "en": English, "de-DE": English, "": English, "  ": English, "x": English,
	} {
		if got := LangOf(in); got != want {
			t.Errorf("LangOf(%q) = %s, want %s", in, got, want)
		}
		if got := For(in).Lang(); got != want {
			t.Errorf("For(%q).Lang() = %s, want %s", in, got, want)
		}
	}
	if In("xx").Lang() != English {
		t.Error(`In("xx") is not English`)
	}
}

func TestT(t *testing.T) {
	if got := For("sv-SE").T("dialog.back", "Acme"); got != "Tillbaka till Acme" {
		t.Errorf("sv dialog.back = %q", got)
	}
	if got := For("en").T("dialog.title"); got != "Pay by invoice" {
		t.Errorf("en dialog.title = %q", got)
	}
	if got := For("fi").T("no.such.key"); !strings.HasPrefix(got, MissingMark) {
		t.Errorf("a missing key reads %q, want the missing mark", got)
	}
	m := For("da-DK").Messages("js.")
	if m["confirming"] != "Bekræfter…" || len(m) != len(In(English).Messages("js.")) {
		t.Errorf("da js. messages = %v", m)
	}
}

func TestFormats(t *testing.T) {
	day := time.Date(2026, 3, 7, 23, 30, 0, 0, time.FixedZone("CET", 3600)) // 22:30 UTC
	const nb = "\u00a0"
	for _, tt := range []struct {
		locale          string
		cur             money.Currency
		money, amount   string
		negative        string
		date, number    string
		percent, halfPc string
	}{
		{"en-GB", "SEK", "SEK 2,549.00", "2,549.00", "-2,549.00", "2026-03-07", "12,345", "25%", "12.5%"},
		{"", "EUR", "EUR 2,549.00", "2,549.00", "-2,549.00", "2026-03-07", "12,345", "25%", "12.5%"},
		{"sv-SE", "SEK", "2" + nb + "549,00" + nb + "kr", "2" + nb + "549,00", "−2" + nb + "549,00", "2026-03-07", "12" + nb + "345", "25" + nb + "%", "12,5" + nb + "%"},
		{"sv-SE", "EUR", "2" + nb + "549,00" + nb + "€", "2" + nb + "549,00", "−2" + nb + "549,00", "2026-03-07", "12" + nb + "345", "25" + nb + "%", "12,5" + nb + "%"},
		{"fi-FI", "EUR", "2" + nb + "549,00" + nb + "€", "2" + nb + "549,00", "−2" + nb + "549,00", "7.3.2026", "12" + nb + "345", "25" + nb + "%", "12,5" + nb + "%"},
		{"nb-NO", "NOK", "2" + nb + "549,00" + nb + "kr", "2" + nb + "549,00", "−2" + nb + "549,00", "07.03.2026", "12" + nb + "345", "25" + nb + "%", "12,5" + nb + "%"},
		{"no-NO", "NOK", "2" + nb + "549,00" + nb + "kr", "2" + nb + "549,00", "−2" + nb + "549,00", "07.03.2026", "12" + nb + "345", "25" + nb + "%", "12,5" + nb + "%"},
		{"da-DK", "DKK", "2.549,00" + nb + "kr.", "2.549,00", "-2.549,00", "07.03.2026", "12.345", "25" + nb + "%", "12,5" + nb + "%"},
	} {
		p := For(tt.locale)
		for _, c := range []struct{ what, got, want string }{
			{"Money", p.Money(254900, tt.cur), tt.money},
			{"Amount", p.Amount(254900, tt.cur), tt.amount},
			{"Amount negative", p.Amount(-254900, tt.cur), tt.negative},
			{"Date", p.Date(day), tt.date},
			{"Number", p.Number(12345), tt.number},
			{"Percent", p.Percent(2500), tt.percent},
			{"Percent half", p.Percent(1250), tt.halfPc},
		} {
			if c.got != c.want {
				t.Errorf("%s %s(%s) = %q, want %q", tt.locale, c.what, tt.cur, c.got, c.want)
			}
		}
	}
	// Small and negative numbers, zero rates, and a currency without
	// CLDR data (its code after the amount).
	sv := For("sv")
	for _, c := range []struct{ got, want string }{
		{sv.Number(7), "7"}, {sv.Number(-1234567), "-1" + nb + "234" + nb + "567"}, {sv.Number(100), "100"},
		{sv.Percent(0), "0" + nb + "%"}, {For("en").Percent(600), "6%"},
		{sv.Money(100, "XYZ"), "1,00" + nb + "XYZ"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
