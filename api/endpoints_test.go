package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

// endpointOut is an endpoint as the API answers it.
type endpointOut struct {
	ID, URL, State, DisabledReason, Secret    string
	EventTypes                                []string
	DisabledAt, FailingSince, SecretRotatedAt time.Time
	PreviousSecretExpiresAt, CreatedAt        time.Time
}

func (e *env) endpoints(as *creds) []endpointOut {
	e.t.Helper()
	var list struct{ Data []endpointOut }
	e.must(200, request{method: "GET", path: "/v1/notification-endpoints", as: as}).decode(e.t, &list)
	return list.Data
}

// last is the body and headers of the last request the hook got.
func (h *hook) last(t *testing.T) (string, notify.Headers) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bodies) == 0 {
		t.Fatal("the hook got no request")
	}
	hd := h.header[len(h.header)-1]
	return h.bodies[len(h.bodies)-1], notify.Headers{ID: hd.Get("webhook-id"), Timestamp: hd.Get("webhook-timestamp"), Signature: hd.Get("webhook-signature")}
}

// Rotating an endpoint's secret answers the new secret once (and to a
// replay of its Idempotency-Key, which keeps it sealed); for the overlap,
// 24 hours unless the request says otherwise, deliveries carry both
// signatures, and from its end the new one's alone. Another merchant's
// endpoint is not found, a read client may not rotate, and bad input is
// a 400 that changes nothing. The rotation is in the audit log.
func TestEndpointRotation(t *testing.T) { backends(t, testEndpointRotation) }

func testEndpointRotation(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	var created endpointOut
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": h.URL, "eventTypes": []string{"com.ledyer.order.create"}}}).decode(t, &created)
	old := created.Secret
	path := "/v1/notification-endpoints/" + created.ID + "/rotate-secret"

	e.clock.Advance(time.Minute)
	key := map[string]string{"Idempotency-Key": "rotate-1"}
	first := e.must(200, request{method: "POST", path: path, header: key})
	var rotated endpointOut
	first.decode(t, &rotated)
	if !strings.HasPrefix(rotated.Secret, notify.SecretPrefix) || rotated.Secret == old || rotated.ID != created.ID || rotated.State != "enabled" ||
		!rotated.SecretRotatedAt.Equal(e.clock.Now()) || !rotated.PreviousSecretExpiresAt.Equal(e.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("rotated = %+v, want a new secret, the old one until 24 hours from now", rotated)
	}
	replay := e.must(200, request{method: "POST", path: path, header: key})
	if !bytes.Equal(replay.body, first.body) || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %s, want the first answer %s", replay.body, first.body)
	}
	rec, err := provider.View(t.Context(), e.app, func(tx store.ReadTx) (*store.IdempotencyRecord, error) {
		return tx.IdempotencyRecord(t.Context(), e.a.merchantID, "rotate-1")
	})
	if err != nil || rec == nil || bytes.Contains(rec.Body, []byte(strings.TrimPrefix(rotated.Secret, notify.SecretPrefix))) {
		t.Errorf("the stored answer %v (%v) holds the new secret in clear", rec, err)
	}
	list := e.endpoints(nil)
	if len(list) != 1 || list[0].Secret != "" || !list[0].SecretRotatedAt.Equal(rotated.SecretRotatedAt) ||
		!list[0].PreviousSecretExpiresAt.Equal(rotated.PreviousSecretExpiresAt) {
		t.Errorf("list = %+v, want the rotation without a secret", list)
	}

	// During the overlap either secret verifies a delivery; after it only
	// the new one.
	deliver := func() (string, notify.Headers) {
		t.Helper()
		c := cart(line("A", 1, 10000))
		delete(c, "settings")
		e.order(c)
		drain(t, d)
		return h.last(t)
	}
	for _, c := range []struct {
		after    time.Duration
		oldWorks bool
	}{{time.Hour, true}, {23 * time.Hour, false}} {
		e.clock.Advance(c.after)
		body, hd := deliver()
		if err := notify.Verify(rotated.Secret, hd, []byte(body), e.clock.Now()); err != nil {
			t.Errorf("%v after the rotation the new secret does not verify: %v", e.clock.Now().Sub(rotated.SecretRotatedAt), err)
		}
		if err := notify.Verify(old, hd, []byte(body), e.clock.Now()); (err == nil) != c.oldWorks {
			t.Errorf("%v after the rotation the old secret verifies: %v, want %v", e.clock.Now().Sub(rotated.SecretRotatedAt), err == nil, c.oldWorks)
		}
	}

	// The overlap as the request sets it.
	var again endpointOut
	e.must(200, request{method: "POST", path: path, body: map[string]any{"overlapSeconds": 3600}}).decode(t, &again)
	if again.Secret == rotated.Secret || !again.PreviousSecretExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("rotated with an hour's overlap: %+v", again)
	}

	// Refused, and nothing changed.
	before := e.endpoints(nil)
	reader := e.newClient("reader", "read")
	for _, c := range []struct {
		r      request
		status int
	}{
		{request{method: "POST", path: path, body: `{"overlapSeconds":-1}`}, 400},
		{request{method: "POST", path: path, body: `{"overlapSeconds":604801}`}, 400},
		{request{method: "POST", path: path, body: `{"overlapSeconds":"soon"}`}, 400},
		{request{method: "POST", path: path, body: `{"overlap":60}`}, 400},
		{request{method: "POST", path: path, body: `[1]`}, 400},
		{request{method: "POST", path: path, as: &e.b}, 404},
		{request{method: "POST", path: "/v1/notification-endpoints/ne_missing/rotate-secret"}, 404},
		{request{method: "POST", path: path, as: &reader}, 403},
	} {
		if resp := e.do(c.r); resp.status != c.status || resp.code() == "" {
			t.Errorf("%s %s = %d %s, want %d", c.r.body, c.r.path, resp.status, resp.body, c.status)
		}
	}
	if after := e.endpoints(nil); !cmp.Equal(before, after) {
		t.Errorf("refused rotations changed the endpoint: %+v into %+v", before, after)
	}

	events := e.auditLog(nil, "action=POST+/v1/notification-endpoints/{endpointId}/rotate-secret&outcome=ok")
	if len(events.Data) != 3 || events.Data[2].Target != created.ID || events.Data[1].Replay != true {
		t.Errorf("audit events of the rotations = %+v, want the rotation, its replay and the second rotation", events.Data)
	}
}

