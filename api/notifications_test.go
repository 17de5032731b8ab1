package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/webhook"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var notificationKey = []byte("api test notification key")

// hook is a receiver on loopback that records what it is sent.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	status int // answered; 0 for 200
	header []http.Header
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bodies = append(h.bodies, string(b))
		h.header = append(h.header, r.Header.Clone())
		if h.status != 0 {
			w.WriteHeader(h.status)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(slices.Values(h.bodies))
}

// setFail makes the hook answer 500, or 200 again.
func (h *hook) setFail(fail bool) {
	if fail {
		h.setStatus(http.StatusInternalServerError)
	} else {
		h.setStatus(0)
	}
}

func (h *hook) setStatus(code int) {
	h.mu.Lock()
	h.status = code
	h.mu.Unlock()
}

// notifyEnv is an API env whose notifications a dispatcher delivers.
func notifyEnv(t *testing.T, newEnv func(*testing.T, ...option) *env) (*env, *webhook.Dispatcher) {
	e := newEnv(t, withProvider(func(c *provider.Config) {
		c.NotificationKey = notificationKey
		c.AllowPrivateWebhooks = true
	}))
	d := webhook.New(slog.New(slog.DiscardHandler), e.store, e.clock, notificationKey,
		webhook.Config{AllowPrivate: true, KEK: kassatest.KEK(), Endpoints: e.app, Jitter: func(int) time.Duration { return 0 }})
	return e, d
}

func drain(t *testing.T, d *webhook.Dispatcher) int {
	t.Helper()
	n, err := d.Drain(t.Context())
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	return n
}

func hookCart(h *hook, lines ...map[string]any) map[string]any {
	c := cart(lines...)
	c["settings"] = map[string]any{"urls": map[string]any{"notification": h.URL + "/callback"}}
	return c
}

func orderEvent(typ, merchantID, orderID, reference, storeID string) string {
	b, _ := json.Marshal(map[string]string{"eventType": "com.ledyer.order." + typ, "merchantId": merchantID, "orderId": orderID, "reference": reference, "storeId": storeID})
	return string(b)
}

// Every event type reaches the session's notification URL with Ledyer's
// exact payload.
func TestNotificationPayloads(t *testing.T) { backends(t, testNotificationPayloads) }

