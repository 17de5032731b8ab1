package reconcile

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// Entry is one incoming payment as the bank reports it.
type Entry struct {
	// BankRef is the payment's key among the merchant's payments: the
	// same in every file that reports this payment, different for every
	// other payment (see paymentKey).
	BankRef   string
	Reference string // the payer's payment reference, as given
	Amount    int64  // what the payer paid, before charges the bank deducted
	Currency  money.Currency
	BookedAt  time.Time
}

// Why an entry of a bank file, or a transaction of one, is not recorded
// as a payment.
const (
	SkipDebit     = "debit"     // money paid out of the account
	SkipNotBooked = "notBooked" // status other than BOOK (pending, information): not on the account
	SkipReversal  = "reversal"  // RvslInd: the bank undid an earlier booking
	SkipReturn    = "return"    // RtrInf: a payment sent back, not a customer paying
	SkipUnusable  = "unusable"  // a booked credit Kassa cannot record (the message says why)
	SkipCharges   = "charges"   // charges a batch entry includes that none of its transactions states: its payments are recorded net of them
)

// Skip is an entry, or a transaction of one, that is not a payment.
type Skip struct {
	// Location is where it is in the file: in a camt.054 file 1-based as
	// in XPath, Ntfctn[1]/Ntry[2] or Ntfctn[1]/Ntry[2]/TxDtls[3]; in a
	// BgMax file its record's line, "line 7".
	Location  string         `json:"location"`
	BankRef   string         `json:"bankReference,omitempty"` // the bank's reference of it (AcctSvcrRef, else NtryRef)
	Reference string         `json:"paymentReference,omitempty"`
	Amount    int64          `json:"amount"`
	Currency  money.Currency `json:"currency"`
	Reason    string         `json:"reason"` // one of the Skip constants
	Message   string         `json:"message"`
}

// File is what a bank file holds for Kassa: the payments received,
// and everything else it reports, with the reason it is not a payment.
type File struct {
	// Format is the file's format (FormatCamt054, FormatBgMax) when Parse
	// read it; empty for payments that come from no file.
	Format   string
	Payments []Entry
	Skipped  []Skip
}

// The parts of an ISO 20022 camt.054 (bank-to-customer debit/credit
// notification) that payments need. Element names are the same in every
// version Nordic banks send (001.02 to 001.08); where versions differ
// (status as text or as <Cd>, amount directly or under AmtDtls) both
// forms are read.
type camtDoc struct {
	XMLName xml.Name
	Ntfctns []camtNotification `xml:"BkToCstmrDbtCdtNtfctn>Ntfctn"`
}

type camtNotification struct {
	IBAN    string      `xml:"Acct>Id>IBAN"`
	OtherID string      `xml:"Acct>Id>Othr>Id"`
	Entries []camtEntry `xml:"Ntry"`
}

type camtAmount struct {
	Value    string `xml:",chardata"`
	Currency string `xml:"Ccy,attr"`
}

type camtEntry struct {
	NtryRef   string     `xml:"NtryRef"`
	Amt       camtAmount `xml:"Amt"`
	CdtDbtInd string     `xml:"CdtDbtInd"`
	RvslInd   string     `xml:"RvslInd"`
	Status    struct {
		Text        string `xml:",chardata"` // 001.02 to 001.06
		Code        string `xml:"Cd"`        // 001.07 on
		Proprietary string `xml:"Prtry"`
	} `xml:"Sts"`
	BookedDate  string       `xml:"BookgDt>Dt"`
	BookedTime  string       `xml:"BookgDt>DtTm"`
	AcctSvcrRef string       `xml:"AcctSvcrRef"`
	Charges     []camtCharge `xml:"Chrgs>Rcrd"` // 001.03 on; 001.02 cannot say charges are included
	Txs         []camtTx     `xml:"NtryDtls>TxDtls"`
}

type camtCharge struct {
	Amt       camtAmount `xml:"Amt"`
	CdtDbtInd string     `xml:"CdtDbtInd"`
	Included  string     `xml:"ChrgInclInd"`
}

