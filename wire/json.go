// Package wire is what Kassa's HTTP interfaces (the API, the buyer's
// checkout pages) share about the wire: the lenient JSON types Ledyer's
// clients need (Int, Str), the customer as they send it, the text rule
// every request is held to, reading and decoding bodies, and the one
// mapping of error codes to HTTP statuses and error bodies.
package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/kassa-pay/kassa"
)

// Int is an integer field as Ledyer's clients send it: a JSON integer, a
// float such as 510000.0 or 1666.6666666666667, or a numeric string such
// as "100000". Fractions are rounded half away from zero, exactly: the
// digits are never converted to a float.
type Int struct {
	V       int64
	Set     bool // present and not null
	Rounded bool // had a non-zero fraction
}

// maxWireInt bounds decoded integers well inside int64; the domain's own
// bounds are tighter still.
const maxWireInt = 1_000_000_000_000_000_000

func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = Int{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return errNotNumber
		}
		s = strings.TrimSpace(s)
	}
	v, rounded, err := parseDecimal(s)
	if err != nil {
		return err
	}
	*n = Int{V: v, Set: true, Rounded: rounded}
	return nil
}

var (
	errNotNumber  = kassa.Errorf(kassa.EInvalid, "not a number")
	errOutOfRange = kassa.Errorf(kassa.EInvalid, "number out of range")
)

// parseDecimal parses [-+]digits[.digits][e[-+]digits] and rounds it to an
// integer half away from zero.
func parseDecimal(s string) (v int64, rounded bool, err error) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, perr := strconv.Atoi(s[i+1:])
		if perr != nil || e > 40 || e < -40 {
			return 0, false, errNotNumber
		}
		exp = e
	}
	whole, frac, _ := strings.Cut(mant, ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		return 0, false, errNotNumber
	}
	// Shift the decimal point by exp: digits = whole+frac, point after
	// len(whole)+exp digits.
	all := whole + frac
	point := len(whole) + exp
	switch {
	case point < 0:
		all = strings.Repeat("0", -point) + all
		point = 0
	case point > len(all):
		all += strings.Repeat("0", point-len(all))
	}
	intPart, fracPart := strings.TrimLeft(all[:point], "0"), all[point:]
	if len(intPart) > 19 {
		return 0, false, errOutOfRange
	}
	var u uint64
	for _, c := range intPart {
		u = u*10 + uint64(c-'0')
	}
	if fracPart != "" && fracPart[0] >= '5' {
		u++
	}
	if u > maxWireInt {
		return 0, false, errOutOfRange
	}
	v = int64(u)
	if neg {
		v = -v
	}
	return v, strings.Trim(fracPart, "0") != "", nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Str is a string field that also accepts a JSON number or boolean, kept
// as its literal text (shops send numeric product IDs as references), and
// null as "".
type Str string

func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9' || string(b) == "true" || string(b) == "false"):
		*s = Str(b)
	default:
		return kassa.Errorf(kassa.EInvalid, "not a string")
	}
	return nil
}

// Ptr returns a pointer to the string, or nil when the field was absent
// (absent and empty cannot be told apart; for optional updates empty means
// "clear", which is what the clients that send empty strings intend).
func (s *Str) Ptr() *string {
	if s == nil {
		return nil
	}
	v := string(*s)
	return &v
}
