package invoice

import (
	"strconv"
	"strings"

	"github.com/kassa-pay/kassa/money"
)

// The payment reference schemes Kassa issues: Document.ReferenceScheme.
// Every document's own reference (Document.Reference) is an OCR number;
// the payment reference is made from the same base digits under the
// scheme the seller's country and the document's currency call for
// (SchemeFor), so it is as unique as the document's reference.
const (
	// ReferenceOCR is the Swedish OCR number (Bankgirot's reference, with
	// its length and Luhn check digits).
	ReferenceOCR = "ocr"
	// ReferenceFinnish is the Finnish national reference number
	// (viitenumero): 3 to 19 digits and a check digit under the weights
	// 7, 3, 1 from the right (Finance Finland's standard).
	ReferenceFinnish = "fi"
	// ReferenceRF is the international structured creditor reference of
	// ISO 11649: "RF", two check digits (ISO 7064 mod 97-10), up to 21
	// letters and digits.
	ReferenceRF = "rf"
	// ReferenceKID is the Norwegian KID (kundeidentifikasjon) with a
	// MOD10 (Luhn) check digit, as Mastercard Payment Services (Nets)
	// specify it: 2 to 25 digits.
	ReferenceKID = "kid"
	// ReferenceFIK is the payment ID of a Danish FI card of type 71
	// (Fælles Indbetalingskort, "+71"): 15 digits, the last a modulus-10
	// check digit with the weights 2, 1 from the right.
	ReferenceFIK = "fik"
)

// fikLength is the length of a type-71 payment ID, check digit included.
const fikLength = 15

// SchemeFor is the payment reference scheme a document uses: the one its
// buyers' banks know for the seller's country and the document's
// currency, the RF creditor reference, which SEPA banks accept, otherwise.
func SchemeFor(sellerCountry string, cur money.Currency) string {
	switch sellerCountry + "/" + string(cur) {
	case "SE/SEK":
		return ReferenceOCR
	case "FI/EUR":
		return ReferenceFinnish
	case "NO/NOK":
		return ReferenceKID
	case "DK/DKK":
		return ReferenceFIK
	}
	return ReferenceRF
}

// PaymentReferenceFor is the payment reference of a document whose own
// reference is the OCR number ocr, under scheme: the OCR number itself,
// or its base digits (without its length and check digits) with the
// scheme's check digits. The base digits are 14 (ReferenceFor), so every
// scheme's form fits.
func PaymentReferenceFor(scheme, ocr string) string {
	base := ocr[:len(ocr)-2]
	switch scheme {
	case ReferenceFinnish:
		return base + string(finnishCheck(base))
	case ReferenceKID, ReferenceFIK:
		return base + string(luhn(base))
	case ReferenceRF:
		return rfReference(base)
	}
	return ocr
}

// ValidReference reports whether ref is well formed under scheme, its
// check digits correct. ref is in its compact form (NormalizeReference).
func ValidReference(scheme, ref string) bool {
	n := len(ref)
	switch scheme {
	case ReferenceOCR:
		return ValidOCR(ref)
	case ReferenceFinnish:
		return n >= 4 && n <= 20 && isDigits(ref) && ref[0] != '0' && finnishCheck(ref[:n-1]) == ref[n-1]
	case ReferenceKID:
		return n >= 2 && n <= 25 && isDigits(ref) && luhn(ref[:n-1]) == ref[n-1]
	case ReferenceFIK:
		return n == fikLength && isDigits(ref) && luhn(ref[:n-1]) == ref[n-1]
	case ReferenceRF:
		return validRF(ref)
	}
	return false
}

// schemes are the schemes a payment's reference may be in.
var schemes = []string{ReferenceOCR, ReferenceFinnish, ReferenceRF, ReferenceKID, ReferenceFIK}

// ValidPaymentReference reports whether ref, in its compact form, is a
// well-formed reference under any scheme Kassa issues: only such a
// reference can be a document's.
func ValidPaymentReference(ref string) bool {
	for _, s := range schemes {
		if ValidReference(s, ref) {
			return true
		}
	}
	return false
}

