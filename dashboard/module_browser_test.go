package dashboard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/payment"
)

// A person in Chromium, at a phone's width, opens the payment module's
// collections, opens one, captures part of its payment from the capture
// page, refunds part of that, and sees both listed on the collection's
// page. Every field has its label and nothing scrolls sideways.
func TestBrowserModule(t *testing.T) {
	e := newModuleEnv(t)
	// A few collections to list besides the one paid: two not paid, one
	// in euros, and one whose payment was cancelled.
	for _, cur := range []string{"SEK", "EUR", "SEK"} {
		if _, err := e.pm.CreateCollection(t.Context(), e.a, cur, 125000, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, canceled := e.paid(e.a, 9900)
	if _, err := e.pm.Cancel(t.Context(), e.a, canceled.ID, payment.MovementRequest{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	col, pay := e.paid(e.a, 50000)

	ctx, run := newBrowser(t)
	submit := submitter(t, ctx)
	var (
		fits, labelled bool
		s, path        string
	)
	run(chromedp.EmulateViewport(390, 844))
	signInAs(t, run, submit, e.base, "owner@a.example")
	submit(`a[href="/dashboard/module"]`)
	run(
		chromedp.WaitVisible("#collections", chromedp.ByID),
		text("#collections", &s),
		chromedp.Evaluate(fitsJS, &fits),
		chromedp.Evaluate(labelledJS, &labelled),
		chromedp.EmulateViewport(1100, 640),
		screenshot("dashboard-module"),
		chromedp.EmulateViewport(390, 844),
	)
	if !strings.Contains(s, col.ID) || !strings.Contains(s, "EUR 1,250.00") || !fits || !labelled {
		t.Errorf("collections: %q, fits %v, every field labelled %v", s, fits, labelled)
	}

	submit(`#collections a[href="/dashboard/module/collections/` + col.ID + `"]`)
	run(chromedp.WaitVisible("#capture-"+pay.ID, chromedp.ByID))
	submit("#capture-" + pay.ID)
	run(
		chromedp.WaitVisible("#amount", chromedp.ByID),
		chromedp.Evaluate(fitsJS, &fits),
		chromedp.Evaluate(labelledJS, &labelled),
		chromedp.SetValue("#amount", "300", chromedp.ByID),
	)
	if !fits || !labelled {
		t.Errorf("capture page: fits %v, every field labelled %v", fits, labelled)
	}
	submit("#confirm")
	run(chromedp.WaitVisible("#notice", chromedp.ByID), text("#notice", &s))
	if !strings.Contains(s, "Captured SEK 300.00") {
		t.Errorf("after the capture: notice %q", s)
	}

	submit("#refund-" + pay.ID)
	run(
		chromedp.WaitVisible("#amount", chromedp.ByID),
		chromedp.SetValue("#amount", "120.50", chromedp.ByID),
		chromedp.SetValue("#reason", "One chair returned", chromedp.ByID),
	)
	submit("#confirm")
	var moves, captured, refunded string
	run(
		chromedp.WaitVisible("#notice", chromedp.ByID),
		text("#notice", &s),
		text("#payment-"+pay.ID+" .moves", &moves),
		text("#captured", &captured),
		text("#refunded", &refunded),
		chromedp.Evaluate(`location.pathname`, &path),
		chromedp.Evaluate(fitsJS, &fits),
		chromedp.EmulateViewport(1100, 1180),
		screenshot("dashboard-collection"),
	)
	if path != "/dashboard/module/collections/"+col.ID || !strings.Contains(s, "Refunded SEK 120.50") || !fits {
		t.Errorf("after the refund: at %s, notice %q, fits %v", path, s, fits)
	}
	if !strings.Contains(moves, "Capture") || !strings.Contains(moves, "SEK 300.00") ||
		!strings.Contains(moves, "Refund") || !strings.Contains(moves, "SEK 120.50") || !strings.Contains(moves, "One chair returned") {
		t.Errorf("the payment's captures and refunds: %q", moves)
	}
	if captured != "SEK 300.00" || refunded != "SEK 120.50" {
		t.Errorf("the collection captured %q, refunded %q", captured, refunded)
	}
}