func testNotificationPayloads(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	m, store := e.a.merchantID, "1000000000"
	authEvent := func(typ, token, session string) string {
		if token != "" {
			token = `"authorizationToken":"` + token + `",`
		}
		return `{"eventType":"com.ledyer.authorization.` + typ + `",` + token + `"sessionId":"` + session + `","merchantId":"` + m + `","storeId":"` + store + `"}`
	}
	var want []string

	// An order through capture, partial capture and both refunds.
	c := hookCart(h, line("A", 1, 10000), line("B", 1, 5000))
	sid := e.session(c)
	tok := e.authorize(sid, buyer)
	var created struct{ OrderID string }
	body := withCustomer(c, buyer)
	body["reference"] = "WC-1001"
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: body}).decode(t, &created)
	id := created.OrderID
	want = append(want, authEvent("create", tok, sid),
		orderEvent("create", m, id, "WC-1001", store), orderEvent("ready_for_capture", m, id, "WC-1001", store))
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/partialcapture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("B", 1, 5000)}, "totalCaptureAmount": 5000}})
	o := e.getOrder(id, nil)
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/refund/" + o.Captured[0].LedgerID})
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/partialrefund/" + o.Captured[1].LedgerID, body: map[string]any{"orderLines": []any{line("B", 1, 1000)}, "totalRefundAmount": 1000}})
	e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"}) // not notified
	want = append(want, orderEvent("part_capture", m, id, "WC-1001", store), orderEvent("full_capture", m, id, "WC-1001", store),
		orderEvent("full_refund", m, id, "WC-1001", store), orderEvent("part_refund", m, id, "WC-1001", store))

	// A cancelled order.
	id2 := e.order(hookCart(h, line("C", 1, 2000)))
	e.must(200, request{method: "DELETE", path: "/v1/orders/" + id2})
	// Its authorization.create, order.create and ready_for_capture are
	// checked by type below: e.order does not tell the token.
	want = append(want, orderEvent("cancel", m, id2, "shop-1", store))

	// A session that waits for a signatory: pending, then create, and the
	// order's notifications carry the session's reference.
	signatory := map[string]any{}
	for k, v := range buyer {
		signatory[k] = v
	}
	signatory["companyId"] = "556000-0001"
	sc := hookCart(h, line("D", 1, 3000))
	sc["reference"] = "PENDING-77"
	sid3 := e.session(sc)
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + sid3 + "/authorize", body: map[string]any{"customer": signatory}})
	var signed struct{ AuthorizationToken string }
	e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + sid3 + "/sign"}).decode(t, &signed)
	ob := withCustomer(sc, signatory)
	ob["reference"] = "WC-2002" // the shop's order number, set only now
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + signed.AuthorizationToken + "/order", body: ob}).decode(t, &created)
	want = append(want, authEvent("pending", "", sid3), authEvent("create", signed.AuthorizationToken, sid3),
		orderEvent("create", m, created.OrderID, "PENDING-77", store), orderEvent("ready_for_capture", m, created.OrderID, "PENDING-77", store))

	if n := drain(t, d); n != len(want)+3 {
		t.Errorf("Drain made %d attempts, want %d", n, len(want)+3)
	}
	got := h.received()
	for _, w := range want {
		i := slices.Index(got, w)
		if i < 0 {
			t.Errorf("not received: %s", w)
			continue
		}
		got = slices.Delete(got, i, i+1)
	}
	// What is left: the second order's create, ready and authorization.
	var types []string
	for _, g := range got {
		var v struct{ EventType string }
		json.Unmarshal([]byte(g), &v)
		types = append(types, v.EventType)
	}
	slices.Sort(types)
	if diff := cmp.Diff([]string{"com.ledyer.authorization.create", "com.ledyer.order.create", "com.ledyer.order.ready_for_capture"}, types); diff != "" {
		t.Errorf("other notifications (-want +got):\n%s", diff)
	}
	// Each was signed with the secret the API shows the merchant.
	var sec struct{ Secret string }
	e.must(200, request{method: "GET", path: "/v1/notification-signing-secret"}).decode(t, &sec)
	wh, err := standardwebhooks.NewWebhook(sec.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range h.bodies {
		if err := wh.VerifyIgnoringTimestamp([]byte(b), h.header[i]); err != nil {
			t.Errorf("signature of %s: %v", b, err)
		}
	}
}

type notificationOut struct {
	ID, EventType, OrderID, SessionID, Status string
	Payload                                   json.RawMessage
	Deliveries                                []struct {
		ID, EndpointID, URL, Status string
		Attempts                    []struct {
			At           time.Time
			StatusCode   int
			ResponseBody string
			Error        string
		}
	}
}

func TestNotificationEndpointsAPI(t *testing.T) { backends(t, testNotificationEndpointsAPI) }