type camtTx struct {
	AcctSvcrRef string       `xml:"Refs>AcctSvcrRef"`
	Amt         *camtAmount  `xml:"Amt"`
	TxAmt       *camtAmount  `xml:"AmtDtls>TxAmt>Amt"`
	CdtDbtInd   string       `xml:"CdtDbtInd"`
	Charges     []camtCharge `xml:"Chrgs>Rcrd"`
	StructRef   []string     `xml:"RmtInf>Strd>CdtrRefInf>Ref"`
	Unstruct    []string     `xml:"RmtInf>Ustrd"`
	Return      *struct {
		Code        string `xml:"Rsn>Cd"`
		Proprietary string `xml:"Rsn>Prtry"`
	} `xml:"RtrInf"`
}

// reference is the payer's payment reference: the structured creditor
// reference, else the unstructured remittance text, spaces removed.
func (tx *camtTx) reference() string {
	ref := firstNonEmpty(tx.StructRef...)
	if ref == "" {
		ref = firstNonEmpty(tx.Unstruct...)
	}
	return strings.ReplaceAll(ref, " ", "")
}

// maxRef bounds each reference a payment's key is built from (account,
// entry and transaction references): ISO 20022 allows 35 characters, and
// the room above that is for what banks append. It keeps a key short
// enough for the stores' unique index.
const maxRef = 70

// ParseCamt054 reads a camt.054 file: its booked credits are payments;
// debits, entries not booked, reversals, returns and credits Kassa cannot
// record are skipped, each with the reason. A file that is not a
// well-formed camt.054 (or whose batches do not add up) is rejected whole,
// so an import applies all of it or nothing.
func ParseCamt054(b []byte) (*File, error) {
	var doc camtDoc
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&doc); err != nil {
		return nil, kassa.Invalid("file", "the file is not well-formed XML: %v", err)
	}
	if doc.XMLName.Local != "Document" || !strings.Contains(doc.XMLName.Space, "camt.054") {
		return nil, kassa.Invalid("file", "the file is not a camt.054 document (root %s %q)", doc.XMLName.Local, doc.XMLName.Space)
	}
	if len(doc.Ntfctns) == 0 {
		return nil, kassa.Invalid("file", "the camt.054 document has no notification (BkToCstmrDbtCdtNtfctn/Ntfctn)")
	}
	p := parser{accounts: make([]string, len(doc.Ntfctns)), txRefs: map[[2]string]int{}}
	for ni, n := range doc.Ntfctns {
		p.accounts[ni] = firstNonEmpty(n.IBAN, n.OtherID)
		if p.accounts[ni] == "" {
			return nil, kassa.Invalid("file", "Ntfctn[%d] names no account (Acct/Id/IBAN or Acct/Id/Othr/Id)", ni+1)
		}
		if len(p.accounts[ni]) > maxRef {
			return nil, kassa.Invalid("file", "Ntfctn[%d]: the account is longer than %d characters", ni+1, maxRef)
		}
		for ei, e := range n.Entries {
			if len(e.AcctSvcrRef) > maxRef || len(e.NtryRef) > maxRef {
				return nil, kassa.Invalid("file", "Ntfctn[%d]/Ntry[%d]: a reference (AcctSvcrRef, NtryRef) is longer than %d characters", ni+1, ei+1, maxRef)
			}
			for ti, tx := range e.Txs {
				if len(tx.AcctSvcrRef) > maxRef {
					return nil, kassa.Invalid("file", "Ntfctn[%d]/Ntry[%d]/TxDtls[%d]: AcctSvcrRef is longer than %d characters", ni+1, ei+1, ti+1, maxRef)
				}
				if ref := strings.TrimSpace(tx.AcctSvcrRef); ref != "" {
					p.txRefs[[2]string{p.accounts[ni], ref}]++
				}
			}
		}
	}
	p.file.Payments, p.file.Skipped = []Entry{}, []Skip{}
	for ni, n := range doc.Ntfctns {
		for ei := range n.Entries {
			if err := p.entry(fmt.Sprintf("Ntfctn[%d]/Ntry[%d]", ni+1, ei+1), p.accounts[ni], &n.Entries[ei]); err != nil {
				return nil, err
			}
		}
	}
	return &p.file, nil
}

type parser struct {
	accounts []string          // each notification's account
	txRefs   map[[2]string]int // how many transactions of an account carry an AcctSvcrRef
	file     File
}

