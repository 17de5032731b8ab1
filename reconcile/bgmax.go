package reconcile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// The bank file formats Kassa imports: File.Format, and the import's
// answer's.
const (
	FormatCamt054 = "camt.054"
	FormatBgMax   = "bgmax"
)

// Parse reads a bank file in either format Kassa imports, telling them
// apart by their content: a BgMax file starts with its start record
// ("01BGMAX"), a camt.054 file is XML.
func Parse(b []byte) (*File, error) {
	switch {
	case IsBgMax(b):
		b = bytes.TrimPrefix(b, bom)
		f, err := ParseBgMax(b)
		if err != nil {
			return nil, err
		}
		f.Format = FormatBgMax
		return f, nil
	case !bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(b, bom), " \t\r\n"), []byte("<")):
		return nil, kassa.Invalid("file", "the file is neither a camt.054 document (XML) nor a BgMax file (which starts with 01BGMAX)")
	}
	f, err := ParseCamt054(b)
	if err != nil {
		return nil, err
	}
	f.Format = FormatCamt054
	return f, nil
}

// bom is the byte order mark some tools write at the start of a file.
var bom = []byte("\uFEFF")

// IsBgMax reports whether b is a BgMax file, whose start record comes
// first: a file Parse reads as BgMax.
func IsBgMax(b []byte) bool { return bytes.HasPrefix(bytes.TrimPrefix(b, bom), []byte("01BGMAX")) }

// SkipDeduction is a BgMax deduction record (21): the payer offsets a
// credit against the deposit, which is money not received.
const SkipDeduction = "deduction"

// BgMax is Bankgirot's file of incoming bankgiro payments (Bankgiro
// Inbetalningar) as its technical manual lays it out: records of 80
// characters, each starting with its transaction code. A file is
//
//	01 start: layout name BGMAX, version, written at, test mark (P or T)
//	per deposit (section):
//	  05 opening: the receiving bankgiro, plusgiro, currency
//	  per payment: 20 payment or 21 deduction, then its
//	    22 and 23 extra references (23 a negative amount), 25 information,
//	    26 name, 27 address 1, 28 address 2, 29 organisation number
//	  15 deposit: the account, payment date, deposit serial number,
//	    amount, currency, number of payments (20 and 21)
//	70 end: the numbers of 20, 21, 22+23 and 15 records
//
// Amounts are in öre (cents), 18 digits. The manual tells readers to
// pass over records whose codes they do not know; Kassa does.
const (
	bgmaxRecord = 80
	// maxExtraRefs bounds the extra references of one payment, whose
	// references Kassa joins into the one recorded.
	maxExtraRefs = 99
)

// bgmaxLine is one record, padded with spaces to 80 characters.
type bgmaxLine struct {
	n    int // line number, from 1
	text []rune
}

// field is positions from to to, 1-based and inclusive as the manual
// numbers them.
func (l bgmaxLine) field(from, to int) string { return string(l.text[from-1 : to]) }