func testNotificationEndpointsAPI(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h, all := newHook(t), newHook(t)

	// Create: the secret is shown once.
	var ep struct {
		ID, URL, Secret string
		EventTypes      []string
	}
	key := map[string]string{"Idempotency-Key": "ep-1"}
	first := e.must(201, request{method: "POST", path: "/v1/notification-endpoints", header: key,
		body: map[string]any{"url": h.URL + "/captures", "eventTypes": []string{"com.ledyer.order.full_capture"}}})
	first.decode(t, &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") || !strings.HasPrefix(ep.ID, "ne_") {
		t.Errorf("created endpoint %+v", ep)
	}
	replay := e.must(201, request{method: "POST", path: "/v1/notification-endpoints", header: key,
		body: map[string]any{"url": h.URL + "/captures", "eventTypes": []string{"com.ledyer.order.full_capture"}}})
	if string(replay.body) != string(first.body) || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %s, want the first response", replay.body)
	}
	rec, err := provider.View(t.Context(), e.app, func(tx store.ReadTx) (*store.IdempotencyRecord, error) {
		return tx.IdempotencyRecord(t.Context(), e.a.merchantID, "ep-1")
	})
	if err != nil || rec == nil {
		t.Fatalf("the stored answer: %v, %v", rec, err)
	}
	if secret := strings.TrimPrefix(ep.Secret, "whsec_"); bytes.Contains(rec.Body, []byte(secret)) || !bytes.Contains(rec.Body, []byte(`"secret":"ks1:`)) {
		t.Errorf("the stored answer %s holds the secret in clear, or not sealed", rec.Body)
	}
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": all.URL}})
	var list struct {
		Data []struct{ ID, URL, Secret string }
	}
	e.must(200, request{method: "GET", path: "/v1/notification-endpoints"}).decode(t, &list)
	if len(list.Data) != 2 || list.Data[0].ID != ep.ID || list.Data[0].Secret != "" || list.Data[1].URL != all.URL {
		t.Errorf("list = %+v, want both endpoints, without secrets", list.Data)
	}
	e.must(200, request{method: "GET", path: "/v1/notification-endpoints", as: &e.b}).decode(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("merchant B lists %d endpoints", len(list.Data))
	}
	for _, bad := range []map[string]any{
		{"url": "ftp://x.example/"},
		{"url": h.URL, "eventTypes": []string{"com.ledyer.order.paid"}},
		{"eventTypes": []string{}},
	} {
		if resp := e.do(request{method: "POST", path: "/v1/notification-endpoints", body: bad}); resp.status != 400 || resp.code() != "invalid_request" {
			t.Errorf("create %v = %d %s, want 400", bad, resp.status, resp.body)
		}
	}

	// An order: the capture endpoint gets only the full capture, the
	// other endpoint everything.
	c := cart(line("A", 1, 10000))
	delete(c, "settings")
	id := e.order(c)
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
	h.setFail(true)
	drain(t, d)
	if got := h.received(); len(got) != 1 || !strings.Contains(got[0], "full_capture") {
		t.Errorf("capture endpoint got %v", got)
	}
	if got := all.received(); len(got) != 4 { // authorization, create, ready, capture
		t.Errorf("catch-all endpoint got %d notifications, want 4", len(got))
	}

	// List and filters.
	var ns struct{ Data []notificationOut }
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + id}).decode(t, &ns)
	if len(ns.Data) != 3 || ns.Data[0].EventType != "com.ledyer.order.full_capture" || ns.Data[0].Status != "pending" {
		t.Fatalf("notifications of the order = %+v", ns.Data)
	}
	capture := ns.Data[0].ID
	e.must(200, request{method: "GET", path: "/v1/notifications?status=pending"}).decode(t, &ns)
	if len(ns.Data) != 1 || ns.Data[0].ID != capture {
		t.Errorf("pending = %+v, want the failing capture", ns.Data)
	}
	e.must(200, request{method: "GET", path: "/v1/notifications?status=delivered"}).decode(t, &ns)
	if len(ns.Data) != 3 {
		t.Errorf("delivered = %d notifications, want 3", len(ns.Data))
	}
	if resp := e.do(request{method: "GET", path: "/v1/notifications?status=lost"}); resp.status != 400 {
		t.Errorf("bad status filter = %d", resp.status)
	}
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + id + "&eventType=com.ledyer.order.full_capture"}).decode(t, &ns)
	if len(ns.Data) != 1 || ns.Data[0].ID != capture {
		t.Errorf("the order's full_capture notifications = %+v, want the capture's", ns.Data)
	}
	if resp := e.do(request{method: "GET", path: "/v1/notifications?eventType=com.example.nothing"}); resp.status != 400 {
		t.Errorf("bad eventType filter = %d", resp.status)
	}
	e.must(200, request{method: "GET", path: "/v1/notifications", as: &e.b}).decode(t, &ns)
	if len(ns.Data) != 0 {
		t.Errorf("merchant B sees %d notifications", len(ns.Data))
	}

	// The delivery log, then a redelivery once the receiver is fixed.
	var n notificationOut
	e.must(200, request{method: "GET", path: "/v1/notifications/" + capture}).decode(t, &n)
	if len(n.Deliveries) != 2 {
		t.Fatalf("deliveries = %+v", n.Deliveries)
	}
	for _, dl := range n.Deliveries {
		if len(dl.Attempts) != 1 || !dl.Attempts[0].At.Equal(t0) {
			t.Errorf("delivery log %+v", dl)
		}
	}
	if n.Deliveries[0].EndpointID != ep.ID || n.Deliveries[0].Attempts[0].StatusCode != 500 || n.Deliveries[0].Status != "pending" {
		t.Errorf("failing delivery %+v", n.Deliveries[0])
	}
	for _, path := range []string{"/v1/notifications/" + capture, "/v1/notifications/" + capture + "/redeliver"} {
		method := map[bool]string{true: "POST", false: "GET"}[strings.HasSuffix(path, "redeliver")]
		if resp := e.do(request{method: method, path: path, as: &e.b}); resp.status != 404 {
			t.Errorf("merchant B %s %s = %d, want 404", method, path, resp.status)
		}
	}
	h.setFail(false)
	e.clock.Advance(time.Minute)
	e.must(202, request{method: "POST", path: "/v1/notifications/" + capture + "/redeliver"})
	drain(t, d)
	e.must(200, request{method: "GET", path: "/v1/notifications/" + capture}).decode(t, &n)
	if n.Status != "delivered" || len(n.Deliveries[0].Attempts) != 2 || !n.Deliveries[0].Attempts[1].At.Equal(t0.Add(time.Minute)) {
		t.Errorf("after redelivery: %+v", n)
	}
	if len(all.received()) != 5 {
		t.Errorf("catch-all endpoint got %d, want 5 (the redelivery)", len(all.received()))
	}

	// Delete: another merchant cannot; then nothing more is sent there.
	if resp := e.do(request{method: "DELETE", path: "/v1/notification-endpoints/" + ep.ID, as: &e.b}); resp.status != 404 {
		t.Errorf("merchant B delete = %d, want 404", resp.status)
	}
	e.must(204, request{method: "DELETE", path: "/v1/notification-endpoints/" + ep.ID})
	e.must(404, request{method: "DELETE", path: "/v1/notification-endpoints/" + ep.ID})
	id2 := e.order(c)
	e.must(200, request{method: "POST", path: "/v1/orders/" + id2 + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}})
	drain(t, d)
	if got := h.received(); len(got) != 2 {
		t.Errorf("deleted endpoint got %d notifications in all, want 2", len(got))
	}
}

