package sie_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/sie"
	"github.com/kassa-pay/kassa/invoice/sie/sietest"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
)

var update = flag.Bool("update", false, "rewrite the golden file in testdata")

var (
	march  = time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	seller = invoice.Party{Name: "Säljaren AB", OrgNo: "556000-0001", VATID: "SE556000000101", Country: "SE"}
	kund   = invoice.Party{Name: `Kund "Ett" AB`, Country: "SE"}
	kunde  = invoice.Party{Name: "Kunde GmbH", Country: "DE", VATID: "DE136695976"}
)

// line is a document line of total at rate, its VAT its portion.
func line(typ string, total, rate int64) invoice.Line {
	return invoice.Line{Type: typ, Quantity: 1, VAT: rate, Total: total, TotalVAT: money.VATPortion(total, rate)}
}

func doc(id string, kind invoice.Kind, number int64, c money.Currency, buyer invoice.Party, day int, lines ...invoice.Line) *invoice.Document {
	d := &invoice.Document{
		ID: id, Kind: kind, Number: number, Reference: strconv.Itoa(1000 + int(number)), Currency: c, Seller: seller, Buyer: buyer,
		IssueDate: march.AddDate(0, 0, day-1), Lines: lines,
	}
	d.VAT, d.Total, d.TotalVAT = invoice.Summarize(lines)
	return d
}

// negated is the credit note of all of d.
func negated(id string, number int64, d *invoice.Document, day int) *invoice.Document {
	var lines []invoice.Line
	for _, l := range d.Lines {
		l.Total, l.TotalVAT = -l.Total, -l.TotalVAT
		lines = append(lines, l)
	}
	cn := doc(id, invoice.KindCreditNote, number, d.Currency, d.Buyer, day, lines...)
	cn.RefersTo, cn.Credits = d.ID, d.Number
	return cn
}

// period is the export of March 2026 the tests read: a Swedish invoice
// at three rates and its credit note, a reverse-charge invoice in EUR,
// an advance invoice and the final invoice it paid, an invoice not
// numbered yet, and payments: matched, in EUR, and unmatched.
func period() *sie.Export {
	inv := doc("iv_1", invoice.KindInvoice, 1, "SEK", kund, 2,
		line(order.TypePhysical, 125000, 2500), line(order.TypePhysical, 11200, 1200), line(order.TypePhysical, 10600, 600))
	eur := doc("iv_3", invoice.KindInvoice, 3, "EUR", kunde, 5, line(order.TypeService, 100001, 0), line(order.TypePhysical, 10001, 0))
	adv := doc("iv_4", invoice.KindAdvance, 4, "SEK", kund, 10, line(order.TypePhysical, 50000, 2500))
	final := doc("iv_5", invoice.KindInvoice, 5, "SEK", kund, 20, line(order.TypePhysical, 50000, 2500))
	final.RefersTo, final.PaidByAdvance = adv.ID, adv.Number
	unnumbered := doc("iv_6", invoice.KindInvoice, 0, "SEK", kund, 31, line(order.TypePhysical, 21200, 600))
	unnumbered.Reference = "7000006"
	return &sie.Export{
		Program: "Kassa", Version: "1.2.3", Generated: time.Date(2026, time.April, 2, 8, 0, 0, 0, time.UTC),
		Seller: seller, From: march, To: march.AddDate(0, 1, -1),
		Accounts:  invoice.Accounting{}.WithDefaults(),
		Rates:     map[money.Currency]sie.Rate{"EUR": 11_455_000},
		Documents: []*invoice.Document{inv, negated("iv_2", 2, inv, 3), eur, adv, final, unnumbered},
		Payments: []sie.Payment{
			{ID: "pm_1", Reference: inv.Reference, Amount: 146800, Currency: "SEK", DocumentID: inv.ID, Booked: march.AddDate(0, 0, 11)},
			{ID: "pm_2", Reference: eur.Reference, Amount: 110002, Currency: "EUR", DocumentID: eur.ID, Booked: march.AddDate(0, 0, 14)},
			{ID: "pm_3", Reference: "99", Amount: 5000, Currency: "SEK", Booked: march.AddDate(0, 0, 30)},
		},
	}
}

