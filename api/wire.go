package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

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

// ptr returns a pointer to the string, or nil when the field was absent
// (absent and empty cannot be told apart; for optional updates empty means
// "clear", which is what the clients that send empty strings intend).
func (s *Str) ptr() *string {
	if s == nil {
		return nil
	}
	v := string(*s)
	return &v
}

// Text rule: text a request carries into Kassa is UTF-8 without NUL.
// PostgreSQL's text refuses anything else and SQLite would store it, so
// the API refuses it at intake, for both stores alike: in the body
// (readBody), the URL's path and query (Server.ServeHTTP) and headers
// taken as data (Idempotency-Key, the Basic-auth client id).

// validText reports whether s is UTF-8 without NUL.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// nulEscape is JSON's escape for NUL, which decoding turns into the
// character PostgreSQL cannot store.
var nulEscape = []byte(`\u0000`)

// checkBody refuses a body that is not UTF-8 text without NUL, JSON's
// \u0000 escape included. A good body costs a few linear scans; only a
// bad one is looked at again, to name the JSON member at fault. In a body that is not JSON (a camt.054 file), \u0000 is not
// an escape, but nothing a bank writes holds it.
func checkBody(body []byte) error {
	bad := -1
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		bad = badTextAt(body)
	} else if bytes.Contains(body, nulEscape) {
		bad = nulEscapeAt(body)
	}
	if bad < 0 {
		return nil
	}
	if param := jsonParamAt(body, bad); param != "" {
		return kassa.Invalid(param, "%s must be UTF-8 text without NUL characters", param)
	}
	return kassa.Errorf(kassa.EInvalid, "the request body must be UTF-8 text without NUL characters (byte %d is not)", bad)
}

// badTextAt is the offset of the first invalid UTF-8 or NUL byte in b.
func badTextAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0 || r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// nulEscapeAt is the offset of the first \u0000 escape in b, -1 if none:
// a backslash that is itself escaped (\\u0000) starts no escape.
func nulEscapeAt(b []byte) int {
	for from := 0; ; {
		i := bytes.Index(b[from:], nulEscape)
		if i < 0 {
			return -1
		}
		i += from
		slashes := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			slashes++
		}
		if slashes%2 == 0 {
			return i
		}
		from = i + 1
	}
}

// jsonParamAt names the member of the JSON document b whose key or
// string value holds byte offset at, the way error params name fields
// (customer.companyId, orderLines[0].reference); "" when b is not JSON up
// to there or at is not inside a string.
func jsonParamAt(b []byte, at int) string {
	type level struct {
		key      string
		index    int
		inObject bool
		wantKey  bool
	}
	path := func(stack []level) string {
		var p strings.Builder
		for _, l := range stack {
			if l.inObject {
				if p.Len() > 0 {
					p.WriteByte('.')
				}
				p.WriteString(l.key)
			} else {
				fmt.Fprintf(&p, "[%d]", l.index)
			}
		}
		return p.String()
	}
	d := json.NewDecoder(bytes.NewReader(b))
	var stack []level
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		inside := int64(at) >= start && int64(at) < d.InputOffset()
		var top *level
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].inObject {
				stack[len(stack)-1].wantKey = true
			}
			continue
		}
		if top != nil && top.inObject && top.wantKey {
			if inside { // a bad key: name its object
				return path(stack[:len(stack)-1])
			}
			top.key, top.wantKey = tok.(string), false
			continue
		}
		if top != nil && !top.inObject {
			top.index++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{inObject: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, level{index: -1})
			continue
		}
		if inside {
			return path(stack)
		}
		if top != nil && top.inObject {
			top.wantKey = true
		}
	}
}