// Only public destinations, unless the configuration allows others.
func TestEndpointDestinationPolicy(t *testing.T) {
	e := newEnv(t)
	for _, url := range []string{"http://127.0.0.1:9000/", "http://169.254.169.254/latest", "http://localhost/"} {
		if resp := e.do(request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": url}}); resp.status != 400 {
			t.Errorf("endpoint %s = %d, want 400", url, resp.status)
		}
	}
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": "https://hooks.example.com/kassa"}})
}

// A request that fails changes nothing and notifies nothing.
func TestNoNotificationWithoutChange(t *testing.T) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	id := e.order(hookCart(h, line("A", 1, 10000)))
	drain(t, d)
	before := len(h.received())
	if resp := e.do(request{method: "POST", path: "/v1/orders/" + id + "/capture", body: map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 9999}}); resp.status != 400 {
		t.Fatalf("bad capture = %d", resp.status)
	}
	if n := drain(t, d); n != 0 || len(h.received()) != before {
		t.Errorf("a failed capture made %d attempts", n)
	}
	var ns struct{ Data []notificationOut }
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + id}).decode(t, &ns)
	if len(ns.Data) != 2 {
		t.Errorf("order has %d notifications, want create and ready_for_capture", len(ns.Data))
	}
}

func TestAutoCapture(t *testing.T) { backends(t, testAutoCapture) }

