package list_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/list"
)

func TestPage(t *testing.T) {
	at := time.Date(2026, 3, 4, 10, 0, 0, 123456000, time.UTC)
	cursor := list.Cursor(at, "or_1")
	for _, tt := range []struct {
		query     string
		limit     int
		after     string // the position's ID; "" none
		wantParam string // the refused parameter; "" accepted
	}{
		{"", list.DefaultPage, "", ""},
		{"limit=1", 1, "", ""},
		{"limit=100&cursor=" + cursor, 100, "or_1", ""},
		{"limit=0", 0, "", "limit"},
		{"limit=101", 0, "", "limit"},
		{"limit=ten", 0, "", "limit"},
		{"cursor=yesterday", 0, "", "cursor"},
		{"cursor=" + list.Cursor(at, ""), 0, "", "cursor"},
	} {
		q, _ := url.ParseQuery(tt.query)
		limit, after, err := list.Page(q, "orders")
		if tt.wantParam != "" {
			if e, ok := err.(*kassa.Error); !ok || e.Code != kassa.EInvalid || e.Param != tt.wantParam {
				t.Errorf("%q: %v, want invalid %s", tt.query, err, tt.wantParam)
			}
			continue
		}
		if err != nil || limit != tt.limit || (after == nil) != (tt.after == "") {
			t.Errorf("%q = %d, %v, %v", tt.query, limit, after, err)
			continue
		}
		if after != nil && (after.ID != tt.after || !after.CreatedAt.Equal(at)) {
			t.Errorf("%q: position %+v, want %s at %v", tt.query, after, tt.after, at)
		}
	}
}

func TestFilters(t *testing.T) {
	q, _ := url.ParseQuery("status=a,b&status=c&empty=&yes=true&no=false&bad=yes&day=2026-03-04&time=2026-03-04T10:00:00Z&never=tomorrow&cur=sek&nocur=kronor")
	if vs, err := list.Values(q, "status", []string{"a", "b", "c"}); err != nil || !slices.Equal(vs, []string{"a", "b", "c"}) {
		t.Errorf("Values = %v, %v", vs, err)
	}
	if _, err := list.Values(q, "status", []string{"a"}); kassa.ErrorCode(err) != kassa.EInvalid {
		t.Errorf("Values with a value not allowed: %v", err)
	}
	if vs, err := list.Values(q, "empty", nil); err != nil || vs != nil {
		t.Errorf("Values of an empty parameter = %v, %v", vs, err)
	}
	for param, want := range map[string]bool{"yes": true, "no": false, "absent": false} {
		if got, err := list.Bool(q, param); err != nil || got != want {
			t.Errorf("Bool(%s) = %v, %v", param, got, err)
		}
	}
	if _, err := list.Bool(q, "bad"); kassa.ErrorCode(err) != kassa.EInvalid {
		t.Errorf("Bool(yes): %v", err)
	}
	if d, err := list.Date(q, "day"); err != nil || !d.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Date(day) = %v, %v", d, err)
	}
	if d, err := list.Date(q, "time"); err != nil || !d.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Date(time) = %v, %v", d, err)
	}
	if _, err := list.Date(q, "never"); kassa.ErrorCode(err) != kassa.EInvalid {
		t.Errorf("Date(tomorrow): %v", err)
	}
	if c, err := list.Currency(q, "cur"); err != nil || c != "SEK" {
		t.Errorf("Currency(sek) = %q, %v", c, err)
	}
	if _, err := list.Currency(q, "nocur"); kassa.ErrorCode(err) != kassa.EInvalid {
		t.Errorf("Currency(kronor): %v", err)
	}
}

// A cursor reads back as what made it, and anything else is refused as
// invalid, never a panic.
func FuzzParseCursor(f *testing.F) {
	f.Add(list.Cursor(time.Unix(1, 0), "or_1"))
	f.Add("")
	f.Add("MTIz")
	f.Fuzz(func(t *testing.T, s string) {
		at, key, err := list.ParseCursor(s, "orders")
		if err != nil {
			if kassa.ErrorCode(err) != kassa.EInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if key == "" || list.Cursor(at, key) == "" {
			t.Fatalf("%q read as %v, %q", s, at, key)
		}
	})
}
