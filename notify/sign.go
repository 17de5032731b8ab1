package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix marks a Standard Webhooks secret.
const SecretPrefix = "whsec_"

// NewSecret makes an endpoint secret from 24 random bytes (the Standard
// Webhooks minimum).
func NewSecret(random [24]byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(random[:])
}

// SecretContext binds an endpoint's secret, stored sealed, to the
// endpoint (seal.Key's context): copied into another endpoint's row, it
// does not open.
func SecretContext(endpointID string) string { return "notification endpoint secret " + endpointID }

// SessionSecret derives the secret that signs deliveries to a merchant's
// session notification URLs from the server's key, so every process
// sharing the database signs alike without storing a secret per merchant.
func SessionSecret(key []byte, merchantID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kassa session notification secret\x00" + merchantID))
	return SecretPrefix + base64.StdEncoding.EncodeToString(m.Sum(nil)[:24])
}

// CheckSecret reports whether secret is a usable Standard Webhooks secret:
// whsec_ (optional) and the base64 of 24 to 64 bytes.
func CheckSecret(secret string) error {
	key, err := secretKey(secret)
	if err == nil && (len(key) < 24 || len(key) > 64) {
		err = errors.New("notify: a webhook secret must hold 24 to 64 bytes")
	}
	return err
}

func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("notify: malformed webhook secret")
	}
	return key, nil
}

// Headers are the Standard Webhooks headers of one attempt.
type Headers struct {
	ID, Timestamp, Signature string
}

// Sign signs body for the attempt at t with each of secrets: webhook-id
// is the notification ID (stable across retries, so receivers can
// de-duplicate), the timestamp is the attempt's, and the signature is
// v1,base64(HMAC-SHA256(secret, "id.timestamp.body")) for each secret in
// turn, space-separated, as Standard Webhooks lists several during a
// rotation: a receiver that verifies with any one of them accepts.
func Sign(id string, t time.Time, body []byte, secrets ...string) (Headers, error) {
	if len(secrets) == 0 {
		return Headers{}, errors.New("notify: no secret to sign with")
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	sigs := make([]string, len(secrets))
	for i, secret := range secrets {
		key, err := secretKey(secret)
		if err != nil {
			return Headers{}, err
		}
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac(key, id, ts, body))
	}
	return Headers{ID: id, Timestamp: ts, Signature: strings.Join(sigs, " ")}, nil
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Tolerance is how far a delivery's timestamp may be from the receiver's
// clock, either way: the Standard Webhooks libraries' five minutes, which
// bounds how long a captured delivery can be replayed.
const Tolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrUnsigned     = errors.New("the webhook-id, webhook-timestamp and webhook-signature headers are required")
	ErrStale        = errors.New("the webhook-timestamp is not a time within 5 minutes of now")
	ErrBadSignature = errors.New("no webhook-signature matches the body with the configured secret")
)

// Verify checks a delivery the way Standard Webhooks receivers do: the
// timestamp is within Tolerance of now, and one of the space-separated
// v1 signatures (there are several while a sender rotates its secret) is
// the HMAC of "id.timestamp.body" under secret. Other schemes (v1a) are
// skipped.
func Verify(secret string, h Headers, body []byte, now time.Time) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	if h.ID == "" || h.Timestamp == "" || h.Signature == "" {
		return ErrUnsigned
	}
	ts, err := strconv.ParseInt(h.Timestamp, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrStale
	}
	want := mac(key, h.ID, h.Timestamp, body)
	for sig := range strings.FieldsSeq(h.Signature) {
		b64, ok := strings.CutPrefix(sig, "v1,")
		if !ok {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(b64); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}