func testAutoCapture(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	c := hookCart(h, line("A", 1, 10000))
	create := func(auto any) (string, int) {
		tok := e.authorize(e.session(c), buyer)
		body := withCustomer(c, buyer)
		body["autoCapture"] = auto
		resp := e.do(request{method: "POST", path: "/v1/authorization-tokens/" + tok + "/order", body: body})
		var o struct{ OrderID string }
		json.Unmarshal(resp.body, &o)
		return o.OrderID, resp.status
	}
	if _, status := create(map[string]any{"enabled": true, "delayMinutes": 10081}); status != 400 {
		t.Errorf("delayMinutes 10081 = %d, want 400", status)
	}
	id, _ := create(map[string]any{"enabled": true, "delayMinutes": 30})
	manual, _ := create(map[string]any{"enabled": false, "delayMinutes": 0})

	// A second server on the same database stands for another process.
	other := e.other(provider.Config{})
	e.clock.Advance(29 * time.Minute)
	if n, err := e.app.CaptureDueOrders(t.Context()); n != 0 || err != nil {
		t.Fatalf("before the delay: captured %d, %v", n, err)
	}
	e.clock.Advance(time.Minute)
	var (
		wg    sync.WaitGroup
		total [2]int
	)
	for i, s := range []*provider.Service{e.app, other} {
		wg.Go(func() {
			n, err := s.CaptureDueOrders(context.Background())
			if err != nil {
				t.Error(err)
			}
			total[i] = n
		})
	}
	wg.Wait()
	if total[0]+total[1] != 1 {
		t.Errorf("captured %v times in all, want once", total)
	}
	if o := e.getOrder(id, nil); len(o.Captured) != 1 || o.Uncaptured != nil {
		t.Errorf("auto-captured order: %d captures, uncaptured %v", len(o.Captured), o.Uncaptured)
	}
	if o := e.getOrder(manual, nil); len(o.Captured) != 0 {
		t.Errorf("order without autoCapture was captured")
	}
	drain(t, d)
	var ns struct{ Data []notificationOut }
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + id}).decode(t, &ns)
	if len(ns.Data) != 3 || ns.Data[0].EventType != "com.ledyer.order.full_capture" || ns.Data[0].Status != "delivered" {
		t.Errorf("notifications of the auto-captured order: %+v", ns.Data)
	}
}

func mustSigner(t *testing.T, e *env) merchant.Signer {
	s, err := provider.LoadSigner(t.Context(), e.store, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// other is a second provider on the env's database, standing for another
// Kassa process.
func (e *env) other(cfg provider.Config) *provider.Service {
	cfg.KEK = kassatest.KEK()
	return provider.New(slog.New(slog.DiscardHandler), cfg, e.store, e.clock, otherIDs(), mustSigner(e.t.(*testing.T), e))
}

// Redelivering sends a notification to endpoints created after it, too.
func TestRedeliverToNewEndpoint(t *testing.T) {
	e, d := notifyEnv(t, newEnv)
	c := cart(line("A", 1, 10000))
	delete(c, "settings") // no session URL: nowhere to deliver
	id := e.order(c)
	var ns struct{ Data []notificationOut }
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + id}).decode(t, &ns)
	if len(ns.Data) != 2 {
		t.Fatalf("order has %d notifications, want 2", len(ns.Data))
	}
	create := ns.Data[1].ID
	if resp := e.do(request{method: "POST", path: "/v1/notifications/" + create + "/redeliver"}); resp.status != 409 {
		t.Errorf("redeliver without a destination = %d, want 409", resp.status)
	}
	h := newHook(t)
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": h.URL, "eventTypes": []string{"com.ledyer.order.create"}}})
	var n notificationOut
	e.must(202, request{method: "POST", path: "/v1/notifications/" + create + "/redeliver"}).decode(t, &n)
	if len(n.Deliveries) != 1 || n.Deliveries[0].Status != "pending" {
		t.Fatalf("after redeliver: %+v", n.Deliveries)
	}
	drain(t, d)
	if got := h.received(); len(got) != 1 || got[0] != string(ns.Data[1].Payload) {
		t.Errorf("new endpoint got %v, want the create notification %s", got, ns.Data[1].Payload)
	}
}

// otherIDs makes IDs that the env's own generator will not reach.
func otherIDs() *kassatest.IDs {
	ids := &kassatest.IDs{Digits: 27}
	ids.Skip(1 << 20)
	return ids
}