func TestExport(t *testing.T) {
	b, err := period().Write()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "march.si")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("the export differs from %s (go test -update rewrites it):\n%s", golden, sietest.DecodePC8(b))
	}
	if !bytes.Contains(b, []byte{'S', 0x84, 'l'}) { // ä is 0x84 in code page 437
		t.Error("the seller's name is not in code page 437")
	}

	f := sietest.Read(t, b)
	for _, want := range []string{"#FLAGGA 0", "#FORMAT PC8", "#SIETYP 4", `#PROGRAM "Kassa" "1.2.3"`, "#GEN 20260402",
		`#FNAMN "Säljaren AB"`, `#ORGNR "556000-0001"`, "#RAR 0 20260101 20261231", "#VALUTA SEK"} {
		if !slices.Contains(f.Header, want) {
			t.Errorf("the file has no %s; its header is %q", want, f.Header)
		}
	}
	if len(f.Vers) != 9 {
		t.Fatalf("%d verifications, want one per document and payment, 9", len(f.Vers))
	}
	for _, v := range f.Vers {
		if v.Sum() != 0 {
			t.Errorf("verification %q does not balance: its rows sum to %d öre", v.Text, v.Sum())
		}
		if v.Series != "A" || v.Number != "" {
			t.Errorf("verification %q is numbered %q %q, want series A and no number (the importing program numbers it)", v.Text, v.Series, v.Number)
		}
		for _, tr := range v.Trans {
			if f.Accounts[tr.Account] == "" {
				t.Errorf("account %s of %q has no #KONTO", tr.Account, v.Text)
			}
		}
	}

	// Totals per account, worked out by hand from the documents and the
	// payments. The EUR invoice is 1000.01 of services and 100.01 of
	// goods at 11.455: 11455.11 and 1145.61 kronor, and 12600.73 in all,
	// which leaves one öre of rounding. Invoice 1 and its credit note
	// cancel out, and the advance invoice's 2420 its final invoice's.
	totals := map[string]int64{
		"1510": 1260073 + 50000 + 21200 - 146800 - 1260073,
		"1930": 146800 + 1260073 + 5000,
		"2890": -5000,
		"3001": -40000,
		"2611": -10000,
		"3003": -20000,
		"2631": -1200,
		"3308": -1145511,
		"3108": -114561,
		"3740": -1,
	}
	if diff := cmp.Diff(totals, f.Totals()); diff != "" {
		t.Errorf("totals per account (-want +got):\n%s", diff)
	}

	byText := map[string]sietest.Ver{}
	for _, v := range f.Vers {
		byText[v.Text] = v
	}
	inv, cn := byText[`Faktura 1, Kund "Ett" AB`], byText[`Kreditfaktura 2 (krediterar faktura 1), Kund "Ett" AB`]
	if inv.Date != "20260302" || cn.Date != "20260303" || len(inv.Trans) != 7 || !cmp.Equal(inv.Trans, negate(cn.Trans)) {
		t.Errorf("the credit note does not reverse its invoice:\n%+v\n%+v", inv, cn)
	}
	eur := byText["Faktura 3, Kunde GmbH, EUR 1100.02 à 11.455"]
	if diff := cmp.Diff([]sietest.Trans{{Account: "1510", Amount: 1260073}, {Account: "3108", Amount: -114561}, {Account: "3308", Amount: -1145511}, {Account: "3740", Amount: -1}}, eur.Trans); diff != "" {
		t.Errorf("the EUR invoice's rows (-want +got):\n%s", diff)
	}
	for text, rows := range map[string][]sietest.Trans{
		`Förskottsfaktura 4, Kund "Ett" AB`:                        {{Account: "1510", Amount: 50000}, {Account: "2420", Amount: -50000}},
		`Faktura 5 (betald med förskottsfaktura 4), Kund "Ett" AB`: {{Account: "2420", Amount: 50000}, {Account: "2611", Amount: -10000}, {Account: "3001", Amount: -40000}},
		`Faktura OCR 7000006, Kund "Ett" AB`:                       {{Account: "1510", Amount: 21200}, {Account: "2631", Amount: -1200}, {Account: "3003", Amount: -20000}},
		"Inbetalning OCR 1001":                                     {{Account: "1930", Amount: 146800}, {Account: "1510", Amount: -146800}},
		"Inbetalning OCR 1003, EUR 1100.02 à 11.455":               {{Account: "1930", Amount: 1260073}, {Account: "1510", Amount: -1260073}},
		"Inbetalning OCR 99, ej matchad":                           {{Account: "1930", Amount: 5000}, {Account: "2890", Amount: -5000}},
	} {
		if diff := cmp.Diff(rows, byText[text].Trans); diff != "" {
			t.Errorf("%s (-want +got):\n%s", text, diff)
		}
	}
	if e := period(); e.FileName() != "kassa-20260301-20260331.si" {
		t.Errorf("FileName = %s", e.FileName())
	}
}

