package invoice

import (
	"testing"

	"github.com/kassa-pay/kassa/money"
	"pgregory.net/rapid"
)

// The schemes' published examples are valid, and a digit changed in them
// is not.
func TestReferenceSchemesPublishedExamples(t *testing.T) {
	for _, tc := range []struct {
		scheme, ref, source string
	}{
		{ReferenceFinnish, "1232", "Finance Finland's reference number guide: base 123"},
		{ReferenceFinnish, "123453", "Finance Finland's reference number guide: base 12345"},
		{ReferenceRF, "RF18539007547034", "ISO 11649's example"},
		{ReferenceRF, "RF712348231", "ISO 11649 (EPC142-08) example"},
		{ReferenceKID, "79927398713", "the MOD10 (Luhn) textbook example Nets' KID specification follows"},
		{ReferenceFIK, "004040400000669", "a FIK +71 code line's payment ID, +71<004040400000669+12345678<"},
		{ReferenceOCR, "1234574", "Bankgirot's OCR with length digit"},
	} {
		if !ValidReference(tc.scheme, tc.ref) || !ValidPaymentReference(tc.ref) {
			t.Errorf("%s %q (%s) is not valid", tc.scheme, tc.ref, tc.source)
		}
		last := tc.ref[len(tc.ref)-1]
		typo := tc.ref[:len(tc.ref)-1] + string('0'+(last-'0'+1)%10)
		if ValidReference(tc.scheme, typo) {
			t.Errorf("%s %q with its check digit changed (%q) is valid", tc.scheme, tc.ref, typo)
		}
	}
	// A FI card's payment ID is the base digits and a check digit: FI
	// card printers document 1 as 18 and 2 as 26.
	for base, want := range map[string]byte{"1": '8', "2": '6', "00404040000066": '9'} {
		if got := luhn(base); got != want {
			t.Errorf("FIK check digit of %s = %c, want %c", base, got, want)
		}
	}
	if got := finnishCheck("12345"); got != '3' {
		t.Errorf("Finnish check digit of 12345 = %c, want 3", got)
	}
	if got := rfReference("539007547034"); got != "RF18539007547034" {
		t.Errorf("rfReference(539007547034) = %s, want RF18539007547034", got)
	}
	for scheme, bad := range map[string]string{
		ReferenceFinnish: "0123", ReferenceRF: "RF18 5390", ReferenceKID: "7", ReferenceFIK: "79927398713", "": "1234574",
	} {
		if ValidReference(scheme, bad) {
			t.Errorf("ValidReference(%q, %q) = true", scheme, bad)
		}
	}
	if ValidReference(ReferenceRF, "RF1853900754703a") || ValidReference(ReferenceRF, "XX18539007547034") {
		t.Error("an RF reference with a lower-case letter or without RF is valid")
	}
}

func TestSchemeFor(t *testing.T) {
	for _, tc := range []struct {
		country string
		cur     money.Currency
		want    string
	}{
		{"SE", "SEK", ReferenceOCR},
		{"FI", "EUR", ReferenceFinnish},
		{"NO", "NOK", ReferenceKID},
		{"DK", "DKK", ReferenceFIK},
		{"SE", "EUR", ReferenceRF},
		{"FI", "SEK", ReferenceRF},
		{"DE", "EUR", ReferenceRF},
		{"", "SEK", ReferenceRF},
	} {
		if got := SchemeFor(tc.country, tc.cur); got != tc.want {
			t.Errorf("SchemeFor(%q, %s) = %q, want %q", tc.country, tc.cur, got, tc.want)
		}
	}
}

// Every scheme's reference made from a document's OCR reference is valid
// under that scheme, survives being written as payers and banks write
// it, and is told apart from the others' of the same base.
func TestPaymentReferenceFor(t *testing.T) {
	ocr := ReferenceFor("doc_1")
	want := map[string]string{
		ReferenceOCR: ocr, ReferenceFinnish: ocr[:14] + string(finnishCheck(ocr[:14])), ReferenceKID: ocr[:14] + string(luhn(ocr[:14])),
		ReferenceFIK: ocr[:14] + string(luhn(ocr[:14])), ReferenceRF: rfReference(ocr[:14]),
	}
	for _, scheme := range schemes {
		got := PaymentReferenceFor(scheme, ocr)
		if got != want[scheme] || !ValidReference(scheme, got) {
			t.Errorf("%s of %s = %q (valid %v), want %q", scheme, ocr, got, ValidReference(scheme, got), want[scheme])
		}
		d := &Document{ReferenceScheme: scheme, PaymentReference: got}
		if n := NormalizeReference(PrintedReference(d)); n != got {
			t.Errorf("%s: the printed %q normalizes to %q", scheme, PrintedReference(d), n)
		}
	}
	if got := len(want[ReferenceFIK]); got != fikLength {
		t.Errorf("a FIK payment ID has %d digits, want %d", got, fikLength)
	}
	rapid.Check(t, func(t *rapid.T) {
		ocr := ReferenceFor(rapid.String().Draw(t, "id"))
		for _, scheme := range schemes {
			if ref := PaymentReferenceFor(scheme, ocr); !ValidReference(scheme, ref) {
				t.Fatalf("%s of %s = %q is not valid", scheme, ocr, ref)
			}
		}
	})
}

func TestNormalizeReference(t *testing.T) {
	for in, want := range map[string]string{
		"rf18 5390 0754 7034":             "RF18539007547034",
		" 12345 3 ":                       "123453",
		"00000000000000123453":            "123453",
		"+71<004040400000669+12345678<":   "4040400000669",
		"+71< 123456789012345 +87654321<": "123456789012345",
		"71<123456789012345":              "123456789012345",
		"1234574":                         "1234574",
		"000":                             "000",
		"Faktura 12":                      "FAKTURA12",
	} {
		if got := NormalizeReference(in); got != want {
			t.Errorf("NormalizeReference(%q) = %q, want %q", in, got, want)
		}
	}
}

// The label follows the scheme, and the OCR's says OCR where bankgiro
// and plusgiro payers type it in.
func TestReferenceLabel(t *testing.T) {
	for _, tc := range []struct {
		d    Document
		want string
	}{
		{Document{ReferenceScheme: ReferenceOCR, Bankgiro: "5050-1055"}, "Payment reference (OCR)"},
		{Document{ReferenceScheme: ReferenceOCR}, "Payment reference"},
		{Document{ReferenceScheme: ReferenceFinnish}, "Reference number"},
		{Document{ReferenceScheme: ReferenceRF}, "Creditor reference (RF)"},
		{Document{ReferenceScheme: ReferenceKID}, "KID"},
		{Document{ReferenceScheme: ReferenceFIK}, "Payment ID (FIK +71)"},
	} {
		if got := ReferenceLabel(&tc.d); got != tc.want {
			t.Errorf("ReferenceLabel(%s) = %q, want %q", tc.d.ReferenceScheme, got, tc.want)
		}
	}
	for scheme, want := range map[string]string{ReferenceRF: "RF18 5390 0754 7034", ReferenceFinnish: "1 23453"} {
		ref := map[string]string{ReferenceRF: "RF18539007547034", ReferenceFinnish: "123453"}[scheme]
		if got := PrintedReference(&Document{ReferenceScheme: scheme, PaymentReference: ref}); got != want {
			t.Errorf("PrintedReference(%s %s) = %q, want %q", scheme, ref, got, want)
		}
	}
}
