// Package list reads the pages and filters of Kassa's lists (orders,
// documents, payment sessions, notifications, audit events, payment
// collections) from query parameters, the same way for every interface
// that takes them: the API's list routes and the dashboard's pages. A
// page is ?limit= (1 to MaxPage, a default when absent) and ?cursor=,
// opaque to clients: the base64 of the last item's time in unix
// microseconds and its key (docs/api-reference.md, Lists).
package list

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/store"
)

// DefaultPage is a list's page size when ?limit= is absent; MaxPage the
// largest a client may ask for.
const (
	DefaultPage = 50
	MaxPage     = 100
)

// MaxQuery bounds the search text of ?q=.
const MaxQuery = 100

// Cursor is the cursor of a list's item at t with key.
func Cursor(t time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "." + key))
}

// ParseCursor reads a cursor Cursor made; of names the list, for the
// error.
func ParseCursor(s, of string) (time.Time, string, error) {
	bad := kassa.Invalid("cursor", "cursor must be the nextCursor of a page of %s", of)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", bad
	}
	at, key, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || key == "" {
		return time.Time{}, "", bad
	}
	return time.UnixMicro(us).UTC(), key, nil
}

// Limit reads ?limit=: 1 to MaxPage, def when absent.
func Limit(q url.Values, def int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPage {
		return 0, kassa.Invalid("limit", "limit must be a number from 1 to %d", MaxPage)
	}
	return n, nil
}

// Page reads a page's ?limit= and ?cursor= for a list whose items are
// placed by their creation time and ID; of names the list, for the
// error.
func Page(q url.Values, of string) (int, *store.ListPosition, error) {
	limit, err := Limit(q, DefaultPage)
	if err != nil {
		return 0, nil, err
	}
	c := q.Get("cursor")
	if c == "" {
		return limit, nil, nil
	}
	at, id, err := ParseCursor(c, of)
	if err != nil {
		return 0, nil, err
	}
	return limit, &store.ListPosition{CreatedAt: at, ID: id}, nil
}

// Date reads a date filter: an RFC 3339 time, or a date (YYYY-MM-DD),
// which is its midnight UTC.
func Date(q url.Values, param string) (time.Time, error) {
	v := q.Get(param)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, kassa.Invalid(param, "%s must be a date (2026-03-04) or a time in RFC 3339 format (2026-03-04T10:00:00Z)", param)
}

// Bool reads a yes-or-no filter: true, false, or absent (false).
func Bool(q url.Values, param string) (bool, error) {
	switch q.Get(param) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, kassa.Invalid(param, "%s must be true or false", param)
}

// Values reads a filter of one or more of the values allowed,
// comma-separated or repeated.
func Values(q url.Values, param string, allowed []string) ([]string, error) {
	var vs []string
	for _, v := range q[param] {
		if v == "" { // as if absent, as the other filters take it
			continue
		}
		for s := range strings.SplitSeq(v, ",") {
			if !slices.Contains(allowed, s) {
				return nil, kassa.Invalid(param, "%s must be one or more of %s, separated by commas", param, strings.Join(allowed, ", "))
			}
			vs = append(vs, s)
		}
	}
	return vs, nil
}

// Currency reads a currency filter: an ISO 4217 code in any case, or
// absent ("").
func Currency(q url.Values, param string) (string, error) {
	c := q.Get(param)
	if c == "" {
		return "", nil
	}
	cur, err := money.ParseCurrency(c)
	return string(cur), err
}
