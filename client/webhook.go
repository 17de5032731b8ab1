package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors of VerifyWebhook.
var (
	ErrWebhookUnsigned  = errors.New("the webhook-id, webhook-timestamp and webhook-signature headers are required")
	ErrWebhookStale     = errors.New("the webhook-timestamp is not a time within the tolerance of now")
	ErrWebhookSignature = errors.New("no webhook-signature matches the body with the secret")
	ErrWebhookSecret    = errors.New("the webhook secret is not whsec_ and base64")
)

// DefaultWebhookTolerance is how far a delivery's timestamp may be from
// now when VerifyWebhook is given no tolerance: the Standard Webhooks
// libraries' five minutes.
const DefaultWebhookTolerance = 5 * time.Minute

// VerifyWebhook checks a notification Kassa delivered, signed the
// Standard Webhooks way with secret (whsec_…: an endpoint's, the
// merchant's session signing secret, or the one `kassa listen` prints):
// its webhook-timestamp is within tolerance of now (DefaultWebhookTolerance
// if tolerance is 0), and one of the space-separated signatures in
// webhook-signature (there are several while a secret is rotated) is the
// HMAC-SHA256 of "id.timestamp.body". Signatures of other schemes than v1
// are skipped. Check the body before decoding it, and de-duplicate on
// webhook-id: a notification may be delivered more than once.
func VerifyWebhook(secret string, h http.Header, body []byte, tolerance time.Duration) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return ErrWebhookSecret
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return ErrWebhookUnsigned
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if d := time.Since(time.Unix(sec, 0)); err != nil || d > tolerance || d < -tolerance {
		return ErrWebhookStale
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	for sig := range strings.FieldsSeq(sigs) {
		b64, ok := strings.CutPrefix(sig, "v1,")
		if !ok {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(b64); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrWebhookSignature
}