// An endpoint that answers 410 Gone is disabled, and the list shows when
// and why; enabling it sends to it again, with its failure streak
// cleared. Enabling takes no body: anything but none or {} is a 400 that
// changes nothing.
func TestEndpointEnable(t *testing.T) { backends(t, testEndpointEnable) }

func testEndpointEnable(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	h.setStatus(http.StatusGone)
	var ep endpointOut
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": h.URL, "eventTypes": []string{"com.ledyer.order.create"}}}).decode(t, &ep)
	c := cart(line("A", 1, 10000))
	delete(c, "settings")
	id := e.order(c)
	drain(t, d)
	list := e.endpoints(nil)
	if len(list) != 1 || list[0].State != "disabled" || list[0].DisabledReason != "gone" || !list[0].DisabledAt.Equal(t0) || !list[0].FailingSince.Equal(t0) {
		t.Fatalf("after 410 Gone: %+v, want disabled since now, gone", list)
	}
	created := e.notificationOf(id, "create")
	if resp := e.do(request{method: "POST", path: "/v1/notifications/" + created.ID + "/redeliver"}); resp.status != 409 {
		t.Errorf("redelivering to the disabled endpoint alone = %d %s, want 409", resp.status, resp.body)
	}

	path := "/v1/notification-endpoints/" + ep.ID + "/enable"
	before := e.endpoints(nil)
	for _, c := range []struct {
		r      request
		status int
	}{
		{request{method: "POST", path: path, body: `{"now":true}`}, 400},
		{request{method: "POST", path: path, body: `"yes"`}, 400},
		{request{method: "POST", path: path, as: &e.b}, 404},
		{request{method: "POST", path: "/v1/notification-endpoints/ne_missing/enable"}, 404},
	} {
		if resp := e.do(c.r); resp.status != c.status || resp.code() == "" {
			t.Errorf("%s %s = %d %s, want %d", c.r.body, c.r.path, resp.status, resp.body, c.status)
		}
	}
	if after := e.endpoints(nil); !cmp.Equal(before, after) {
		t.Errorf("refused enabling changed the endpoint: %+v into %+v", before, after)
	}

	// A disabled endpoint may be given a new secret; it stays disabled.
	var rotated endpointOut
	e.must(200, request{method: "POST", path: "/v1/notification-endpoints/" + ep.ID + "/rotate-secret"}).decode(t, &rotated)
	if rotated.State != "disabled" || rotated.Secret == "" {
		t.Errorf("rotated while disabled: %+v", rotated)
	}

	h.setStatus(0)
	e.clock.Advance(time.Hour)
	var enabled endpointOut
	e.must(200, request{method: "POST", path: path, body: "{}", header: map[string]string{"Idempotency-Key": "enable-1"}}).decode(t, &enabled)
	if enabled.State != "enabled" || !enabled.DisabledAt.IsZero() || enabled.DisabledReason != "" || !enabled.FailingSince.IsZero() {
		t.Errorf("enabled = %+v", enabled)
	}
	e.must(202, request{method: "POST", path: "/v1/notifications/" + created.ID + "/redeliver"})
	drain(t, d)
	if n := e.notificationOf(id, "create"); n.Status != "delivered" {
		t.Errorf("redelivered once enabled: %s", n.Status)
	}
	if ev := e.lastEvent(nil); ev.Action != "POST /v1/notifications/{notificationId}/redeliver" {
		t.Errorf("last audit event %+v", ev)
	}
	if events := e.auditLog(nil, "action=POST+/v1/notification-endpoints/{endpointId}/enable&outcome=ok"); len(events.Data) != 1 || events.Data[0].Target != ep.ID {
		t.Errorf("audit events of enabling = %+v", events.Data)
	}
	if events := e.auditLog(nil, "action=disable-endpoint"); len(events.Data) != 1 || events.Data[0].Actor != "system:deliver-notifications" {
		t.Errorf("audit events of disabling = %+v", events.Data)
	}

	// Enabling an enabled endpoint clears its failure streak only.
	h.setFail(true)
	e.order(c)
	drain(t, d)
	if list := e.endpoints(nil); list[0].State != "enabled" || !list[0].FailingSince.Equal(e.clock.Now()) {
		t.Fatalf("failing: %+v", list[0])
	}
	e.must(200, request{method: "POST", path: path}).decode(t, &enabled)
	if enabled.State != "enabled" || !enabled.FailingSince.IsZero() {
		t.Errorf("enabled again = %+v", enabled)
	}
}

