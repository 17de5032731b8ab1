package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

type testClockOut struct {
	Now           time.Time
	OffsetSeconds int64
}

func (e *env) testClock(as *creds) testClockOut {
	e.t.Helper()
	var c testClockOut
	e.must(200, request{method: "GET", path: "/v1/sandbox/test-clock", as: as}).decode(e.t, &c)
	return c
}

// A test clock advanced by 15 days expires the merchant's order at once:
// the answer finds its expire event written, capture no longer offered,
// and the com.kassa.order.expired notification queued, which the
// dispatcher sends to the merchant's endpoint on loopback. Another
// merchant's clock and orders stay as they were.
func TestTestClockExpiresOrder(t *testing.T) { backends(t, testTestClockExpiresOrder) }

func testTestClockExpiresOrder(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": h.URL + "/kassa", "eventTypes": []string{"com.kassa.order.expired"}}})
	id := e.order(cart(line("A", 1, 10000)))
	theirs := e.orderAs(&e.b, cart(line("B", 1, 10000)))
	drain(t, d)

	var c testClockOut
	e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 15 * 24 * 3600}}).decode(t, &c)
	if want := e.clock.Now().Add(15 * 24 * time.Hour); !c.Now.Equal(want) || c.OffsetSeconds != 15*24*3600 {
		t.Errorf("advance = %+v, want now %v and 15 days' offset", c, want)
	}
	if got := e.testClock(nil); !got.Now.Equal(c.Now) {
		t.Errorf("GET test-clock = %+v, want %+v", got, c)
	}
	o := e.getOrder(id, nil)
	if types := eventTypes(o); types[0] != "expire" {
		t.Errorf("events after the advance = %v, want expire newest", types)
	}
	if o.Uncaptured == nil || strings.Contains(strings.Join(actions(o.Uncaptured.AvailableActions), " "), "capture") {
		t.Errorf("expired order's uncaptured chunk = %+v, want it kept, without capture", o.Uncaptured)
	}
	var ns struct{ Data []notificationOut }
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + id}).decode(t, &ns)
	if len(ns.Data) == 0 || ns.Data[0].EventType != "com.kassa.order.expired" {
		t.Fatalf("notifications of the expired order: %+v", ns.Data)
	}
	drain(t, d)
	if got := h.received(); len(got) != 1 || !strings.Contains(got[0], `"eventType":"com.kassa.order.expired"`) || !strings.Contains(got[0], id) {
		t.Errorf("endpoint received %q, want the expiry of %s", got, id)
	}

	if c := e.testClock(&e.b); c.OffsetSeconds != 0 || !c.Now.Equal(e.clock.Now()) {
		t.Errorf("the other merchant's clock = %+v, want the wall clock's", c)
	}
	if types := eventTypes(e.getOrder(theirs, &e.b)); types[0] == "expire" {
		t.Errorf("the other merchant's order expired: %v", types)
	}
	// The background job finds nothing more to do.
	if n, err := e.app.ExpireOrders(t.Context()); n != 0 || err != nil {
		t.Errorf("ExpireOrders after the catch-up = %d, %v", n, err)
	}
}

// The background jobs honour test clocks too: an advance made while its
// catch-up could not run is caught up by the next pass.
func TestTestClockJobs(t *testing.T) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	err := e.app.Update(t.Context(), func(tx store.Tx) error {
		_, err := e.app.AdvanceTestClock(t.Context(), tx, e.a.merchantID, provider.Advance{By: 15 * 24 * time.Hour})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.app.ExpireOrders(t.Context()); n != 1 || err != nil {
		t.Fatalf("ExpireOrders = %d, %v; want the one order", n, err)
	}
	if types := eventTypes(e.getOrder(id, nil)); types[0] != "expire" {
		t.Errorf("events = %v, want expire newest", types)
	}
}

// A pending delivery's retry comes as much sooner as the clock is
// advanced: an hour's advance sends a retry due in an hour at once.
func TestTestClockRetries(t *testing.T) { backends(t, testTestClockRetries) }

func testTestClockRetries(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	h.setFail(true)
	e.order(hookCart(h, line("A", 1, 10000)))
	drain(t, d) // every attempt fails: their retries wait
	h.setFail(false)
	if n := drain(t, d); n != 0 {
		t.Fatalf("sent %d before the retries are due", n)
	}
	e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 3600}})
	if n := drain(t, d); n == 0 {
		t.Errorf("no retry sent after advancing the clock an hour")
	}
}

