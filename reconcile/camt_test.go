package reconcile

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
)

func TestParseCamt054(t *testing.T) {
	b, err := os.ReadFile("testdata/camt054.xml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCamt054(b)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	want := []Entry{
		{BankRef: "TX-1", Reference: "5550001234567852", Amount: 123450, Currency: "SEK", BookedAt: day},
		{BankRef: "E2E-2", Reference: "9999", Amount: 5, Currency: "SEK", BookedAt: day},
		{BankRef: "NTRY-3/0", Reference: "12345", Amount: 100000, Currency: "SEK", BookedAt: day.Add(9 * time.Hour)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestParseCamt054Malformed(t *testing.T) {
	valid, err := os.ReadFile("testdata/camt054.xml")
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"not XML":           "hello",
		"truncated":         string(valid[:len(valid)/2]),
		"other message":     `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>`,
		"no notification":   `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn/></Document>`,
		"too many decimals": strings.Replace(string(valid), ">1234.50<", ">1234.501<", 1),
		"negative amount":   strings.Replace(string(valid), ">1234.50<", ">-1234.50<", 1),
		"bad currency":      strings.Replace(string(valid), `Ccy="SEK">1234.50`, `Ccy="XXY">1234.50`, 1),
		"bad date":          strings.Replace(string(valid), "<Dt>2026-11-23</Dt>", "<Dt>23/11/2026</Dt>", 1),
		"bad indicator":     strings.Replace(string(valid), "<CdtDbtInd>CRDT</CdtDbtInd>", "<CdtDbtInd>CREDIT</CdtDbtInd>", 1),
		"long bank ref":     strings.Replace(string(valid), "<AcctSvcrRef>TX-1</AcctSvcrRef>", "<AcctSvcrRef>"+strings.Repeat("X", 201)+"</AcctSvcrRef>", 1),
	} {
		if _, err := ParseCamt054([]byte(doc)); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("%s: err = %v, want an invalid-input error", name, err)
		}
	}
}

// The decoder never panics and either rejects input or returns valid
// entries.
func FuzzParseCamt054(f *testing.F) {
	valid, err := os.ReadFile("testdata/camt054.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte("<Document/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseCamt054(b)
		if err != nil {
			if kassa.ErrorCode(err) != kassa.EInvalid {
				t.Fatalf("error %v is not invalid input", err)
			}
			return
		}
		for _, e := range entries {
			if e.Amount <= 0 || e.BankRef == "" || e.Currency == "" {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}