// The merchant reads its account and sets its contact address; a value
// that is not one address, or a member it may not set, is a 400 that
// changes nothing; a read client may not change it.
func TestMerchantEmail(t *testing.T) { backends(t, testMerchantEmail) }

func testMerchantEmail(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e := newEnv(t)
	type merchantOut struct{ MerchantID, Name, StoreID, Email string }
	get := func(as *creds) merchantOut {
		t.Helper()
		var m merchantOut
		e.must(200, request{method: "GET", path: "/v1/merchant", as: as}).decode(t, &m)
		return m
	}
	if m := get(nil); m.MerchantID != e.a.merchantID || m.Name != "Merchant A" || m.StoreID != "1000000000" || m.Email != "" {
		t.Errorf("merchant A = %+v", m)
	}
	var m merchantOut
	e.must(200, request{method: "PATCH", path: "/v1/merchant", body: `{"email":" finance@merchant-a.example "}`, header: map[string]string{"Idempotency-Key": "email-1"}}).decode(t, &m)
	if m.Email != "finance@merchant-a.example" || get(nil).Email != m.Email {
		t.Errorf("after setting: %+v", m)
	}
	if got := get(&e.b); got.Email != "" || got.MerchantID != e.b.merchantID {
		t.Errorf("merchant B = %+v", got)
	}

	reader := e.newClient("reader", "read")
	for _, c := range []struct {
		r      request
		status int
	}{
		{request{method: "PATCH", path: "/v1/merchant", body: `{"email":"finance"}`}, 400},
		{request{method: "PATCH", path: "/v1/merchant", body: `{"email":"A <a@b.example>"}`}, 400},
		{request{method: "PATCH", path: "/v1/merchant", body: `{"email":7}`}, 400},
		{request{method: "PATCH", path: "/v1/merchant", body: `{"email":["a@b.example"]}`}, 400},
		{request{method: "PATCH", path: "/v1/merchant", body: `{"name":"Someone else"}`}, 400},
		{request{method: "PATCH", path: "/v1/merchant", body: ``}, 400},
		{request{method: "PATCH", path: "/v1/merchant", body: `{"email":"b@a.example"}`, as: &reader}, 403},
	} {
		if resp := e.do(c.r); resp.status != c.status || resp.code() == "" {
			t.Errorf("PATCH %s = %d %s, want %d", c.r.body, resp.status, resp.body, c.status)
		}
	}
	if got := get(nil); got.Email != "finance@merchant-a.example" || got.Name != "Merchant A" {
		t.Errorf("refused changes changed the merchant: %+v", got)
	}
	e.must(200, request{method: "PATCH", path: "/v1/merchant", body: `{}`})
	if got := get(nil); got.Email != "finance@merchant-a.example" {
		t.Errorf("an empty change changed the address to %q", got.Email)
	}
	e.must(200, request{method: "PATCH", path: "/v1/merchant", body: `{"email":null}`})
	if got := get(nil); got.Email != "" {
		t.Errorf("after removing it the address is %q", got.Email)
	}
	if ev := e.lastEvent(nil); ev.Action != "PATCH /v1/merchant" || ev.Target != e.a.merchantID || ev.Outcome != "ok" {
		t.Errorf("last audit event %+v", ev)
	}
}

