package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/risk"
)

// The dialog speaks the session's language, with its amounts as the
// language writes them; and what a buyer sees on a phone: the company
// check's busy state, Confirm in view on a short screen, the next step
// after a rejection, the demo shop's result brought into view.
func TestBrowserLanguages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBrowser(t, e)
	for _, tt := range []struct {
		lang, title, total string
	}{
		{"sv", "Betala mot faktura", "6 499,00 kr"},
		{"fi", "Maksa laskulla", "6 499,00 SEK"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			ctx := b.tab(t)
			var title, total, lang, status string
			run(t, ctx,
				chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
				chromedp.Navigate(e.http.URL+"/demo/shop?lang="+tt.lang),
				chromedp.WaitVisible("#pay", chromedp.ByID),
				chromedp.SetValue("#companyId", "559311-3714", chromedp.ByID),
				chromedp.Click("#pay", chromedp.ByID),
				waitFor(visible("confirm-form")),
				chromedp.Evaluate(inDialog(`d.getElementById("title").textContent`), &title),
				chromedp.Evaluate(inDialog(`d.getElementById("total").textContent.replace(/\u00a0/g, " ")`), &total),
				chromedp.Evaluate(inDialog(`d.documentElement.lang`), &lang),
				chromedp.Evaluate(inDialog(`d.getElementById("status").textContent`), &status),
				screenshot(t, "dialog-phone-"+tt.lang),
			)
			if title != tt.title || total != tt.total || lang != tt.lang {
				t.Errorf("dialog: title %q, total %q, lang %q; want %q, %q, %q", title, total, lang, tt.title, tt.total, tt.lang)
			}
			if strings.Contains(status, "Your company") || status == "" {
				t.Errorf("the status after the check reads %q, not in %s", status, tt.lang)
			}
		})
	}

	t.Run("busy while the company check runs, same height after", func(t *testing.T) {
		shop, release := holdAssess(t, e)
		ctx := b.tab(t)
		var busy, after string
		var before, later float64
		b.shopAt(t, ctx, shop, "559311-3714")
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(inDialog(`d.readyState === "complete" && d.getElementById("check").offsetHeight > 0`)),
			chromedp.Evaluate(inDialog(`d.getElementById("check").getAttribute("aria-busy")`), &busy),
			chromedp.Evaluate(inDialog(`d.getElementById("check").offsetHeight`), &before),
		)
		close(release)
		run(t, ctx,
			waitFor(visible("confirm-form")),
			chromedp.Evaluate(inDialog(`d.getElementById("check").getAttribute("aria-busy")`), &after),
			chromedp.Evaluate(inDialog(`d.getElementById("check").offsetHeight`), &later),
		)
		if busy != "true" || after != "false" {
			t.Errorf("aria-busy while checking %q, after %q; want true, false", busy, after)
		}
		if before != later || before == 0 {
			t.Errorf("the company check is %vpx tall while busy and %vpx with its result", before, later)
		}
	})

	t.Run("confirm stays in view on a short screen", func(t *testing.T) {
		ctx := b.tab(t)
		var inView, below bool
		run(t, ctx, chromedp.EmulateViewport(360, 560, chromedp.EmulateMobile))
		b.shop(t, ctx, "559311-3714")
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("confirm-form")),
			chromedp.Evaluate(inDialog(`(function(){ var r = d.getElementById("confirm").getBoundingClientRect(); return r.top >= 0 && r.bottom <= d.defaultView.innerHeight; })()`), &inView),
			// The page is longer than the screen: without sticky actions
			// Confirm would be below it.
			chromedp.Evaluate(inDialog(`d.documentElement.scrollHeight > d.defaultView.innerHeight`), &below),
			screenshot(t, "dialog-short"),
		)
		if !inView || !below {
			t.Errorf("on a 360×560 screen: Confirm in view %v, page taller than the screen %v; want both", inView, below)
		}
	})

	t.Run("a rejection offers the next step", func(t *testing.T) {
		ctx := b.tab(t)
		var next, leave string
		var focused bool
		b.shop(t, ctx, risk.BlockedCompany)
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("next-step")),
			chromedp.Evaluate(inDialog(`d.getElementById("next-step").textContent`), &next),
			chromedp.Evaluate(inDialog(`d.getElementById("leave").textContent`), &leave),
			chromedp.Evaluate(inDialog(`d.activeElement.id === "leave"`), &focused),
			clickInDialog("leave"),
			resultState("failed"),
			waitFor(`document.getElementById("result").textContent.indexOf("another way") >= 0`),
		)
		if !strings.Contains(next, "choose another way to pay") || !strings.HasPrefix(leave, "Choose another way to pay at ") || !focused {
			t.Errorf("after a rejection: next step %q, button %q (focused %v)", next, leave, focused)
		}
	})

	t.Run("the demo shop brings its result into view", func(t *testing.T) {
		ctx := b.tab(t)
		var inView bool
		run(t, ctx, chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile))
		b.shop(t, ctx, "559311-3714")
		run(t, ctx,
			chromedp.Click("#pay", chromedp.ByID),
			waitFor(visible("confirm-form")),
			clickInDialog("confirm"),
			resultState("ordered"),
			chromedp.Evaluate(`(function(){ var r = document.getElementById("result").getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; })()`, &inView),
		)
		if !inView {
			t.Error("the order's result is out of view")
		}
	})
}

// holdAssess serves e's Kassa at an address of its own that holds the
// dialog's company checks until release is closed.
func holdAssess(t *testing.T, e *env) (url string, release chan struct{}) {
	release = make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/assess") {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, release
}
