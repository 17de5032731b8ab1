// Package sie writes the accounting export: a merchant's invoice
// documents and payments of a period as an SIE 4I file (SIE 4, the
// Swedish standard for moving bookkeeping between programs, in its
// variant for transactions a bookkeeping program imports), one balanced
// verification per document and per payment, booked to the merchant's
// account plan (invoice.Accounting). It does no I/O. docs/accounting.md
// describes the file and each booking.
package sie

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
)

// Ledger is the currency the file's amounts are in: a Swedish company's
// books are kept in kronor (the BAS chart is Swedish).
const Ledger money.Currency = "SEK"

// Payment is a payment received, as the export books it.
type Payment struct {
	ID        string
	Reference string // the payment reference it came with
	Amount    int64
	Currency  money.Currency
	// DocumentID is the document it pays, "" when it matched none.
	DocumentID string
	Booked     time.Time
}

// Rate is an exchange rate: kronor for one unit of a currency, in
// millionths of a krona.
type Rate int64

// maxRate bounds a rate (100,000 kronor a unit), so that no conversion
// of an amount within money.MaxAmount leaves int64.
const maxRate = 100_000 * 1_000_000

// ParseRate reads "EUR:11.4520": a currency and the kronor one unit of it
// is booked at, with at most 6 decimals.
func ParseRate(s string) (money.Currency, Rate, error) {
	code, num, ok := strings.Cut(s, ":")
	c, err := money.ParseCurrency(code)
	if !ok || err != nil {
		return "", 0, fmt.Errorf("rate %q is not CURRENCY:RATE, like EUR:11.4520", s)
	}
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" || len(whole) > 6 || len(frac) > 6 || strings.Trim(whole+frac, "0123456789") != "" {
		return "", 0, fmt.Errorf("rate %q: the rate must be a decimal number of kronor with at most 6 decimals", s)
	}
	n, _ := strconv.ParseInt(whole+frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	if n <= 0 || n > maxRate {
		return "", 0, fmt.Errorf("rate %q: the rate must be above 0 and at most 100000", s)
	}
	return c, Rate(n), nil
}

// String is the rate as ParseRate reads it, without trailing zeros.
func (r Rate) String() string {
	return trimZeros(fmt.Sprintf("%d.%06d", r/1_000_000, r%1_000_000))
}