// NormalizeReference is the compact form of a reference as a payer or a
// bank gives it, the form documents hold: spaces removed, letters in
// upper case (an RF reference may be written "rf18 5390 …"), a FI card's
// code line ("+71<000000000000000+12345678<", or without the creditor
// number) cut to its payment ID, and the zeros some banks pad a numeric
// reference with on the left removed (no reference Kassa issues starts
// with a zero).
func NormalizeReference(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if rest, ok := strings.CutPrefix(strings.TrimPrefix(s, "+"), "71<"); ok {
		s, _, _ = strings.Cut(rest, "+")
		s = strings.TrimSuffix(s, "<")
	}
	if isDigits(s) {
		if t := strings.TrimLeft(s, "0"); t != "" {
			s = t
		}
	}
	return s
}

// ReferenceLabel is what a document calls its payment reference, before
// the reference: the one place the label is chosen, which the PDF and
// the mails print.
func ReferenceLabel(d *Document) string {
	switch d.ReferenceScheme {
	case ReferenceFinnish:
		return "Reference number"
	case ReferenceRF:
		return "Creditor reference (RF)"
	case ReferenceKID:
		return "KID"
	case ReferenceFIK:
		return "Payment ID (FIK +71)"
	}
	// OCR is what the reference is called where bankgiro and plusgiro
	// payers type it in.
	if d.Bankgiro != "" || d.Plusgiro != "" {
		return "Payment reference (OCR)"
	}
	return "Payment reference"
}

// PrintedReference is a document's payment reference as printed: an RF
// reference in groups of four characters and a Finnish reference number
// in groups of five digits from the right, as their standards recommend
// for paper; the others as they are.
func PrintedReference(d *Document) string {
	ref := d.PaymentReference
	switch d.ReferenceScheme {
	case ReferenceRF:
		return group(ref, 4, false)
	case ReferenceFinnish:
		return group(ref, 5, true)
	}
	return ref
}

// group splits s into groups of n characters with spaces, the short group
// first when fromRight.
func group(s string, n int, fromRight bool) string {
	var b strings.Builder
	first := n
	if fromRight && len(s)%n != 0 {
		first = len(s) % n
	}
	for i := 0; i < len(s); {
		end := min(i+first, len(s))
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:end])
		i, first = end, n
	}
	return b.String()
}

// finnishCheck is the Finnish reference number's check digit of digits:
// the digits times 7, 3, 1, 7, 3, 1, … from the right, summed; the
// complement of the sum to the next ten.
func finnishCheck(digits string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := range len(digits) {
		sum += int(digits[len(digits)-1-i]-'0') * weights[i%3]
	}
	return byte('0' + (10-sum%10)%10)
}

// rfReference is the RF creditor reference of body (letters and digits):
// the check digits are 98 less the remainder mod 97 of body + "RF00"
// with its letters as numbers (A = 10 … Z = 35).
func rfReference(body string) string {
	check := 98 - mod97(body+"RF00")
	return "RF" + strconv.Itoa(check/10) + strconv.Itoa(check%10) + body
}

// validRF reports whether ref is an ISO 11649 reference: RF, two check
// digits, 1 to 21 letters and digits, ref moved 4 places left and read as
// a number leaving 1 mod 97.
func validRF(ref string) bool {
	if len(ref) < 5 || len(ref) > 25 || !strings.HasPrefix(ref, "RF") || !isDigits(ref[2:4]) {
		return false
	}
	for i := 4; i < len(ref); i++ {
		if c := ref[i]; (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return mod97(ref[4:]+ref[:4]) == 1
}

// mod97 is s, letters as their numbers (A = 10 … Z = 35), mod 97,
// computed digit by digit. s is upper-case letters and digits.
func mod97(s string) int {
	r := 0
	for i := range len(s) {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}
