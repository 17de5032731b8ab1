package dashboard_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/user"
)

// A finance person in Chromium uploads a camt.054 file whose one payment
// names no invoice, sees it unmatched, matches it to the invoice it pays,
// and finds the invoice paid on the invoices page; the payment sessions
// page lists a session awaiting its signatory. Each page fits a phone's
// width with every field labelled.
func TestBrowserMoney(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	d := e.invoiced(e.a, e.aOrder)
	signer := kassatest.Buyer
	signer.CompanyID, signer.CompanyName = risk.SignatoryCompany, "Firmatecknare AB"
	e.session(nil)
	e.session(&signer)
	file := filepath.Join(t.TempDir(), "camt054.xml")
	if err := os.WriteFile(file, camt054([3]string{"BANK-77", "7777 7777 7777 77", "100.00"}), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, run := newBrowser(t)
	submit := submitter(t, ctx)
	phone := phoneCheck(t, run)
	e.newUser(e.a, "finance@a.example", user.Finance)
	run(chromedp.EmulateViewport(1100, 900))
	signInAs(t, run, submit, e.base, "finance@a.example")

	// Upload the file: its payment matches nothing.
	submit(`.sections a[href="/dashboard/payments"]`)
	run(
		chromedp.WaitVisible("#file", chromedp.ByID),
		chromedp.SetUploadFiles("#file", []string{file}, chromedp.ByID),
	)
	submit("#import-file")
	var notice, payments string
	run(
		chromedp.WaitVisible("#notice", chromedp.ByID),
		text("#notice", &notice),
		text("#payments", &payments),
	)
	if !strings.Contains(notice, "1 matched no invoice") || !strings.Contains(payments, "Unmatched") || !strings.Contains(payments, "SEK 100.00") {
		t.Fatalf("after the upload: notice %q, payments %q", notice, payments)
	}
	phone("payments")
	run(chromedp.EmulateViewport(1100, 900), screenshot("dashboard-payments"))

	// Match it to the invoice, confirmed.
	submit("#payments a.match")
	run(chromedp.WaitVisible("#documents", chromedp.ByID))
	phone("the match page")
	run(chromedp.EmulateViewport(1100, 900))
	submit(`#documents a[href$="?document=` + d.ID + `"]`)
	var after string
	run(
		chromedp.WaitVisible("#confirm", chromedp.ByID),
		text("#after", &after),
	)
	phone("the confirmation")
	run(chromedp.EmulateViewport(1100, 820), screenshot("dashboard-match"))
	if after != "SEK 100.00" {
		t.Errorf("the confirmation says the invoice will have been paid %q", after)
	}
	submit("#confirm")
	run(chromedp.WaitVisible("#notice", chromedp.ByID), text("#notice", &notice))
	if !strings.Contains(notice, "Its order is now paid.") {
		t.Errorf("after the match: %q", notice)
	}

	// The invoice is paid.
	submit(`.sections a[href="/dashboard/invoices"]`)
	var state string
	run(
		chromedp.WaitVisible("#documents", chromedp.ByID),
		text("#document-"+d.ID+" .state", &state),
	)
	if state != "Paid" {
		t.Errorf("the invoice is %q on the invoices page", state)
	}
	phone("invoices")
	run(chromedp.EmulateViewport(1100, 560), screenshot("dashboard-invoices"))

	// The sessions open or awaiting a signatory.
	submit(`.sections a[href="/dashboard/sessions"]`)
	var sessions string
	run(
		chromedp.WaitVisible("#sessions", chromedp.ByID),
		text("#sessions", &sessions),
	)
	if !strings.Contains(sessions, "Awaiting a signatory") || !strings.Contains(sessions, "Firmatecknare AB") || !strings.Contains(sessions, "Cancel") {
		t.Errorf("sessions: %q", sessions)
	}
	phone("sessions")
	run(chromedp.EmulateViewport(1100, 560), screenshot("dashboard-sessions"))
}
