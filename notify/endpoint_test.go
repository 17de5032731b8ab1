package notify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func secret(fill string) string {
	var random [24]byte
	copy(random[:], fill)
	return notify.NewSecret(random)
}

// verifies reports whether a receiver holding secret accepts h, by our
// Verify and by the official library.
func verifies(t *testing.T, secret string, h notify.Headers, body []byte, now time.Time) bool {
	t.Helper()
	ours := notify.Verify(secret, h, body, now) == nil
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{}
	hdr.Set("webhook-id", h.ID)
	hdr.Set("webhook-timestamp", h.Timestamp)
	hdr.Set("webhook-signature", h.Signature)
	official := wh.VerifyIgnoringTimestamp(body, hdr) == nil
	if ours != official {
		t.Errorf("Verify says %v, the official library %v, for %q", ours, official, h.Signature)
	}
	return ours
}

// Signed with several secrets, the header lists a v1 signature for each,
// space-separated, and a receiver with any one of them accepts.
func TestSignSeveral(t *testing.T) {
	newer, older, stranger := secret("new secret"), secret("old secret"), secret("someone else's")
	body := []byte(`{"eventType":"com.ledyer.order.create"}`)
	h, err := notify.Sign("nt_1", t0, body, newer, older)
	if err != nil {
		t.Fatal(err)
	}
	one, _ := notify.Sign("nt_1", t0, body, newer)
	two, _ := notify.Sign("nt_1", t0, body, older)
	if want := one.Signature + " " + two.Signature; h.Signature != want {
		t.Errorf("signature %q, want %q", h.Signature, want)
	}
	for name, s := range map[string]string{"new": newer, "old": older} {
		if !verifies(t, s, h, body, t0) {
			t.Errorf("a receiver with the %s secret refuses", name)
		}
	}
	if verifies(t, stranger, h, body, t0) {
		t.Error("a receiver with another secret accepts")
	}
	if _, err := notify.Sign("nt_1", t0, body); err == nil {
		t.Error("Sign without a secret signed")
	}
	if _, err := notify.Sign("nt_1", t0, body, newer, "whsec_!!"); err == nil {
		t.Error("Sign accepted a malformed second secret")
	}
}

// During a rotation's overlap deliveries carry the new secret's
// signature and the old one's; from its end, the new one's alone.
func TestRotationOverlap(t *testing.T) {
	old, next := secret("old secret"), secret("new secret")
	e := notify.Endpoint{ID: "ne_1", Secret: old}
	rotated, err := e.Rotate(t0, notify.DefaultOverlap, next)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret != next || rotated.PreviousSecret != old || !rotated.PreviousUntil.Equal(t0.Add(24*time.Hour)) || !rotated.RotatedAt.Equal(t0) {
		t.Fatalf("rotated %+v", rotated)
	}
	d := notify.Delivery{NotificationID: "nt_1", Secret: rotated.Secret, PreviousSecret: rotated.PreviousSecret, PreviousUntil: rotated.PreviousUntil}
	body := []byte(`{"eventType":"com.kassa.order.paid"}`)
	for _, c := range []struct {
		at        time.Duration
		oldWorks  bool
		signature int // signatures sent
	}{
		{0, true, 2},
		{24*time.Hour - time.Second, true, 2},
		{24 * time.Hour, false, 1},
		{30 * 24 * time.Hour, false, 1},
	} {
		at := t0.Add(c.at)
		secrets := d.Secrets(at)
		h, err := notify.Sign(d.NotificationID, at, body, secrets...)
		if err != nil {
			t.Fatal(err)
		}
		if len(secrets) != c.signature {
			t.Errorf("at +%v: %d signatures, want %d", c.at, len(secrets), c.signature)
		}
		if !verifies(t, next, h, body, at) {
			t.Errorf("at +%v the new secret does not verify", c.at)
		}
		if got := verifies(t, old, h, body, at); got != c.oldWorks {
			t.Errorf("at +%v the old secret verifies: %v, want %v", c.at, got, c.oldWorks)
		}
	}

	// A second rotation within the overlap ends the oldest secret at once;
	// no overlap ends the replaced one at once too.
	third := secret("third secret")
	again, err := rotated.Rotate(t0.Add(time.Hour), 0, third)
	if err != nil {
		t.Fatal(err)
	}
	d = notify.Delivery{Secret: again.Secret, PreviousSecret: again.PreviousSecret, PreviousUntil: again.PreviousUntil}
	if got := d.Secrets(t0.Add(time.Hour)); len(got) != 1 || got[0] != third || again.PreviousSecret != next {
		t.Errorf("after a rotation without overlap: secrets %q, previous %q; want the third alone", got, again.PreviousSecret)
	}

	for _, overlap := range []time.Duration{-time.Second, notify.MaxOverlap + time.Second} {
		_, err := e.Rotate(t0, overlap, next)
		if ke, ok := errors.AsType[*kassa.Error](err); !ok || ke.Code != kassa.EInvalid || ke.Param != "overlapSeconds" {
			t.Errorf("Rotate with overlap %v = %v, want invalid overlapSeconds", overlap, err)
		}
	}
	if _, err := e.Rotate(t0, notify.MaxOverlap, next); err != nil {
		t.Errorf("Rotate with the longest overlap: %v", err)
	}
}

