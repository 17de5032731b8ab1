package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
)

// An owner in Chromium, at a phone's width: finds the notification that
// failed (its endpoint answered 500 to every attempt) in the log, opens
// it and sees the failed attempts; once the endpoint is fixed,
// redelivers it, confirming first, and sees it delivered. Then adds an
// endpoint and sees its signing secret once. Every field has its label
// and nothing scrolls sideways.
func TestNotificationsBrowserJourney(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	h := newHook(t)
	e.endpoint(e.a, h.URL+"/kassa", notify.OrderCreate, notify.OrderReadyForCapture)
	d := e.dispatcher()
	h.answer(http.StatusInternalServerError)
	o := kassatest.Purchase(t, e.app, e.a, nil)
	for range notify.Schedule { // every attempt fails
		drain(t, d)
		e.clock.Advance(11 * time.Hour)
	}
	failed := e.notifications(e.a, store.NotificationFilter{OrderID: o.ID, Type: notify.OrderCreate})[0]
	if failed.Status != notify.Failed {
		t.Fatalf("the notification is %s, want failed", failed.Status)
	}

	ctx, run := newBrowser(t)
	submit := submitter(t, ctx)
	var s, path string
	check := phoneCheck(t, run)
	run(chromedp.EmulateViewport(390, 844))
	signInAs(t, run, submit, e.base, "owner@a.example")

	// The log, filtered to the failed notifications.
	submit(`.sections a[href="/dashboard/notifications"]`)
	run(
		chromedp.WaitVisible("#status", chromedp.ByID),
		chromedp.SetValue("#status", notify.Failed, chromedp.ByID),
	)
	submit("#filter")
	run(chromedp.WaitVisible("#notifications", chromedp.ByID), text("#notifications", &s))
	if !strings.Contains(s, failed.ID) || !strings.Contains(s, "Failed") {
		t.Errorf("failed notifications: %q", s)
	}
	check("the log")
	run(chromedp.EmulateViewport(1100, 640), screenshot("dashboard-notifications"), chromedp.EmulateViewport(390, 844))

	// The notification: its failed attempts.
	submit(`#notifications a[href="/dashboard/notifications/` + failed.ID + `"]`)
	run(chromedp.WaitVisible("#summary", chromedp.ByID), text("#main", &s))
	if !strings.Contains(s, "500 Internal Server Error") || strings.Count(s, "500 Internal Server Error") != len(notify.Schedule) || !strings.Contains(s, "receiver says Internal Server Error") {
		t.Errorf("the failed notification's page: want %d attempts answered 500:\n%s", len(notify.Schedule), s)
	}
	check("the notification")

	// Fixed: redeliver, confirming first.
	h.answer(0)
	submit("#redeliver")
	run(chromedp.WaitVisible("#what", chromedp.ByID), chromedp.Evaluate(`location.pathname`, &path))
	if path != "/dashboard/notifications/"+failed.ID+"/redeliver" {
		t.Errorf("redeliver link: at %s", path)
	}
	check("the redelivery's confirmation")
	submit("#confirm")
	run(chromedp.WaitVisible("#notice", chromedp.ByID), text("#notice", &s))
	if s != "The notification is on its way again." {
		t.Errorf("after redelivering: notice %q", s)
	}
	drain(t, d)
	run(chromedp.Reload(), chromedp.WaitVisible("#state", chromedp.ByID), text("#state", &s))
	if s != "Delivered" {
		t.Errorf("after the dispatcher ran: state %q", s)
	}
	run(chromedp.EmulateViewport(1100, 900), screenshot("dashboard-notification"), chromedp.EmulateViewport(390, 844))

	// A new endpoint: its secret, once.
	run(chromedp.Navigate(e.base + "/dashboard/notifications/endpoints"))
	run(
		chromedp.WaitVisible("#url", chromedp.ByID),
		chromedp.SetValue("#url", h.URL+"/accounting", chromedp.ByID),
		chromedp.Click("#type-0", chromedp.ByID),
	)
	check("the endpoints")
	submit("#add-endpoint")
	run(chromedp.WaitVisible("#secret", chromedp.ByID), text("#secret", &s))
	if !strings.HasPrefix(s, notify.SecretPrefix) {
		t.Errorf("the new endpoint's secret: %q", s)
	}
	check("the endpoints with the secret")
	run(chromedp.EmulateViewport(1100, 900), screenshot("dashboard-endpoints"), chromedp.EmulateViewport(390, 844))
	var shown bool
	run(chromedp.Reload(), chromedp.WaitVisible("#endpoints", chromedp.ByID), chromedp.Evaluate(`document.getElementById("secret") !== null`, &shown))
	if shown {
		t.Error("the secret is shown again after a reload")
	}
}
