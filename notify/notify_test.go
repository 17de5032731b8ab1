package notify_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testOrder(events ...string) (*order.Order, []order.Event) {
	o := &order.Order{ID: "or_1", MerchantID: "ac_m", StoreID: "9702420072", SessionID: "ps_1", Reference: "WC-1001"}
	for i, t := range events {
		o.Events = append(o.Events, order.Event{ID: "oe_" + string(rune('a'+i)), Type: t, CreatedAt: t0})
	}
	return o, o.Events
}

func TestForOrder(t *testing.T) {
	tests := []struct {
		event, want string
	}{
		{order.EventCreate, `{"eventType":"com.ledyer.order.create","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventReadyForCapture, `{"eventType":"com.ledyer.order.ready_for_capture","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventFullCapture, `{"eventType":"com.ledyer.order.full_capture","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventPartialCapture, `{"eventType":"com.ledyer.order.part_capture","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventFullRefund, `{"eventType":"com.ledyer.order.full_refund","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventPartialRefund, `{"eventType":"com.ledyer.order.part_refund","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventCancel, `{"eventType":"com.ledyer.order.cancel","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		{order.EventPaid, `{"eventType":"com.kassa.order.paid","merchantId":"ac_m","orderId":"or_1","reference":"WC-1001","storeId":"9702420072"}`},
		// The merchant's own actions are not notified.
		{order.EventAuthorize, ""},
		{order.EventAcknowledge, ""},
		{order.EventEdit, ""},
		{order.EventEditCustomer, ""},
		{order.EventEditPaymentMethod, ""},
		{order.EventExtendExpiry, ""},
		{order.EventSetReference, ""},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			o, events := testOrder(tt.event)
			got := notify.ForOrder(o, events, &session.Session{ID: "ps_1", Reference: "S-REF"})
			if notifies := notify.NotifiesOrder(events); notifies != (tt.want != "") {
				t.Errorf("NotifiesOrder(%s) = %v, want %v", tt.event, notifies, !notifies)
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("ForOrder(%s) = %d messages, want none", tt.event, len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("ForOrder(%s) = %d messages, want 1", tt.event, len(got))
			}
			m := got[0]
			if string(m.Body) != tt.want {
				t.Errorf("body\n got %s\nwant %s", m.Body, tt.want)
			}
			if m.ID != "nt_a" || m.OrderID != "or_1" || m.SessionID != "ps_1" {
				t.Errorf("ID, OrderID, SessionID = %q, %q, %q; want nt_a, or_1, ps_1", m.ID, m.OrderID, m.SessionID)
			}
		})
	}
}

func TestForOrderKeepsEventOrder(t *testing.T) {
	o, events := testOrder(order.EventCreate, order.EventAuthorize, order.EventReadyForCapture)
	var types []string
	for _, m := range notify.ForOrder(o, events, nil) {
		types = append(types, m.Type)
	}
	if diff := cmp.Diff([]string{notify.OrderCreate, notify.OrderReadyForCapture}, types); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
}

func TestReference(t *testing.T) {
	tests := []struct {
		name     string
		orderRef string
		s        *session.Session
		want     string
	}{
		{"order reference", "WC-1", &session.Session{ID: "ps_1", Reference: "S-1"}, "WC-1"},
		{"no order reference", "", &session.Session{ID: "ps_1"}, "or_1"},
		{"no session", "WC-1", nil, "WC-1"},
		{"signatory: session reference", "WC-1", &session.Session{ID: "ps_1", Reference: "S-1", SignatoryRequested: true}, "S-1"},
		{"signatory: no session reference", "WC-1", &session.Session{ID: "ps_1", SignatoryRequested: true}, "ps_1"},
	}
	for _, tt := range tests {
		o := &order.Order{ID: "or_1", Reference: tt.orderRef}
		if got := notify.Reference(o, tt.s); got != tt.want {
			t.Errorf("%s: Reference = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestForSession(t *testing.T) {
	base := session.Session{ID: "ps_1", MerchantID: "ac_m", StoreID: "9702420072", State: session.StateCreated}
	with := func(state, token string) *session.Session {
		s := base
		s.State, s.Token = state, token
		return &s
	}
	tests := []struct {
		name       string
		prev, next *session.Session
		want       []string
	}{
		{"authorized at once", with(session.StateCreated, ""), with(session.StateAuthorized, "at_1"),
			[]string{`{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_1","sessionId":"ps_1","merchantId":"ac_m","storeId":"9702420072"}`}},
		{"awaiting signatory", with(session.StateCreated, ""), with(session.StateAwaitingSignatory, ""),
			[]string{`{"eventType":"com.ledyer.authorization.pending","sessionId":"ps_1","merchantId":"ac_m","storeId":"9702420072"}`}},
		{"signed", with(session.StateAwaitingSignatory, ""), with(session.StateAuthorized, "at_2"),
			[]string{`{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_2","sessionId":"ps_1","merchantId":"ac_m","storeId":"9702420072"}`}},
		{"authorized again", with(session.StateAuthorized, "at_1"), with(session.StateAuthorized, "at_2"),
			[]string{`{"eventType":"com.ledyer.authorization.create","authorizationToken":"at_2","sessionId":"ps_1","merchantId":"ac_m","storeId":"9702420072"}`}},
		{"order created", with(session.StateAuthorized, "at_1"), with(session.StateAuthorized, "at_1"), nil},
		{"updated", with(session.StateCreated, ""), with(session.StateCreated, ""), nil},
		{"cancelled", with(session.StateAwaitingSignatory, ""), with(session.StateCancelled, ""), nil},
		{"reopened", with(session.StateAuthorized, "at_1"), with(session.StateCreated, ""), nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range notify.ForSession(tt.prev, tt.next) {
			got = append(got, string(m.Body))
			if m.SessionID != "ps_1" || m.OrderID != "" {
				t.Errorf("%s: SessionID, OrderID = %q, %q", tt.name, m.SessionID, m.OrderID)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestDestinations(t *testing.T) {
	eps := []notify.Endpoint{
		{ID: "ne_all", URL: "https://a.example/all"},
		{ID: "ne_cap", URL: "https://a.example/cap", EventTypes: []string{notify.OrderFullCapture}},
	}
	got := notify.Destinations("https://shop.example/n", eps, notify.OrderCreate)
	want := []notify.Delivery{{URL: "https://shop.example/n"}, {EndpointID: "ne_all", URL: "https://a.example/all"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	if got := notify.Destinations("", eps, notify.OrderFullCapture); len(got) != 2 {
		t.Errorf("full_capture without a session URL: %d deliveries, want 2", len(got))
	}
	// Kassa's own types never reach a session's URL: Ledyer's plugins
	// receive there and know Ledyer's types alone.
	got = notify.Destinations("https://shop.example/n", eps, notify.OrderPaid)
	want = []notify.Delivery{{EndpointID: "ne_all", URL: "https://a.example/all"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paid (-want +got):\n%s", diff)
	}
	// A disabled endpoint's delivery is failed from the start, to be
	// redelivered once it is enabled again.
	eps[0].DisabledAt = t0
	got = notify.Destinations("", eps, notify.OrderFullCapture)
	want = []notify.Delivery{{EndpointID: "ne_all", URL: "https://a.example/all", State: notify.Failed}, {EndpointID: "ne_cap", URL: "https://a.example/cap"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("to a disabled endpoint (-want +got):\n%s", diff)
	}
}

func TestNext(t *testing.T) {
	// The whole schedule: after attempt n fails, the next is Schedule[n] later.
	now := t0
	var at []time.Duration
	for n := 1; ; n++ {
		next, ok := notify.Next(n, now, 0, 0)
		if !ok {
			if n != 8 {
				t.Errorf("schedule ended after attempt %d, want 8", n)
			}
			break
		}
		at = append(at, next.Sub(now))
	}
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if diff := cmp.Diff(want, at); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	tests := []struct {
		name               string
		attempts           int
		jitter, retryAfter time.Duration
		want               time.Duration
	}{
		{"jitter adds", 1, time.Second, 0, 6 * time.Second},
		{"longer Retry-After wins", 1, 0, time.Minute, time.Minute},
		{"shorter Retry-After loses", 2, 0, time.Minute, 5 * time.Minute},
		{"Retry-After capped", 1, 0, 1000 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		next, ok := notify.Next(tt.attempts, now, tt.jitter, tt.retryAfter)
		if !ok || next.Sub(now) != tt.want {
			t.Errorf("%s: Next = %v, %v; want %v", tt.name, next.Sub(now), ok, tt.want)
		}
	}
}

func TestJitter(t *testing.T) {
	if got := notify.Jitter(1, 0.999); got < 0 || got >= 500*time.Millisecond {
		t.Errorf("Jitter(1, .999) = %v, want within a tenth of 5s", got)
	}
	if got := notify.Jitter(8, 0.5); got != 0 {
		t.Errorf("Jitter past the schedule = %v, want 0", got)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-5", 0},
		{"soon", 0},
		{t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{t0.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"999999999", 24 * time.Hour},
		{"9223372036854775807", 24 * time.Hour}, // would overflow time.Duration
	}
	for _, tt := range tests {
		if got := notify.RetryAfter(tt.h, t0); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestSuccess(t *testing.T) {
	for code, want := range map[int]bool{199: false, 200: true, 204: true, 299: true, 301: false, 410: false, 500: false} {
		if notify.Success(code) != want {
			t.Errorf("Success(%d) = %v", code, !want)
		}
	}
}

// The signature must verify with the official Standard Webhooks library.
func TestSignStandardWebhooks(t *testing.T) {
	var random [24]byte
	copy(random[:], "0123456789abcdefghijklmn")
	for _, secret := range []string{notify.NewSecret(random), notify.SessionSecret([]byte("server key"), "ac_m")} {
		body := []byte(`{"eventType":"com.ledyer.order.create"}`)
		h, err := notify.Sign("nt_1", t0, body, secret)
		if err != nil {
			t.Fatal(err)
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		hdr := http.Header{}
		hdr.Set("webhook-id", h.ID)
		hdr.Set("webhook-timestamp", h.Timestamp)
		hdr.Set("webhook-signature", h.Signature)
		if err := wh.VerifyIgnoringTimestamp(body, hdr); err != nil {
			t.Errorf("official library rejects our signature: %v", err)
		}
		if err := wh.VerifyIgnoringTimestamp(append(body, ' '), hdr); err == nil {
			t.Error("official library accepts a changed body")
		}
		want, err := wh.Sign("nt_1", t0, body)
		if err != nil || want != h.Signature {
			t.Errorf("signature %q, official library signs %q (%v)", h.Signature, want, err)
		}
	}
	if _, err := notify.Sign("nt_1", t0, nil, "whsec_!!"); err == nil {
		t.Error("Sign accepted a malformed secret")
	}
}

// Verify accepts what the sender signed, ours or the official library's,
// within five minutes either way, and nothing else.
func TestVerify(t *testing.T) {
	secret := notify.SessionSecret([]byte("server key"), "ac_m")
	other := notify.SessionSecret([]byte("server key"), "ac_other")
	body := []byte(`{"eventType":"com.ledyer.authorization.create"}`)
	signed, err := notify.Sign("nt_1", t0, body, secret)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	official, err := wh.Sign("nt_1", t0, body)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := notify.Sign("nt_1", t0, body, other)
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(h *notify.Headers)) notify.Headers {
		h := signed
		f(&h)
		return h
	}
	for _, tt := range []struct {
		name string
		h    notify.Headers
		body []byte
		now  time.Time
		want error
	}{
		{"signed", signed, body, t0, nil},
		{"by the official library", with(func(h *notify.Headers) { h.Signature = official }), body, t0, nil},
		{"4m59s late", signed, body, t0.Add(notify.Tolerance - time.Second), nil},
		{"4m59s early", signed, body, t0.Add(-notify.Tolerance + time.Second), nil},
		{"rotation: the second signature matches", with(func(h *notify.Headers) { h.Signature = "v1a,AAAA " + forged.Signature + " " + signed.Signature }), body, t0, nil},
		{"5m01s late", signed, body, t0.Add(notify.Tolerance + time.Second), notify.ErrStale},
		{"5m01s early", signed, body, t0.Add(-notify.Tolerance - time.Second), notify.ErrStale},
		{"timestamp not a number", with(func(h *notify.Headers) { h.Timestamp = "soon" }), body, t0, notify.ErrStale},
		{"timestamp changed", with(func(h *notify.Headers) { h.Timestamp = "1767323046" }), body, time.Unix(1767323046, 0), notify.ErrBadSignature},
		{"id changed", with(func(h *notify.Headers) { h.ID = "nt_2" }), body, t0, notify.ErrBadSignature},
		{"body changed", signed, append([]byte(`{"padding":"x",`), body[1:]...), t0, notify.ErrBadSignature},
		{"another secret", forged, body, t0, notify.ErrBadSignature},
		{"no v1 signature", with(func(h *notify.Headers) { h.Signature = "v1a," + signed.Signature[3:] }), body, t0, notify.ErrBadSignature},
		{"signature not base64", with(func(h *notify.Headers) { h.Signature = "v1,!!" }), body, t0, notify.ErrBadSignature},
		{"unsigned", notify.Headers{}, body, t0, notify.ErrUnsigned},
		{"no signature", with(func(h *notify.Headers) { h.Signature = "" }), body, t0, notify.ErrUnsigned},
	} {
		if err := notify.Verify(secret, tt.h, tt.body, tt.now); err != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := notify.Verify("whsec_!!", signed, body, t0); err == nil {
		t.Error("Verify accepted a malformed secret")
	}
}

func TestCheckSecret(t *testing.T) {
	var random [24]byte
	for secret, ok := range map[string]bool{
		notify.NewSecret(random): true, notify.SessionSecret([]byte("k"), "ac_a"): true,
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 64)): true,
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)): false,
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)): false,
		"whsec_!!": false, "": false,
	} {
		if err := notify.CheckSecret(secret); (err == nil) != ok {
			t.Errorf("CheckSecret(%q) = %v, want ok %v", secret, err, ok)
		}
	}
}

func TestSessionSecret(t *testing.T) {
	a, b := notify.SessionSecret([]byte("k"), "ac_a"), notify.SessionSecret([]byte("k"), "ac_b")
	if a == b || a != notify.SessionSecret([]byte("k"), "ac_a") || a == notify.SessionSecret([]byte("other"), "ac_a") {
		t.Errorf("session secrets must be per merchant and key, and stable: %s %s", a, b)
	}
}

func TestPublicIP(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "224.0.0.1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"64:ff9b::a00:1": false, "198.18.0.1": false,
	} {
		if got := notify.PublicIP(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicIP(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://shop.example/ledyer/notify", false, true},
		{"http://93.184.216.34:8080/n", false, true},
		{"ftp://shop.example/", false, false},
		{"/relative", false, false},
		{"https://user:pw@shop.example/", false, false},
		{"http://127.0.0.1:9000/", false, false},
		{"http://[::1]/", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://localhost:8080/", false, false},
		{"http://app.localhost/", false, false},
		{"http://127.0.0.1:9000/", true, true},
		{"http://localhost:8080/", true, true},
	}
	for _, tt := range tests {
		err := notify.CheckURL(tt.url, tt.allowPrivate)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q, %v) = %v, want ok %v", tt.url, tt.allowPrivate, err, tt.ok)
		}
		if err != nil && kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("CheckURL(%q): code %s, want %s", tt.url, kassa.ErrorCode(err), kassa.EInvalid)
		}
	}
}

func TestCheckHTTPS(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://shop.example/ledyer/notify", true},
		{"HTTPS://shop.example:8443/n?x=1", true},
		{"http://shop.example/ledyer/notify", false},
		{"https://", false},
		{"https:///path", false},
		{"//shop.example/n", false},
		{"ftp://shop.example/", false},
		{"https://shop.example/%zz", false},
	} {
		err := notify.CheckHTTPS("settings.urls.notification", tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckHTTPS(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
		if e, isKassa := errors.AsType[*kassa.Error](err); err != nil && (!isKassa || e.Code != kassa.EInvalid || e.Param != "settings.urls.notification") {
			t.Errorf("CheckHTTPS(%q) = %#v, want %s naming settings.urls.notification", tt.url, err, kassa.EInvalid)
		}
	}
}

func TestNewDestinations(t *testing.T) {
	eps := []notify.Endpoint{
		{ID: "ne_old", URL: "https://a.example/old"},
		{ID: "ne_new", URL: "https://a.example/new"},
		{ID: "ne_caps", URL: "https://a.example/caps", EventTypes: []string{notify.OrderFullCapture}},
		{ID: "ne_off", URL: "https://a.example/off", DisabledAt: t0}, // sent nothing until enabled
	}
	existing := []notify.Delivery{{URL: "https://shop.example/n"}, {EndpointID: "ne_old", URL: "https://a.example/old"}}
	got := notify.NewDestinations(existing, eps, notify.OrderCreate)
	want := []notify.Delivery{{EndpointID: "ne_new", URL: "https://a.example/new"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewDestinations (-want +got):\n%s", diff)
	}
}

// Destinations group by merchant and origin: paths, queries and the
// case of the host do not matter; the port, the scheme and the merchant do.
func TestDestination(t *testing.T) {
	same := [][2]string{
		{"https://shop.example/ledyer/notify?order=1", "https://SHOP.example/other"},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b#x"},
	}
	for _, p := range same {
		if a, b := notify.Destination("ac_1", p[0]), notify.Destination("ac_1", p[1]); a != b {
			t.Errorf("Destination(%s) = %q, Destination(%s) = %q; want the same", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{
		{"https://shop.example/", "http://shop.example/"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8081/"},
		{"https://shop.example/", "https://hooks.shop.example/"},
	}
	for _, p := range differ {
		if notify.Destination("ac_1", p[0]) == notify.Destination("ac_1", p[1]) {
			t.Errorf("%s and %s share a destination", p[0], p[1])
		}
	}
	if notify.Destination("ac_1", "https://shop.example/") == notify.Destination("ac_2", "https://shop.example/") {
		t.Error("two merchants share a destination")
	}
}