// An endpoint is disabled by a 410 Gone at once, and by failures once
// every attempt has failed for the period; a success in between starts
// the period over. Enabling clears the streak.
func TestAttempted(t *testing.T) {
	const period = 5 * 24 * time.Hour
	ok := func(at time.Duration) notify.Attempt { return notify.Attempt{At: t0.Add(at), StatusCode: 204} }
	fail := func(at time.Duration) notify.Attempt { return notify.Attempt{At: t0.Add(at), StatusCode: 500} }
	tests := []struct {
		name         string
		attempts     []notify.Attempt
		failingSince time.Duration // -1: none
		disabledAt   time.Duration // -1: enabled
		reason       string
	}{
		{"successes", []notify.Attempt{ok(0), ok(time.Hour)}, -1, -1, ""},
		{"gone", []notify.Attempt{{At: t0, StatusCode: http.StatusGone}}, 0, 0, notify.DisabledGone},
		{"gone after failures", []notify.Attempt{fail(0), {At: t0.Add(time.Hour), StatusCode: http.StatusGone}}, 0, time.Hour, notify.DisabledGone},
		{"failing, not yet for the period", []notify.Attempt{fail(time.Hour), fail(period)}, time.Hour, -1, ""},
		{"failing for the period", []notify.Attempt{fail(time.Hour), fail(3 * 24 * time.Hour), fail(period + time.Hour)}, time.Hour, period + time.Hour, notify.DisabledFailing},
		{"a success starts the period over", []notify.Attempt{fail(0), ok(4 * 24 * time.Hour), fail(4*24*time.Hour + time.Minute), fail(period + time.Hour)}, 4*24*time.Hour + time.Minute, -1, ""},
		{"no answer is a failure", []notify.Attempt{{At: t0, Error: "timed out"}, {At: t0.Add(period), Error: "connection refused"}}, 0, period, notify.DisabledFailing},
		{"a 2xx whose body did not arrive is a failure", []notify.Attempt{{At: t0, StatusCode: 200, Error: "reading the response: EOF"}}, 0, -1, ""},
		{"disabled stays as it is", []notify.Attempt{{At: t0, StatusCode: http.StatusGone}, ok(time.Hour), fail(period + time.Hour)}, 0, 0, notify.DisabledGone},
	}
	at := func(d time.Duration) time.Time {
		if d < 0 {
			return time.Time{}
		}
		return t0.Add(d)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := notify.Endpoint{ID: "ne_1"}
			for i, a := range tt.attempts {
				next, changed := e.Attempted(a, period)
				if want := !next.FailingSince.Equal(e.FailingSince) || next.Disabled() != e.Disabled(); changed != want {
					t.Errorf("attempt %d: changed %v, want %v", i+1, changed, want)
				}
				e = next
			}
			if !e.FailingSince.Equal(at(tt.failingSince)) || !e.DisabledAt.Equal(at(tt.disabledAt)) || e.DisabledReason != tt.reason {
				t.Errorf("failing since %v, disabled at %v (%q); want %v, %v (%q)",
					e.FailingSince, e.DisabledAt, e.DisabledReason, at(tt.failingSince), at(tt.disabledAt), tt.reason)
			}
			if e = e.Enable(); e.Disabled() || !e.FailingSince.IsZero() || e.DisabledReason != "" {
				t.Errorf("enabled: %+v", e)
			}
		})
	}
}

// Disable stops an enabled endpoint, the merchant's doing, and leaves a
// disabled one as it is; Enable undoes it.
func TestDisable(t *testing.T) {
	e := notify.Endpoint{ID: "ne_1", FailingSince: t0}
	d := e.Disable(t0.Add(time.Hour))
	if !d.Disabled() || !d.DisabledAt.Equal(t0.Add(time.Hour)) || d.DisabledReason != notify.DisabledByMerchant || !d.FailingSince.Equal(t0) {
		t.Errorf("disabled: %+v", d)
	}
	if again := d.Disable(t0.Add(2 * time.Hour)); !again.DisabledAt.Equal(d.DisabledAt) || again.DisabledReason != d.DisabledReason {
		t.Errorf("disabled again: %+v, want it as it was", again)
	}
	gone, _ := e.Attempted(notify.Attempt{At: t0, StatusCode: http.StatusGone}, time.Hour)
	if got := gone.Disable(t0.Add(time.Hour)); got.DisabledReason != notify.DisabledGone || !got.DisabledAt.Equal(t0) {
		t.Errorf("disabling an endpoint Kassa disabled: %+v, want it as it was", got)
	}
	if e := d.Enable(); e.Disabled() || e.DisabledReason != "" {
		t.Errorf("enabled: %+v", e)
	}
}

func TestForEndpointDisabled(t *testing.T) {
	e := &notify.Endpoint{ID: "ne_1", MerchantID: "ac_m", URL: "https://erp.example/hooks", Secret: "whsec_x",
		FailingSince: t0, DisabledAt: t0.Add(5 * 24 * time.Hour).In(time.FixedZone("CET", 3600)), DisabledReason: notify.DisabledFailing}
	m := notify.ForEndpointDisabled(e)
	want := `{"eventType":"com.kassa.endpoint.disabled","merchantId":"ac_m","endpointId":"ne_1","url":"https://erp.example/hooks",` +
		`"reason":"failing","disabledAt":"2026-01-07T03:04:05Z","failingSince":"2026-01-02T03:04:05Z"}`
	if m.Type != notify.EndpointDisabled || m.ID != "" || m.OrderID != "" || m.SessionID != "" || string(m.Body) != want {
		t.Errorf("ForEndpointDisabled = %+v\n body %s\n want %s", m, m.Body, want)
	}
}