// entry reads one entry into p.file, or rejects the file.
func (p *parser) entry(where, account string, e *camtEntry) error {
	invalid := func(at, format string, args ...any) error {
		return kassa.Invalid("file", "%s: %s", at, fmt.Sprintf(format, args...))
	}
	if e.CdtDbtInd != "CRDT" && e.CdtDbtInd != "DBIT" {
		return invalid(where, "CdtDbtInd %q is neither CRDT nor DBIT", e.CdtDbtInd)
	}
	cur, amount, err := parseAmount(e.Amt)
	if err != nil {
		return invalid(where, "%v", err)
	}
	reversal, err := parseBool(e.RvslInd)
	if err != nil {
		return invalid(where, "RvslInd: %v", err)
	}
	skipEntry := func(reason, format string, args ...any) {
		s := Skip{Location: where, BankRef: firstNonEmpty(e.AcctSvcrRef, e.NtryRef), Amount: amount, Currency: cur, Reason: reason, Message: fmt.Sprintf(format, args...)}
		if len(e.Txs) == 1 {
			s.Reference = e.Txs[0].reference()
		}
		p.file.Skipped = append(p.file.Skipped, s)
	}
	switch status := firstNonEmpty(e.Status.Code, e.Status.Proprietary, e.Status.Text); {
	case status != "BOOK":
		skipEntry(SkipNotBooked, "status %q: not booked on the account", status)
		return nil
	case reversal && e.CdtDbtInd == "DBIT":
		skipEntry(SkipReversal, "the reversal of a credit; a payment Kassa recorded for that credit is not undone")
		return nil
	case reversal:
		skipEntry(SkipReversal, "the reversal of a debit: money back, not a customer's payment")
		return nil
	case e.CdtDbtInd == "DBIT":
		skipEntry(SkipDebit, "a debit: money paid out")
		return nil
	}
	booked, ok, err := bookingTime(e.BookedDate, e.BookedTime)
	switch {
	case err != nil:
		return invalid(where, "%v", err)
	case !ok:
		skipEntry(SkipUnusable, "no booking date (BookgDt)")
		return nil
	}
	charges, err := includedCharges(e.Charges, cur)
	if err != nil {
		return invalid(where, "%v", err)
	}
	if len(e.Txs) == 0 {
		// No details: the entry is one payment, without a reference.
		p.pay(where, account, booked, e, 1, &camtTx{}, amount+charges, cur)
		return nil
	}

	type tx struct {
		credit          bool
		amount, charges int64 // as booked, and the charges it includes
	}
	txs := make([]tx, len(e.Txs))
	var sum int64
	for i := range e.Txs {
		t, at := &e.Txs[i], fmt.Sprintf("%s/TxDtls[%d]", where, i+1)
		ind := cmp.Or(strings.TrimSpace(t.CdtDbtInd), e.CdtDbtInd)
		if ind != "CRDT" && ind != "DBIT" {
			return invalid(at, "CdtDbtInd %q is neither CRDT nor DBIT", ind)
		}
		txs[i].credit = ind == "CRDT"
		switch a := cmp.Or(t.Amt, t.TxAmt); {
		case a != nil:
			var c money.Currency
			if c, txs[i].amount, err = parseAmount(*a); err != nil {
				return invalid(at, "%v", err)
			}
			if c != cur {
				return invalid(at, "the amount is in %s, the entry's in %s", c, cur)
			}
		case len(e.Txs) == 1:
			txs[i].amount = amount + charges // the entry's, before its charges
		default:
			skipEntry(SkipUnusable, "transaction %d has no amount, so the entry cannot be split into its payments", i+1)
			return nil
		}
		if txs[i].charges, err = includedCharges(t.Charges, cur); err != nil {
			return invalid(at, "%v", err)
		}
		if txs[i].credit {
			sum += txs[i].amount
		} else {
			sum -= txs[i].amount
		}
		if sum > 1<<62 || sum < -1<<62 { // each amount is below 2^48: no overflow before this
			return invalid(where, "its transactions sum to more than an entry can book")
		}
	}
	// A batch entry books the sum of its transactions, or that less the
	// charges it includes (then the transactions are before charges);
	// anything else means the file is damaged.
	beforeCharges := false
	switch {
	case sum == amount:
		// The transactions are net of the entry's charges too. Each gets
		// back the charges it states as its own; the rest are the one
		// transaction's in a single-transaction entry, so it records what
		// the entry without details would. Among several transactions
		// nothing says whose they are: each is recorded as booked, and the
		// answer lists the charges left out.
		unattributed := charges
		for _, t := range txs {
			unattributed -= t.charges
		}
		switch {
		case unattributed <= 0:
		case len(txs) == 1:
			txs[0].charges += unattributed
		default:
			p.file.Skipped = append(p.file.Skipped, Skip{
				Location: where, BankRef: firstNonEmpty(e.AcctSvcrRef, e.NtryRef), Amount: unattributed, Currency: cur, Reason: SkipCharges,
				Message: fmt.Sprintf("the bank's charges of %s included in this entry are not attributed to its %d transactions: each payment is recorded as booked, net of its share of them",
					money.Decimal(unattributed, cur), len(txs)),
			})
		}
	case charges != 0 && sum-charges == amount:
		beforeCharges = true
	default:
		return invalid(where, "books %s but its transactions sum to %s", money.Decimal(amount, cur), money.Decimal(sum, cur))
	}
	for i, t := range txs {
		at, txd := fmt.Sprintf("%s/TxDtls[%d]", where, i+1), &e.Txs[i]
		skip := func(reason, format string, args ...any) {
			p.file.Skipped = append(p.file.Skipped, Skip{
				Location: at, BankRef: firstNonEmpty(txd.AcctSvcrRef, e.AcctSvcrRef, e.NtryRef), Reference: txd.reference(),
				Amount: t.amount, Currency: cur, Reason: reason, Message: fmt.Sprintf(format, args...),
			})
		}
		switch {
		case !t.credit:
			skip(SkipDebit, "a debit in a credit entry: money paid out")
		case txd.Return != nil:
			skip(SkipReturn, "a returned payment (reason %s): money back, not a customer's payment",
				cmp.Or(firstNonEmpty(txd.Return.Code, txd.Return.Proprietary), "not given"))
		case beforeCharges:
			p.pay(at, account, booked, e, i+1, txd, t.amount, cur)
		default:
			p.pay(at, account, booked, e, i+1, txd, t.amount+t.charges, cur)
		}
	}
	return nil
}

