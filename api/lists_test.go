package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/risk"
)

// orderPage is a page of GET /v1/orders as the tests read it.
type orderPage struct {
	Data []struct {
		ID, MerchantReference, PaymentStatus, Currency, CompanyID, Email string
		OrderAmount, CapturedAmount                                      int64
	}
	NextCursor string
}

func (e *env) orders(as *creds, query string) orderPage {
	e.t.Helper()
	var p orderPage
	e.must(200, request{method: "GET", path: "/v1/orders?" + query, as: as}).decode(e.t, &p)
	return p
}

func (p orderPage) ids() []string {
	var ids []string
	for _, o := range p.Data {
		ids = append(ids, o.ID)
	}
	return ids
}

// GET /v1/orders lists the caller's orders newest first, a page at a
// time, searched and filtered; /v1/orders.csv exports the same orders;
// another merchant's orders never appear, however it searches.
func TestOrderList(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		var ids []string // newest first
		for _, ref := range []string{"shop-1", "=cmd|' /C calc'!A0", "Shop-3"} {
			ids = slices.Insert(ids, 0, e.order(with(cart(line("A", 1, 10000)), "reference", ref).(map[string]any)))
			e.clock.Advance(time.Minute)
		}
		other := e.orderAs(&e.b, cart(line("B", 1, 10000)))

		if got := e.orders(nil, "").ids(); !slices.Equal(got, ids) {
			t.Errorf("orders = %v, want %v newest first", got, ids)
		}
		var paged []string
		for q := "limit=2"; ; {
			p := e.orders(nil, q)
			paged = append(paged, p.ids()...)
			if p.NextCursor == "" {
				break
			}
			q = "limit=2&cursor=" + url.QueryEscape(p.NextCursor)
		}
		if !slices.Equal(paged, ids) {
			t.Errorf("pages of 2 = %v, want %v", paged, ids)
		}
		if p := e.orders(nil, "limit=3"); p.NextCursor != "" {
			t.Errorf("a page holding the last order has nextCursor %q", p.NextCursor)
		}

		for _, c := range []struct {
			query string
			want  []string
		}{
			{"q=SHOP-", []string{ids[0], ids[2]}},
			{"q=" + url.QueryEscape("BUYER@example"), ids},
			{"q=5593113714", ids}, // the organisation number without its dash
			{"q=" + strings.ToUpper(ids[1]), ids[1:2]},
			{"q=nothing", nil},
			{"q=" + other, nil}, // another merchant's order, by its ID
			{"currency=sek", ids},
			{"currency=EUR", nil},
			{"status=orderCaptured", nil},
			{"overdue=true", nil},
			{"createdFrom=" + url.QueryEscape(t0.Add(time.Minute).Format(time.RFC3339)), ids[:2]},
			{"createdTo=" + url.QueryEscape(t0.Add(time.Minute).Format(time.RFC3339)), ids[2:]},
			{"createdFrom=2020-01-01&createdTo=2020-01-02", nil},
		} {
			if got := e.orders(nil, c.query).ids(); !slices.Equal(got, c.want) {
				t.Errorf("orders?%s = %v, want %v", c.query, got, c.want)
			}
		}
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		e.must(201, request{method: "POST", path: "/v1/orders/" + ids[1] + "/acknowledge"})
		e.must(200, request{method: "POST", path: "/v1/orders/" + ids[1] + "/capture", body: capture})
		p := e.orders(nil, "status=orderCaptured,orderRefunded")
		if got := p.ids(); !slices.Equal(got, ids[1:2]) || p.Data[0].CapturedAmount != 10000 || p.Data[0].PaymentStatus != "orderCaptured" {
			t.Errorf("orders?status=orderCaptured = %+v, want %s captured", p, ids[1])
		}

		// Merchant B sees its one order, whatever it asks.
		for q, want := range map[string][]string{
			"": {other}, "q=shop": {other}, "q=" + ids[0]: nil, "q=buyer": {other}, "status=orderCaptured": nil,
		} {
			if got := e.orders(&e.b, q).ids(); !slices.Equal(got, want) {
				t.Errorf("merchant B: orders?%s = %v, want %v", q, got, want)
			}
		}

		// The export: a header row, the same orders, formulas defused.
		r := e.must(200, request{method: "GET", path: "/v1/orders.csv?currency=SEK"})
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("orders.csv: %v\n%s", err, r.body)
		}
		if len(rows) != 1+len(ids) || strings.Join(rows[0], ",") != "id,orderReference,merchantReference,createdAt,paymentStatus,status,currency,orderAmount,uncapturedAmount,capturedAmount,refundedAmount,companyName,companyId,email" {
			t.Fatalf("orders.csv = %q", rows)
		}
		for i, row := range rows[1:] {
			if row[0] != ids[i] {
				t.Errorf("orders.csv row %d is %s, want %s", i+1, row[0], ids[i])
			}
		}
		if got := rows[2]; got[2] != "'=cmd|' /C calc'!A0" || got[7] != "100.00" || got[9] != "100.00" || got[4] != "orderCaptured" {
			t.Errorf("orders.csv captured row = %q, want the reference defused and amounts as decimals", got)
		}
		if bytes.Contains(e.must(200, request{method: "GET", path: "/v1/orders.csv", as: &e.b}).body, []byte(ids[0])) {
			t.Errorf("merchant B's export holds merchant A's order")
		}
	})
}

