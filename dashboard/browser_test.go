package dashboard_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/kassatest"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser test's screenshots to docs/img")

// screenshot saves the viewport as docs/img/name.png with -update-screenshots.
func screenshot(name string) chromedp.Action {
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

func text(sel string, v *string) chromedp.Action { return chromedp.Text(sel, v, chromedp.ByQuery) }

// newBrowser opens a Chromium tab for t, closed when t ends, and run,
// which runs actions in it and fails t if one fails.
func newBrowser(t *testing.T) (context.Context, func(...chromedp.Action)) {
	ctx, cancel := chromedp.NewContext(kassatest.Chromium(t))
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx, func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
}

// signInAs signs email in, with the tests' password, from the sign-in
// page in run's tab, and waits for the home page.
func signInAs(t *testing.T, run func(...chromedp.Action), submit func(string), base, email string) {
	t.Helper()
	run(
		chromedp.Navigate(base+"/dashboard/sign-in"),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.SetValue("#email", email, chromedp.ByID),
		chromedp.SetValue("#password", password, chromedp.ByID),
	)
	submit("#submit")
	run(chromedp.WaitVisible("#orders, #no-orders", chromedp.ByQuery))
}

// fitsJS says whether the page fits the window's width; labelledJS
// whether every field has one label, with text.
const (
	fitsJS     = `document.documentElement.scrollWidth <= window.innerWidth`
	labelledJS = `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].every(i => i.labels.length === 1 && i.labels[0].textContent.trim() !== "")`
)

// lowContrastJS lists the page's visible text whose colour against its
// background has a contrast ratio under WCAG 2's AA minimum: 4.5, or 3
// for large text (24 px, or 18.66 px bold). The background is the first
// opaque one of the element and its ancestors.
const lowContrastJS = `(() => {
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || c[3] > 0.9) return c; } return [255, 255, 255]; };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(el);
    if (st.visibility === "hidden" || st.display === "none" || el.getClientRects().length === 0) continue;
    const a = lum(rgb(st.color)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const px = parseFloat(st.fontSize), large = px >= 24 || (px >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(el.tagName + " " + JSON.stringify(el.textContent.trim().slice(0, 40)) + " " + ratio.toFixed(2));
  }
  return out;
})()`

// phoneCheck is a check that the page in run's tab, at a phone's width
// (390 pixels), scrolls not sideways, labels every field and has no text
// under WCAG AA's contrast, in the light scheme and the dark; where
// names the page in the error.
func phoneCheck(t *testing.T, run func(...chromedp.Action)) func(where string) {
	return func(where string) {
		t.Helper()
		var fits, labelled bool
		run(chromedp.EmulateViewport(390, 844), chromedp.Evaluate(fitsJS, &fits), chromedp.Evaluate(labelledJS, &labelled))
		if !fits || !labelled {
			t.Errorf("%s: fits the phone's width %v, every field labelled %v", where, fits, labelled)
		}
		for _, scheme := range []string{"dark", "light"} {
			var low []string
			run(
				emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
				chromedp.Evaluate(lowContrastJS, &low),
			)
			if len(low) > 0 {
				t.Errorf("%s, %s scheme: text under WCAG AA contrast: %q", where, scheme, low)
			}
		}
	}
}

// submitter is a function that clicks a form's button in ctx's tab and
// waits for the page it leads to.
func submitter(t *testing.T, ctx context.Context) func(sel string) {
	return func(sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
	}
}

// A person in Chromium, at a phone's width: sent to sign in, refused for
// a wrong password five times and then made to wait even with the right
// one; after the wait, signed in to the latest orders; finds an order by
// its buyer's company and opens it; signed out. Every
// field has its label, nothing scrolls sideways, and the dark scheme
// applies when the system asks for it.
func TestBrowserJourney(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	ctx, run := newBrowser(t)
	var (
		msg, path      string
		fits, labelled bool
	)
	// submit clicks a form's button and waits for the page it leads to.
	submit := submitter(t, ctx)
	// answer reads the page's error or notice.
	answer := func(id string) string {
		t.Helper()
		var s string
		run(chromedp.WaitVisible("#"+id, chromedp.ByQuery), text("#"+id, &s))
		return s
	}
	signIn := func(pw string) {
		t.Helper()
		run(
			chromedp.WaitVisible("#email", chromedp.ByID),
			chromedp.SetValue("#email", "owner@a.example", chromedp.ByID),
			chromedp.SetValue("#password", pw, chromedp.ByID),
		)
		submit("#submit")
	}
	run(
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.base+"/dashboard"),
		chromedp.WaitVisible("#email", chromedp.ByID),
		screenshot("dashboard-sign-in"),
		chromedp.Evaluate(`location.pathname`, &path),
		chromedp.Evaluate(fitsJS, &fits),
		chromedp.Evaluate(labelledJS, &labelled),
	)
	if path != "/dashboard/sign-in" || !fits || !labelled {
		t.Errorf("sign-in page: at %s, fits the phone's width %v, every field labelled %v", path, fits, labelled)
	}
	check := phoneCheck(t, run)
	check("sign-in")
	for i := range 5 {
		signIn("not the password")
		if msg = answer("error"); !strings.Contains(msg, "wrong e-mail address or password") {
			t.Fatalf("try %d: %q", i+1, msg)
		}
	}
	signIn(password)
	if msg = answer("error"); !strings.Contains(msg, "too many failed sign-ins") {
		t.Fatalf("the right password after 5 failures: %q", msg)
	}

	e.clock.Advance(time.Minute)
	signIn(password)
	var orders string
	run(
		chromedp.WaitVisible("#orders", chromedp.ByID),
		text("#orders", &orders),
		chromedp.Evaluate(fitsJS, &fits),
	)
	if !strings.Contains(orders, e.aOrder) || !strings.Contains(orders, "Köpare AB") || !fits {
		t.Errorf("home: orders %q, fits %v", orders, fits)
	}
	check("home")
	// The keyboard's first stop skips the sections' links to the page.
	var first string
	var shown bool
	run(
		chromedp.Evaluate(`document.activeElement.blur()`, nil),
		chromedp.KeyEvent("\t"),
		chromedp.Evaluate(`document.activeElement.textContent`, &first),
		chromedp.Evaluate(`document.activeElement.getBoundingClientRect().top >= 0`, &shown),
		chromedp.KeyEvent("\r"),
		chromedp.Evaluate(`location.hash`, &path),
	)
	if first != "Skip to the page's content" || !shown || path != "#main" {
		t.Errorf("the first Tab stop: %q, on screen %v; Enter led to %q", first, shown, path)
	}
	var light, dark string
	bg := `getComputedStyle(document.body).backgroundColor`
	run(
		chromedp.Evaluate(bg, &light),
		emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}),
		chromedp.Evaluate(bg, &dark),
		emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}),
		chromedp.EmulateViewport(1100, 560),
		screenshot("dashboard-home"),
	)
	if light == dark {
		t.Errorf("the dark scheme has the light background %s", light)
	}

	// Find the order by its buyer's company and open its page, at a
	// phone's width.
	run(chromedp.EmulateViewport(390, 844))
	submit(`a[href="/dashboard/orders"]`)
	run(
		chromedp.WaitVisible("#q", chromedp.ByID),
		chromedp.SetValue("#q", "Köpare", chromedp.ByID),
		chromedp.Evaluate(labelledJS, &labelled),
	)
	submit("#search")
	run(
		chromedp.WaitVisible("#orders", chromedp.ByID),
		text("#orders", &orders),
		chromedp.Evaluate(fitsJS, &fits),
	)
	if !strings.Contains(orders, e.aOrder) || !fits || !labelled {
		t.Errorf("orders found by company: %q, fits %v, every field labelled %v", orders, fits, labelled)
	}
	check("orders")
	run(chromedp.EmulateViewport(1100, 560), screenshot("dashboard-orders"), chromedp.EmulateViewport(390, 844))
	submit(`#orders a[href="/dashboard/orders/` + e.aOrder + `"]`)
	var customer string
	run(
		chromedp.WaitVisible("#summary", chromedp.ByID),
		text("#customer", &customer),
		chromedp.Evaluate(`location.pathname`, &path),
		chromedp.Evaluate(fitsJS, &fits),
		chromedp.EmulateViewport(1100, 900),
		screenshot("dashboard-order"),
	)
	if path != "/dashboard/orders/"+e.aOrder || !strings.Contains(customer, "Köpare AB") || !fits {
		t.Errorf("order page: at %s, customer %q, fits %v", path, customer, fits)
	}
	check("order")

	submit("#sign-out")
	msg = answer("notice")
	run(
		chromedp.Navigate(e.base+"/dashboard"),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.Evaluate(`location.pathname`, &path),
	)
	if msg != "You have signed out." || path != "/dashboard/sign-in" {
		t.Errorf("after sign-out: notice %q, /dashboard at %s", msg, path)
	}
}

// The contrast check finds text under AA: grey #aaa on white (2.3:1),
// added to a page that has none.
func TestLowContrastFound(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	_, run := newBrowser(t)
	var before, after []string
	run(
		chromedp.Navigate(e.base+"/dashboard/sign-in"),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.Evaluate(lowContrastJS, &before),
		chromedp.Evaluate(`(() => { const p = document.createElement("p"); p.textContent = "faint"; p.style.color = "#aaa"; p.style.background = "#fff"; document.body.append(p); })()`, nil),
		chromedp.Evaluate(lowContrastJS, &after),
	)
	if len(before) != 0 || len(after) != 1 || !strings.Contains(after[0], `"faint" 2.32`) {
		t.Errorf("low contrast before %q, after adding faint text %q", before, after)
	}
}
