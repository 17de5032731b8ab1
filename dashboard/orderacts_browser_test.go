package dashboard_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/user"
)

// A person in Chromium acts on an order: signed in, finds the order by
// its buyer's company, captures two of its four chairs (choosing the
// quantity, then confirming what the page says will happen), refunds
// one of them from that capture, and sees both in the order's events
// and its changes with their address. A support user signed in sees no
// action, and a capture form sent directly is refused and changes
// nothing. Every page fits a phone's width with every field labelled.
func TestBrowserOrderActions(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	o := e.twoLines()
	chair := o.Uncaptured.Lines[1].ID
	e.newUser(e.a, "support@a.example", user.Support)
	ctx, run := newBrowser(t)
	submit := submitter(t, ctx)
	check := phoneCheck(t, run)
	signIn := func(email string) { t.Helper(); signInAs(t, run, submit, e.base, email) }
	notice := func() string {
		t.Helper()
		var s string
		run(chromedp.WaitVisible("#notice", chromedp.ByID), text("#notice", &s))
		return s
	}

	signIn("owner@a.example")
	submit(`a[href="/dashboard/orders"]`)
	run(chromedp.WaitVisible("#q", chromedp.ByID), chromedp.SetValue("#q", "Köpare", chromedp.ByID))
	submit("#search")
	submit(`#orders a[href="/dashboard/orders/` + e.aOrder + `"]`)
	run(chromedp.WaitVisible("#actions", chromedp.ByID))
	check("order page")

	// Capture two chairs.
	submit("#act-partial-capture")
	run(chromedp.WaitVisible("#pick", chromedp.ByID), chromedp.SetValue("#qty-"+chair, "2", chromedp.ByID))
	check("choosing lines to capture")
	submit("#review")
	var says, lines, changes string
	run(
		chromedp.WaitVisible("#confirm", chromedp.ByID),
		text("#says", &says), text("#act-lines", &lines), text("#changes", &changes),
	)
	check("capture confirmation")
	if !strings.Contains(says, "invoice") || !strings.Contains(lines, "Chair") || strings.Contains(lines, "Desk") || !strings.Contains(changes, "SEK 80.00") {
		t.Errorf("capture confirmation: %q\n%q\n%q", says, lines, changes)
	}
	run(chromedp.EmulateViewport(1100, 900), screenshot("dashboard-order-capture"))
	submit("#confirm-button")
	if n := notice(); n != "Captured SEK 20.00." {
		t.Errorf("after the capture: notice %q", n)
	}

	// Refund one of them.
	o = e.order(e.aOrder)
	ledger, captured := o.Captured[0].LedgerID, o.Captured[0].Lines[0].ID
	submit("#act-partial-refund-" + ledger)
	run(chromedp.WaitVisible("#pick", chromedp.ByID), chromedp.SetValue("#qty-"+captured, "1", chromedp.ByID))
	submit("#review")
	run(chromedp.WaitVisible("#confirm", chromedp.ByID), chromedp.SetValue("#note", "One chair came back", chromedp.ByID))
	check("refund confirmation")
	submit("#confirm-button")
	if n := notice(); n != "Refunded SEK 10.00." {
		t.Errorf("after the refund: notice %q", n)
	}
	var events, who string
	run(text("#events", &events), text("#order-changes", &who))
	check("order page after the refund")
	for _, want := range []string{"Captured in part · SEK 20.00", "Refunded in part · SEK 10.00"} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q: %q", want, events)
		}
	}
	if !strings.Contains(who, "Refund part of a capture · owner@a.example") || !strings.Contains(who, "Capture part of the order · owner@a.example") {
		t.Errorf("changes: %q", who)
	}
	run(chromedp.EmulateViewport(1100, 1900), screenshot("dashboard-order-actions"))
	submit("#sign-out")

	// Support: no action offered; a capture form sent anyway is refused.
	signIn("support@a.example")
	run(chromedp.Navigate(e.base+"/dashboard/orders/"+e.aOrder), chromedp.WaitVisible("#summary", chromedp.ByID))
	var offered bool
	run(chromedp.Evaluate(`document.querySelector("#actions, [id^=act-]") !== null`, &offered))
	if offered {
		t.Error("support sees order actions")
	}
	before := len(e.order(e.aOrder).Events)
	// A form made by hand on the order page, with the page's CSRF token.
	run(chromedp.Evaluate(`(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = location.pathname + "/capture";
		for (const [k, v] of [["csrf", document.querySelector("input[name=csrf]").value], ["once", "by-hand"], ["amount", "8000"]]) {
			const i = document.createElement("input");
			i.type = "hidden"; i.name = k; i.value = v;
			f.appendChild(i);
		}
		document.body.appendChild(f);
		f.submit();
		return true;
	})()`, nil))
	var refusal string
	run(chromedp.WaitVisible("#error", chromedp.ByID), text("#error", &refusal))
	if !strings.Contains(refusal, "may not capture") {
		t.Errorf("support's capture: %q", refusal)
	}
	if after := len(e.order(e.aOrder).Events); after != before {
		t.Errorf("support's capture changed the order: %d events, was %d", after, before)
	}
}
