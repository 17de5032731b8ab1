package dashboard_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
	"github.com/kassa-pay/kassa/webhook"
)

// hook is a notification receiver on loopback that answers status (200
// when 0) and counts what it is sent.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    int
}

func newHook(t *testing.T) *hook {
	t.Helper()
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.got++
		if h.status != 0 {
			w.WriteHeader(h.status)
			io.WriteString(w, "receiver says "+http.StatusText(h.status)+` <script>alert("x")</script>`)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) answer(status int) {
	h.mu.Lock()
	h.status = status
	h.mu.Unlock()
}

func (h *hook) received() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got
}

// dispatcher delivers e's notifications when drained, as `kassa serve`'s
// does in the background.
func (e *env) dispatcher() *webhook.Dispatcher {
	return webhook.New(slog.New(slog.DiscardHandler), e.store, e.clock, []byte("dashboard test notification key"),
		webhook.Config{AllowPrivate: true, KEK: kassatest.KEK(), Endpoints: e.app, Jitter: func(int) time.Duration { return 0 }})
}

func drain(t *testing.T, d *webhook.Dispatcher) {
	t.Helper()
	if _, err := d.Drain(t.Context()); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

// endpoint adds an endpoint of merchantID's at url for types.
func (e *env) endpoint(merchantID, url string, types ...string) *notify.Endpoint {
	e.t.Helper()
	var ep *notify.Endpoint
	err := e.app.Update(e.t.Context(), func(tx store.Tx) (err error) {
		ep, err = e.app.CreateEndpoint(e.t.Context(), tx, merchantID, url, types)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ep
}

// notifications lists merchantID's notifications matching f, newest first.
func (e *env) notifications(merchantID string, f store.NotificationFilter) []notify.Notification {
	e.t.Helper()
	f.Limit = 1000
	ns, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]notify.Notification, error) {
		return tx.Notifications(e.t.Context(), merchantID, f)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

func (e *env) endpoints(merchantID string) []notify.Endpoint {
	e.t.Helper()
	es, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]notify.Endpoint, error) {
		return tx.NotificationEndpoints(e.t.Context(), merchantID)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

var secretShown = regexp.MustCompile(`<code id="secret" class="key">(whsec_[^<]+)</code>`)

// shownSecret is the secret p shows, "" if none.
func shownSecret(p page) string {
	m := secretShown.FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// The log lists the merchant's notifications newest first, filtered by
// type, state and order, a page at a time; a bad filter is refused with
// 400; another merchant's notification is not found.
func TestNotificationLog(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	h := newHook(t)
	e.endpoint(e.a, h.URL+"/a")
	e.endpoint(e.b, h.URL+"/b")
	d := e.dispatcher()
	delivered := kassatest.Purchase(t, e.app, e.a, nil)
	drain(t, d)
	h.answer(http.StatusInternalServerError)
	failing := kassatest.Purchase(t, e.app, e.a, nil)
	kassatest.Purchase(t, e.app, e.b, nil)
	drain(t, d)

	c := e.client()
	c.signIn("owner@a.example", password)
	all := c.get("/dashboard/notifications")
	ns := e.notifications(e.a, store.NotificationFilter{})
	if all.status != http.StatusOK || len(ns) < 4 {
		t.Fatalf("log: %d, %d notifications", all.status, len(ns))
	}
	// Newest first: each notification's link comes before the older's.
	at := -1
	for _, n := range ns {
		i := strings.Index(all.body, `href="/dashboard/notifications/`+n.ID+`"`)
		if i < at {
			t.Errorf("notification %s is out of order", n.ID)
		}
		at = i
	}
	for _, n := range e.notifications(e.b, store.NotificationFilter{}) {
		if strings.Contains(all.body, n.ID) {
			t.Errorf("a's log shows b's notification %s", n.ID)
		}
	}

	tests := []struct {
		query string
		want  store.NotificationFilter
	}{
		{"status=pending", store.NotificationFilter{Status: notify.Pending}},
		{"status=delivered", store.NotificationFilter{Status: notify.Delivered}},
		{"eventType=" + url.QueryEscape(notify.OrderCreate), store.NotificationFilter{Type: notify.OrderCreate}},
		{"orderId=" + failing.ID, store.NotificationFilter{OrderID: failing.ID}},
		{"orderId=" + delivered.ID + "&status=pending", store.NotificationFilter{OrderID: delivered.ID, Status: notify.Pending}},
	}
	for _, tt := range tests {
		p := c.get("/dashboard/notifications?" + tt.query)
		want := e.notifications(e.a, tt.want)
		if p.status != http.StatusOK || strings.Count(p.body, `<a href="/dashboard/notifications/nt_`) != len(want) {
			t.Errorf("%s: %d, want %d notifications:\n%s", tt.query, p.status, len(want), p.body)
		}
		for _, n := range want {
			if !strings.Contains(p.body, n.ID) {
				t.Errorf("%s lacks %s", tt.query, n.ID)
			}
		}
	}
	if n := len(e.notifications(e.a, store.NotificationFilter{Status: notify.Pending})); n == 0 {
		t.Error("no notification pending after the receiver answered 500")
	}
	for _, bad := range []string{"status=lost", "eventType=com.example.nothing", "cursor=yesterday"} {
		if p := c.get("/dashboard/notifications?" + bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) || strings.Contains(p.body, ns[0].ID) {
			t.Errorf("%s: %d, want 400 with an error and no notifications", bad, p.status)
		}
	}

	// A notification's page: its payload, its delivery and the attempt.
	n := e.notifications(e.a, store.NotificationFilter{OrderID: failing.ID, Type: notify.OrderCreate})[0]
	p := c.get("/dashboard/notifications/" + n.ID)
	for _, want := range []string{"com.ledyer.order.create", failing.ID, h.URL + "/a", "500 Internal Server Error", "receiver says Internal Server Error", "Pending", `id="redeliver"`} {
		if p.status != http.StatusOK || !strings.Contains(p.body, want) {
			t.Errorf("notification page (%d) lacks %q", p.status, want)
		}
	}

	if strings.Contains(p.body, "<script") || !strings.Contains(p.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the receiver's answer reached the page as markup, or not at all")
	}

	// b's notification, for a's user: not found, as is its redelivery.
	bn := e.notifications(e.b, store.NotificationFilter{})[0]
	for _, path := range []string{"/dashboard/notifications/" + bn.ID, "/dashboard/notifications/" + bn.ID + "/redeliver"} {
		if p := c.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, h.URL+"/b") {
			t.Errorf("a's user at b's %s: %d, want 404", path, p.status)
		}
	}
	if p := c.post("/dashboard/notifications/"+bn.ID+"/redeliver", url.Values{"once": {"b-redeliver"}}); p.status != http.StatusNotFound {
		t.Errorf("redelivering b's notification: %d, want 404", p.status)
	}

	// b's endpoint: not found, and unchanged.
	bEndpoints := e.endpoints(e.b)
	for _, op := range []string{"rotate", "enable", "disable", "delete"} {
		path := "/dashboard/notifications/endpoints/" + bEndpoints[0].ID + "/" + op
		if p := c.get(path); p.status != http.StatusNotFound {
			t.Errorf("a's user at %s: %d, want 404", path, p.status)
		}
		if p := c.post(path, url.Values{"once": {"b-" + op}}); p.status != http.StatusNotFound || secretShown.MatchString(p.body) {
			t.Errorf("a's user's POST %s: %d, want 404", path, p.status)
		}
	}
	if got := e.endpoints(e.b); len(got) != 1 || got[0].Secret != bEndpoints[0].Secret {
		t.Error("a's user changed b's endpoint")
	}

	// Paging: 50 a page, the Next link keeps the filter.
	h.answer(0)
	for range 17 {
		kassatest.Purchase(t, e.app, e.a, nil)
	}
	typ := url.QueryEscape(notify.OrderCreate)
	if len(e.notifications(e.a, store.NotificationFilter{})) <= 50 {
		t.Fatal("too few notifications to page")
	}
	// Undelivered yet, the new ones are pending: more than a page.
	pending := e.notifications(e.a, store.NotificationFilter{Status: notify.Pending})
	if len(pending) <= 50 {
		t.Fatalf("%d pending notifications: too few to page", len(pending))
	}
	p = c.get("/dashboard/notifications?status=pending")
	next := regexp.MustCompile(`id="next" rel="next" href="([^"]*)"`).FindStringSubmatch(p.body)
	if next == nil || strings.Count(p.body, `<a href="/dashboard/notifications/nt_`) != 50 {
		t.Fatalf("first page: want 50 and a Next link:\n%s", p.body)
	}
	href := strings.ReplaceAll(next[1], "&amp;", "&")
	if u, _ := url.Parse(href); u.Query().Get("status") != "pending" {
		t.Errorf("Next link %s lost the filter", href)
	}
	rest := c.get(href)
	if got := strings.Count(rest.body, `<a href="/dashboard/notifications/nt_`); rest.status != 200 || got != len(pending)-50 || strings.Contains(rest.body, `id="next"`) ||
		!strings.Contains(rest.body, pending[len(pending)-1].ID) || strings.Contains(rest.body, `<td class="state">Delivered`) {
		t.Errorf("second page: %d with %d notifications, want the last %d pending", rest.status, got, len(pending)-50)
	}
	if p, want := c.get("/dashboard/notifications?eventType="+typ), len(e.notifications(e.a, store.NotificationFilter{Type: notify.OrderCreate})); want < 19 || strings.Count(p.body, `<a href="/dashboard/notifications/nt_`) != want {
		t.Errorf("order.create notifications: want %d", want)
	}
}

// Redelivering sends a notification again once for one once key: the
// form sent twice is answered alike and applied once.
func TestRedeliver(t *testing.T) { bothStores(t, testRedeliver) }

func testRedeliver(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	h := newHook(t)
	e.endpoint(e.a, h.URL, notify.OrderCreate)
	d := e.dispatcher()
	h.answer(http.StatusInternalServerError)
	o := kassatest.Purchase(t, e.app, e.a, nil)
	drain(t, d)
	n := e.notifications(e.a, store.NotificationFilter{OrderID: o.ID, Type: notify.OrderCreate})[0]
	h.answer(0)

	c := e.client()
	c.signIn("owner@a.example", password)
	confirm := c.get("/dashboard/notifications/" + n.ID + "/redeliver")
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "sends this com.ledyer.order.create notification again") {
		t.Fatalf("confirmation: %d\n%s", confirm.status, confirm.body)
	}
	form := url.Values{"once": {once(t, confirm)}}
	p := c.post("/dashboard/notifications/"+n.ID+"/redeliver", form)
	if p.path != "/dashboard/notifications/"+n.ID || !strings.Contains(p.body, "The notification is on its way again.") {
		t.Fatalf("redeliver: %d at %s\n%s", p.status, p.path, p.body)
	}
	drain(t, d)
	before := h.received()
	if got := e.notifications(e.a, store.NotificationFilter{OrderID: o.ID, Type: notify.OrderCreate})[0].Status; got != notify.Delivered || before != 2 {
		t.Fatalf("after redelivery: %s, %d requests received, want delivered and 2", got, before)
	}
	if p := c.get("/dashboard/notifications/" + n.ID); !strings.Contains(p.body, `<dd id="state">Delivered</dd>`) || !strings.Contains(p.body, "200 OK") {
		t.Errorf("the notification's page after redelivery:\n%s", p.body)
	}
	// The same form again: the same answer, nothing sent again.
	p = c.post("/dashboard/notifications/"+n.ID+"/redeliver", form)
	drain(t, d)
	if p.path != "/dashboard/notifications/"+n.ID || !strings.Contains(p.body, "The notification is on its way again.") || h.received() != before {
		t.Errorf("the form again: at %s, %d requests received, want %d", p.path, h.received(), before)
	}
	es := e.events("POST /dashboard/notifications/{id}/redeliver")
	if len(es) != 2 || es[0].Replay == es[1].Replay || es[0].Target != n.ID {
		t.Errorf("redeliver events %+v, want one applied and one replay", es)
	}
}

// A support user sees the log and the endpoints but may not redeliver
// or change an endpoint: 403, and nothing changes.
func TestNotificationsSupportRefused(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	h := newHook(t)
	ep := e.endpoint(e.a, h.URL)
	d := e.dispatcher()
	h.answer(http.StatusInternalServerError)
	kassatest.Purchase(t, e.app, e.a, nil)
	drain(t, d)
	n := e.notifications(e.a, store.NotificationFilter{})[0]
	h.answer(0)
	e.newUser(e.a, "support@a.example", user.Support)

	c := e.client()
	c.signIn("support@a.example", password)
	if p := c.get("/dashboard/notifications/" + n.ID); p.status != http.StatusOK || strings.Contains(p.body, `id="redeliver"`) {
		t.Errorf("support at the notification: %d, offered to redeliver %v", p.status, strings.Contains(p.body, `id="redeliver"`))
	}
	if p := c.get("/dashboard/notifications/endpoints"); p.status != http.StatusOK || !strings.Contains(p.body, ep.ID) || strings.Contains(p.body, `id="new-endpoint"`) {
		t.Errorf("support at the endpoints: %d, offered to add %v", p.status, strings.Contains(p.body, `id="new-endpoint"`))
	}
	endpoints, received := e.endpoints(e.a), h.received()
	for _, path := range []string{"/dashboard/notifications/" + n.ID + "/redeliver", "/dashboard/notifications/endpoints/" + ep.ID + "/rotate", "/dashboard/notifications/endpoints/" + ep.ID + "/delete"} {
		if p := c.get(path); p.status != http.StatusForbidden {
			t.Errorf("support at %s: %d, want 403", path, p.status)
		}
	}
	for _, f := range []struct {
		path string
		form url.Values
	}{
		{"/dashboard/notifications/" + n.ID + "/redeliver", url.Values{}},
		{"/dashboard/notifications/endpoints", url.Values{"url": {h.URL + "/new"}}},
		{"/dashboard/notifications/endpoints/" + ep.ID + "/rotate", url.Values{}},
		{"/dashboard/notifications/endpoints/" + ep.ID + "/delete", url.Values{}},
		{"/dashboard/notifications/endpoints/" + ep.ID + "/enable", url.Values{}},
		{"/dashboard/notifications/endpoints/" + ep.ID + "/disable", url.Values{}},
	} {
		f.form.Set("once", "support-"+f.path)
		if p := c.post(f.path, f.form); p.status != http.StatusForbidden || !strings.Contains(p.body, "the support role may not manage settings") || secretShown.MatchString(p.body) {
			t.Errorf("support's POST %s: %d, want 403", f.path, p.status)
		}
	}
	drain(t, d)
	if got := e.endpoints(e.a); len(got) != 1 || got[0].Secret != endpoints[0].Secret || got[0].Disabled() || h.received() != received {
		t.Errorf("support changed something: endpoints %d, secret kept %v, %d requests received", len(got), got[0].Secret == endpoints[0].Secret, h.received())
	}
}

// Adding an endpoint: a bad URL or type is refused with 400 and the
// reason; a good one is added and its secret shown once: not when the
// page is loaded again, nor when the form is sent again. Rotating shows
// the new secret once; deleting removes the endpoint; enabling sends to
// an endpoint Kassa disabled again.
func TestEndpoints(t *testing.T) { bothStores(t, testEndpoints) }

func testEndpoints(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	h := newHook(t)
	c := e.client()
	c.signIn("owner@a.example", password)
	list := c.get("/dashboard/notifications/endpoints")
	if list.status != http.StatusOK || !strings.Contains(list.body, `id="no-endpoints"`) {
		t.Fatalf("endpoints: %d\n%s", list.status, list.body)
	}
	for _, bad := range []struct{ url, typ, msg string }{
		{"ftp://127.0.0.1/x", "", "url must be an absolute http or https URL"},
		{"not a URL", "", "url must be an absolute http or https URL"},
		{"http://user:pw@127.0.0.1:9/", "", "url must not contain credentials"},
		{h.URL, "com.example.nothing", "is not a notification type"},
	} {
		form := url.Values{"url": {bad.url}, "once": {once(t, list)}}
		if bad.typ != "" {
			form.Set("type", bad.typ)
		}
		p := c.post("/dashboard/notifications/endpoints", form)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, bad.msg) || secretShown.MatchString(p.body) {
			t.Errorf("%q %q: %d, want 400 with %q:\n%s", bad.url, bad.typ, p.status, bad.msg, p.body)
		}
		if !strings.Contains(p.body, `value="`+strings.ReplaceAll(bad.url, " ", " ")+`"`) && bad.url != "not a URL" {
			t.Errorf("%q: the form lost the URL", bad.url)
		}
	}
	if es := e.endpoints(e.a); len(es) != 0 {
		t.Fatalf("refused forms added %d endpoints", len(es))
	}

	form := url.Values{"url": {h.URL + "/kassa"}, "type": {notify.OrderCreate, notify.OrderCancel}, "once": {once(t, list)}}
	p := c.post("/dashboard/notifications/endpoints", form)
	secret := shownSecret(p)
	es := e.endpoints(e.a)
	if p.path != "/dashboard/notifications/endpoints" || secret == "" || len(es) != 1 {
		t.Fatalf("add: %d at %s, %d endpoints:\n%s", p.status, p.path, len(es), p.body)
	}
	if stored, err := e.app.OpenSecret(es[0].ID, es[0].Secret); err != nil || stored != secret {
		t.Errorf("the secret shown is not the endpoint's (%v)", err)
	}
	if !strings.Contains(p.body, "The endpoint "+es[0].ID+" is added.") || !strings.Contains(p.body, "com.ledyer.order.create, com.ledyer.order.cancel") {
		t.Errorf("after adding: no notice or types:\n%s", p.body)
	}
	if p := c.get("/dashboard/notifications/endpoints"); secretShown.MatchString(p.body) || !strings.Contains(p.body, "Healthy") {
		t.Error("the secret is shown again when the page is loaded again")
	}
	if p := c.post("/dashboard/notifications/endpoints", form); p.path != "/dashboard/notifications/endpoints" || secretShown.MatchString(p.body) || len(e.endpoints(e.a)) != 1 {
		t.Errorf("the form again: at %s, secret shown %v, %d endpoints", p.path, secretShown.MatchString(p.body), len(e.endpoints(e.a)))
	}
	id := es[0].ID

	// Rotate: the new secret, once.
	confirm := c.get("/dashboard/notifications/endpoints/" + id + "/rotate")
	rotate := url.Values{"once": {once(t, confirm)}}
	p = c.post("/dashboard/notifications/endpoints/"+id+"/rotate", rotate)
	rotated := shownSecret(p)
	if rotated == "" || rotated == secret || !strings.Contains(p.body, "The secret is rotated.") || !strings.Contains(p.body, "the old one signs until") {
		t.Fatalf("rotate: %d at %s:\n%s", p.status, p.path, p.body)
	}
	if p := c.post("/dashboard/notifications/endpoints/"+id+"/rotate", rotate); secretShown.MatchString(p.body) {
		t.Error("the rotated secret is shown again for the form sent again")
	}
	if got := e.endpoints(e.a)[0]; func() string { s, _ := e.app.OpenSecret(id, got.Secret); return s }() != rotated {
		t.Error("the form sent again rotated again")
	}

	// Disable: nothing is sent to it, what is made meanwhile fails; then
	// enabled again.
	confirm = c.get("/dashboard/notifications/endpoints/" + id + "/disable")
	p = c.post("/dashboard/notifications/endpoints/"+id+"/disable", url.Values{"once": {once(t, confirm)}})
	if !strings.Contains(p.body, "The endpoint is disabled.") || !strings.Contains(p.body, "disabled in the dashboard") || !e.endpoints(e.a)[0].Disabled() {
		t.Fatalf("disable: %d at %s:\n%s", p.status, p.path, p.body)
	}
	sent := h.received()
	meanwhile := kassatest.Purchase(t, e.app, e.a, nil)
	drain(t, e.dispatcher())
	if got := e.notifications(e.a, store.NotificationFilter{OrderID: meanwhile.ID, Type: notify.OrderCreate}); h.received() != sent || len(got) != 1 || got[0].Status != notify.Failed {
		t.Errorf("while disabled: %d requests sent, the order's notification %+v, want none sent and failed", h.received()-sent, got)
	}
	confirm = c.get("/dashboard/notifications/endpoints/" + id + "/enable")
	if p = c.post("/dashboard/notifications/endpoints/"+id+"/enable", url.Values{"once": {once(t, confirm)}}); e.endpoints(e.a)[0].Disabled() {
		t.Errorf("enable after disabling: %d at %s", p.status, p.path)
	}

	// Enable: an endpoint answering 410 Gone is disabled by Kassa.
	h.answer(http.StatusGone)
	kassatest.Purchase(t, e.app, e.a, nil)
	drain(t, e.dispatcher())
	if p := c.get("/dashboard/notifications/endpoints"); !strings.Contains(p.body, "<strong>Disabled</strong>") || !strings.Contains(p.body, "it answered 410 Gone") {
		t.Fatalf("after 410: not shown disabled:\n%s", p.body)
	}
	confirm = c.get("/dashboard/notifications/endpoints/" + id + "/enable")
	p = c.post("/dashboard/notifications/endpoints/"+id+"/enable", url.Values{"once": {once(t, confirm)}})
	if !strings.Contains(p.body, "The endpoint is enabled.") || e.endpoints(e.a)[0].Disabled() {
		t.Errorf("enable: %d at %s", p.status, p.path)
	}

	// Delete.
	confirm = c.get("/dashboard/notifications/endpoints/" + id + "/delete")
	if !strings.Contains(confirm.body, "This cannot be undone") {
		t.Errorf("delete confirmation:\n%s", confirm.body)
	}
	p = c.post("/dashboard/notifications/endpoints/"+id+"/delete", url.Values{"once": {once(t, confirm)}})
	if !strings.Contains(p.body, "The endpoint is deleted.") || len(e.endpoints(e.a)) != 0 {
		t.Errorf("delete: %d at %s, %d endpoints", p.status, p.path, len(e.endpoints(e.a)))
	}
	if p := c.get("/dashboard/notifications/endpoints/" + id + "/rotate"); p.status != http.StatusNotFound {
		t.Errorf("a deleted endpoint's page: %d", p.status)
	}
}