// Authorization tokens and sessions expire on the merchant's clock, in
// the API and in the buyer's dialog.
func TestTestClockTokenExpiry(t *testing.T) { backends(t, testTestClockTokenExpiry) }

func testTestClockTokenExpiry(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e := newEnv(t)
	c := cart(line("A", 1, 10000))
	sid, fresh := e.session(c), e.session(c)
	tok := e.authorize(sid, buyer)
	e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"to": e.clock.Now().Add(8 * 24 * time.Hour).Format(time.RFC3339)}})
	var ps struct{ State string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + sid}).decode(t, &ps)
	if ps.State != "expired" {
		t.Errorf("session state after 8 days = %q, want expired", ps.State)
	}
	// The buyer's dialog reads the session's state on its merchant's clock.
	var dialog struct{ State string }
	e.must(200, request{method: "GET", path: "/payments/dialog/" + fresh + "/status"}).decode(t, &dialog)
	if dialog.State != "expired" {
		t.Errorf("dialog state of a session 8 days old = %q, want expired", dialog.State)
	}
	resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: withCustomer(c, buyer)})
	if resp.status != 409 || !strings.Contains(string(resp.body), "expired") {
		t.Errorf("order from a token 8 days on = %d %s, want 409 expired", resp.status, resp.body)
	}
	// Merchant B's session of the same age is open on the wall clock.
	theirs := e.sessionAs(&e.b, c)
	e.authorizeAs(&e.b, theirs, buyer)
}

// Bad input is 400 and leaves the clock as it was; the clock never goes
// back. A retry with the same Idempotency-Key advances it once.
func TestTestClockBadInput(t *testing.T) { backends(t, testTestClockBadInput) }

func testTestClockBadInput(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e := newEnv(t)
	retry := request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 3600}, header: map[string]string{"Idempotency-Key": "advance-1"}}
	e.must(200, retry)
	if resp := e.must(200, retry); resp.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry was not replayed: %s", resp.body)
	}
	before := e.testClock(nil)
	if before.OffsetSeconds != 3600 {
		t.Errorf("offset after an advance and its retry = %d, want 3600", before.OffsetSeconds)
	}
	for _, body := range []any{
		nil, "{", "[]", map[string]any{},
		map[string]any{"seconds": 0}, map[string]any{"seconds": -60}, map[string]any{"seconds": "soon"},
		map[string]any{"seconds": 1.5}, map[string]any{"seconds": 400 * 365 * 24 * 3600},
		map[string]any{"to": "tomorrow"}, map[string]any{"to": 1767225600},
		map[string]any{"to": before.Now.Add(-time.Second).Format(time.RFC3339Nano)},
		map[string]any{"to": e.clock.Now().Format(time.RFC3339Nano)},
		map[string]any{"to": before.Now.Add(11 * 365 * 24 * time.Hour).Format(time.RFC3339)},
		map[string]any{"seconds": 60, "to": before.Now.Add(time.Hour).Format(time.RFC3339)},
	} {
		resp := e.do(request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: body})
		if resp.status != 400 || resp.code() != kassa.EInvalid {
			b, _ := json.Marshal(body)
			t.Errorf("advance %s = %d %s, want 400 %s", b, resp.status, resp.body, kassa.EInvalid)
		}
	}
	if after := e.testClock(nil); after != before {
		t.Errorf("clock after refused advances = %+v, want %+v", after, before)
	}
}