// heldHook is a receiver on loopback that holds each request until the
// test releases it, then answers 200.
type heldHook struct {
	*hook
	arrived chan struct{}
	release chan struct{}
}

func newHeldHook(t *testing.T) *heldHook {
	h := &heldHook{hook: &hook{}, arrived: make(chan struct{}, 100), release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
		h.arrived <- struct{}{}
		<-h.release
	}))
	t.Cleanup(h.Close)
	t.Cleanup(h.unblock) // before Close, which waits for the handlers
	return h
}

func (h *heldHook) unblock() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

// notificationOf finds the order's notification of type com.ledyer.order.typ.
func (e *env) notificationOf(orderID, typ string) notificationOut {
	e.t.Helper()
	var ns struct{ Data []notificationOut }
	e.must(200, request{method: "GET", path: "/v1/notifications?orderId=" + orderID}).decode(e.t, &ns)
	for _, n := range ns.Data {
		if n.EventType == "com.ledyer.order."+typ {
			var full notificationOut
			e.must(200, request{method: "GET", path: "/v1/notifications/" + n.ID}).decode(e.t, &full)
			return full
		}
	}
	e.t.Fatalf("order %s has no %s notification", orderID, typ)
	return notificationOut{}
}

// While an attempt is in flight, a redelivery is refused (the receiver
// would get two requests at once) and deleting the endpoint leaves the
// attempt to end: it is logged, and its 200 delivers the notification.
// A redelivery then has no destination left.
func TestAttemptInFlight(t *testing.T) { backends(t, testAttemptInFlight) }

func testAttemptInFlight(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHeldHook(t)
	var ep struct{ ID string }
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints",
		body: map[string]any{"url": h.URL, "eventTypes": []string{"com.ledyer.order.create"}}}).decode(t, &ep)
	c := cart(line("A", 1, 10000))
	delete(c, "settings") // the endpoint is the only destination
	id := e.order(c)
	created := e.notificationOf(id, "create")

	drained := make(chan error, 1)
	go func() {
		_, err := d.Drain(context.Background())
		drained <- err
	}()
	select {
	case <-h.arrived:
	case <-time.After(30 * time.Second): // a safety net, not a timing assertion
		t.Fatal("the attempt never arrived")
	}
	if resp := e.do(request{method: "POST", path: "/v1/notifications/" + created.ID + "/redeliver"}); resp.status != 409 || resp.code() != "conflict" {
		t.Errorf("redeliver while the attempt is in flight = %d %s, want 409", resp.status, resp.body)
	}
	e.must(204, request{method: "DELETE", path: "/v1/notification-endpoints/" + ep.ID})
	h.unblock()
	if err := <-drained; err != nil {
		t.Fatal(err)
	}

	n := e.notificationOf(id, "create")
	if n.Status != "delivered" || len(n.Deliveries) != 1 || len(n.Deliveries[0].Attempts) != 1 || n.Deliveries[0].Attempts[0].StatusCode != 200 {
		t.Errorf("after the endpoint was deleted during its attempt: %+v; want delivered, the 200 logged", n)
	}
	if resp := e.do(request{method: "POST", path: "/v1/notifications/" + created.ID + "/redeliver"}); resp.status != 409 {
		t.Errorf("redeliver with the only endpoint deleted = %d %s, want 409", resp.status, resp.body)
	}
	drain(t, d)
	if got := len(h.received()); got != 1 {
		t.Errorf("the receiver got %d requests, want 1", got)
	}
	if n := e.notificationOf(id, "create"); n.Status != "delivered" || len(n.Deliveries[0].Attempts) != 1 {
		t.Errorf("after the refused redelivery: %+v; want delivered, one attempt", n)
	}
}

// Redelivering after an endpoint was deleted sends the notification to
// its other destinations only; the deleted endpoint's delivery keeps its
// state and does not fail the notification.
func TestRedeliverAfterEndpointDeleted(t *testing.T) {
	backends(t, testRedeliverAfterEndpointDeleted)
}