// The merchant's own accounts replace BAS's, and name themselves in
// #KONTO by what they hold.
func TestExportOwnAccounts(t *testing.T) {
	e := period()
	e.Accounts = invoice.Accounting{Receivable: "1511", Rates: []invoice.RateAccounts{{Rate: 2500, Sales: "3011", VAT: "2610"}}, Series: "K"}.WithDefaults()
	b, err := e.Write()
	if err != nil {
		t.Fatal(err)
	}
	f := sietest.Read(t, b)
	totals := f.Totals()
	if totals["1510"] != 0 || totals["1511"] != -75600 || totals["3011"] != -40000 || totals["2610"] != -10000 || f.Vers[0].Series != "K" {
		t.Errorf("totals %v, series %s", totals, f.Vers[0].Series)
	}
	if f.Accounts["1511"] != "Kundfordringar" || f.Accounts["3011"] != "Försäljning, 25 % moms" {
		t.Errorf("#KONTO names: %v", f.Accounts)
	}
}

func TestExportRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		change      func(e *sie.Export)
	}{
		{"no rate for EUR", "rate", func(e *sie.Export) { e.Rates = nil }},
		{"a rate that would overflow", "rate", func(e *sie.Export) { e.Rates["EUR"] = 100_000_000_000 }},
		{"a VAT rate without accounts", "accounting.rates", func(e *sie.Export) {
			e.Documents = append(e.Documents, doc("iv_7", invoice.KindInvoice, 7, "SEK", kund, 31, line(order.TypePhysical, 12550, 2550)))
		}},
		{"two fiscal years", "to", func(e *sie.Export) {
			e.Accounts.FiscalYearStart = 3
			e.From, e.To = march.AddDate(0, -1, 0), march
		}},
	} {
		e := period()
		tc.change(e)
		b, err := e.Write()
		if ke, ok := errors.AsType[*kassa.Error](err); !ok || ke.Code != kassa.EInvalid || ke.Param != tc.param || b != nil {
			t.Errorf("%s: Write = %v, want an invalid %s and no file", tc.name, err, tc.param)
		}
	}
}