// Disabling an endpoint, the merchant's doing: nothing is sent to it, its
// pending deliveries fail, a second disable answers it as it is, and
// enabling and redelivering send what it missed.
func TestEndpointDisable(t *testing.T) { backends(t, testEndpointDisable) }

func testEndpointDisable(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e, d := notifyEnv(t, newEnv)
	h := newHook(t)
	var ep endpointOut
	e.must(201, request{method: "POST", path: "/v1/notification-endpoints", body: map[string]any{"url": h.URL, "eventTypes": []string{"com.ledyer.order.create"}}}).decode(t, &ep)
	c := cart(line("A", 1, 10000))
	delete(c, "settings")
	id := e.order(c)
	path := "/v1/notification-endpoints/" + ep.ID + "/disable"
	for _, c := range []struct {
		r      request
		status int
	}{
		{request{method: "POST", path: path, body: `{"now":true}`}, 400},
		{request{method: "POST", path: path, as: &e.b}, 404},
		{request{method: "POST", path: "/v1/notification-endpoints/ne_missing/disable"}, 404},
	} {
		if resp := e.do(c.r); resp.status != c.status || resp.code() == "" {
			t.Errorf("%s %s = %d %s, want %d", c.r.body, c.r.path, resp.status, resp.body, c.status)
		}
	}
	if list := e.endpoints(nil); list[0].State != "enabled" {
		t.Fatalf("refused disabling changed the endpoint: %+v", list[0])
	}

	var got endpointOut
	e.must(200, request{method: "POST", path: path}).decode(t, &got)
	if got.State != "disabled" || got.DisabledReason != "merchant" || !got.DisabledAt.Equal(t0) {
		t.Fatalf("disabled: %+v, want disabled since now by the merchant", got)
	}
	if created := e.notificationOf(id, "create"); created.Status != "failed" {
		t.Errorf("the pending notification to the disabled endpoint is %s, want failed", created.Status)
	}
	drain(t, d)
	if n := len(h.received()); n != 0 {
		t.Errorf("the disabled endpoint got %d requests", n)
	}
	e.clock.Advance(time.Minute)
	var again endpointOut
	e.must(200, request{method: "POST", path: path, body: `{}`}).decode(t, &again)
	if !again.DisabledAt.Equal(got.DisabledAt) {
		t.Errorf("disabled again: %+v, want it as it was", again)
	}

	e.must(200, request{method: "POST", path: "/v1/notification-endpoints/" + ep.ID + "/enable"})
	e.must(202, request{method: "POST", path: "/v1/notifications/" + e.notificationOf(id, "create").ID + "/redeliver"})
	drain(t, d)
	if n := len(h.received()); n != 1 || e.notificationOf(id, "create").Status != "delivered" {
		t.Errorf("enabled and redelivered: %d requests, want 1, delivered", n)
	}
}
