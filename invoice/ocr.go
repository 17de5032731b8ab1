package invoice

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/kassa-pay/kassa"
)

// OCR lengths: Bankgirot accepts 2 to 25 digits, check digit included.
const (
	minOCR = 2
	maxOCR = 25
)

// luhn is the 10-modulus check digit of digits: from the right, every
// other digit doubled (its digit sum taken), the total's complement to
// the next ten.
func luhn(digits string) byte {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// NewOCR makes a Swedish OCR payment reference from base digits: base,
// then a length digit (the whole reference's length modulo 10, which lets
// the bank catch a dropped or doubled digit), then the Luhn check digit.
func NewOCR(base string) (string, error) {
	if !isDigits(base) || len(base)+2 > maxOCR {
		return "", kassa.Invalid("base", "an OCR base must be 1 to %d digits", maxOCR-2)
	}
	s := base + strconv.Itoa((len(base)+2)%10)
	return s + string(luhn(s)), nil
}

// referenceDigits is the hashed part of a document reference: with the
// length and check digits it makes 16.
const referenceDigits = 14

// ReferenceFor derives a document's OCR reference from its ID: 14 digits
// from the ID's SHA-256, the first not zero, then the length and check
// digits. The IDs are unique and random, so the references are too, up
// to a clash of one in 10^14 per pair, which the store refuses rather
// than reuse a reference; and they reveal nothing of how many documents a
// merchant issues.
func ReferenceFor(id string) string {
	sum := sha256.Sum256([]byte(id))
	lo := uint64(1) // the smallest number of referenceDigits digits
	for range referenceDigits - 1 {
		lo *= 10
	}
	v := lo + binary.BigEndian.Uint64(sum[:8])%(9*lo)
	ref, _ := NewOCR(strconv.FormatUint(v, 10)) // 14 digits are a valid base
	return ref
}

// ValidOCR reports whether ref is a well-formed OCR reference with a
// correct Luhn check digit and length digit, as NewOCR makes them.
func ValidOCR(ref string) bool {
	n := len(ref)
	if n < minOCR+1 || n > maxOCR || !isDigits(ref) {
		return false
	}
	return luhn(ref[:n-1]) == ref[n-1] && int(ref[n-2]-'0') == n%10
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
