package api_test

import (
	"encoding/base64"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestCollectionList lists the payment module's collections as every list
// pages: newest first, a page at a time through nextCursor, by status and
// currency; the clients from before the cursor read "collections" and
// send after, an ID. Another merchant's collections never appear.
func TestCollectionList(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		newCollection := func(as *creds, currency string) string {
			t.Helper()
			return idOf(t, e.must(201, request{method: "POST", path: pm + "/collections", as: as, body: map[string]any{"currency": currency, "amount": 1000}}))
		}
		var cols []string // oldest first
		for _, cur := range []string{"SEK", "EUR", "SEK", "SEK"} {
			cols = append(cols, newCollection(nil, cur))
			e.clock.Advance(time.Second)
		}
		e.must(200, request{method: "POST", path: pm + "/collections/" + cols[2] + "/cancel"})
		other := newCollection(&e.b, "SEK")

		type collectionPage struct {
			Data []struct {
				ID, Status, Currency string
			}
			NextCursor  string
			Collections []struct{ ID string }
		}
		list := func(as *creds, query string) (p collectionPage, ids []string) {
			t.Helper()
			e.must(200, request{method: "GET", path: pm + "/collections?" + query, as: as}).decode(t, &p)
			for i, c := range p.Data {
				ids = append(ids, c.ID)
				if p.Collections[i].ID != c.ID {
					t.Errorf("collections?%s: collections[%d] = %s, data[%d] = %s", query, i, p.Collections[i].ID, i, c.ID)
				}
			}
			if len(p.Collections) != len(p.Data) {
				t.Errorf("collections?%s: %d collections, %d in data", query, len(p.Collections), len(p.Data))
			}
			return p, ids
		}
		newest := []string{cols[3], cols[2], cols[1], cols[0]}
		p, all := list(nil, "")
		if !slices.Equal(all, newest) || p.NextCursor != "" {
			t.Fatalf("collections = %v (next %q), want %v", all, p.NextCursor, newest)
		}
		var paged []string
		for q := "limit=3"; ; {
			p, ids := list(nil, q)
			paged = append(paged, ids...)
			if p.NextCursor == "" {
				break
			}
			q = "limit=3&cursor=" + url.QueryEscape(p.NextCursor)
		}
		if !slices.Equal(paged, newest) {
			t.Errorf("pages of 3 = %v, want %v", paged, newest)
		}
		for query, want := range map[string][]string{
			"status=canceled":                  {cols[2]},
			"status=not_paid":                  {cols[3], cols[1], cols[0]},
			"status=canceled,not_paid":         newest,
			"status=canceled&status=completed": {cols[2]},
			"status=completed":                 nil,
			"currency=eur":                     {cols[1]},
			"currency=SEK&status=not_paid":     {cols[3], cols[0]},
			"after=" + cols[2]:                 {cols[1], cols[0]},
			"after=" + cols[0]:                 nil,
			"after=":                           newest,
		} {
			if _, got := list(nil, query); !slices.Equal(got, want) {
				t.Errorf("collections?%s = %v, want %v", query, got, want)
			}
		}
		if _, got := list(&e.b, ""); !slices.Equal(got, []string{other}) {
			t.Errorf("merchant B: collections = %v, want only %s", got, other)
		}
		cursor := func(s string) string { return "cursor=" + base64.RawURLEncoding.EncodeToString([]byte(s)) }
		p, _ = list(nil, "limit=1")
		for query, param := range map[string]string{
			"limit=0": "limit", "limit=101": "limit", "limit=ten": "limit",
			"cursor=***": "cursor", cursor("12"): "cursor", cursor("x.pay_col_1"): "cursor",
			"status=open": "status", "status=canceled,": "status", "status=paymentPending": "status",
			"currency=kronor": "currency", "currency=XXY": "currency",
			"after=pay_col_nope": "after", "after=" + other: "after",
			"after=" + cols[0] + "&cursor=" + url.QueryEscape(p.NextCursor): "after",
		} {
			r := e.do(request{method: "GET", path: pm + "/collections?" + query})
			if r.status != 400 || r.code() != "invalid_request" || r.param() != param {
				t.Errorf("GET collections?%s = %d %s, want 400 naming %s", query, r.status, r.body, param)
			}
		}
	})
}
