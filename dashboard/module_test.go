package dashboard_test

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/dashboard"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/user"
)

// moduleEnv is env with the dashboard served with the payment module, as
// `kassa serve` serves it, on a server of its own over the same store.
type moduleEnv struct {
	*env
	pm *paymod.Service
}

func newModuleEnv(t *testing.T) *moduleEnv {
	t.Helper()
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	log := slog.New(slog.DiscardHandler)
	pm := paymod.New(log, e.store, paymod.Registry{paymod.SystemProviderID: paymod.System{}}, e.app.Clock(), e.app.IDs())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base = "http://" + l.Addr().String()
	d := dashboard.New(log, dashboard.Config{PublicURL: e.base, Payments: pm}, e.app)
	srv := api.NewServer(log, api.Config{Sandbox: true, Pages: []api.Routes{d}}, e.app)
	hs := &httptest.Server{Listener: l, Config: &http.Server{Handler: srv}}
	hs.Start()
	t.Cleanup(hs.Close)
	return &moduleEnv{env: e, pm: pm}
}

// paid makes a collection of merchantID's of amount SEK minor units and
// authorizes all of it with the system provider: the collection and its
// payment.
func (e *moduleEnv) paid(merchantID string, amount int64) (*payment.Collection, *payment.Payment) {
	e.t.Helper()
	ctx := e.t.Context()
	c, err := e.pm.CreateCollection(ctx, merchantID, "SEK", amount, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.pm.CreateSession(ctx, merchantID, c.ID, payment.SessionParams{ProviderID: paymod.SystemProviderID})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.pm.AuthorizeSession(ctx, merchantID, ps.ID, nil)
	if err != nil || a.Payment == nil {
		e.t.Fatalf("authorize: %v %+v", err, a)
	}
	return c, a.Payment
}

func (e *moduleEnv) payment(merchantID, id string) *payment.Payment {
	e.t.Helper()
	p, err := e.pm.Payment(e.t.Context(), merchantID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// The collections page lists the merchant's collections newest first,
// 50 to a page with a Next link that keeps the filters, by status and
// currency; a bad filter is 400 and lists nothing. Another merchant's
// collection is not listed, and its page is not found.
func TestModuleList(t *testing.T) {
	e := newModuleEnv(t)
	first, _ := e.paid(e.a, 50000)
	others, _ := e.paid(e.b, 50000)
	for range 50 {
		if _, err := e.pm.CreateCollection(t.Context(), e.a, "SEK", 1000, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	c.signIn("owner@a.example", password)
	p := c.get("/dashboard/module")
	next := regexp.MustCompile(`id="next" rel="next" href="([^"]*)"`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || next == nil || strings.Count(p.body, `href="/dashboard/module/collections/`) != 50 || strings.Contains(p.body, first.ID) {
		t.Fatalf("first page of 51: %d, want 50 collections, a Next link and not the oldest:\n%s", p.status, p.body)
	}
	if p = c.get(strings.ReplaceAll(next[1], "&amp;", "&")); !strings.Contains(p.body, `href="/dashboard/module/collections/`+first.ID+`"`) ||
		strings.Count(p.body, `href="/dashboard/module/collections/`) != 1 || strings.Contains(p.body, `id="next"`) {
		t.Errorf("second page: want the oldest collection alone, no Next link:\n%s", p.body)
	}
	if p = c.get("/dashboard/module?status=authorized&currency=sek"); strings.Count(p.body, `href="/dashboard/module/collections/`) != 1 || !strings.Contains(p.body, first.ID) {
		t.Errorf("authorized SEK collections: %d, want %s alone:\n%s", p.status, first.ID, p.body)
	}
	if p = c.get("/dashboard/module?currency=EUR"); !strings.Contains(p.body, `id="no-collections"`) {
		t.Errorf("EUR collections: want none, got %d", p.status)
	}
	for _, bad := range []string{"status=open", "currency=kronor", "cursor=yesterday"} {
		if p = c.get("/dashboard/module?" + bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) || strings.Contains(p.body, first.ID) {
			t.Errorf("%s: %d, want 400 with an error and no collections", bad, p.status)
		}
	}
	if p = c.get("/dashboard/module?status=authorized"); strings.Contains(p.body, others.ID) {
		t.Errorf("merchant b's collection %s is listed", others.ID)
	}
	if p = c.get("/dashboard/module/collections/" + others.ID); p.status != http.StatusNotFound || strings.Contains(p.body, "payment-") {
		t.Errorf("merchant b's collection: %d, want 404", p.status)
	}
	if p = c.get("/dashboard/module/collections/" + first.ID); p.status != http.StatusOK || !strings.Contains(p.body, `id="payment-`) || !strings.Contains(p.body, "SEK 500.00") {
		t.Errorf("the collection's page: %d, want its payment of SEK 500.00:\n%s", p.status, p.body)
	}
}

// Capturing, refunding and cancelling from the dashboard: each from its
// confirmation page, applied once however often its form is sent, each
// in the audit log; a refund of more than is captured is refused and
// changes nothing.
func TestModuleMoves(t *testing.T) { bothStores(t, testModuleMoves) }

func testModuleMoves(t *testing.T, newEnv envMaker) {
	e := newModuleEnv(t)
	col, pay := e.paid(e.a, 50000)
	c := e.client()
	c.signIn("owner@a.example", password)
	base := "/dashboard/module/payments/" + pay.ID

	p := c.get(base + "/capture")
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="500.00"`) || !strings.Contains(p.body, "at most SEK 500.00") {
		t.Fatalf("capture page: %d, want the amount left, SEK 500.00:\n%s", p.status, p.body)
	}
	form := url.Values{"once": {once(t, p)}, "amount": {"300"}}
	for i := range 2 { // a double click
		p = c.post(base+"/capture", form)
		if p.status != http.StatusOK || p.path != "/dashboard/module/collections/"+col.ID {
			t.Fatalf("capture, send %d: %d at %s, want the collection's page", i+1, p.status, p.path)
		}
	}
	if !strings.Contains(p.body, "Captured SEK 300.00 of payment "+pay.ID) {
		t.Errorf("no notice of the capture on the replay:\n%s", p.body)
	}
	if got := e.payment(e.a, pay.ID); len(got.Captures) != 1 || got.Captured() != 30000 || got.Captures[0].CreatedBy != "user:"+e.aOwner.ID {
		t.Errorf("after two sends of one capture form: %+v", got.Captures)
	}

	p = c.get(base + "/refund")
	if !strings.Contains(p.body, `value="300.00"`) {
		t.Errorf("refund page: want the amount captured, SEK 300.00:\n%s", p.body)
	}
	too := url.Values{"once": {once(t, p)}, "amount": {"300,01"}}
	if p = c.post(base+"/refund", too); p.status != http.StatusConflict || !strings.Contains(p.body, `id="error"`) || !strings.Contains(p.body, `value="300,01"`) {
		t.Errorf("refund of more than captured: %d, want 409 with the form again:\n%s", p.status, p.body)
	}
	if got := e.payment(e.a, pay.ID); len(got.Refunds) != 0 {
		t.Errorf("a refused refund changed the payment: %+v", got.Refunds)
	}
	for _, bad := range []string{"ten", "1.001", "-5", "0"} {
		if p = c.post(base+"/refund", url.Values{"once": {once(t, c.get(base+"/refund"))}, "amount": {bad}}); p.status != http.StatusBadRequest {
			t.Errorf("refund of %q: %d, want 400", bad, p.status)
		}
	}
	form = url.Values{"once": {once(t, c.get(base+"/refund"))}, "amount": {"100.50"}, "reason": {"damaged"}, "note": {"one leg"}}
	c.post(base+"/refund", form)
	if p = c.post(base+"/refund", form); p.path != "/dashboard/module/collections/"+col.ID ||
		!strings.Contains(p.body, "Refund") || !strings.Contains(p.body, "SEK 100.50") || !strings.Contains(p.body, "damaged") {
		t.Errorf("collection page after the refund: %s\n%s", p.path, p.body)
	}
	if got := e.payment(e.a, pay.ID); len(got.Refunds) != 1 || got.Refunded() != 10050 {
		t.Errorf("after two sends of one refund form: %+v", got.Refunds)
	}
	// The same once key with another amount is refused.
	form.Set("amount", "1")
	if p = c.post(base+"/refund", form); p.status != http.StatusUnprocessableEntity {
		t.Errorf("a once key sent again with another amount: %d, want 422", p.status)
	}
	var outcomes []string
	for _, ev := range e.events("POST /dashboard/module/payments/{id}/refund") {
		if ev.Target != pay.ID {
			t.Errorf("a refund's event names %s, want the payment %s", ev.Target, pay.ID)
		}
		outcome := ev.Outcome
		if ev.Replay {
			outcome += " replay"
		}
		outcomes = append(outcomes, outcome)
	}
	slices.Sort(outcomes)
	want := []string{"conflict", "idempotency_key_reused", "invalid_request", "invalid_request", "invalid_request", "invalid_request", "ok", "ok replay"}
	if !slices.Equal(outcomes, want) {
		t.Errorf("refund events' outcomes = %v, want %v", outcomes, want)
	}

	// A payment nothing of which is captured is cancelled, once.
	_, fresh := e.paid(e.a, 20000)
	form = url.Values{"once": {once(t, c.get("/dashboard/module/payments/"+fresh.ID+"/cancel"))}}
	for range 2 {
		if p = c.post("/dashboard/module/payments/"+fresh.ID+"/cancel", form); p.status != http.StatusOK || !strings.Contains(p.body, "Cancelled payment "+fresh.ID) {
			t.Errorf("cancel: %d\n%s", p.status, p.body)
		}
	}
	if got := e.payment(e.a, fresh.ID); got.Status != payment.PaymentCanceled || len(got.Cancels) != 1 {
		t.Errorf("after two sends of one cancel form: %s %+v", got.Status, got.Cancels)
	}
	// A double click: the same form twice at once captures once.
	_, twice := e.paid(e.a, 20000)
	form = url.Values{"once": {once(t, c.get("/dashboard/module/payments/"+twice.ID+"/capture"))}, "amount": {"150"}, "csrf": {c.csrf}}
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.base+"/dashboard/module/payments/"+twice.ID+"/capture", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err := c.http.Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if got := e.payment(e.a, twice.ID); len(got.Captures) != 1 || got.Captured() != 15000 || statuses[0] != http.StatusOK || statuses[1] != http.StatusOK {
		t.Errorf("a double click on capture: answers %v, captures %+v", statuses, got.Captures)
	}
	// Not the captured one.
	if p = c.post(base+"/cancel", url.Values{"once": {once(t, c.get(base+"/cancel"))}}); p.status != http.StatusConflict {
		t.Errorf("cancel of a captured payment: %d, want 409", p.status)
	}
}

// Support may look but not capture, refund or cancel (403, nothing
// changed, the refusal audited); another merchant's payment is not found
// and is left as it was.
func TestModuleRefused(t *testing.T) { bothStores(t, testModuleRefused) }

func testModuleRefused(t *testing.T, newEnv envMaker) {
	e := newModuleEnv(t)
	_, pay := e.paid(e.a, 50000)
	_, theirs := e.paid(e.b, 50000)
	e.newUser(e.a, "support@a.example", user.Support)
	c := e.client()
	c.signIn("support@a.example", password)
	base := "/dashboard/module/payments/" + pay.ID
	if p := c.get("/dashboard/module/collections/" + pay.CollectionID); p.status != http.StatusOK || strings.Contains(p.body, `id="capture-`) {
		t.Errorf("support on the collection's page: %d, want it, with no capture link", p.status)
	}
	for _, kind := range []string{"capture", "refund", "cancel"} {
		if p := c.get(base + "/" + kind); p.status != http.StatusForbidden || strings.Contains(p.body, `name="once"`) {
			t.Errorf("support, the %s page: %d, want 403 without a form", kind, p.status)
		}
		if p := c.post(base+"/"+kind, url.Values{"once": {"a-key-of-their-own"}, "amount": {"100"}}); p.status != http.StatusForbidden {
			t.Errorf("support, %s: %d, want 403", kind, p.status)
		}
		evs := e.events("POST /dashboard/module/payments/{id}/" + kind)
		if len(evs) != 1 || evs[0].Outcome != "forbidden" || evs[0].Target != pay.ID {
			t.Errorf("support's %s in the audit log: %+v", kind, evs)
		}
	}
	if got := e.payment(e.a, pay.ID); len(got.Captures)+len(got.Refunds)+len(got.Cancels) != 0 {
		t.Errorf("support changed the payment: %+v", got)
	}

	o := e.client()
	o.signIn("owner@a.example", password)
	if p := o.get("/dashboard/module/payments/" + theirs.ID + "/capture"); p.status != http.StatusNotFound || strings.Contains(p.body, `name="once"`) {
		t.Errorf("merchant b's payment's capture page: %d, want 404", p.status)
	}
	if p := o.post("/dashboard/module/payments/"+theirs.ID+"/capture", url.Values{"once": {"k"}, "amount": {"100"}}); p.status != http.StatusNotFound {
		t.Errorf("capture of merchant b's payment: %d, want 404", p.status)
	}
	if got := e.payment(e.b, theirs.ID); len(got.Captures) != 0 {
		t.Errorf("merchant b's payment was captured: %+v", got.Captures)
	}
}