// GET /v1/payment-sessions lists the caller's sessions newest first, a
// page at a time, by the state each reads; another merchant's never
// appear.
func TestSessionList(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		c := cart(line("A", 1, 10000))
		open := e.session(c)
		e.clock.Advance(time.Minute)
		signatory := maps.Clone(buyer)
		signatory["companyId"] = risk.SignatoryCompany
		var parked []string // the first cancelled, the second left waiting
		for range 2 {
			id := e.session(c)
			e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": signatory}})
			parked = append(parked, id)
			e.clock.Advance(time.Minute)
		}
		cancelled, waiting := parked[0], parked[1]
		e.must(200, request{method: "DELETE", path: "/v1/payment-sessions/" + cancelled})
		authorized := e.session(c)
		e.authorize(authorized, buyer)
		e.clock.Advance(time.Minute)
		orderID := e.order(c) // its session, newest, placed the order
		otherSession := e.sessionAs(&e.b, c)

		type sessionPage struct {
			Data []struct {
				ID, State, Currency, OrderID, CompanyName string
				TotalOrderAmount                          int64
			}
			NextCursor string
		}
		list := func(as *creds, query string) (p sessionPage, ids []string) {
			t.Helper()
			e.must(200, request{method: "GET", path: "/v1/payment-sessions?" + query, as: as}).decode(t, &p)
			for _, s := range p.Data {
				ids = append(ids, s.ID)
			}
			return p, ids
		}
		p, all := list(nil, "")
		if older := []string{authorized, waiting, cancelled, open}; len(all) != 5 || !slices.Equal(all[1:], older) || p.NextCursor != "" {
			t.Fatalf("sessions = %v, want the ordered one's, then %v", all, older)
		}
		if s := p.Data[0]; s.State != "authorized" || s.OrderID != orderID || s.CompanyName == "" || s.Currency != "SEK" || s.TotalOrderAmount != 10000 {
			t.Errorf("the ordered session = %+v", s)
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
		if !slices.Equal(paged, all) {
			t.Errorf("pages of 3 = %v, want %v", paged, all)
		}
		for query, want := range map[string][]string{
			"status=created": {open}, "status=cancelled": {cancelled}, "status=authorized": all[:2],
			"status=created,cancelled": {cancelled, open}, "status=expired": nil, "status=awaitingSignatory": {waiting},
		} {
			if _, got := list(nil, query); !slices.Equal(got, want) {
				t.Errorf("sessions?%s = %v, want %v", query, got, want)
			}
		}
		// Past every session's expiry by the sandbox merchant's test clock.
		e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 8 * 24 * 3600}})
		for query, want := range map[string][]string{
			"status=expired": {authorized, waiting, open}, "status=created": nil, "status=awaitingSignatory": nil,
			"status=authorized": all[:1], "status=cancelled": {cancelled},
		} {
			if _, got := list(nil, query); !slices.Equal(got, want) {
				t.Errorf("after the expiry: sessions?%s = %v, want %v", query, got, want)
			}
		}
		if p, _ := list(nil, "status=expired"); p.Data[1].State != "expired" {
			t.Errorf("an expired session reads %q", p.Data[1].State)
		}
		if _, got := list(&e.b, ""); !slices.Equal(got, []string{otherSession}) {
			t.Errorf("merchant B: sessions = %v, want only %s", got, otherSession)
		}
	})
}

