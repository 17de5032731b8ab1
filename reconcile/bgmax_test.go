package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// The records of a BgMax file, laid out as Bankgirot's manual places
// their fields.

func bgStart(mark string) string {
	return "01" + fmt.Sprintf("%-20s", "BGMAX") + "01" + "20261123101500123456" + mark
}

func bgOpen(bankgiro, cur string) string {
	return "05" + bankgiro + strings.Repeat(" ", 10) + cur
}

// bgPay is a payment (20), deduction (21) or extra reference (22, 23)
// record; a deduction gets deduction code 0.
func bgPay(code, ref string, amount int64, refCode byte, serial int) string {
	s := fmt.Sprintf("%s%s%-25s%018d%c1%012d0", code, "0009912346", ref, amount, refCode, serial)
	if code == "21" {
		s += "0"
	}
	return s
}

func bgDeposit(date string, no int, amount int64, cur string, n int) string {
	return fmt.Sprintf("15%-35s%s%05d%018d%s%08d ", "99123465", date, no, amount, cur, n)
}

func bgEnd(payments, deductions, extras, deposits int) string {
	return fmt.Sprintf("70%08d%08d%08d%08d", payments, deductions, extras, deposits)
}

func bgFile(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// bgSample has every record type: a deposit in SEK with a payment and its
// payer's records, a deduction, a payment split by extra references with
// amounts and one whose extra references state none; a deposit in EUR.
func bgSample() []string {
	return []string{
		bgStart("P"),                // 1
		bgOpen("0050501055", "SEK"), // 2
		bgPay("20", "5550001234567852", 123450, '2', 1),                              // 3
		"25Betalning faktura 1",                                                      // 4
		"26Kalles Plåt AB",                                                           // 5
		"27Storgatan 2                        12345",                                 // 6
		"28Storåker                           Sverige                            SE", // 7
		"29005500001234",                                                             // 8
		bgPay("21", "5550001234567860", 5000, '4', 2),                                // 9
		"26Olles färg AB",                                                            // 10
		bgPay("20", "", 30000, '3', 3),                                               // 11
		bgPay("22", "123453", 10000, '4', 3),                                         // 12
		bgPay("22", "RF18 5390 0754 7034", 20000, '4', 3),                            // 13
		bgPay("20", "111 222", 7000, '3', 4),                                         // 14
		bgPay("22", "333", 0, '4', 4),                                                // 15
		bgPay("23", "444", 0, '4', 4),                                                // 16
		bgDeposit("20261123", 7, 123450-5000+30000+7000, "SEK", 4),                   // 17
		bgOpen("0050501055", "EUR"),                                                  // 18
		bgPay("20", "RF18539007547034", 9900, '4', 5),                                // 19
		bgDeposit("20261124", 8, 9900, "EUR", 1),                                     // 20
		bgEnd(4, 1, 4, 2),                                                            // 21
	}
}

func TestParseBgMax(t *testing.T) {
	f, err := Parse(bgFile(bgSample()...))
	if err != nil {
		t.Fatal(err)
	}
	day1, day2 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	const key = "BG0050501055/2026-11-23/SEK/7/"
	want := &File{
		Format: FormatBgMax,
		Payments: []Entry{
			{BankRef: key + "1/000000000001", Reference: "5550001234567852", Amount: 123450, Currency: "SEK", BookedAt: day1},
			// Extra references with amounts adding up: a payment each.
			{BankRef: key + "3/000000000003/1", Reference: "123453", Amount: 10000, Currency: "SEK", BookedAt: day1},
			{BankRef: key + "3/000000000003/2", Reference: "RF18539007547034", Amount: 20000, Currency: "SEK", BookedAt: day1},
			// Without: one payment naming all its references.
			{BankRef: key + "4/000000000004", Reference: "111 222 333 444", Amount: 7000, Currency: "SEK", BookedAt: day1},
			{BankRef: "BG0050501055/2026-11-24/EUR/8/1/000000000005", Reference: "RF18539007547034", Amount: 9900, Currency: "EUR", BookedAt: day2},
		},
		Skipped: []Skip{
			{Location: "line 9", BankRef: key + "2/000000000002", Reference: "5550001234567860", Amount: 5000, Currency: "SEK", Reason: SkipDeduction,
				Message: "a deduction from Olles färg AB: the payer offsets a credit against the deposit, money not received"},
		},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
}

// Bankgirot writes ISO 8859-1: the payer's name reads the same as in a
// file converted to UTF-8.
func TestParseBgMaxLatin1(t *testing.T) {
	lines := []string{bgStart("P"), bgOpen("0050501055", "SEK"), bgPay("20", "1", 100, '4', 1), bgPay("21", "1", 100, '4', 2), "26Kalles Plåt AB",
		bgDeposit("20261123", 1, 0, "SEK", 2), bgEnd(1, 1, 0, 1)}
	utf := bgFile(lines...)
	latin1 := make([]byte, 0, len(utf))
	for _, r := range string(utf) {
		latin1 = append(latin1, byte(r))
	}
	for name, b := range map[string][]byte{"UTF-8": utf, "ISO 8859-1": latin1} {
		f, err := ParseBgMax(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(f.Skipped) != 1 || !strings.Contains(f.Skipped[0].Message, "from Kalles Plåt AB") {
			t.Errorf("%s: skipped %+v", name, f.Skipped)
		}
	}
}

// Records whose codes the manual does not define are passed over, as it
// asks; blank lines and a missing line end too.
func TestParseBgMaxPassesOverUnknownRecords(t *testing.T) {
	lines := bgSample()
	lines = append(lines[:3], append([]string{"99future record", ""}, lines[3:]...)...)
	f, err := ParseBgMax([]byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Payments) != 5 {
		t.Errorf("%d payments, want 5", len(f.Payments))
	}
}

// Each record type's damage, and the file's, is a clear error: nothing
// of the file is recorded.
func TestParseBgMaxRejects(t *testing.T) {
	replace := func(i int, line string) []string {
		l := bgSample()
		l[i-1] = line
		return l
	}
	insert := func(i int, line string) []string {
		l := bgSample()
		return append(l[:i-1], append([]string{line}, l[i-1:]...)...)
	}
	without := func(i int) []string {
		l := bgSample()
		return append(l[:i-1], l[i:]...)
	}
	sample := bgSample()
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"01 not first", without(1), "does not start with a start record"},
		{"01 layout", replace(1, strings.Replace(sample[0], "BGMAX", "BGMIN", 1)), "not BGMAX"},
		{"01 test file", replace(1, bgStart("T")), "test file"},
		{"01 test mark", replace(1, bgStart("X")), "test mark"},
		{"01 written at", replace(1, strings.Replace(sample[0], "20261123", "2026113X", 1)), "time written"},
		{"01 twice", insert(2, bgStart("P")), "second start record"},
		{"05 bankgiro", replace(2, bgOpen("00505010AB", "SEK")), "receiving bankgiro"},
		{"05 currency", replace(2, bgOpen("0050501055", "XYZ")), "currency"},
		{"05 currency without cents", replace(2, bgOpen("0050501055", "JPY")), "currency"},
		{"05 inside a deposit", insert(3, bgOpen("0050501055", "SEK")), "before the one opened on line 2"},
		{"15 without 05", without(18), "outside a deposit"},
		{"15 missing", without(17), "before the one opened on line 2"},
		{"15 date", replace(17, bgDeposit("20261332", 7, 155450, "SEK", 4)), "payment date"},
		{"15 currency", replace(17, bgDeposit("20261123", 7, 155450, "EUR", 4)), "opening record (line 2) says SEK"},
		{"15 count", replace(17, bgDeposit("20261123", 7, 155450, "SEK", 5)), "counts 5 payments"},
		{"15 amount", replace(17, bgDeposit("20261123", 7, 155451, "SEK", 4)), "its payments less deductions 1554.50"},
		{"20 amount", replace(3, strings.Replace(sample[2], "000000000000123450", "0000000000001234.5", 1)), "amount"},
		{"20 amount too large", replace(3, bgPay("20", "1", money.MaxAmount+1, '2', 1)), "larger than Kassa records"},
		{"20 reference code", replace(3, bgPay("20", "1", 123450, '9', 1)), "reference code"},
		{"20 serial", replace(3, sample[2][:57]+"00000000000x"+sample[2][69:]), "serial number"},
		{"20 outside a deposit", insert(1+1, bgPay("20", "1", 1, '2', 1)), "outside a deposit"},
		{"21 deduction code", replace(9, bgPay("21", "5550001234567860", 5000, '4', 2)[:70]+"X"), "deduction code"},
		{"22 before a payment", insert(3, bgPay("22", "1", 0, '4', 1)), "before any payment record"},
		{"23 before a payment", insert(3, bgPay("23", "1", 0, '4', 1)), "before any payment record"},
		{"25 before a payment", insert(3, "25Text"), "before any payment record"},
		{"26 before a payment", insert(3, "26Name"), "before any payment record"},
		{"27 before a payment", insert(3, "27Street"), "before any payment record"},
		{"28 before a payment", insert(3, "28City"), "before any payment record"},
		{"29 before a payment", insert(3, "29005500001234"), "before any payment record"},
		{"29 organisation number", replace(8, "2900550000123A"), "organisation number"},
		{"70 payments", replace(21, bgEnd(5, 1, 4, 2)), "counts 5 payment records (20), the file has 4"},
		{"70 deductions", replace(21, bgEnd(4, 0, 4, 2)), "deduction records"},
		{"70 extra references", replace(21, bgEnd(4, 1, 3, 2)), "extra reference records"},
		{"70 deposits", replace(21, bgEnd(4, 1, 4, 3)), "deposit records"},
		{"70 not digits", replace(21, "70000000A4"), "not digits"},
		{"70 missing", without(21), "no end record"},
		{"70 before a deposit's end", insert(19, bgEnd(3, 1, 4, 1)), "before the deposit opened on line 18"},
		{"after 70", append(bgSample(), bgOpen("0050501055", "SEK")), "follows the end record"},
		{"line too long", replace(4, "25"+strings.Repeat("x", 79)), "81 characters long"},
		{"control character", replace(4, "25a\x00b"), "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseBgMax(bgFile(tc.lines...))
			if kassa.ErrorCode(err) != kassa.EInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseBgMax = %+v, %v; want an invalid-file error saying %q", f, err, tc.want)
			}
		})
	}
	for _, empty := range []string{"", "\n\n"} {
		if _, err := ParseBgMax([]byte(empty)); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("ParseBgMax(%q) = %v, want invalid", empty, err)
		}
	}
}

