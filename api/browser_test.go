package api_test

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser tests' screenshots to docs/img")

// browser is one headless Chromium shared by the subtests, each in its own
// tab, against a Kassa in this process.
type browser struct {
	t   *testing.T
	e   *env
	ctx context.Context // the browser's; tabs derive from it
}

func newBrowser(t *testing.T, e *env) *browser {
	return &browser{t: t, e: e, ctx: kassatest.Chromium(t)}
}

// tab opens a new tab for one subtest, bounded in time so that a hung page
// fails the test instead of the whole run.
func (b *browser) tab(t *testing.T) context.Context {
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// inDialog evaluates a JavaScript expression inside the dialog's frame.
func inDialog(expr string) string {
	return `(function(){ try { var f = document.querySelector("[data-kassa-dialog] iframe"); if (!f || !f.contentDocument) return null; var d = f.contentDocument; return (` + expr + `); } catch (e) { return null; } })()`
}

// waitFor polls a JavaScript expression until it is truthy.
func waitFor(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(20*time.Second))
}

// visible is true once the dialog's element id is shown.
func visible(id string) string {
	return inDialog(`d.getElementById("` + id + `") && !d.getElementById("` + id + `").hidden && d.readyState === "complete"`)
}

func resultState(state string) chromedp.Action {
	return waitFor(`document.getElementById("result").dataset.state === "` + state + `"`)
}

func dataset(key string, v *string) chromedp.Action {
	return chromedp.Evaluate(`document.getElementById("result").dataset.`+key+` || ""`, v)
}

// screenshot saves the viewport as docs/img/name.png with -update-screenshots.
func screenshot(t *testing.T, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if !*updateScreenshots {
			return nil
		}
		var png []byte
		if err := chromedp.CaptureScreenshot(&png).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join("..", "docs", "img", name+".png"), png, 0o644)
	})
}

// clickInDialog clicks the dialog's element id.
func clickInDialog(id string) chromedp.Action {
	return chromedp.Evaluate(inDialog(`d.getElementById("`+id+`").click()`), nil)
}

// awaitSignatory buys in the demo shop as a company that needs a
// signatory, through the dialog's signatory step (running atSignatory
// there) and out of it by leave, to the pending result, and returns the
// session and the signing link the page shows.
func (b *browser) awaitSignatory(t *testing.T, ctx context.Context, leave chromedp.Action, atSignatory ...chromedp.Action) (sessionID, link string) {
	t.Helper()
	b.shop(t, ctx, risk.SignatoryCompany)
	actions := []chromedp.Action{
		chromedp.Click("#pay", chromedp.ByID),
		waitFor(visible("signatory-note")),
		clickInDialog("confirm"),
		waitFor(visible("signatory")),
		waitFor(inDialog(`d.activeElement && d.activeElement.id === "done"`)),
	}
	actions = append(actions, atSignatory...)
	run(t, ctx, append(actions,
		leave,
		resultState("pending"),
		dataset("sessionId", &sessionID),
		dataset("signatoryUrl", &link),
		waitFor(`document.querySelector("[data-kassa-dialog]") === null`),
	)...)
	return sessionID, link
}

func (b *browser) shop(t *testing.T, ctx context.Context, company string) {
	b.shopAt(t, ctx, b.e.http.URL, company)
}

// shopAt opens the demo shop as served at base (Kassa's address, or a
// holdConfirms gate in front of it).
func (b *browser) shopAt(t *testing.T, ctx context.Context, base, company string) {
	run(t, ctx,
		chromedp.Navigate(base+"/demo/shop"),
		chromedp.WaitVisible("#pay", chromedp.ByID),
		chromedp.SetValue("#companyId", company, chromedp.ByID),
	)
}

// closings are the ways a dialog closes other than by its own Back
// button: × and Escape in the dialog, the shop's close(), and a shop page
// that drops the dialog's frame (a re-render, say).
var closings = []struct {
	name  string
	close chromedp.Action
}{
	{"×", clickInDialog("cancel")},
	{"Escape", chromedp.KeyEvent(kb.Escape)},
	{"close()", chromedp.Evaluate(`window.ledyer.payments.api.close()`, nil)},
	{"frame removed", chromedp.Evaluate(`document.querySelector("[data-kassa-dialog]").remove()`, nil)},
}