// GET /v1/documents lists the caller's invoice documents newest first, a
// page at a time, with what has been paid on each, filtered by kind and
// by payment; another merchant's documents never appear.
func TestDocumentList(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		var orders []string // newest first
		for range 2 {
			id := e.order(cart(line("A", 1, 10000)))
			e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: capture})
			orders = slices.Insert(orders, 0, id)
			e.clock.Advance(time.Minute)
		}
		unpaid, paid := orders[0], orders[1]
		otherOrder := e.orderAs(&e.b, cart(line("B", 1, 10000)))
		e.must(200, request{method: "POST", path: "/v1/orders/" + otherOrder + "/capture", body: capture, as: &e.b})
		e.must(200, request{method: "POST", path: "/v1/sandbox/payments", body: map[string]any{
			"paymentReference": e.documents(paid)[0].PaymentReference, "amount": 10000, "currency": "SEK",
		}})
		type docPage struct {
			Data []struct {
				ID, Kind, OrderID, Currency, DueDate   string
				TotalAmount, PayableAmount, PaidAmount int64
			}
			NextCursor string
		}
		list := func(as *creds, query string) (p docPage, orderIDs []string) {
			t.Helper()
			e.must(200, request{method: "GET", path: "/v1/documents?" + query, as: as}).decode(t, &p)
			for _, d := range p.Data {
				orderIDs = append(orderIDs, d.OrderID)
			}
			return p, orderIDs
		}

		p, got := list(nil, "")
		if !slices.Equal(got, orders) || p.NextCursor != "" {
			t.Fatalf("documents = %+v, want those of %v newest first", p, orders)
		}
		if d := p.Data[1]; d.Kind != "invoice" || d.Currency != "SEK" || d.TotalAmount != 10000 || d.PayableAmount != 10000 || d.PaidAmount != 10000 || d.DueDate == "" {
			t.Errorf("the paid invoice = %+v", d)
		}
		if d := p.Data[0]; d.PaidAmount != 0 || d.ID != e.documents(unpaid)[0].ID {
			t.Errorf("the unpaid invoice = %+v", d)
		}
		first, got := list(nil, "limit=1")
		if _, next := list(nil, "limit=1&cursor="+url.QueryEscape(first.NextCursor)); !slices.Equal(got, orders[:1]) || !slices.Equal(next, orders[1:]) {
			t.Errorf("pages of 1 = %v then %v, want %v", got, next, orders)
		}
		for query, want := range map[string][]string{
			"kind=invoice": orders, "kind=creditNote": nil, "kind=advanceInvoice": nil,
			"unpaid=true": {unpaid}, "unpaid=false": orders, "overdue=true": nil,
		} {
			if _, got := list(nil, query); !slices.Equal(got, want) {
				t.Errorf("documents?%s = %v, want %v", query, got, want)
			}
		}
		e.clock.Advance(31 * 24 * time.Hour)
		if _, got := list(nil, "overdue=true&kind=invoice"); !slices.Equal(got, []string{unpaid}) {
			t.Errorf("documents?overdue=true after the due date = %v, want %v", got, []string{unpaid})
		}
		if _, got := list(&e.b, ""); !slices.Equal(got, []string{otherOrder}) {
			t.Errorf("merchant B: documents = %v, want only its own, of %s", got, otherOrder)
		}
	})
}

// Every list answers a malformed limit, cursor, filter or date with 400
// naming the parameter, never 500.
func TestBadListQueries(t *testing.T) {
	e := newEnv(t)
	e.order(cart(line("A", 1, 10000)))
	cursor := func(s string) string { return "cursor=" + base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for query, param := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=ten": "limit", "limit=-1": "limit",
		"cursor=***": "cursor", "cursor=" + strings.Repeat("A", 3): "cursor", cursor("12"): "cursor", cursor("x.or_1"): "cursor", cursor("12."): "cursor",
		"status=open": "status", "status=orderCaptured,": "status", "currency=kronor": "currency", "currency=XXY": "currency",
		"createdFrom=yesterday": "createdFrom", "createdTo=2026-13-01": "createdTo", "createdFrom=2026-03-04T10:00": "createdFrom",
		"createdFrom=2026-03-05&createdTo=2026-03-04": "createdTo", "createdFrom=2026-03-04&createdTo=2026-03-04": "createdTo",
		"overdue=yes": "overdue", "q=" + strings.Repeat("x", 101): "q",
		"kind=receipt": "kind", "unpaid=1": "unpaid", "status=completed": "status", "status=expired,": "status",
	} {
		var paths []string
		switch param {
		case "kind", "unpaid":
			paths = []string{"/v1/documents?" + query}
		case "limit", "cursor":
			paths = []string{"/v1/orders?" + query, "/v1/notifications?" + query, "/v1/audit-events?" + query, "/v1/documents?" + query, "/v1/payment-sessions?" + query}
		case "overdue":
			paths = []string{"/v1/orders?" + query, "/v1/orders.csv?" + query, "/v1/documents?" + query}
		case "status":
			paths = []string{"/v1/orders?" + query, "/v1/orders.csv?" + query, "/v1/payment-sessions?" + query}
		default:
			paths = []string{"/v1/orders?" + query, "/v1/orders.csv?" + query}
		}
		for _, path := range paths {
			r := e.do(request{method: "GET", path: path})
			if r.status != 400 || r.code() != "invalid_request" || r.param() != param {
				t.Errorf("GET %s = %d %s, want 400 naming %s", path, r.status, r.body, param)
			}
		}
	}
}