func TestFiscalYear(t *testing.T) {
	for _, tc := range []struct {
		day        time.Time
		month      int
		start, end string
	}{
		{march, 1, "2026-01-01", "2026-12-31"},
		{march, 3, "2026-03-01", "2027-02-28"},
		{march.AddDate(0, 0, -1), 3, "2025-03-01", "2026-02-28"},
		{march, 7, "2025-07-01", "2026-06-30"},
	} {
		start, end := sie.FiscalYear(tc.day, tc.month)
		if start.Format(time.DateOnly) != tc.start || end.Format(time.DateOnly) != tc.end {
			t.Errorf("FiscalYear(%s, %d) = %s–%s, want %s–%s", tc.day.Format(time.DateOnly), tc.month, start, end, tc.start, tc.end)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]sie.Rate{"EUR:11.4520": 11_452_000, "eur:11": 11_000_000, "NOK:0.987654": 987_654, "USD:100000": 100_000_000_000} {
		c, r, err := sie.ParseRate(in)
		if err != nil || c != money.Currency(strings.ToUpper(in[:3])) || r != want {
			t.Errorf("ParseRate(%q) = %s, %d, %v; want %d", in, c, r, err, want)
		}
	}
	if s := sie.Rate(11_452_000).String(); s != "11.452" {
		t.Errorf("String = %s", s)
	}
	for _, in := range []string{"", "EUR", "EUR:", "EUR:0", "EUR:-1", "EUR:1.1234567", "EUR:1,5", "EUR:.5", "XXX1:1", "EUR:100000.01", "EUR:1e3"} {
		if _, _, err := sie.ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted it", in)
		}
	}
}

func negate(ts []sietest.Trans) []sietest.Trans {
	out := make([]sietest.Trans, len(ts))
	for i, t := range ts {
		out[i] = sietest.Trans{Account: t.Account, Amount: -t.Amount}
	}
	return out
}

func TestParsePeriod(t *testing.T) {
	from, to, err := sie.ParsePeriod("2026-03-01", "2026-03-01")
	if err != nil || !from.Equal(march) || !to.Equal(march) {
		t.Errorf("ParsePeriod of one day = %s, %s, %v", from, to, err)
	}
	for _, tc := range []struct{ from, to, param string }{
		{"", "2026-03-31", "from"},
		{"2026-03-01", "", "to"},
		{"2026-3-1", "2026-03-31", "from"},
		{"2026-03-01", "2026-02-30", "to"},
		{"2026-03-01", "20260331", "to"},
		{"2026-03-02", "2026-03-01", "to"},
	} {
		_, _, err := sie.ParsePeriod(tc.from, tc.to)
		if ke, ok := errors.AsType[*kassa.Error](err); !ok || ke.Code != kassa.EInvalid || ke.Param != tc.param {
			t.Errorf("ParsePeriod(%q, %q) = %v, want an invalid %s", tc.from, tc.to, err, tc.param)
		}
	}
}

func TestParseRates(t *testing.T) {
	rates, err := sie.ParseRates([]string{"EUR:11.455", "NOK:0.98"})
	if err != nil || !cmp.Equal(rates, map[money.Currency]sie.Rate{"EUR": 11_455_000, "NOK": 980_000}) {
		t.Errorf("ParseRates = %v, %v", rates, err)
	}
	for _, in := range [][]string{{"EUR:1", "EUR:2"}, {"SEK:1"}, {"EUR"}} {
		_, err := sie.ParseRates(in)
		if ke, ok := errors.AsType[*kassa.Error](err); !ok || ke.Code != kassa.EInvalid || ke.Param != "rate" {
			t.Errorf("ParseRates(%q) = %v, want an invalid rate", in, err)
		}
	}
}

// Texts keep to what SIE readers parse: a quote escaped, a control
// character a space, a backslash a slash, and a character code page 437
// lacks a question mark.
func TestExportTexts(t *testing.T) {
	e := period()
	buyer := kund
	buyer.Name = "A\\B\"C€D\tE Åre"
	e.Documents = []*invoice.Document{doc("iv_1", invoice.KindInvoice, 1, "SEK", buyer, 2, line(order.TypePhysical, 12500, 2500))}
	e.Payments = nil
	b, err := e.Write()
	if err != nil {
		t.Fatal(err)
	}
	f := sietest.Read(t, b)
	if want := `Faktura 1, A/B"C?D E Åre`; len(f.Vers) != 1 || f.Vers[0].Text != want {
		t.Errorf("verifications %+v, want one with the text %s", f.Vers, want)
	}
}
