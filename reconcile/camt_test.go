package reconcile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kassa-pay/kassa"
)

// ignoreMessages leaves the prose of skips out of comparisons.
var ignoreMessages = cmpopts.IgnoreFields(Skip{}, "Message")

func parseFile(t *testing.T, path string) *File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseCamt054(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func TestParseCamt054(t *testing.T) {
	got := parseFile(t, "testdata/camt054.xml")
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	want := &File{
		Payments: []Entry{
			{BankRef: "5050-1055/2026-11-23/TX-1", Reference: "5550001234567852", Amount: 123450, Currency: "SEK", BookedAt: day},
			{BankRef: "5050-1055/2026-11-23/NTRY-3/1/1000.00", Reference: "12345", Amount: 100000, Currency: "SEK", BookedAt: day.Add(9 * time.Hour)},
		},
		Skipped: []Skip{
			{Location: "Ntfctn[1]/Ntry[2]/TxDtls[1]", Reference: "9999", Amount: 5, Currency: "SEK", Reason: SkipUnusable},
			{Location: "Ntfctn[1]/Ntry[4]", Amount: 5000, Currency: "SEK", Reason: SkipDebit},
			{Location: "Ntfctn[1]/Ntry[5]", Amount: 7000, Currency: "SEK", Reason: SkipNotBooked},
		},
	}
	if diff := cmp.Diff(want, got, ignoreMessages); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
}

// Every form ISO 20022 allows is read; booked credits Kassa cannot
// record are skipped, saying why, rather than failing the file.
func TestParseCamt054ValidForms(t *testing.T) {
	got := parseFile(t, "testdata/camt054-forms.xml")
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	const acct = "SE4550000000058398257466/"
	want := &File{
		Payments: []Entry{
			// Local time, read as UTC.
			{BankRef: acct + "2026-11-23/FT-1", Reference: "5550001234567852", Amount: 10000, Currency: "SEK", BookedAt: day.Add(10*time.Hour + 15*time.Minute)},
			// No details; the key has the booking date as written, though
			// the booking time in UTC is the next day.
			{BankRef: acct + "2026-11-23/F-2/1/12.00", Amount: 1200, Currency: "SEK", BookedAt: time.Date(2026, 11, 24, 1, 30, 0, 125e6, time.UTC)},
			// Booked net of 3.00 charges; each payment is what was paid.
			{BankRef: acct + "2026-11-23/FT-3a", Amount: 10000, Currency: "SEK", BookedAt: day},
			{BankRef: acct + "2026-11-23/FT-3b", Amount: 10000, Currency: "SEK", BookedAt: day},
			{BankRef: acct + "2026-11-23/FT-3c", Amount: 10000, Currency: "SEK", BookedAt: day},
			// The transaction booked net of its own charges.
			{BankRef: acct + "2026-11-23/FT-4", Reference: "4444", Amount: 10000, Currency: "SEK", BookedAt: day},
			{BankRef: acct + "2026-11-23/FT-5", Reference: "5555", Amount: 5000, Currency: "SEK", BookedAt: day},
			{BankRef: acct + "2026-11-23/FT-6a", Amount: 10000, Currency: "SEK", BookedAt: day},
		},
		Skipped: []Skip{
			{Location: "Ntfctn[1]/Ntry[6]/TxDtls[2]", BankRef: "FT-6b", Amount: 3000, Currency: "SEK", Reason: SkipDebit},
			{Location: "Ntfctn[1]/Ntry[7]", BankRef: "U-1", Currency: "SEK", Reason: SkipUnusable},
			{Location: "Ntfctn[1]/Ntry[8]", BankRef: "U-2", Amount: 1000, Currency: "SEK", Reason: SkipUnusable},
			{Location: "Ntfctn[1]/Ntry[9]", BankRef: "U-3", Amount: 2000, Currency: "SEK", Reason: SkipUnusable},
			{Location: "Ntfctn[1]/Ntry[10]/TxDtls[1]", Reference: "6666", Amount: 3000, Currency: "SEK", Reason: SkipUnusable},
		},
	}
	if diff := cmp.Diff(want, got, ignoreMessages); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	for _, s := range got.Skipped {
		if s.Message == "" {
			t.Errorf("skip %+v does not say why", s)
		}
	}
}

// sampleDir is the folder of real banks' camt.054 files, beside the
// repository (../shared/camt-samples from its root; its README names
// their sources). Without it the test skips, except in CI, which has it.
func sampleDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "camt-samples")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the camt.054 sample files are missing: %v", err)
		}
		t.Skipf("the camt.054 sample files are not beside the repository: %v", err)
	}
	return dir
}