// digits reads positions from to to as a number of digits only.
func (l bgmaxLine) digits(what string, from, to int) (int64, error) {
	s := l.field(from, to)
	if !allDigits(s) {
		return 0, l.errorf("%s (positions %d–%d) %q is not digits", what, from, to, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, l.errorf("%s (positions %d–%d) is out of range", what, from, to)
	}
	return n, nil
}

// amount reads an amount in öre within what Kassa records.
func (l bgmaxLine) amount(from, to int) (int64, error) {
	n, err := l.digits("the amount", from, to)
	if err == nil && n > money.MaxAmount {
		err = l.errorf("the amount is larger than Kassa records")
	}
	return n, err
}

func (l bgmaxLine) errorf(format string, args ...any) error {
	return kassa.Invalid("file", "BgMax line %d (record %s): %s", l.n, l.field(1, 2), fmt.Sprintf(format, args...))
}

// bgmaxPayment is a payment (20) or deduction (21) record with the
// records that follow it.
type bgmaxPayment struct {
	line      int
	deduction bool
	reference string
	amount    int64
	serial    string // Bankgirot's serial number of the payment
	extras    []bgmaxExtra
	payer     string // the name record's (26), for the messages
}

type bgmaxExtra struct {
	reference string
	amount    int64 // negative for a 23 record
}

// bgmaxSection is one deposit: its opening record's and its payments.
type bgmaxSection struct {
	line     int
	bankgiro string
	currency money.Currency
	payments []*bgmaxPayment
}

// ParseBgMax reads a BgMax file: its payments (20) are payments, its
// deductions (21) are skipped. A file that is not well formed, whose
// deposits do not add up or whose counts differ from its end record's is
// rejected whole, as is a test file, whose payments are not real.
func ParseBgMax(b []byte) (*File, error) {
	lines, err := bgmaxLines(b)
	if err != nil {
		return nil, err
	}
	f := &File{Payments: []Entry{}, Skipped: []Skip{}}
	var (
		sec        *bgmaxSection
		pay        *bgmaxPayment
		ended      bool
		counts     [4]int64 // 20, 21, 22+23, 15 records, as the end record counts them
		sawPayment = func(l bgmaxLine) error {
			if pay == nil {
				return l.errorf("comes before any payment record (20 or 21) of its deposit")
			}
			return nil
		}
	)
	for i, l := range lines {
		code := l.field(1, 2)
		switch {
		case ended:
			return nil, l.errorf("follows the end record (70)")
		case i == 0 && code != "01":
			return nil, l.errorf("the file does not start with a start record (01)")
		case i > 0 && code == "01":
			return nil, l.errorf("a second start record")
		case sec == nil && code != "01" && code != "05" && code != "70" && isBgMaxCode(code):
			return nil, l.errorf("comes outside a deposit (after its opening record 05)")
		}
		switch code {
		case "01":
			if name := strings.TrimSpace(l.field(3, 22)); name != "BGMAX" {
				return nil, l.errorf("the layout name is %q, not BGMAX", name)
			}
			if _, err := l.digits("the version", 23, 24); err != nil {
				return nil, err
			}
			if _, err := time.Parse("20060102150405", l.field(25, 38)); err != nil || !allDigits(l.field(39, 44)) {
				return nil, l.errorf("the time written (positions 25–44) %q is not YYYYMMDDHHMMSSµµµµµµ", l.field(25, 44))
			}
			switch l.field(45, 45) {
			case "P":
			case "T":
				return nil, l.errorf("a test file (test mark T): its payments are not real")
			default:
				return nil, l.errorf("the test mark %q is neither P nor T", l.field(45, 45))
			}
		case "05":
			if sec != nil {
				return nil, l.errorf("opens a deposit before the one opened on line %d has its deposit record (15)", sec.line)
			}
			sec = &bgmaxSection{line: l.n, bankgiro: l.field(3, 12)}
			if _, err := l.digits("the receiving bankgiro number", 3, 12); err != nil {
				return nil, err
			}
			if pg := strings.TrimSpace(l.field(13, 22)); pg != "" && !allDigits(pg) {
				return nil, l.errorf("the plusgiro number %q is not digits", pg)
			}
			if sec.currency, err = bgmaxCurrency(l, 23); err != nil {
				return nil, err
			}
			pay = nil
		case "20", "21":
			p := &bgmaxPayment{line: l.n, deduction: code == "21", reference: strings.TrimSpace(l.field(13, 37))}
			if err := bgmaxTransaction(l, &p.amount, &p.serial); err != nil {
				return nil, err
			}
			if p.deduction {
				if _, err := l.digits("the deduction code", 71, 71); err != nil {
					return nil, err
				}
				counts[1]++
			} else {
				counts[0]++
			}
			sec.payments = append(sec.payments, p)
			pay = p
		case "22", "23":
			if err := sawPayment(l); err != nil {
				return nil, err
			}
			if len(pay.extras) == maxExtraRefs {
				return nil, l.errorf("the payment on line %d has more than %d extra references", pay.line, maxExtraRefs)
			}
			x := bgmaxExtra{reference: strings.TrimSpace(l.field(13, 37))}
			if err := bgmaxTransaction(l, &x.amount, new(string)); err != nil {
				return nil, err
			}
			if code == "23" {
				x.amount = -x.amount
			}
			pay.extras = append(pay.extras, x)
			counts[2]++
		case "25", "27", "28":
			// Information text, address: nothing Kassa records.
			if err := sawPayment(l); err != nil {
				return nil, err
			}
		case "26":
			if err := sawPayment(l); err != nil {
				return nil, err
			}
			pay.payer = strings.TrimSpace(l.field(3, 37))
		case "29":
			if err := sawPayment(l); err != nil {
				return nil, err
			}
			if _, err := l.digits("the organisation number", 3, 14); err != nil {
				return nil, err
			}
		case "15":
			if err := bgmaxDeposit(l, sec, f); err != nil {
				return nil, err
			}
			counts[3]++
			sec, pay = nil, nil
		case "70":
			if sec != nil {
				return nil, l.errorf("ends the file before the deposit opened on line %d has its deposit record (15)", sec.line)
			}
			for i, what := range []string{"payment records (20)", "deduction records (21)", "extra reference records (22, 23)", "deposit records (15)"} {
				want, err := l.digits("the number of "+what, 3+8*i, 10+8*i)
				if err != nil {
					return nil, err
				}
				if want != counts[i] {
					return nil, l.errorf("the end record counts %d %s, the file has %d", want, what, counts[i])
				}
			}
			ended = true
		}
	}
	if !ended {
		return nil, kassa.Invalid("file", "the BgMax file has no end record (70): it is incomplete")
	}
	return f, nil
}

// isBgMaxCode reports whether code is one of the manual's transaction
// codes; others are passed over.
func isBgMaxCode(code string) bool {
	switch code {
	case "01", "05", "15", "20", "21", "22", "23", "25", "26", "27", "28", "29", "70":
		return true
	}
	return false
}

// bgmaxLines splits b into records: lines of at most 80 characters,
// padded with spaces, the blank ones left out. The manual's character
// set is ISO 8859-1; a file already converted to UTF-8 is read as such.
func bgmaxLines(b []byte) ([]bgmaxLine, error) {
	text := string(b)
	if !utf8.Valid(b) {
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c) // ISO 8859-1 is the first 256 code points
		}
		text = string(runes)
	}
	var lines []bgmaxLine
	for i, s := range strings.Split(text, "\n") {
		r := []rune(strings.TrimSuffix(s, "\r"))
		if strings.TrimSpace(string(r)) == "" {
			continue
		}
		l := bgmaxLine{n: i + 1, text: r}
		if len(r) > bgmaxRecord {
			return nil, kassa.Invalid("file", "BgMax line %d is %d characters long, not %d", i+1, len(r), bgmaxRecord)
		}
		for _, c := range r {
			if c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				return nil, kassa.Invalid("file", "BgMax line %d has the control character %U", i+1, c)
			}
		}
		l.text = append(r, []rune(strings.Repeat(" ", bgmaxRecord-len(r)))...)
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, kassa.Invalid("file", "the BgMax file is empty")
	}
	return lines, nil
}

