package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/session"
)

// liveShop serves e's Kassa with a merchant's checkout page at /shop, on
// Kassa's origin (so that the test reaches into the dialog's frame), that
// authorizes a session with the SDK and keeps what the SDK resolved to in
// #result's data-result. Live mode has no demo shop.
func liveShop(t *testing.T, e *env) *httptest.Server {
	customer, _ := json.Marshal(buyer)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/shop" {
			e.srv.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><script id="ledyer-payments" src="/bootstrap.js"></script></head>
<body><div id="result"></div><script>
window.pay = function (sessionId) {
  window.ledyer.payments.api.authorize({ sessionId: sessionId, customer: %s }).then(
    function (r) { document.getElementById("result").dataset.result = JSON.stringify(r); },
    function (e) { document.getElementById("result").dataset.result = "error " + e.code; });
};
</script></body></html>`, customer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// In live mode, in a real browser: the dialog asks for the signatory and
// shows no signing link, nor does anything the shop's page receives; the
// signatory's page sends a code, takes it and then approves.
func TestBrowserLiveSignatory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, live())
	b := newBrowser(t, e)
	shop := liveShop(t, e)
	e.must(200, request{method: "PUT", path: "/v1/credit-policy", body: map[string]any{"signatoryAbove": map[string]any{"SEK": 5000}}})
	id := e.session(cart(line("A", 1, 10000)))

	ctx := b.tab(t)
	var dialogHTML, result string
	run(t, ctx,
		chromedp.Navigate(shop.URL+"/shop"),
		waitFor(`window.ledyer && window.ledyer.payments`),
		chromedp.Evaluate(`window.pay("`+id+`")`, nil),
		waitFor(visible("signatory-fields")),
		chromedp.Evaluate(inDialog(`(d.getElementById("signatory-name").value = "Sara Signer", d.getElementById("signatory-email").value = "sara@buyer.example", true)`), nil),
		screenshot(t, "dialog-signatory-name"),
		clickInDialog("confirm"),
		waitFor(visible("signatory")),
		screenshot(t, "dialog-signatory-live"),
		chromedp.Evaluate(inDialog(`d.documentElement.outerHTML`), &dialogHTML),
		clickInDialog("done"),
		waitFor(`document.getElementById("result").dataset.result`),
		chromedp.Evaluate(`document.getElementById("result").dataset.result`, &result),
	)
	if strings.Contains(dialogHTML, "/payments/sign/") {
		t.Errorf("the live dialog holds the signing link:\n%s", dialogHTML)
	}
	if !strings.Contains(result, `"awaitingSignatory"`) || strings.Contains(result, "/payments/sign/") {
		t.Errorf("the shop's page got %s, want awaitingSignatory without a link", result)
	}

	path := signingLink.FindStringSubmatch(e.messages()[0].body)[1]
	var outcome string
	run(t, ctx,
		chromedp.Navigate(shop.URL+path),
		chromedp.WaitVisible("#send-code", chromedp.ByID),
		chromedp.Click("#send-code", chromedp.ByID),
		chromedp.WaitVisible("#code", chromedp.ByID),
		screenshot(t, "signing-page-code"),
	)
	ms := e.messages()
	code := oneTimeCode.FindStringSubmatch(ms[len(ms)-1].body)[1]
	run(t, ctx,
		chromedp.SendKeys("#code", code, chromedp.ByID),
		chromedp.Click("#verify", chromedp.ByID),
		chromedp.WaitVisible("#approve", chromedp.ByID),
		chromedp.Click("#approve", chromedp.ByID),
		chromedp.WaitVisible("#outcome strong", chromedp.ByQuery),
		chromedp.Text("#outcome", &outcome, chromedp.ByID),
	)
	if !strings.Contains(outcome, "Godkänt") { // the session's locale is sv-SE
		t.Errorf("signing page after approval says %q", outcome)
	}
	if ps := e.storedSession(id); ps.State != session.StateAuthorized || ps.Approval == nil || ps.Approval.Name != "Sara Signer" {
		t.Errorf("session after approval: %s, %+v", ps.State, ps.Approval)
	}
}