// Live mode has no test clocks: the routes answer 404, and the provider
// refuses to move or read one.
func TestTestClockLive(t *testing.T) {
	e := newEnv(t, live())
	for _, r := range []request{
		{method: "GET", path: "/v1/sandbox/test-clock"},
		{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 60}},
	} {
		if resp := e.do(r); resp.status != 404 {
			t.Errorf("%s %s in live mode = %d %s, want 404", r.method, r.path, resp.status, resp.body)
		}
	}
	err := e.app.Update(t.Context(), func(tx store.Tx) error {
		_, err := e.app.AdvanceTestClock(t.Context(), tx, e.a.merchantID, provider.Advance{By: time.Hour})
		return err
	})
	if kassa.ErrorCode(err) != kassa.EForbidden {
		t.Errorf("AdvanceTestClock in live mode = %v, want %s", err, kassa.EForbidden)
	}
	if err := e.app.CatchUp(t.Context(), e.a.merchantID, false); kassa.ErrorCode(err) != kassa.EForbidden {
		t.Errorf("CatchUp in live mode = %v, want %s", err, kassa.EForbidden)
	}
}

// The advance's catch-up does the rest of the merchant's due work: an
// order past its processing delay becomes ready for capture and is
// captured automatically, its invoice is numbered and, once the clock
// passes the due date, reminded of (the deployment sends reminders);
// in steps, as sandbox.md advises.
func TestTestClockCatchUp(t *testing.T) {
	e := newEnv(t, withConfig(func(c *api.Config) { c.OverdueReminders = true }), withProvider(func(c *provider.Config) { c.ProcessingDelay = time.Hour }))
	tok := e.authorize(e.session(cart(line("A", 1, 10000))), buyer)
	body := withCustomer(cart(line("A", 1, 10000)), buyer)
	body["autoCapture"] = map[string]any{"enabled": true, "delayMinutes": 60}
	var o struct{ OrderID string }
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: body}).decode(t, &o)
	advance := func(seconds int) {
		e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": seconds}})
	}
	advance(3600)
	if types := eventTypes(e.getOrder(o.OrderID, nil)); types[0] != "readyForCapture" {
		t.Errorf("events an hour on = %v, want readyForCapture newest", types)
	}
	advance(3600)
	if got := e.getOrder(o.OrderID, nil); len(got.Captured) != 1 {
		t.Errorf("two hours on the order has %d captures, want its automatic one", len(got.Captured))
	}
	if docs := e.documents(o.OrderID); len(docs) != 1 || docs[0].Number == 0 {
		t.Fatalf("documents after the capture = %+v, want one numbered invoice", docs)
	}
	advance(31 * 24 * 3600)
	reminded := 0
	for _, m := range e.mails(&e.a) {
		if strings.HasPrefix(m.Subject, "Påminnelse: ") { // the order is sv-SE
			reminded++
		}
	}
	if reminded != 1 {
		t.Errorf("%d reminders 31 days on, want 1", reminded)
	}
}

// Lists judge "overdue" by the merchant's test clock: an invoice due in
// 30 days is listed overdue, with its order, once the clock has moved
// past its due date, and not before.
func TestTestClockOverdueLists(t *testing.T) { backends(t, testTestClockOverdueLists) }

func testTestClockOverdueLists(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e := newEnv(t)
	id := e.order(cart(line("A", 1, 10000)))
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
	listed := func(path string) bool {
		t.Helper()
		return strings.Contains(string(e.must(200, request{method: "GET", path: path}).body), id)
	}
	if listed("/v1/orders?overdue=true") || listed("/v1/documents?overdue=true") {
		t.Fatal("a new invoice is listed overdue")
	}
	e.must(200, request{method: "POST", path: "/v1/sandbox/test-clock/advance", body: map[string]any{"seconds": 90 * 24 * 3600}})
	if !listed("/v1/orders?overdue=true") || !listed("/v1/documents?overdue=true") {
		t.Error("the invoice is not listed overdue after the clock passed its due date")
	}
}