// bgmaxCurrency reads the currency code at from: Bankgirot reports SEK
// and EUR, whose amounts are in hundredths.
func bgmaxCurrency(l bgmaxLine, from int) (money.Currency, error) {
	cur, err := money.ParseCurrency(l.field(from, from+2))
	if err != nil || cur.Digits() != 2 {
		return "", l.errorf("the currency %q is not one BgMax reports (SEK, EUR)", l.field(from, from+2))
	}
	return cur, nil
}

// bgmaxTransaction reads what payment, deduction and extra reference
// records share: the payer's bankgiro number (3–12), the amount (38–55),
// the reference code (56), the payment channel (57), Bankgirot's serial
// number (58–69) and the image mark (70).
func bgmaxTransaction(l bgmaxLine, amount *int64, serial *string) error {
	if _, err := l.digits("the sender's bankgiro number", 3, 12); err != nil {
		return err
	}
	var err error
	if *amount, err = l.amount(38, 55); err != nil {
		return err
	}
	if code := l.field(56, 56); code < "0" || code > "5" {
		return l.errorf("the reference code %q is not 0 to 5", code)
	}
	for _, f := range []struct {
		what     string
		from, to int
	}{{"the payment channel code", 57, 57}, {"the serial number", 58, 69}, {"the image mark", 70, 70}} {
		if _, err := l.digits(f.what, f.from, f.to); err != nil {
			return err
		}
	}
	*serial = l.field(58, 69)
	return nil
}

