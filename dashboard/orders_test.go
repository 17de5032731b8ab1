package dashboard_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The orders list finds an order by the start of its buyer's company
// name, filters by status and currency, refuses a bad filter with 400,
// and pages on with a Next link that keeps the search.
func TestOrdersList(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	other := kassatest.Buyer
	other.CompanyName, other.CompanyID = "Annan Kund AB", "556677-8899"
	otherID := kassatest.PurchaseAs(t, e.app, e.a, other, nil).ID
	c := e.client()
	c.signIn("owner@a.example", password)

	p := c.get("/dashboard/orders?q=k%C3%B6pare")
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="/dashboard/orders/`+e.aOrder+`"`) || strings.Contains(p.body, otherID) {
		t.Errorf("search for köpare: %d, want a link to %s and not %s:\n%s", p.status, e.aOrder, otherID, p.body)
	}
	if !strings.Contains(p.body, `value="köpare"`) {
		t.Error("the search box lost what was typed")
	}
	if p = c.get("/dashboard/orders?status=orderCaptured"); p.status != http.StatusOK || strings.Contains(p.body, e.aOrder) {
		t.Errorf("captured orders: %d, listing the uncaptured order %s", p.status, e.aOrder)
	}
	if p = c.get("/dashboard/orders?status=paymentConfirmed&currency=sek"); !strings.Contains(p.body, e.aOrder) || !strings.Contains(p.body, otherID) {
		t.Errorf("SEK orders ready to capture: %d, want both orders", p.status)
	}
	if p = c.get("/dashboard/orders?currency=EUR&overdue=true"); !strings.Contains(p.body, `id="no-orders"`) {
		t.Errorf("overdue EUR orders: want none, got %d", p.status)
	}
	for _, bad := range []string{"status=nonsense", "currency=kronor", "cursor=yesterday", "q=" + strings.Repeat("x", 101)} {
		if p = c.get("/dashboard/orders?" + bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) || strings.Contains(p.body, e.aOrder) {
			t.Errorf("%s: %d, want 400 with an error and no orders", bad, p.status)
		}
	}

	// 51 of Köpare's orders: the first page shows 50 and links to the
	// 51st, the oldest.
	for range 50 {
		kassatest.Purchase(t, e.app, e.a, nil)
	}
	p = c.get("/dashboard/orders?q=K%C3%B6pare")
	next := regexp.MustCompile(`id="next" rel="next" href="([^"]*)"`).FindStringSubmatch(p.body)
	if next == nil || strings.Contains(p.body, e.aOrder) {
		t.Fatalf("first page of 51: want a Next link and not the oldest order:\n%s", p.body)
	}
	href := strings.ReplaceAll(next[1], "&amp;", "&")
	if u, _ := url.Parse(href); u.Query().Get("q") != "Köpare" {
		t.Errorf("Next link %s lost the search", href)
	}
	if p = c.get(href); !strings.Contains(p.body, e.aOrder) || strings.Contains(p.body, `id="next"`) || strings.Count(p.body, `href="/dashboard/orders/`) != 1 {
		t.Errorf("second page: want the oldest order alone, no Next link:\n%s", p.body)
	}
}

// An order's page shows its amounts, customer, lines, events and
// documents, with a link that serves the document's PDF; another
// merchant's order or document is not found.
func TestOrderPage(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	o, err := provider.View(t.Context(), e.app, func(tx store.ReadTx) (*order.Order, error) {
		return tx.Order(t.Context(), e.a, e.aOrder)
	})
	if err != nil {
		t.Fatal(err)
	}
	kassatest.Capture(t, e.app, o)
	c := e.client()
	c.signIn("owner@a.example", password)
	p := c.get("/dashboard/orders/" + e.aOrder)
	if p.status != http.StatusOK {
		t.Fatalf("order page: %d", p.status)
	}
	for _, want := range []string{"Köpare AB", "559311-3714", "ap@buyer.test", "Desk", "25 %", "SEK 100.00", "Captured", `id="events"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	doc := regexp.MustCompile(`href="(/dashboard/documents/[^"]+)"`).FindStringSubmatch(p.body)
	if doc == nil {
		t.Fatalf("order page links to no document:\n%s", p.body)
	}
	if d := c.get(doc[1]); d.status != http.StatusOK || d.resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(d.body, "%PDF") {
		t.Errorf("document %s: %d %s", doc[1], d.status, d.resp.Header.Get("Content-Type"))
	}

	// Merchant b's user: a's order and document are not found.
	e.newUser(e.b, "support@b.example", user.Support)
	cb := e.client()
	cb.signIn("support@b.example", password)
	for _, path := range []string{"/dashboard/orders/" + e.aOrder, doc[1]} {
		if p := cb.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, "Köpare") {
			t.Errorf("b's user at %s: %d, want 404", path, p.status)
		}
	}
	if p := cb.get("/dashboard/orders/" + e.bOrder); p.status != http.StatusOK {
		t.Errorf("b's own order: %d", p.status)
	}
}

// Signed out, the orders pages send the browser to sign in.
func TestOrdersSignedOut(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	for _, path := range []string{"/dashboard/orders?q=K", "/dashboard/orders/" + e.aOrder, "/dashboard/documents/doc_x"} {
		if p := c.get(path); p.path != "/dashboard/sign-in" || strings.Contains(p.body, e.aOrder) {
			t.Errorf("%s signed out: at %s", path, p.path)
		}
	}
}

// The orders list's CSV export has every order the search finds (not a
// page), with the API's columns; a bad filter is 400 and exports
// nothing; another merchant's orders are never in it.
func TestOrdersCSV(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "=Köpare AB")
	c := e.client()
	c.signIn("owner@a.example", password)
	p := c.get("/dashboard/orders?q=%3Dk%C3%B6pare")
	link := regexp.MustCompile(`id="export" href="([^"]*)"`).FindStringSubmatch(p.body)
	if link == nil {
		t.Fatalf("no export link on the searched list:\n%s", p.body)
	}
	p = c.get(strings.ReplaceAll(link[1], "&amp;", "&"))
	rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil || p.status != http.StatusOK || len(rows) != 2 {
		t.Fatalf("export: %d, %v, rows %q", p.status, err, rows)
	}
	if rows[0][0] != "id" || rows[1][0] != e.aOrder || rows[1][11] != "'=Köpare AB" {
		t.Errorf("export rows %q: want the header, then %s with its company defused", rows, e.aOrder)
	}
	if strings.Contains(p.body, e.bOrder) {
		t.Error("the export holds another merchant's order")
	}
	if p = c.get("/dashboard/orders.csv?status=nonsense"); p.status != http.StatusBadRequest || strings.Contains(p.body, e.aOrder) {
		t.Errorf("export with a bad status: %d", p.status)
	}
}