// trimZeros drops a decimal's trailing zeros, and its point if nothing
// is left after it.
func trimZeros(s string) string { return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") }

// percent is a VAT rate in basis points as a percentage: 2500 → 25.
func percent(bp int64) string { return trimZeros(money.Decimal(bp, "SEK")) }

// Export is what a file holds: the seller, the period (whole days, from
// and to inclusive), the account plan with its defaults filled in, the
// rates of the documents' and payments' other currencies, and the
// documents issued and payments booked in the period.
type Export struct {
	Program, Version string
	Generated        time.Time
	Seller           invoice.Party
	From, To         time.Time
	Accounts         invoice.Accounting
	Rates            map[money.Currency]Rate
	Documents        []*invoice.Document
	Payments         []Payment
}

// FileName is the name of the export's file: .si is SIE 4I's extension.
func (e *Export) FileName() string {
	return "kassa-" + e.From.Format("20060102") + "-" + e.To.Format("20060102") + ".si"
}

// FiscalYear is the merchant's fiscal year that day is in.
func FiscalYear(day time.Time, startMonth int) (start, end time.Time) {
	y := day.Year()
	if int(day.Month()) < startMonth {
		y--
	}
	start = time.Date(y, time.Month(startMonth), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(1, 0, -1)
}

// trans is one row of a verification: an account and its amount in öre,
// debit positive, credit negative.
type trans struct {
	account string
	amount  int64
}

// ver is a verification: its date, text and rows.
type ver struct {
	date time.Time
	text string
	rows []trans
}

// Write renders the file, encoded in code page 437 as SIE 4 asks. A
// period across two fiscal years, a document or payment in a currency
// without a rate, or a document line at a VAT rate the plan has no
// accounts for, is EInvalid: nothing is written.
func (e *Export) Write() ([]byte, error) {
	start, end := FiscalYear(e.From, e.Accounts.FiscalYearStart)
	if e.To.After(end) {
		return nil, kassa.Invalid("to", "from %s and to %s are in two fiscal years (the year begins in month %d); export each year on its own",
			e.From.Format(time.DateOnly), e.To.Format(time.DateOnly), e.Accounts.FiscalYearStart)
	}
	var vers []ver
	for _, d := range e.Documents {
		v, err := e.document(d)
		if err != nil {
			return nil, err
		}
		vers = append(vers, v)
	}
	for _, p := range e.Payments {
		v, err := e.payment(p)
		if err != nil {
			return nil, err
		}
		vers = append(vers, v)
	}
	// In date order, documents before payments on a day.
	slices.SortStableFunc(vers, func(a, b ver) int { return a.date.Compare(b.date) })
	var b bytes.Buffer
	line := func(fields ...string) {
		b.WriteString(strings.Join(fields, " "))
		b.WriteString("\r\n")
	}
	line("#FLAGGA", "0")
	line("#PROGRAM", quote(e.Program), quote(e.Version))
	line("#FORMAT", "PC8")
	line("#GEN", day(e.Generated))
	line("#SIETYP", "4")
	line("#PROSA", quote(fmt.Sprintf("Kassa: fakturor, kreditfakturor och inbetalningar %s till %s",
		e.From.Format(time.DateOnly), e.To.Format(time.DateOnly))))
	if e.Seller.OrgNo != "" {
		line("#ORGNR", quote(e.Seller.OrgNo))
	}
	line("#FNAMN", quote(e.Seller.Name))
	line("#RAR", "0", day(start), day(end))
	line("#VALUTA", string(Ledger))
	names, used := accountNames(&e.Accounts), map[string]bool{}
	for _, v := range vers {
		for _, t := range v.rows {
			used[t.account] = true
		}
	}
	for _, a := range sortedKeys(used) {
		line("#KONTO", a, quote(names[a]))
	}
	for _, v := range vers {
		line("#VER", quote(e.Accounts.Series), `""`, day(v.date), quote(v.text))
		line("{")
		for _, t := range v.rows {
			line("   #TRANS", t.account, "{}", money.Decimal(t.amount, Ledger))
		}
		line("}")
	}
	return encodePC8(b.String()), nil
}

// document books d: what it asks of the buyer (the receivable; on a
// final invoice an advance paid, what was held as the advance) against
// its sales per account and its VAT per rate. An advance invoice is a
// receivable against advances from customers; its sales are booked by
// the final invoice.
func (e *Export) document(d *invoice.Document) (ver, error) {
	a := &e.Accounts
	v := ver{date: d.IssueDate, text: documentText(d)}
	debit := a.Receivable
	if d.Kind == invoice.KindInvoice && d.RefersTo != "" {
		debit = a.Advances
	}
	credits := map[string]int64{}
	if d.Kind == invoice.KindAdvance {
		credits[a.Advances] = -d.Total
	} else {
		for _, l := range d.Lines {
			sales, ok := a.SalesAccount(d, l)
			if !ok {
				return ver{}, kassa.Invalid("accounting.rates", "document %s has lines at %s %% VAT, for which the account plan has no sales and VAT accounts (invoice settings: accounting.rates)",
					d.ID, percent(l.VAT))
			}
			credits[sales] -= l.Net()
			if l.TotalVAT != 0 {
				r, _ := a.RateAccounts(l.VAT)
				credits[r.VAT] -= l.TotalVAT
			}
		}
	}
	convert, err := e.converter(d.Currency, "document "+d.ID)
	if err != nil {
		return ver{}, err
	}
	v.rows = append(v.rows, trans{debit, convert(d.Total)})
	sum := v.rows[0].amount
	for _, acct := range sortedKeys(credits) {
		if n := convert(credits[acct]); n != 0 {
			v.rows = append(v.rows, trans{acct, n})
			sum += n
		}
	}
	// Converted one by one, the parts may miss the converted total by
	// öre: the difference is rounding.
	if sum != 0 {
		v.rows = append(v.rows, trans{a.Rounding, -sum})
	}
	if d.Currency != Ledger {
		v.text += fmt.Sprintf(", %s %s à %s", d.Currency, money.Decimal(d.Total, d.Currency), e.Rates[d.Currency])
	}
	return v, nil
}

// payment books p: the bank against the receivable of the document it
// pays, or against unmatched payments.
func (e *Export) payment(p Payment) (ver, error) {
	a := &e.Accounts
	convert, err := e.converter(p.Currency, "payment "+p.ID)
	if err != nil {
		return ver{}, err
	}
	n := convert(p.Amount)
	v := ver{date: p.Booked, text: "Inbetalning OCR " + p.Reference, rows: []trans{{a.Bank, n}, {a.Receivable, -n}}}
	if p.DocumentID == "" {
		v.text += ", ej matchad"
		v.rows[1].account = a.Unmatched
	}
	if p.Currency != Ledger {
		v.text += fmt.Sprintf(", %s %s à %s", p.Currency, money.Decimal(p.Amount, p.Currency), e.Rates[p.Currency])
	}
	return v, nil
}

// converter converts amounts in c to öre at the export's rate for c;
// what is the document or payment, for the error when it has none.
func (e *Export) converter(c money.Currency, what string) (func(int64) int64, error) {
	if c == Ledger {
		return func(n int64) int64 { return n }, nil
	}
	r, ok := e.Rates[c]
	if !ok {
		return nil, kassa.Invalid("rate", "%s is in %s: give the rate it is booked at in kronor (rate=%s:11.4520, say)", what, c, c)
	}
	// öre = amount × rate / 10^6 × 10^2 / 10^digits, rounded half away
	// from zero; big, since amount × rate may pass int64.
	num := big.NewInt(int64(r) * 100)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(6+c.Digits())), nil)
	convert := func(n int64) *big.Int {
		x := new(big.Int).Mul(big.NewInt(n), num)
		q, m := new(big.Int).QuoRem(x, den, new(big.Int))
		if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
			q.Add(q, big.NewInt(int64(x.Sign())))
		}
		return q
	}
	// Any amount Kassa holds converts to öre that a verification's rows
	// can add up without leaving int64.
	if convert(money.MaxAmount).Cmp(big.NewInt(math.MaxInt64/16)) > 0 {
		return nil, kassa.Invalid("rate", "the rate of %s, %s kronor, is too high to book its amounts", c, r)
	}
	return func(n int64) int64 { return convert(n).Int64() }, nil
}

