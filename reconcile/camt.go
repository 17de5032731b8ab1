package reconcile

import (
	"bytes"
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
	BankRef   string // the bank's unique reference of the transaction
	Reference string // the payer's payment reference (OCR)
	Amount    int64
	Currency  money.Currency
	BookedAt  time.Time
}

// The parts of an ISO 20022 camt.054 (bank-to-customer debit/credit
// notification) that payments need. Element names are the same in every
// version Nordic banks send (001.02 to 001.08); where versions differ
// (status as text or as <Cd>, amount directly or under AmtDtls) both
// forms are read.
type camtDoc struct {
	XMLName xml.Name
	Ntfctns []struct {
		Entries []camtEntry `xml:"Ntry"`
	} `xml:"BkToCstmrDbtCdtNtfctn>Ntfctn"`
}

type camtAmount struct {
	Value    string `xml:",chardata"`
	Currency string `xml:"Ccy,attr"`
}

type camtEntry struct {
	Amt       camtAmount `xml:"Amt"`
	CdtDbtInd string     `xml:"CdtDbtInd"`
	Status    struct {
		Text string `xml:",chardata"` // 001.02 to 001.06
		Code string `xml:"Cd"`        // 001.07 on
	} `xml:"Sts"`
	BookedDate  string   `xml:"BookgDt>Dt"`
	BookedTime  string   `xml:"BookgDt>DtTm"`
	AcctSvcrRef string   `xml:"AcctSvcrRef"`
	Txs         []camtTx `xml:"NtryDtls>TxDtls"`
}

type camtTx struct {
	AcctSvcrRef string      `xml:"Refs>AcctSvcrRef"`
	EndToEndID  string      `xml:"Refs>EndToEndId"`
	Amt         *camtAmount `xml:"Amt"`
	TxAmt       *camtAmount `xml:"AmtDtls>TxAmt>Amt"`
	CdtDbtInd   string      `xml:"CdtDbtInd"`
	StructRef   []string    `xml:"RmtInf>Strd>CdtrRefInf>Ref"`
	Unstruct    []string    `xml:"RmtInf>Ustrd"`
}

// maxBankRef bounds a bank reference, the key a payment is recognised by
// on re-import: ISO 20022 allows 35 characters; 200 leaves room for what
// banks append.
const maxBankRef = 200

// ParseCamt054 reads the incoming (credit) payments of a camt.054 file.
// Booked credits only: debits and pending entries are not money received.
// Any malformed part rejects the whole file, so an import applies all of
// it or nothing.
func ParseCamt054(b []byte) ([]Entry, error) {
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
	var out []Entry
	for ni, n := range doc.Ntfctns {
		for ei, e := range n.Entries {
			where := fmt.Sprintf("Ntfctn[%d]/Ntry[%d]", ni, ei)
			if e.CdtDbtInd != "CRDT" && e.CdtDbtInd != "DBIT" {
				return nil, kassa.Invalid("file", "%s: CdtDbtInd %q is neither CRDT nor DBIT", where, e.CdtDbtInd)
			}
			status := firstNonEmpty(e.Status.Code, e.Status.Text)
			if e.CdtDbtInd != "CRDT" || status != "BOOK" {
				continue
			}
			booked, err := bookingTime(e.BookedDate, e.BookedTime)
			if err != nil {
				return nil, kassa.Invalid("file", "%s: %v", where, err)
			}
			_, entryAmount, err := parseAmount(e.Amt)
			if err != nil {
				return nil, kassa.Invalid("file", "%s: %v", where, err)
			}
			txs := e.Txs
			if len(txs) == 0 {
				return nil, kassa.Invalid("file", "%s has no transaction details (NtryDtls/TxDtls) to match", where)
			}
			var sum int64
			first := len(out)
			for ti, tx := range txs {
				at := fmt.Sprintf("%s/TxDtls[%d]", where, ti)
				if tx.CdtDbtInd == "DBIT" {
					continue
				}
				amt := tx.Amt
				if amt == nil {
					amt = tx.TxAmt
				}
				if amt == nil && len(txs) == 1 {
					amt = &e.Amt
				}
				if amt == nil {
					return nil, kassa.Invalid("file", "%s has no amount", at)
				}
				cur, minor, err := parseAmount(*amt)
				if err != nil {
					return nil, kassa.Invalid("file", "%s: %v", at, err)
				}
				ref := firstNonEmpty(tx.StructRef...)
				if ref == "" {
					ref = firstNonEmpty(tx.Unstruct...)
				}
				bankRef := firstNonEmpty(tx.AcctSvcrRef, tx.EndToEndID)
				if bankRef == "" {
					if e.AcctSvcrRef == "" {
						return nil, kassa.Invalid("file", "%s has no bank reference (AcctSvcrRef or EndToEndId), so a re-import could not be recognised", at)
					}
					bankRef = fmt.Sprintf("%s/%d", e.AcctSvcrRef, ti)
				}
				if len(bankRef) > maxBankRef {
					return nil, kassa.Invalid("file", "%s: the bank reference is longer than %d characters", at, maxBankRef)
				}
				sum += minor
				out = append(out, Entry{BankRef: bankRef, Reference: strings.ReplaceAll(ref, " ", ""), Amount: minor, Currency: cur, BookedAt: booked})
			}
			// A batch entry books the sum of its transactions; anything
			// else means the file is damaged.
			if len(out) > first && sum != entryAmount {
				return nil, kassa.Invalid("file", "%s books %s but its transactions sum to %s", where, e.Amt.Value, money.Decimal(sum, out[first].Currency))
			}
		}
	}
	return out, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func bookingTime(date, dateTime string) (time.Time, error) {
	if date = strings.TrimSpace(date); date != "" {
		t, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return time.Time{}, fmt.Errorf("booking date %q is not YYYY-MM-DD", date)
		}
		return t, nil
	}
	if dateTime = strings.TrimSpace(dateTime); dateTime != "" {
		t, err := time.Parse(time.RFC3339, dateTime)
		if err != nil {
			return time.Time{}, fmt.Errorf("booking time %q is not an ISO date-time", dateTime)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("no booking date (BookgDt)")
}

// parseAmount reads an ISO 20022 decimal amount exactly: "1234.5" SEK is
// 123450 minor units; more decimals than the currency has is an error.
func parseAmount(a camtAmount) (money.Currency, int64, error) {
	cur, err := money.ParseCurrency(a.Currency)
	if err != nil {
		return "", 0, fmt.Errorf("amount currency %q is not an ISO 4217 code", a.Currency)
	}
	v := strings.TrimSpace(a.Value)
	whole, frac, _ := strings.Cut(v, ".")
	digits := cur.Digits()
	if whole == "" || len(frac) > digits || !allDigits(whole) || !allDigits(frac) || len(whole) > 15 {
		return "", 0, fmt.Errorf("amount %q is not a positive decimal with at most %d decimals", v, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n <= 0 || n > money.MaxAmount {
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
