package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/kassa-pay/kassa"
)

// Text rule: text a request carries into Kassa is UTF-8 without NUL.
// PostgreSQL's text refuses anything else and SQLite would store it, so
// the API refuses it at intake, for both stores alike: in the body
// (ReadBody), the URL's path and query (CheckURL) and headers
// taken as data (Idempotency-Key, the Basic-auth client id).

// ValidText reports whether s is UTF-8 without NUL.
func ValidText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// nulEscape is JSON's escape for NUL, which decoding turns into the
// character PostgreSQL cannot store.
var nulEscape = []byte(`\u0000`)

// CheckBody refuses a body that is not UTF-8 text without NUL, JSON's
// \u0000 escape included. A good body costs a few linear scans; only a
// bad one is looked at again, to name the JSON member at fault. In a body that is not JSON (a camt.054 file), \u0000 is not
// an escape, but nothing a bank writes holds it.
func CheckBody(body []byte) error {
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

// CheckURL applies the text rule to the decoded path and query
// parameters: path values and query values are looked up and stored as
// text, and nothing Kassa issues holds anything else.
func CheckURL(u *url.URL) error {
	if !ValidText(u.Path) {
		return kassa.Errorf(kassa.EInvalid, "the URL path must be UTF-8 text without NUL characters")
	}
	if u.RawQuery == "" {
		return nil
	}
	for k, vs := range u.Query() {
		if !ValidText(k) {
			return kassa.Errorf(kassa.EInvalid, "the URL's query parameter names must be UTF-8 text without NUL characters")
		}
		for _, v := range vs {
			if !ValidText(v) {
				return kassa.Invalid(k, "the query parameter %s must be UTF-8 text without NUL characters", k)
			}
		}
	}
	return nil
}