// bgmaxDeposit checks a deposit record (15) against its section's
// payments and adds them to f: the deposit is the payments less the
// deductions, and counts both.
func bgmaxDeposit(l bgmaxLine, sec *bgmaxSection, f *File) error {
	day, err := time.Parse("20060102", l.field(38, 45))
	if err != nil {
		return l.errorf("the payment date %q is not YYYYMMDD", l.field(38, 45))
	}
	depositNo, err := l.digits("the deposit serial number", 46, 50)
	if err != nil {
		return err
	}
	total, err := l.amount(51, 68)
	if err != nil {
		return err
	}
	cur, err := bgmaxCurrency(l, 69)
	if err != nil {
		return err
	}
	if cur != sec.currency {
		return l.errorf("the deposit is in %s, its opening record (line %d) says %s", cur, sec.line, sec.currency)
	}
	n, err := l.digits("the number of payments", 72, 79)
	if err != nil {
		return err
	}
	if n != int64(len(sec.payments)) {
		return l.errorf("the deposit counts %d payments, its section has %d payment and deduction records", n, len(sec.payments))
	}
	var sum int64
	for _, p := range sec.payments {
		if p.deduction {
			sum -= p.amount
		} else {
			sum += p.amount
		}
		if sum > 1<<62 || sum < -1<<62 { // each amount is within MaxAmount: no overflow before this
			return l.errorf("its payments sum to more than a deposit can be")
		}
	}
	if sum != total {
		return l.errorf("the deposit is %s, its payments less deductions %s", money.Decimal(total, cur), money.Decimal(sum, cur))
	}
	for i, p := range sec.payments {
		at := fmt.Sprintf("line %d", p.line)
		// A payment's key: the receiving bankgiro, the payment date, the
		// currency, the deposit's serial number and the payment's place
		// in it, and Bankgirot's serial number of the payment. A file
		// delivered again gives the same keys.
		key := fmt.Sprintf("BG%s/%s/%s/%d/%d/%s", sec.bankgiro, day.Format(time.DateOnly), cur, depositNo, i+1, p.serial)
		skip := func(reason, message string) {
			f.Skipped = append(f.Skipped, Skip{Location: at, BankRef: key, Reference: p.reference, Amount: p.amount, Currency: cur, Reason: reason, Message: message})
		}
		switch {
		case p.deduction:
			skip(SkipDeduction, "a deduction"+p.from()+": the payer offsets a credit against the deposit, money not received")
		case p.amount == 0:
			skip(SkipUnusable, "no amount to record")
		default:
			f.Payments = append(f.Payments, p.entries(key, cur, day)...)
		}
	}
	return nil
}

func (p *bgmaxPayment) from() string {
	if p.payer == "" {
		return ""
	}
	return " from " + p.payer
}

// entries are what a payment records. With extra references whose
// amounts add up to the payment's (each stated, none negative) it is
// one payment per reference; with extra references that do not say how
// much each is paid, one payment whose reference is all of them, which
// matches no single document and waits for manual matching.
func (p *bgmaxPayment) entries(key string, cur money.Currency, day time.Time) []Entry {
	ref := strings.ReplaceAll(p.reference, " ", "")
	if len(p.extras) == 0 {
		return []Entry{{BankRef: key, Reference: ref, Amount: p.amount, Currency: cur, BookedAt: day}}
	}
	var sum int64
	split := true
	for _, x := range p.extras {
		split = split && x.amount > 0
		sum += x.amount
	}
	if split && sum == p.amount {
		es := make([]Entry, len(p.extras))
		for i, x := range p.extras {
			es[i] = Entry{BankRef: fmt.Sprintf("%s/%d", key, i+1), Reference: strings.ReplaceAll(x.reference, " ", ""), Amount: x.amount, Currency: cur, BookedAt: day}
		}
		return es
	}
	refs := []string{p.reference}
	for _, x := range p.extras {
		refs = append(refs, x.reference)
	}
	return []Entry{{BankRef: key, Reference: strings.Join(strings.Fields(strings.Join(refs, " ")), " "), Amount: p.amount, Currency: cur, BookedAt: day}}
}