// Banks' own files yield their payments, and say what else they hold.
func TestParseCamt054Samples(t *testing.T) {
	dir := sampleDir(t)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		file string
		want File
	}{
		{"fi-fffs-credit-advice.camt.054.001.02.xml", File{
			Payments: []Entry{
				{BankRef: "FI7433010001222090/2009-10-29/D091029N987654321S001", Reference: "3900", Amount: 190000, Currency: "EUR", BookedAt: day(2009, 10, 29)},
				{BankRef: "FI7433010001222090/2009-10-29/D091029N987654321S002", Reference: "43216", Amount: 10000, Currency: "EUR", BookedAt: day(2009, 10, 29)},
				{BankRef: "FI7433010001222090/2009-10-29/D091029N987654321S211", Reference: "3900", Amount: 40000, Currency: "EUR", BookedAt: day(2009, 10, 29)},
				{BankRef: "FI7433010001222090/2009-10-29/D091029N987654321S212", Reference: "43216", Amount: 10000, Currency: "EUR", BookedAt: day(2009, 10, 29)},
				{BankRef: "FI7433010001222090/2009-10-29/D091029N123456789S001", Reference: "RF7812345", Amount: 250000, Currency: "EUR", BookedAt: day(2009, 10, 29)},
				{BankRef: "FI7433010001222090/2009-10-29/D091029N123456789S002", Reference: "RFB/557742358", Amount: 50000, Currency: "EUR", BookedAt: day(2009, 10, 29)},
			},
			Skipped: []Skip{
				{Location: "Ntfctn[1]/Ntry[4]", BankRef: "091029ACCTSTMTARCH03", Amount: 423005, Currency: "EUR", Reason: SkipDebit},
				{Location: "Ntfctn[1]/Ntry[5]", BankRef: "091029NTFCTNXBCT010101", Amount: 100000, Currency: "EUR", Reason: SkipDebit},
				// A reversal with returned transactions, but only information.
				{Location: "Ntfctn[1]/Ntry[6]", BankRef: "091029ACCTSTMTERR01", Amount: 10000, Currency: "EUR", Reason: SkipNotBooked},
			},
		}},
		{"fi-danskebank.camt.054.001.02.xml", File{
			Payments: []Entry{
				{BankRef: "FI9881234511224450/2011-09-16/1109168E0049198529", Reference: "123", Amount: 14700, Currency: "EUR", BookedAt: day(2011, 9, 16)},
				{BankRef: "FI9881234511224450/2011-09-16/1109168E0049198530", Reference: "RF74100978", Amount: 3600, Currency: "EUR", BookedAt: day(2011, 9, 16)},
				{BankRef: "FI9881234511224450/2011-09-16/1109158E0049179974", Reference: "00000006450830029863", Amount: 1000, Currency: "EUR", BookedAt: day(2011, 9, 16)},
			},
			Skipped: []Skip{},
		}},
		{"ch-postfinance-esr-asr.camt.054.001.04.xml", File{
			Payments: []Entry{
				// Three payments of one slip: one reference, three payments.
				{BankRef: "CH2909000000250094239/2019-04-24/180315CH02ZX5RI3", Reference: "120000000000234478943216899", Amount: 25000, Currency: "CHF", BookedAt: day(2019, 4, 24)},
				{BankRef: "CH2909000000250094239/2019-04-24/180315CH02ZX5RI4", Reference: "120000000000234478943216899", Amount: 20000, Currency: "CHF", BookedAt: day(2019, 4, 24)},
				{BankRef: "CH2909000000250094239/2019-04-24/180315CH02ZX5RI5", Reference: "120000000000234478943216899", Amount: 30000, Currency: "CHF", BookedAt: day(2019, 4, 24)},
				{BankRef: "CH2909000000250094239/2019-04-24/180315CH02ZZ4OOX", Reference: "359335273113716998981168243", Amount: 32400, Currency: "CHF", BookedAt: day(2019, 4, 24)},
				{BankRef: "CH2909000000250094239/2019-04-24/180315CH02ZZ4OOY", Reference: "684388397169969395754931859", Amount: 46300, Currency: "CHF", BookedAt: day(2019, 4, 24)},
			},
			Skipped: []Skip{
				{Location: "Ntfctn[1]/Ntry[2]", BankRef: "100820002V496ZRA", Reference: "100041698214115449371805270", Amount: 14700, Currency: "CHF", Reason: SkipDebit},
			},
		}},
		{"ch-postfinance-qrr.camt.054.001.08.xml", File{
			Payments: []Entry{
				{BankRef: "CH2909000000250094239/2020-06-18/2000000000000000", Reference: "539115429773825311971477453", Amount: 77829, Currency: "CHF", BookedAt: day(2020, 6, 18)},
				{BankRef: "CH2909000000250094239/2020-06-18/3000000000000000", Reference: "662437765447746478179744715", Amount: 91393, Currency: "CHF", BookedAt: day(2020, 6, 18)},
			},
			Skipped: []Skip{},
		}},
		{"ch-creditsuisse-qr-iban.camt.054.001.08.xml", File{
			Payments: []Entry{
				{BankRef: "CH5104835831854071000/2022-12-22/80XI-190418-CS-80256", Reference: "999999123456789012345678028", Amount: 47725, Currency: "CHF", BookedAt: day(2022, 12, 22)},
				{BankRef: "CH5104835831854071000/2022-12-22/80XI-190418-CS-80257", Reference: "999999123456789012345678033", Amount: 14000, Currency: "CHF", BookedAt: day(2022, 12, 22)},
				{BankRef: "CH5104835831854071000/2022-12-22/80XI-190418-CS-80258", Reference: "999999123456789012345678049", Amount: 12000, Currency: "CHF", BookedAt: day(2022, 12, 22)},
				{BankRef: "CH5104835831854071000/2022-12-22/80XI-190418-CS-80259", Reference: "999999123456789012345678057", Amount: 11000, Currency: "CHF", BookedAt: day(2022, 12, 22)},
				{BankRef: "CH5104835831854071000/2022-12-22/80XI-190418-CS-80260", Reference: "999999123456789012345678065", Amount: 15000, Currency: "CHF", BookedAt: day(2022, 12, 22)},
			},
			Skipped: []Skip{},
		}},
		{"ch-raiffeisen-scor.camt.054.001.08.xml", File{
			Payments: []Entry{
				// Every transaction repeats its entry's AcctSvcrRef and has
				// EndToEndId NOTPROVIDED: the position tells them apart.
				{BankRef: "CH0309000000250090342/2022-10-25/14627723891/1/80.00", Reference: "100760109103380989047265478", Amount: 8000, Currency: "CHF", BookedAt: day(2022, 10, 25)},
				{BankRef: "CH0309000000250090342/2022-10-27/14634504226/1/100.00", Reference: "100760109103120132047008122", Amount: 10000, Currency: "CHF", BookedAt: day(2022, 10, 27)},
				{BankRef: "CH0309000000250090342/2022-10-27/14634504226/2/100.00", Reference: "100760109103340242047010050", Amount: 10000, Currency: "CHF", BookedAt: day(2022, 10, 27)},
				{BankRef: "CH0309000000250090342/2022-10-27/14634504226/3/100.00", Reference: "100760109102821782047005722", Amount: 10000, Currency: "CHF", BookedAt: day(2022, 10, 27)},
			},
			Skipped: []Skip{},
		}},
		{"ch-postfinance-return.camt.054.001.08.xml", File{
			Payments: []Entry{},
			Skipped: []Skip{
				{Location: "Ntfctn[1]/Ntry[1]/TxDtls[1]", BankRef: "180327CH02P92DYD", Reference: "Kontouebertrag", Amount: 40000, Currency: "CHF", Reason: SkipReturn},
			},
		}},
		{"ch-postfinance-return-reversal.camt.054.001.08.xml", File{
			Payments: []Entry{},
			Skipped: []Skip{
				{Location: "Ntfctn[1]/Ntry[1]", BankRef: "075820002ZZTJR1K", Reference: "Kontouebertrag", Amount: 50000, Currency: "CHF", Reason: SkipReversal},
			},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := parseFile(t, filepath.Join(dir, tc.file))
			if diff := cmp.Diff(&tc.want, got, ignoreMessages); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
			if again := parseFile(t, filepath.Join(dir, tc.file)); !cmp.Equal(got, again) {
				t.Error("parsing the file again gives another result")
			}
		})
	}
}