// pay records transaction pos (from 1) of entry e as a payment of amount,
// or skips it when Kassa cannot.
func (p *parser) pay(at, account string, booked booking, e *camtEntry, pos int, tx *camtTx, amount int64, cur money.Currency) {
	ref, key := tx.reference(), p.paymentKey(account, booked.day, e, pos, tx.AcctSvcrRef, amount, cur)
	skip := func(message string) {
		p.file.Skipped = append(p.file.Skipped, Skip{
			Location: at, BankRef: firstNonEmpty(tx.AcctSvcrRef, e.AcctSvcrRef, e.NtryRef), Reference: ref,
			Amount: amount, Currency: cur, Reason: SkipUnusable, Message: message,
		})
	}
	switch {
	case amount <= 0:
		skip("no amount to record")
	case amount > money.MaxAmount:
		skip("an amount larger than Kassa records")
	case key == "":
		skip("no bank reference (AcctSvcrRef or NtryRef) by which to recognise it when a file reports it again")
	default:
		p.file.Payments = append(p.file.Payments, Entry{BankRef: key, Reference: ref, Amount: amount, Currency: cur, BookedAt: booked.instant})
	}
}

// paymentKey is a payment's BankRef: stable across files, so a file
// imported again (or a later file reporting the same payment) is
// recognised, and unique per transaction, so no payment is taken for
// another. It is
//
//   - ACCOUNT/BOOKINGDATE/TXREF when the transaction has an account
//     servicer reference of its own: one no other transaction of the
//     account in the file has, and not its entry's (some banks repeat the
//     entry's in each transaction of a batch). Such a key stays the same
//     when a later file reports the transaction in another entry.
//   - ACCOUNT/BOOKINGDATE/ENTRYREF/POSITION/AMOUNT otherwise: the entry's
//     reference (AcctSvcrRef, else NtryRef), the transaction's position
//     in it, from 1, and its amount.
//   - "" when the entry has no reference either.
//
// BOOKINGDATE is the booking date as the bank wrote it (booking.day), the
// same whether a file gives it as a date or as a date-time.
// The end-to-end id is never part of it: the payer sets it, and
// NOTPROVIDED is a common placeholder.
func (p *parser) paymentKey(account, day string, e *camtEntry, pos int, txRef string, amount int64, cur money.Currency) string {
	txRef = strings.TrimSpace(txRef)
	if txRef != "" && txRef != strings.TrimSpace(e.AcctSvcrRef) && p.txRefs[[2]string{account, txRef}] == 1 {
		return account + "/" + day + "/" + txRef
	}
	entryRef := firstNonEmpty(e.AcctSvcrRef, e.NtryRef)
	if entryRef == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s/%d/%s", account, day, entryRef, pos, money.Decimal(amount, cur))
}

