package client_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/notify"
)

// signed is a delivery of body signed by Kassa's signer at t with the
// secrets, its headers as Kassa sends them.
func signed(t *testing.T, at time.Time, body string, secrets ...string) http.Header {
	t.Helper()
	h, err := notify.Sign("nt_1", at, []byte(body), secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Webhook-Id": {h.ID}, "Webhook-Timestamp": {h.Timestamp}, "Webhook-Signature": {h.Signature}}
}

// VerifyWebhook accepts what Kassa signs (notify.Sign) with the secret,
// among several signatures too, and refuses everything else.
func TestVerifyWebhook(t *testing.T) {
	secret, other := notify.NewSecret([24]byte{1}), notify.NewSecret([24]byte{2})
	body := `{"eventType":"com.ledyer.order.create","orderId":"or_1"}`
	now := time.Now()
	with := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		h.Set(name, value)
		return h
	}
	good := signed(t, now, body, secret)
	byOther := signed(t, now, body, other).Get("webhook-signature")
	tests := []struct {
		name      string
		secret    string
		h         http.Header
		body      string
		tolerance time.Duration
		want      error
	}{
		{"signed", secret, good, body, 0, nil},
		{"without whsec_", secret[len("whsec_"):], good, body, 0, nil},
		{"one of several signatures, during a rotation", secret, with(good, "webhook-signature", byOther+" "+good.Get("webhook-signature")), body, 0, nil},
		{"signed with two secrets, checked with the second", other, signed(t, now, body, secret, other), body, 0, nil},
		{"signed with two secrets, checked with the first", secret, signed(t, now, body, secret, other), body, 0, nil},
		{"another scheme skipped", secret, with(good, "webhook-signature", "v1a,abc "+good.Get("webhook-signature")), body, 0, nil},
		{"four minutes old", secret, signed(t, now.Add(-4*time.Minute), body, secret), body, 0, nil},
		{"another secret", other, good, body, 0, client.ErrWebhookSignature},
		{"only others' signatures", secret, with(good, "webhook-signature", byOther+" v1a,"+good.Get("webhook-signature")[3:]), body, 0, client.ErrWebhookSignature},
		{"another body", secret, good, body + " ", 0, client.ErrWebhookSignature},
		{"another id", secret, with(good, "webhook-id", "nt_2"), body, 0, client.ErrWebhookSignature},
		{"six minutes old", secret, signed(t, now.Add(-6*time.Minute), body, secret), body, 0, client.ErrWebhookStale},
		{"six minutes ahead", secret, signed(t, now.Add(6*time.Minute), body, secret), body, 0, client.ErrWebhookStale},
		{"older than a tolerance of a minute", secret, signed(t, now.Add(-2*time.Minute), body, secret), body, time.Minute, client.ErrWebhookStale},
		{"a timestamp that is not one", secret, with(good, "webhook-timestamp", "soon"), body, 0, client.ErrWebhookStale},
		{"unsigned", secret, with(good, "webhook-signature", ""), body, 0, client.ErrWebhookUnsigned},
		{"no id", secret, with(good, "webhook-id", ""), body, 0, client.ErrWebhookUnsigned},
		{"a secret that is not one", "whsec_???", good, body, 0, client.ErrWebhookSecret},
	}
	for _, tt := range tests {
		if err := client.VerifyWebhook(tt.secret, tt.h, []byte(tt.body), tt.tolerance); !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyWebhook = %v, want %v", tt.name, err, tt.want)
		}
	}
}