// camtFile is a camt.054 document with one notification, id, for one
// account, holding entries.
func camtFile(id string, entries ...string) []byte {
	return []byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
		<GrpHdr><MsgId>` + id + `</MsgId></GrpHdr>
		<Ntfctn><Id>` + id + `</Id><Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id></Acct>` +
		strings.Join(entries, "") + `</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`)
}

// A payment's key tells it from every other payment, also where the bank
// repeats a reference, and is the same whenever a file reports it: in
// the same file imported again, and in a later file that reports it in
// another entry among other entries.
func TestPaymentKeys(t *testing.T) {
	tx := func(refs, amount string) string {
		return `<TxDtls><Refs>` + refs + `</Refs><Amt Ccy="SEK">` + amount + `</Amt></TxDtls>`
	}
	entry := func(ref, amount string, txs ...string) string {
		return `<Ntry><Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
			<BookgDt><Dt>2026-11-23</Dt></BookgDt><AcctSvcrRef>` + ref + `</AcctSvcrRef><NtryDtls>` + strings.Join(txs, "") + `</NtryDtls></Ntry>`
	}
	keys := func(b []byte) []string {
		f, err := ParseCamt054(b)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, p := range f.Payments {
			ks = append(ks, p.BankRef)
		}
		return ks
	}
	repeated := `<AcctSvcrRef>B-1</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId>`
	batch := entry("B-1", "300.00", tx(repeated, "100.00"), tx(repeated, "100.00"), tx(repeated, "100.00"))
	placeholders := entry("P-1", "200.00", tx(`<EndToEndId>NOTPROVIDED</EndToEndId>`, "100.00"), tx(`<EndToEndId>NOTPROVIDED</EndToEndId>`, "100.00"))
	// A transaction reference two entries share is neither's own.
	shared := entry("S-1", "10.00", tx(`<AcctSvcrRef>DAY</AcctSvcrRef>`, "10.00")) + entry("S-2", "10.00", tx(`<AcctSvcrRef>DAY</AcctSvcrRef>`, "10.00"))
	own := entry("O-1", "5.00", tx(`<AcctSvcrRef>T-1</AcctSvcrRef>`, "5.00"))

	first := keys(camtFile("N-1", batch, placeholders, shared, own))
	seen := map[string]bool{}
	for _, k := range first {
		seen[k] = true
	}
	if len(first) != 8 || len(seen) != len(first) {
		t.Fatalf("keys %q: want 8 payments with a key each", first)
	}
	if again := keys(camtFile("N-1", batch, placeholders, shared, own)); !cmp.Equal(again, first) {
		t.Errorf("the file parsed again has keys %q, want %q", again, first)
	}
	later := keys(camtFile("N-2", entry("O-2", "7.00", tx(`<AcctSvcrRef>T-2</AcctSvcrRef>`, "2.00"), tx(`<AcctSvcrRef>T-1</AcctSvcrRef>`, "5.00")), shared, placeholders, batch))
	var known []string
	for _, k := range later {
		if seen[k] {
			known = append(known, k)
		}
	}
	if len(known) != len(first) || len(later) != len(first)+1 {
		t.Errorf("a later file reporting the %d payments again and one more has keys %q; of the first file's %q it has %d", len(first), later, first, len(known))
	}
}

// A booking has the same key whether a file gives its booking date
// (BookgDt/Dt) or its booking time (BookgDt/DtTm): the date as the bank
// wrote it, in the bank's time zone, also where the time in UTC falls on
// another day. The end-of-day file repeating an intraday one's payments
// records nothing new.
func TestPaymentKeysBookingDateForms(t *testing.T) {
	keys := func(bookgDt string) []string {
		t.Helper()
		f, err := ParseCamt054(camtFile("N-1",
			`<Ntry><Amt Ccy="SEK">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt>`+bookgDt+`</BookgDt>
				<AcctSvcrRef>E-1</AcctSvcrRef><NtryDtls><TxDtls><Refs><AcctSvcrRef>T-1</AcctSvcrRef></Refs><Amt Ccy="SEK">100.00</Amt></TxDtls></NtryDtls></Ntry>`,
			`<Ntry><Amt Ccy="SEK">12.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt>`+bookgDt+`</BookgDt>
				<AcctSvcrRef>E-2</AcctSvcrRef></Ntry>`))
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, p := range f.Payments {
			ks = append(ks, p.BankRef)
		}
		return ks
	}
	const acct = "SE4550000000058398257466/"
	want := []string{acct + "2026-11-23/T-1", acct + "2026-11-23/E-2/1/12.00"}
	for _, bookgDt := range []string{
		`<Dt>2026-11-23</Dt>`,
		`<Dt>2026-11-23+01:00</Dt>`,
		`<DtTm>2026-11-23T00:30:00+01:00</DtTm>`, // 2026-11-22 in UTC
		`<DtTm>2026-11-23T01:59:59.5+02:00</DtTm>`,
		`<DtTm>2026-11-23T23:30:00-05:00</DtTm>`, // 2026-11-24 in UTC
		`<DtTm>2026-11-23T00:00:00Z</DtTm>`,
		`<DtTm>2026-11-23T23:59:59</DtTm>`,
	} {
		if got := keys(bookgDt); !cmp.Equal(got, want) {
			t.Errorf("BookgDt %s: keys %q, want %q", bookgDt, got, want)
		}
	}
}

// An entry booked net of the charges it includes (ChrgInclInd) whose
// transactions add up to it: they are net too. A single transaction is
// recorded as paid before the charges, as the same entry without details
// or with a transaction without an amount is; among several, charges no
// transaction states as its own cannot be attributed, so each is recorded
// as booked and the charges are listed as skipped.
func TestParseCamt054NetTransactions(t *testing.T) {
	charges := func(amount string) string {
		return `<Chrgs><Rcrd><Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true</ChrgInclInd></Rcrd></Chrgs>`
	}
	entry := func(ref, amount, chrgs string, txs ...string) string {
		details := ""
		if len(txs) > 0 {
			details = `<NtryDtls>` + strings.Join(txs, "") + `</NtryDtls>`
		}
		return `<Ntry><Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
			<BookgDt><Dt>2026-11-23</Dt></BookgDt><AcctSvcrRef>` + ref + `</AcctSvcrRef>` + chrgs + details + `</Ntry>`
	}
	tx := func(ref, amount, chrgs string) string {
		amt := ""
		if amount != "" {
			amt = `<Amt Ccy="SEK">` + amount + `</Amt>`
		}
		return `<TxDtls><Refs><AcctSvcrRef>` + ref + `</AcctSvcrRef></Refs>` + amt + `<CdtDbtInd>CRDT</CdtDbtInd>` + chrgs + `</TxDtls>`
	}
	got, err := ParseCamt054(camtFile("N-1",
		// One payment of 100.00, booked 98.00 net of 2.00, in each form.
		entry("E-1", "98.00", charges("2.00")),
		entry("E-2", "98.00", charges("2.00"), tx("T-2", "", "")),
		entry("E-3", "98.00", charges("2.00"), tx("T-3", "98.00", "")),
		entry("E-4", "98.00", charges("2.00"), tx("T-4", "98.00", charges("2.00"))),
		entry("E-5", "97.00", charges("3.00"), tx("T-5", "97.00", charges("1.00"))),
		entry("E-6", "98.00", charges("2.00"), tx(" E-6 ", "98.00", "")), // keyed by position and amount
		// Several transactions: their own charges are theirs, the rest
		// nobody's.
		entry("E-7", "97.00", charges("3.00"), tx("T-7a", "49.00", charges("1.00")), tx("T-7b", "48.00", charges("2.00"))),
		entry("E-8", "97.00", charges("3.00"), tx("T-8a", "50.00", ""), tx("T-8b", "47.00", "")),
		entry("E-9", "96.00", charges("4.00"), tx("T-9a", "49.00", charges("1.00")), tx("T-9b", "47.00", "")),
	))
	if err != nil {
		t.Fatal(err)
	}
	const acct = "SE4550000000058398257466/2026-11-23/"
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	pay := func(key string, amount int64) Entry {
		return Entry{BankRef: acct + key, Amount: amount, Currency: "SEK", BookedAt: day}
	}
	want := &File{
		Payments: []Entry{
			pay("E-1/1/100.00", 10000), pay("T-2", 10000), pay("T-3", 10000), pay("T-4", 10000), pay("T-5", 10000), pay("E-6/1/100.00", 10000),
			pay("T-7a", 5000), pay("T-7b", 5000),
			pay("T-8a", 5000), pay("T-8b", 4700),
			pay("T-9a", 5000), pay("T-9b", 4700),
		},
		Skipped: []Skip{
			{Location: "Ntfctn[1]/Ntry[8]", BankRef: "E-8", Amount: 300, Currency: "SEK", Reason: SkipCharges},
			{Location: "Ntfctn[1]/Ntry[9]", BankRef: "E-9", Amount: 300, Currency: "SEK", Reason: SkipCharges},
		},
	}
	if diff := cmp.Diff(want, got, ignoreMessages); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
}

func TestParseCamt054Malformed(t *testing.T) {
	b, err := os.ReadFile("testdata/camt054.xml")
	if err != nil {
		t.Fatal(err)
	}
	valid := string(b)
	forms, err := os.ReadFile("testdata/camt054-forms.xml")
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"not XML":             "hello",
		"truncated":           valid[:len(valid)/2],
		"other message":       `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>`,
		"no notification":     `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn/></Document>`,
		"no account":          strings.Replace(valid, "<Acct><Id><Othr><Id>5050-1055</Id></Othr></Id></Acct>", "", 1),
		"too many decimals":   strings.Replace(valid, ">1234.50<", ">1234.501<", 1),
		"negative amount":     strings.Replace(valid, ">1234.50<", ">-1234.50<", 1),
		"bad currency":        strings.Replace(valid, `Ccy="SEK">1234.50`, `Ccy="XXY">1234.50`, 1),
		"bad date":            strings.Replace(valid, "<Dt>2026-11-23</Dt>", "<Dt>23/11/2026</Dt>", 1),
		"bad date-time":       strings.Replace(valid, "2026-11-23T09:00:00Z", "2026-11-23 09:00", 1),
		"bad indicator":       strings.Replace(valid, "<CdtDbtInd>CRDT</CdtDbtInd>", "<CdtDbtInd>CREDIT</CdtDbtInd>", 1),
		"bad reversal":        strings.Replace(string(forms), "<RvslInd>false</RvslInd>", "<RvslInd>no</RvslInd>", 1),
		"bad charge included": strings.Replace(string(forms), "<ChrgInclInd>1</ChrgInclInd>", "<ChrgInclInd>yes</ChrgInclInd>", 1),
		"charges elsewhere":   strings.Replace(string(forms), `<Amt Ccy="SEK">3.00</Amt>`, `<Amt Ccy="EUR">3.00</Amt>`, 1),
		"other currency":      strings.Replace(valid, `<Amt Ccy="SEK">0.05</Amt>`+"\n          <RmtInf>", `<Amt Ccy="EUR">0.05</Amt><RmtInf>`, 1),
		"batch off by one":    strings.Replace(string(forms), `<Amt Ccy="SEK">297.00</Amt>`, `<Amt Ccy="SEK">297.01</Amt>`, 1),
		"long bank ref":       strings.Replace(valid, "<AcctSvcrRef>TX-1</AcctSvcrRef>", "<AcctSvcrRef>"+strings.Repeat("X", 71)+"</AcctSvcrRef>", 1),
	} {
		if _, err := ParseCamt054([]byte(doc)); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("%s: err = %v, want an invalid-input error", name, err)
		}
	}
}

// The decoder never panics and either rejects input or returns valid
// payments and skips.
func FuzzParseCamt054(f *testing.F) {
	for _, name := range []string{"testdata/camt054.xml", "testdata/camt054-forms.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<Document/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ParseCamt054(b)
		if err != nil {
			if kassa.ErrorCode(err) != kassa.EInvalid {
				t.Fatalf("error %v is not invalid input", err)
			}
			return
		}
		for _, e := range file.Payments {
			if e.Amount <= 0 || e.BankRef == "" || e.Currency == "" {
				t.Fatalf("payment %+v", e)
			}
		}
		for _, s := range file.Skipped {
			if s.Reason == "" || s.Message == "" || s.Location == "" {
				t.Fatalf("skip %+v", s)
			}
		}
	})
}