// Parse tells the formats apart by content.
func TestParseDetectsFormat(t *testing.T) {
	camt := camtFile("N-1", `<Ntry><Amt Ccy="SEK">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
		<BookgDt><Dt>2026-11-23</Dt></BookgDt><AcctSvcrRef>E-1</AcctSvcrRef></Ntry>`)
	for _, tc := range []struct {
		b    []byte
		want string
	}{{camt, FormatCamt054}, {bgFile(bgSample()...), FormatBgMax}} {
		f, err := Parse(tc.b)
		if err != nil || f.Format != tc.want {
			t.Errorf("Parse(%.20q) = %+v, %v; want format %s", tc.b, f, err, tc.want)
		}
	}
	for _, b := range []string{"01BGMIN", "", "{}", "\uFEFF01BGMAX", "\uFEFF<x/>"} {
		if _, err := Parse([]byte(b)); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("Parse(%q) = %v, want invalid", b, err)
		}
	}
	if f, err := Parse(append([]byte("\uFEFF"), bgFile(bgSample()...)...)); err != nil || f.Format != FormatBgMax {
		t.Errorf("Parse(BgMax with a byte order mark) = %v", err)
	}
}

// No input makes the parser panic; what it accepts holds only payments
// Kassa can record, each with its own key, and adds up.
func FuzzParseBgMax(f *testing.F) {
	f.Add(bgFile(bgSample()...))
	f.Add([]byte(strings.Join(bgSample(), "\n")))
	f.Add(bgFile(bgStart("P"), bgOpen("0050501055", "SEK"), bgDeposit("20261123", 1, 0, "SEK", 0), bgEnd(0, 0, 0, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ParseBgMax(b)
		if err != nil {
			if kassa.ErrorCode(err) != kassa.EInvalid {
				t.Fatalf("error %v is not invalid input", err)
			}
			return
		}
		keys := map[string]bool{}
		for _, p := range file.Payments {
			if p.Amount <= 0 || p.Amount > money.MaxAmount || p.Currency.Digits() != 2 || p.BankRef == "" || keys[p.BankRef] {
				t.Fatalf("payment %+v", p)
			}
			keys[p.BankRef] = true
		}
		for _, s := range file.Skipped {
			if s.Reason != SkipDeduction && s.Reason != SkipUnusable {
				t.Fatalf("skip %+v", s)
			}
		}
	})
}