// includedCharges is the sum of the charges records that say they are
// included in the amount (ChrgInclInd), debits less credits: what the
// bank deducted from a credit.
func includedCharges(records []camtCharge, cur money.Currency) (int64, error) {
	var sum int64
	for _, r := range records {
		included, err := parseBool(r.Included)
		if err != nil {
			return 0, fmt.Errorf("ChrgInclInd: %w", err)
		}
		if !included {
			continue
		}
		c, n, err := parseAmount(r.Amt)
		switch {
		case err != nil:
			return 0, fmt.Errorf("charges: %w", err)
		case c != cur:
			return 0, fmt.Errorf("charges included in the amount are in %s, the amount in %s", c, cur)
		case strings.TrimSpace(r.CdtDbtInd) == "CRDT":
			sum -= n
		default:
			sum += n
		}
		if sum > money.MaxAmount || sum < -money.MaxAmount {
			return 0, fmt.Errorf("charges included in the amount are out of range")
		}
	}
	return sum, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// parseBool reads an xs:boolean; absent is false.
func parseBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// booking is when an entry was booked.
type booking struct {
	instant time.Time // in UTC
	// day is the booking date as the bank wrote it: the calendar day in
	// the bank's own time zone, whichever form BookgDt has. A payment's
	// key is built from it, so a file reporting the booking as a date and
	// another reporting it as a date-time give the same key.
	day string
}

// bookingTime reads BookgDt: an ISO date, with an optional time zone, or
// an ISO date-time. A date's instant is its midnight UTC; a date-time
// with a UTC offset is converted to UTC, one without (local time in a
// zone the file does not name) is read as UTC. ok is false when there is
// neither form.
func bookingTime(date, dateTime string) (b booking, ok bool, err error) {
	if date = strings.TrimSpace(date); date != "" {
		for _, layout := range []string{time.DateOnly, "2006-01-02Z07:00"} {
			if t, err := time.Parse(layout, date); err == nil {
				return booking{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), t.Format(time.DateOnly)}, true, nil
			}
		}
		return booking{}, false, fmt.Errorf("booking date %q is not YYYY-MM-DD", date)
	}
	if dateTime = strings.TrimSpace(dateTime); dateTime != "" {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, dateTime); err == nil {
				// t keeps the offset the file wrote, so its date is the bank's.
				return booking{t.UTC(), t.Format(time.DateOnly)}, true, nil
			}
		}
		return booking{}, false, fmt.Errorf("booking time %q is not an ISO date-time", dateTime)
	}
	return booking{}, false, nil
}

// parseAmount reads an ISO 20022 decimal amount exactly: "1234.5" SEK is
// 123450 minor units. Zeros past the currency's decimals are exact
// ("1234.500"); any other digit there is an error.
func parseAmount(a camtAmount) (money.Currency, int64, error) {
	cur, err := money.ParseCurrency(a.Currency)
	if err != nil {
		return "", 0, fmt.Errorf("amount currency %q is not an ISO 4217 code", a.Currency)
	}
	v := strings.TrimSpace(a.Value)
	whole, frac, _ := strings.Cut(v, ".")
	digits := cur.Digits()
	if len(frac) > digits && strings.Trim(frac[digits:], "0") == "" {
		frac = frac[:digits]
	}
	if whole == "" || len(frac) > digits || !allDigits(whole) || !allDigits(frac) || len(whole) > 15 {
		return "", 0, fmt.Errorf("amount %q is not a decimal of at least 0 with at most %d decimals", v, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > money.MaxAmount {
		return "", 0, fmt.Errorf("amount %q is out of range", v)
	}
	return cur, n, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