func testRedeliverAfterEndpointDeleted(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	shop, ends := newHook(t), newHook(t)
	var ep struct{ ID string }
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints",
		body: map[string]any{"url": ends.URL, "eventTypes": []string{"com.ledyer.order.create"}}}).decode(t, &ep)
	id := e.order(hookCart(shop, line("A", 1, 10000)))
	drain(t, d)
	e.must(204, request{method: "DELETE", path: "/v1/notification-endpoints/" + ep.ID})
	created := e.notificationOf(id, "create")
	e.must(202, request{method: "POST", path: "/v1/notifications/" + created.ID + "/redeliver"})
	drain(t, d)

	n := e.notificationOf(id, "create")
	if n.Status != "delivered" {
		t.Errorf("notification %s after redelivery, want delivered", n.Status)
	}
	for _, dl := range n.Deliveries {
		want := 2 // the session URL: the first delivery and the redelivery
		if dl.EndpointID != "" {
			want = 1
		}
		if dl.Status != "delivered" || len(dl.Attempts) != want {
			t.Errorf("delivery to %s: %s, %d attempts; want delivered, %d", dl.URL, dl.Status, len(dl.Attempts), want)
		}
		for _, a := range dl.Attempts {
			if a.Error != "" {
				t.Errorf("delivery to %s logged %q", dl.URL, a.Error)
			}
		}
	}
	if got := len(ends.received()); got != 1 {
		t.Errorf("the deleted endpoint got %d requests, want 1 (before it was deleted)", got)
	}
}

// An endpoint's creation answered before secrets were sealed was stored
// with the secret in clear: its replay answers it as it was.
func TestEndpointAnswerFromBeforeSealing(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		const body, secret = `{"url":"https://erp.example/hooks"}`, "whsec_bGVnYWN5IGVuZHBvaW50IHNlY3JldCAyNCBi"
		fp := sha256.Sum256([]byte("POST /v1/notification-endpoints?\n" + body)) // the request's fingerprint
		stored := `{"id":"ne_legacy","url":"https://erp.example/hooks","eventTypes":[],"secret":"` + secret + `","createdAt":"2026-03-04T10:00:00Z"}`
		err := e.store.Update(t.Context(), func(tx store.Tx) error {
			return tx.PutIdempotencyRecord(t.Context(), &store.IdempotencyRecord{MerchantID: e.a.merchantID, Key: "ep-legacy",
				Fingerprint: fp[:], Status: 201, Body: []byte(stored), CreatedAt: e.clock.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		resp := e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: body, header: map[string]string{"Idempotency-Key": "ep-legacy"}})
		if string(resp.body) != stored || resp.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %s, want %s", resp.body, stored)
		}
	})
}

// An endpoint's creation answered before the key-encryption key was
// replaced holds the secret sealed under the old key, which rewrap leaves
// as it is: its replay answers without the secret, never a server error.
func TestEndpointAnswerSealedUnderReplacedKey(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		old, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		const body = `{"url":"https://erp.example/hooks"}`
		fp := sha256.Sum256([]byte("POST /v1/notification-endpoints?\n" + body))
		sealed := old.Seal([]byte("whsec_bGVnYWN5IGVuZHBvaW50IHNlY3JldCAyNCBi"), notify.SecretContext("ne_old"))
		stored := `{"id":"ne_old","url":"https://erp.example/hooks","eventTypes":[],"secret":"` + sealed + `","createdAt":"2026-03-04T10:00:00Z"}`
		err = e.store.Update(t.Context(), func(tx store.Tx) error {
			return tx.PutIdempotencyRecord(t.Context(), &store.IdempotencyRecord{MerchantID: e.a.merchantID, Key: "ep-old",
				Fingerprint: fp[:], Status: 201, Body: []byte(stored), CreatedAt: e.clock.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ ID, Secret string }
		e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: body, header: map[string]string{"Idempotency-Key": "ep-old"}}).decode(t, &v)
		if v.ID != "ne_old" || v.Secret != "" {
			t.Errorf("replay = %+v, want ne_old without its secret", v)
		}
	})
}
