package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/user"
)

// An owner in Chromium creates an API key and sees its secret once; the
// key gets an access token from POST /oauth/token; revoked, it gets none.
// A support user sees the API keys without a way to change them. The
// settings pages fit a phone's width with every field labelled.
func TestSettingsBrowserJourney(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	e.newUser(e.a, "support@a.example", user.Support)
	e.newUser(e.a, "finance@a.example", user.Finance)
	ctx, run := newBrowser(t)
	submit := submitter(t, ctx)
	signIn := func(email string) { t.Helper(); signInAs(t, run, submit, e.base, email) }
	// token asks POST /oauth/token for an access token with the key.
	token := func(id, secret string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", e.base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var (
		path, notice string
	)
	check := phoneCheck(t, run)

	run(chromedp.EmulateViewport(390, 844))
	signIn("owner@a.example")
	submit(`a[href="/dashboard/settings"]`)
	run(chromedp.WaitVisible("#settings", chromedp.ByID))
	check("settings")
	run(chromedp.EmulateViewport(1100, 560), screenshot("dashboard-settings"), chromedp.EmulateViewport(390, 844))

	submit(`#settings a[href="/dashboard/settings/api-keys"]`)
	run(chromedp.WaitVisible("#create-key", chromedp.ByID))
	check("API keys")
	run(
		chromedp.SetValue("#name", "Webshop", chromedp.ByID),
		chromedp.SetValue("#scope", "write", chromedp.ByID),
	)
	submit("#create")
	var id, secret string
	run(
		chromedp.WaitVisible("#client-secret", chromedp.ByID),
		text("#client-id", &id),
		text("#client-secret", &secret),
	)
	check("the new key's secret")
	if id == "" || len(secret) < 20 {
		t.Fatalf("new key %q, secret %q", id, secret)
	}
	if got := token(id, secret); got != http.StatusOK {
		t.Fatalf("POST /oauth/token with the new key: %d", got)
	}
	// Back to the list: the secret is not on it.
	submit("#done")
	var body string
	run(chromedp.WaitVisible("#api-keys", chromedp.ByID), chromedp.Text("main", &body, chromedp.ByQuery))
	if !strings.Contains(body, id) || strings.Contains(body, secret) {
		t.Errorf("the API keys list: has the key %v, shows the secret %v", strings.Contains(body, id), strings.Contains(body, secret))
	}
	submit(`a[href="/dashboard/settings/api-keys/` + id + `/revoke"]`)
	run(chromedp.WaitVisible("#confirm", chromedp.ByID))
	check("revoke")
	submit("#confirm")
	run(
		chromedp.WaitVisible("#notice", chromedp.ByID),
		text("#notice", &notice),
		chromedp.Evaluate(`location.pathname`, &path),
	)
	if path != "/dashboard/settings/api-keys" || !strings.Contains(notice, "is revoked") {
		t.Errorf("after revoking: at %s, notice %q", path, notice)
	}
	if got := token(id, secret); got != http.StatusUnauthorized {
		t.Errorf("POST /oauth/token with the revoked key: %d, want 401", got)
	}
	run(chromedp.EmulateViewport(1100, 700), screenshot("dashboard-api-keys"))

	run(chromedp.Navigate(e.base+"/dashboard/settings/users"), chromedp.WaitVisible("#invite", chromedp.ByID))
	run(chromedp.EmulateViewport(390, 844))
	check("users")
	run(chromedp.EmulateViewport(1100, 800), screenshot("dashboard-users"))

	run(chromedp.Navigate(e.base+"/dashboard/settings/audit"), chromedp.WaitVisible("#audit-events", chromedp.ByID))
	run(chromedp.Text("#audit-events", &body, chromedp.ByID))
	if !strings.Contains(body, "POST /dashboard/settings/api-keys/{id}/revoke") || !strings.Contains(body, id) {
		t.Errorf("the audit log lacks the revocation of %s", id)
	}
	run(chromedp.EmulateViewport(1100, 700), screenshot("dashboard-audit"), chromedp.EmulateViewport(390, 844))
	check("audit")
	run(chromedp.Navigate(e.base+"/dashboard/settings/credit"), chromedp.WaitVisible("#credit-form", chromedp.ByID))
	check("credit policy")
	run(chromedp.EmulateViewport(1100, 900), screenshot("dashboard-credit-policy"), chromedp.EmulateViewport(390, 844))
	run(chromedp.Navigate(e.base+"/dashboard/settings/invoice"), chromedp.WaitVisible("#invoice-form", chromedp.ByID))
	check("invoice settings")
	run(chromedp.EmulateViewport(1100, 900), screenshot("dashboard-invoice-settings"), chromedp.EmulateViewport(390, 844))

	// Support: the keys, no way to change them.
	submit("#sign-out")
	signIn("support@a.example")
	var creates, changes int
	run(
		chromedp.Navigate(e.base+"/dashboard/settings/api-keys"),
		chromedp.WaitVisible("#api-keys", chromedp.ByID),
		chromedp.Text("#api-keys", &body, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#create-key, button#create").length`, &creates),
		chromedp.Evaluate(`document.querySelectorAll("a.revoke, a.rotate").length`, &changes),
	)
	check("support's API keys")
	if !strings.Contains(body, id) || creates != 0 || changes != 0 {
		t.Errorf("support's API keys page: lists the key %v, %d create forms, %d revoke or rotate links", strings.Contains(body, id), creates, changes)
	}
}
