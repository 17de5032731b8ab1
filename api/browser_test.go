package api_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser tests' screenshots to docs/img")

// chromium finds a Chromium binary. Without one the browser tests skip,
// except in CI (CI set), where .ci/run installs it and they must run.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary found, and CI is set: the browser tests must run in CI (.ci/run installs Debian's chromium)")
	}
	t.Skip("no chromium binary found: install Debian's chromium (apt-get install chromium) to run the browser tests")
	return ""
}

// browser is one headless Chromium shared by the subtests, each in its own
// tab, against a Kassa in this process.
type browser struct {
	t   *testing.T
	e   *env
	ctx context.Context // the browser's; tabs derive from it
}

func newBrowser(t *testing.T, e *env) *browser {
	path := chromium(t)
	// Not t.TempDir: Chromium's helpers may still write to the profile as
	// the test ends, which would fail TempDir's cleanup.
	profile, err := os.MkdirTemp("", "kassa-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers give /dev/shm little room
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Run(bctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return &browser{t: t, e: e, ctx: bctx}
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

// awaitSignatory buys in the demo shop as a company that needs a
// signatory, through the dialog to the pending result (running atSignatory
// while the dialog shows the signatory step), and returns the session and
// the signing link the page shows.
func (b *browser) awaitSignatory(t *testing.T, ctx context.Context, atSignatory ...chromedp.Action) (sessionID, link string) {
	t.Helper()
	b.shop(t, ctx, risk.SignatoryCompany)
	actions := []chromedp.Action{
		chromedp.Click("#pay", chromedp.ByID),
		waitFor(visible("signatory-note")),
		chromedp.Evaluate(inDialog(`d.getElementById("confirm").click()`), nil),
		waitFor(visible("signatory")),
	}
	actions = append(actions, atSignatory...)
	run(t, ctx, append(actions,
		chromedp.Evaluate(inDialog(`d.getElementById("done").click()`), nil),
		resultState("pending"),
		dataset("sessionId", &sessionID),
		dataset("signatoryUrl", &link),
	)...)
	return sessionID, link
}

func (b *browser) shop(t *testing.T, ctx context.Context, company string) {
	run(t, ctx,
		chromedp.Navigate(b.e.http.URL+"/demo/shop"),
		chromedp.WaitVisible("#pay", chromedp.ByID),
		chromedp.SetValue("#companyId", company, chromedp.ByID),
	)
}

func TestBrowserCheckout(t *testing.T) {
	t.Parallel() // mostly waits on the browser: let the package's other tests run meanwhile
	e := newEnv(t)
	b := newBrowser(t, e)

	t.Run("authorize, confirm, order found through the API", func(t *testing.T) {
		ctx := b.tab(t)
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
		sessionID, link := b.awaitSignatory(t, ctx, screenshot(t, "dialog-signatory"))
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
		sessionID, link := b.awaitSignatory(t, ctx)
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

	// Last: it moves the clock past every session's expiry.
	t.Run("expired session", func(t *testing.T) {
		ctx := b.tab(t)
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
	})
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