// holdConfirms serves e's Kassa at an address of its own that holds each
// dialog confirmation, before Kassa handles it (afterKassa false: the
// request is still on its way) or after (Kassa authorized; its answer is on
// its way), until the test calls the function held delivers. That function
// returns the status Kassa answered. Kassa handles a held request even if
// the browser gave up on it meanwhile, as it would one already under way.
func holdConfirms(t *testing.T, e *env, afterKassa bool) (url string, held <-chan func() int) {
	ch := make(chan func() int, 4)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/confirm") {
			e.srv.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r = r.WithContext(context.WithoutCancel(r.Context()))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		handled, release := make(chan struct{}), make(chan struct{})
		if afterKassa {
			e.srv.ServeHTTP(rec, r)
			close(handled)
		}
		ch <- func() int {
			close(release)
			<-handled
			return rec.Code
		}
		select {
		case <-release:
		case <-done:
			return
		}
		if !afterKassa {
			e.srv.ServeHTTP(rec, r)
			close(handled)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // before srv.Close, which waits for held requests
	return srv.URL, ch
}

// heldConfirm waits for the confirmation holdConfirms holds.
func heldConfirm(t *testing.T, ctx context.Context, held <-chan func() int) func() int {
	t.Helper()
	select {
	case release := <-held:
		return release
	case <-ctx.Done():
		t.Fatal("no confirmation reached Kassa")
		return nil
	}
}

// consoleOf collects what a tab's pages say in the console, in all their
// frames: console calls, and the browser's own messages (a postMessage to
// the wrong origin, a refused frame).
func consoleOf(ctx context.Context) func() []string {
	var (
		mu    sync.Mutex
		lines []string
	)
	chromedp.ListenTarget(ctx, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			parts := make([]string, len(ev.Args))
			for i, a := range ev.Args {
				parts[i] = cmp.Or(string(a.Value), a.Description)
			}
			line = string(ev.Type) + ": " + strings.Join(parts, " ")
		case *cdplog.EventEntryAdded:
			line = string(ev.Entry.Level) + ": " + ev.Entry.Text + " (" + ev.Entry.URL + ")"
		default:
			return
		}
		mu.Lock()
		lines = append(lines, line)
		mu.Unlock()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}
}

// noPostMessageWarnings fails if the console has a browser warning about
// a postMessage to an origin other than its recipient's.
func noPostMessageWarnings(t *testing.T, console []string) {
	t.Helper()
	for _, l := range console {
		if strings.Contains(l, "postMessage") {
			t.Errorf("console: %s", l)
		}
	}
}

// foreignShop serves a shop page on an origin of its own (another port)
// that loads the SDK from Kassa, as a merchant's checkout does; window.buy
// authorizes a session on it and keeps the outcome in window.outcome, and
// window.dialogLoaded says when the dialog's frame has loaded.
func (b *browser) foreignShop(t *testing.T) string {
	page := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script id="ledyer-payments" src="` + b.e.http.URL + `/bootstrap.js"></script>
<script>
window.outcome = null;
window.dialogLoaded = false;
new MutationObserver(function () {
	var f = document.querySelector("[data-kassa-dialog] iframe");
	if (f && !f.watched) {
		f.watched = true;
		f.addEventListener("load", function () { window.dialogLoaded = true; });
	}
}).observe(document.documentElement, {childList: true, subtree: true});
window.buy = function (sessionId, companyId) {
	window.ledyer.payments.api.authorize({sessionId: sessionId, customer: {companyId: companyId, email: "buyer@example.com"}}).then(
		function (r) { window.outcome = {state: r.state, status: r.status, token: r.authorizationToken || ""}; },
		function (e) { window.outcome = {code: e.code, message: e.message, detail: e.detail || null}; });
};
</script></head><body><h1>Shop</h1></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNoContent) // the favicon, say: nothing to say in the console
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// shopOutcome is what window.buy ended with.
type shopOutcome struct {
	State, Status, Token string
	Code, Message        string
	Detail               map[string]any
}

func waitOutcome(o *shopOutcome) chromedp.Action {
	return chromedp.Tasks{
		waitFor(`window.outcome !== null`),
		chromedp.Evaluate(`window.outcome`, o),
	}
}

