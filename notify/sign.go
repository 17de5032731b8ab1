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

// SessionSecret derives the secret that signs deliveries to a merchant's
// session notification URLs from the server's key, so every process
// sharing the database signs alike without storing a secret per merchant.
func SessionSecret(key []byte, merchantID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kassa session notification secret\x00" + merchantID))
	return SecretPrefix + base64.StdEncoding.EncodeToString(m.Sum(nil)[:24])
}

// Headers are the Standard Webhooks headers of one attempt.
type Headers struct {
	ID, Timestamp, Signature string
}

// Sign signs body for the attempt at t: webhook-id is the notification ID
// (stable across retries, so receivers can de-duplicate), the timestamp is
// the attempt's, and the signature is v1,base64(HMAC-SHA256(secret,
// "id.timestamp.body")).
func Sign(secret, id string, t time.Time, body []byte) (Headers, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return Headers{}, errors.New("notify: malformed webhook secret")
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return Headers{ID: id, Timestamp: ts, Signature: "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))}, nil
}