// documentText is a verification's text: the document, what it credits
// or what paid it, and the buyer.
func documentText(d *invoice.Document) string {
	kind := map[invoice.Kind]string{invoice.KindInvoice: "Faktura", invoice.KindCreditNote: "Kreditfaktura", invoice.KindAdvance: "Förskottsfaktura"}[d.Kind]
	s := kind + " " + number(d.Number, d.Reference)
	switch {
	case d.Kind == invoice.KindCreditNote:
		s += " (krediterar faktura " + number(d.Credits, "") + ")"
	case d.PaidByAdvance != 0:
		s += " (betald med förskottsfaktura " + number(d.PaidByAdvance, "") + ")"
	}
	if d.Buyer.Name != "" {
		s += ", " + d.Buyer.Name
	}
	return s
}

// number is a document's number, or its OCR reference while it has none
// (documents are numbered moments after they are issued).
func number(n int64, ref string) string {
	if n == 0 {
		if ref == "" {
			return "utan nummer"
		}
		return "OCR " + ref
	}
	return strconv.FormatInt(n, 10)
}

// accountNames names each account of the plan in the file's #KONTO
// records, by what Kassa books to it: the BAS chart's names for its
// defaults. An account with two uses keeps the first one's name.
func accountNames(a *invoice.Accounting) map[string]string {
	names := map[string]string{}
	add := func(acct, name string) {
		if _, ok := names[acct]; !ok {
			names[acct] = name
		}
	}
	add(a.Receivable, "Kundfordringar")
	add(a.Bank, "Företagskonto")
	add(a.Advances, "Förskott från kunder")
	add(a.Unmatched, "Ej matchade inbetalningar")
	add(a.Rounding, "Öres- och kronutjämning")
	for _, r := range a.Rates {
		pct := percent(r.Rate)
		add(r.Sales, "Försäljning, "+pct+" % moms")
		add(r.VAT, "Utgående moms, "+pct+" %")
	}
	add(a.EUGoods, "Försäljning varor till annat EU-land, momsfri")
	add(a.EUServices, "Försäljning tjänster till annat EU-land")
	add(a.ExportGoods, "Försäljning varor till land utanför EU")
	add(a.ExportServices, "Försäljning tjänster till land utanför EU")
	add(a.Exempt, "Försäljning inom Sverige, momsfri")
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func day(t time.Time) string { return t.Format("20060102") }

// quote writes a text field: always within quotes, a quote inside
// escaped as \", control characters as spaces. A backslash becomes a
// slash, since readers know no escape for it and one before the closing
// quote would escape it.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteByte('/')
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ParsePeriod reads a period's first and last days, YYYY-MM-DD each,
// inclusive: EInvalid naming from or to when one is missing or not a
// date, or to is before from.
func ParsePeriod(from, to string) (first, last time.Time, err error) {
	for _, f := range []struct {
		param, v string
		t        *time.Time
	}{{"from", from, &first}, {"to", to, &last}} {
		if f.v == "" {
			return first, last, kassa.Invalid(f.param, "%s is required: the period's %s day, YYYY-MM-DD", f.param, map[string]string{"from": "first", "to": "last"}[f.param])
		}
		if *f.t, err = time.Parse(time.DateOnly, f.v); err != nil {
			return first, last, kassa.Invalid(f.param, "%s %q is not a date, YYYY-MM-DD", f.param, f.v)
		}
	}
	if last.Before(first) {
		return first, last, kassa.Invalid("to", "to %s is before from %s", to, from)
	}
	return first, last, nil
}

// ParseRates reads rates as ParseRate does, each currency once: EInvalid
// naming rate otherwise.
func ParseRates(rates []string) (map[money.Currency]Rate, error) {
	m := map[money.Currency]Rate{}
	for _, s := range rates {
		c, r, err := ParseRate(s)
		if err != nil {
			return nil, kassa.Invalid("rate", "%v", err)
		}
		if _, dup := m[c]; dup || c == Ledger {
			return nil, kassa.Invalid("rate", "rate %q: %s has a rate already, or is the ledger's currency", s, c)
		}
		m[c] = r
	}
	return m, nil
}