func TestBrowserCheckout(t *testing.T) {
	t.Parallel() // mostly waits on the browser: let the package's other tests run meanwhile
	e := newEnv(t)
	b := newBrowser(t, e)

	t.Run("authorize, confirm, order found through the API", func(t *testing.T) {
		ctx := b.tab(t)
		console := consoleOf(ctx)
		b.shop(t, ctx, "559311-3714")
		var orderID, token string
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("confirm-form")),
			waitFor(inDialog(`d.activeElement && d.activeElement.id === "confirm"`)),
			screenshot(t, "dialog-desktop"),
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			screenshot(t, "dialog-phone"),
			chromedp.EmulateViewport(1280, 900),
			chromedp.Evaluate(inDialog(`d.querySelector("input[value=advanceInvoice]").click()`), nil),
			chromedp.Evaluate(inDialog(`d.getElementById("confirm").click()`), nil),
			resultState("ordered"),
			dataset("orderId", &orderID),
			dataset("token", &token),
			waitFor(`document.querySelector("[data-kassa-dialog]") === null`),
		)
		if !strings.HasPrefix(token, "at_") {
			t.Errorf("token = %q, want an at_ token", token)
		}
		noPostMessageWarnings(t, console())
		var o struct {
			Status        []string
			PaymentMethod struct{ Type string }
			OrderAmount   struct{ MinorUnits int64 }
			Customer      struct{ CompanyID string }
		}
		e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).decode(t, &o)
		if o.Customer.CompanyID != "559311-3714" || o.OrderAmount.MinorUnits != 649900 || o.PaymentMethod.Type != "advanceInvoice" {
			t.Errorf("order = %+v, want 559311-3714's advance-invoice order of 649900", o)
		}
	})

	t.Run("awaiting a signatory, signed, then ordered", func(t *testing.T) {
		ctx := b.tab(t)
		sessionID, link := b.awaitSignatory(t, ctx, clickInDialog("done"), screenshot(t, "dialog-signatory"))
		var got struct{ State, SignatoryURL string }
		e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + sessionID}).decode(t, &got)
		if got.State != "awaitingSignatory" || got.SignatoryURL != link {
			t.Fatalf("session = %+v, want awaitingSignatory with the link the dialog showed (%s)", got, link)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		var outcome string
		run(t, ctx,
			chromedp.Navigate(e.http.URL+u.Path),
			chromedp.WaitVisible("#approve", chromedp.ByID),
			screenshot(t, "signing-page"),
			chromedp.Click("#approve", chromedp.ByID),
			chromedp.WaitVisible("#outcome strong", chromedp.ByQuery), // only on the page after the redirect
			chromedp.Text("#outcome", &outcome, chromedp.ByID),
		)
		if !strings.Contains(outcome, "Approved") {
			t.Errorf("signing page after approval says %q, want Approved", outcome)
		}
		ps := e.storedSession(sessionID)
		if last := ps.Events[len(ps.Events)-1]; last.Type != session.EventAuthorizationCreate || last.Token == "" {
			t.Errorf("last session event = %+v, want %s with the token", last, session.EventAuthorizationCreate)
		}
		var orderID string
		run(t, ctx,
			chromedp.Navigate(e.http.URL+"/demo/shop"),
			chromedp.WaitVisible("#pay", chromedp.ByID),
			chromedp.Evaluate(`window.kassaDemo.complete(`+jsString(sessionID)+`)`, nil),
			resultState("ordered"),
			dataset("orderId", &orderID),
		)
		var o struct{ SessionID string }
		e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).decode(t, &o)
		if o.SessionID != sessionID {
			t.Errorf("order's sessionId = %q, want %q", o.SessionID, sessionID)
		}
	})

	t.Run("signing link of a cancelled session says so", func(t *testing.T) {
		ctx := b.tab(t)
		sessionID, link := b.awaitSignatory(t, ctx, clickInDialog("done"))
		e.must(200, request{method: "DELETE", path: "/v1/payment-sessions/" + sessionID})
		u, _ := url.Parse(link)
		var outcome string
		run(t, ctx,
			chromedp.Navigate(e.http.URL+u.Path),
			chromedp.WaitVisible("#outcome", chromedp.ByID),
			chromedp.Text("#outcome", &outcome, chromedp.ByID),
		)
		if !strings.Contains(outcome, "Cancelled") {
			t.Errorf("signing page of a cancelled session says %q, want Cancelled", outcome)
		}
	})

	t.Run("close and authorize again runs a new assessment", func(t *testing.T) {
		ctx := b.tab(t)
		b.shop(t, ctx, "559311-3714")
		var sessionID string
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("confirm-form")),
			chromedp.Evaluate(`window.kassaDemo.sessionId()`, &sessionID),
		)
		if n := e.storedSession(sessionID).Assessments(); n != 1 {
			t.Fatalf("assessments after the first dialog = %d, want 1", n)
		}
		run(t, ctx,
			chromedp.Evaluate(`window.kassaDemo.updateCart(2); true`, nil),
			waitFor(inDialog(`d.getElementById("total").textContent.indexOf("12,998.00") >= 0`)),
			waitFor(visible("confirm-form")),
		)
		if n := e.storedSession(sessionID).Assessments(); n != 2 {
			t.Errorf("assessments after close and authorize = %d, want 2", n)
		}
		var orderID string
		run(t, ctx,
			chromedp.Evaluate(inDialog(`d.getElementById("confirm").click()`), nil),
			resultState("ordered"),
			dataset("orderId", &orderID),
		)
		var o struct{ OrderAmount struct{ MinorUnits int64 } }
		e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).decode(t, &o)
		if o.OrderAmount.MinorUnits != 2*649900 {
			t.Errorf("order amount = %d, want the updated cart's %d", o.OrderAmount.MinorUnits, 2*649900)
		}
	})

	t.Run("rejected buyer", func(t *testing.T) {
		ctx := b.tab(t)
		b.shop(t, ctx, risk.BlockedCompany)
		var code, message string
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("error")),
			chromedp.Evaluate(inDialog(`d.getElementById("error").textContent`), &message),
			waitFor(inDialog(`d.getElementById("confirm-form").hidden`)),
			screenshot(t, "dialog-rejected"),
			chromedp.Evaluate(inDialog(`d.getElementById("leave").click()`), nil),
			resultState("failed"),
			dataset("code", &code),
		)
		if code != "rejected" || !strings.Contains(message, "cannot be offered invoice payment") {
			t.Errorf("rejected buyer: code %q, dialog said %q", code, message)
		}
	})

	t.Run("incomplete details stop before the SDK", func(t *testing.T) {
		ctx := b.tab(t)
		b.shop(t, ctx, "559311-3714")
		var code string
		run(t, ctx,
			chromedp.Evaluate(`document.getElementById("email").value = ""`, nil),
			chromedp.Click("#pay", chromedp.ByID),
			resultState("incomplete"),
			chromedp.Evaluate(`window.ledyer.payments.api.authorize({sessionId: "ps_x", customer: {}}).then(function(){ return "resolved"; }, function(e){ return e.code; })`, &code, awaitPromise),
		)
		if code != "invalid_args" {
			t.Errorf("authorize with incomplete args rejected with code %q, want invalid_args", code)
		}
		run(t, ctx, chromedp.Evaluate(`window.ledyer.payments.api.authorize({sessionId: "ps_unknown", customer: {companyId: "559311-3714", email: "a@b.example"}}).then(function(){ return "resolved"; }, function(e){ return e.code; })`, &code, awaitPromise))
		if code != "load_failed" {
			t.Errorf("authorize with an unknown session rejected with code %q, want load_failed", code)
		}
		// close() rejects the pending promise with "closed" and removes the dialog.
		run(t, ctx,
			chromedp.Evaluate(`fetch("/demo/shop/session", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"}).then(function(r){ return r.json(); }).then(function(s){
				window.pending = window.ledyer.payments.api.authorize({sessionId: s.sessionId, customer: {companyId: "559311-3714", email: "a@b.example"}});
			})`, nil, awaitPromise),
			waitFor(`document.querySelector("[data-kassa-dialog]") !== null`),
			chromedp.Evaluate(`window.ledyer.payments.api.close(); window.pending.then(function(){ return "resolved"; }, function(e){ return e.code + (document.querySelector("[data-kassa-dialog]") === null ? " removed" : " still open"); })`, &code, awaitPromise),
		)
		if code != "closed removed" {
			t.Errorf("authorize then close() = %q, want %q", code, "closed removed")
		}
	})

	// A purchase placed for a signatory reaches the page as
	// awaitingSignatory however the dialog closes, so that the shop makes
	// its pending order.
	for _, c := range closings {
		t.Run("awaiting a signatory, then "+c.name, func(t *testing.T) {
			ctx := b.tab(t)
			sessionID, link := b.awaitSignatory(t, ctx, c.close)
			var got struct{ State, SignatoryURL string }
			e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + sessionID}).decode(t, &got)
			if got.State != "awaitingSignatory" || link == "" || got.SignatoryURL != link {
				t.Errorf("session = %+v, page's link %q; want awaitingSignatory with the page's link", got, link)
			}
		})
	}

	// Kassa authorized, and its answer is on its way when the dialog
	// closes: the page gets the token all the same.
	for _, c := range closings {
		t.Run("Confirm in flight, then "+c.name, func(t *testing.T) {
			base, held := holdConfirms(t, e, true)
			ctx := b.tab(t)
			b.shopAt(t, ctx, base, "559311-3714")
			run(t, ctx,
				chromedp.Click("#pay", chromedp.ByID),
				waitFor(visible("confirm-form")),
				clickInDialog("confirm"),
			)
			release := heldConfirm(t, ctx, held)
			run(t, ctx, c.close)
			if status := release(); status != 200 {
				t.Fatalf("held confirmation = %d, want 200", status)
			}
			var orderID, token string
			run(t, ctx,
				resultState("ordered"),
				dataset("orderId", &orderID),
				dataset("token", &token),
				waitFor(`document.querySelector("[data-kassa-dialog]") === null`),
			)
			var o struct{ SessionID string }
			e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).decode(t, &o)
			if ps := e.storedSession(o.SessionID); ps.Token != token || ps.OrderID != orderID {
				t.Errorf("session has token %q and order %q, want the page's %q and %q", ps.Token, ps.OrderID, token, orderID)
			}
		})
	}

	// The shop closes the dialog while the buyer's confirmation has not
	// reached Kassa yet: Kassa refuses it when it arrives, so "closed" is
	// the truth.
	t.Run("close() while Confirm is on its way to Kassa", func(t *testing.T) {
		base, held := holdConfirms(t, e, false)
		ctx := b.tab(t)
		b.shopAt(t, ctx, base, "559311-3714")
		var sessionID, code string
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("confirm-form")),
			chromedp.Evaluate(`window.kassaDemo.sessionId()`, &sessionID),
			clickInDialog("confirm"),
		)
		release := heldConfirm(t, ctx, held)
		run(t, ctx,
			chromedp.Evaluate(`window.ledyer.payments.api.close()`, nil),
			resultState("failed"),
			dataset("code", &code),
		)
		if code != "closed" {
			t.Errorf("promise rejected with %q, want closed", code)
		}
		if status := release(); status != 409 {
			t.Errorf("the confirmation that arrived after close = %d, want 409", status)
		}
		if ps := e.storedSession(sessionID); ps.State != session.StateCreated || ps.Token != "" {
			t.Errorf("session after the refused confirmation: state %s, token %q; want created without a token", ps.State, ps.Token)
		}
	})

	t.Run("unknown session: nothing shown, load_failed saying so", func(t *testing.T) {
		ctx := b.tab(t)
		console := consoleOf(ctx)
		b.shop(t, ctx, "559311-3714")
		var got struct {
			Code   string
			Detail struct{ Reason, SessionID string }
			Shown  bool
		}
		run(t, ctx, chromedp.Evaluate(`(function () {
			var shown = false;
			new MutationObserver(function () { shown = shown || document.querySelector("[data-kassa-dialog]") !== null; }).observe(document.body, {childList: true, subtree: true});
			return window.ledyer.payments.api.authorize({sessionId: "ps_unknown", customer: {companyId: "559311-3714", email: "a@b.example"}}).then(
				function () { return {code: "resolved"}; },
				function (e) { return {code: e.code, detail: e.detail, shown: shown}; });
		})()`, &got, awaitPromise))
		if got.Code != "load_failed" || got.Detail.Reason != "unknown_session" || got.Detail.SessionID != "ps_unknown" || got.Shown {
			t.Errorf("authorize with an unknown session = %+v, want load_failed for unknown_session ps_unknown, with no dialog shown", got)
		}
		lines := console()
		if !slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "error: ") && strings.Contains(l, "no payment session ps_unknown")
		}) {
			t.Errorf("console says nothing of the unknown session:\n%s", strings.Join(lines, "\n"))
		}
	})

	t.Run("a shop origin the session does not name", func(t *testing.T) {
		shop := b.foreignShop(t)
		c := cart(line("A", 1, 10000))
		c["settings"] = map[string]any{"urls": map[string]any{"confirmation": "https://shop.example/thanks"}}
		sessionID := e.session(c)
		ctx := b.tab(t)
		console := consoleOf(ctx)
		var got shopOutcome
		var framed bool
		run(t, ctx,
			chromedp.Navigate(shop),
			chromedp.Evaluate(`window.buy(`+jsString(sessionID)+`, "559311-3714")`, nil),
			waitOutcome(&got),
			chromedp.Evaluate(`document.querySelector("[data-kassa-dialog]") !== null`, &framed),
		)
		want := map[string]any{"reason": "origin_not_allowed", "sessionId": sessionID, "pageOrigin": shop, "allowedOrigins": []any{e.http.URL, "https://shop.example"}}
		if diff := gocmp.Diff(want, got.Detail); got.Code != "load_failed" || diff != "" || framed {
			t.Errorf("authorize = %+v (dialog left on the page: %v), want load_failed; detail (-want +got):\n%s", got, framed, diff)
		}
		lines := console()
		if !slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "error: ") && strings.Contains(l, "settings.urls.confirmation names https://shop.example") && strings.Contains(l, "this page's origin is "+shop)
		}) {
			t.Errorf("console does not say which origin the session names and which it saw:\n%s", strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			if strings.Contains(l, "frame-ancestors") {
				t.Errorf("the dialog was framed where it may not be: %s", l)
			}
		}
	})

	// A shop on its own origin, as merchants' are: the dialog talks with
	// it without console warnings, and the shop's close() learns from
	// Kassa, across origins, what the buyer placed.
	t.Run("a shop on its own origin", func(t *testing.T) {
		shop := b.foreignShop(t)
		c := cart(line("A", 1, 10000))
		c["settings"] = map[string]any{"urls": map[string]any{"confirmation": shop + "/thanks"}}
		sessionID := e.session(c)
		ctx := b.tab(t)
		console := consoleOf(ctx)
		run(t, ctx,
			chromedp.Navigate(shop),
			chromedp.Evaluate(`window.buy(`+jsString(sessionID)+`, `+jsString(risk.SignatoryCompany)+`)`, nil),
		)
		// The dialog is on Kassa's origin, out of the page's reach: drive it
		// through the DevTools protocol, once it has loaded.
		var frames []*cdp.Node
		run(t, ctx,
			waitFor(`window.dialogLoaded`),
			chromedp.Nodes("[data-kassa-dialog] iframe", &frames, chromedp.ByQuery),
		)
		in := chromedp.FromNode(frames[0])
		var got shopOutcome
		run(t, ctx,
			chromedp.WaitVisible("#confirm", chromedp.ByID, in),
			chromedp.Click("#confirm", chromedp.ByID, in),
			chromedp.WaitVisible("#signatory", chromedp.ByID, in),
			chromedp.Evaluate(`window.ledyer.payments.api.close()`, nil),
			waitOutcome(&got),
		)
		if got.State != "awaitingSignatory" || got.Status != got.State {
			t.Errorf("close() after a signatory purchase = %+v, want awaitingSignatory", got)
		}
		noPostMessageWarnings(t, console())
	})

	// Last: it moves the clock past every session's expiry.
	t.Run("expired session", func(t *testing.T) {
		ctx := b.tab(t)
		console := consoleOf(ctx)
		b.shop(t, ctx, "559311-3714")
		var sessionID, code string
		run(t, ctx,
			chromedp.Evaluate(`fetch("/demo/shop/session", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{\"quantity\":1}"}).then(function(r){ return r.json(); }).then(function(s){ window.kassaDemo.setSession(s.sessionId); return s.sessionId; })`, &sessionID, awaitPromise),
		)
		e.clock.Advance(session.Lifetime + time.Minute)
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			resultState("failed"),
			dataset("code", &code),
		)
		if code != "expired" || sessionID == "" {
			t.Errorf("authorize on expired session %q rejected with code %q, want expired", sessionID, code)
		}
		lines := console()
		if !slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "warning: ") && strings.Contains(l, "payment session "+sessionID+" expired at ")
		}) {
			t.Errorf("console does not say the session expired:\n%s", strings.Join(lines, "\n"))
		}
	})
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
