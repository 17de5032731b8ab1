// Package merchant holds merchants, their stores and API clients, and the
// credentials rules: hashed client secrets and signed access tokens.
package merchant

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
)

// Merchant is an account that sells on invoice.
type Merchant struct {
	ID        string    `json:"merchantId"`
	Name      string    `json:"name"`
	StoreID   string    `json:"storeId"` // the default store
	CreatedAt time.Time `json:"createdAt"`
}

// Client is an API client of a merchant. Only the secret's hash is kept.
type Client struct {
	ID         string
	MerchantID string
	SecretHash []byte
	CreatedAt  time.Time
}

// TokenLifetime is how long an access token is valid. Magento's client
// caches tokens for a fixed hour, so it must be at least that.
const TokenLifetime = time.Hour

// NewMerchant creates a merchant with its default store, whose ID is a
// numeric string as Ledyer's are.
func NewMerchant(env kassa.IDs, now time.Time, name string) (*Merchant, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, kassa.Invalid("name", "name must be 1 to 200 characters")
	}
	var b [8]byte
	rand.Read(b[:])
	store := 1_000_000_000 + binary.BigEndian.Uint64(b[:])%9_000_000_000
	return &Merchant{
		ID:        env.New(kassa.PrefixMerchant),
		Name:      name,
		StoreID:   strconv.FormatUint(store, 10),
		CreatedAt: now,
	}, nil
}

// NewClient creates an API client and returns it with its secret, which is
// shown once and never stored.
func NewClient(ids kassa.IDs, now time.Time, merchantID string) (*Client, string) {
	var raw [32]byte
	rand.Read(raw[:])
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	return &Client{
		ID:         ids.New(kassa.PrefixClient),
		MerchantID: merchantID,
		SecretHash: HashSecret(secret),
		CreatedAt:  now,
	}, secret
}

// HashSecret hashes a client secret. Secrets are 256 random bits, so a
// plain SHA-256 is as strong as a slow password hash and costs nothing per
// token request.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Verify reports whether secret is the client's, in constant time.
func (c *Client) Verify(secret string) bool {
	return hmac.Equal(HashSecret(secret), c.SecretHash)
}

// Signer issues and checks access tokens: stateless, HMAC-SHA256 signed
// with a key every Kassa process sharing the database reads from it. Every
// token is distinct, and earlier ones stay valid until they expire, since
// each client integration caches its own.
type Signer struct{ Key []byte }

// NewKey makes a signing key.
func NewKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// Issue returns a token for the client valid until now + TokenLifetime.
func (s Signer) Issue(c *Client, now time.Time) string {
	var nonce [12]byte
	rand.Read(nonce[:])
	payload := strings.Join([]string{
		c.MerchantID, c.ID,
		strconv.FormatInt(now.Add(TokenLifetime).Unix(), 10),
		base64.RawURLEncoding.EncodeToString(nonce[:]),
	}, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.mac(payload)
}

// Principal is who a valid token speaks for.
type Principal struct {
	MerchantID, ClientID string
}

// Check validates a token and returns its principal. A genuine token
// that has expired is refused with its principal, so that the refusal
// can be recorded against the client it was issued to; any other is
// refused with none.
func (s Signer) Check(token string, now time.Time) (Principal, error) {
	bad := kassa.Errorf(kassa.EUnauthorized, "the access token is invalid or has expired")
	enc, mac, ok := strings.Cut(token, ".")
	if !ok {
		return Principal{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Principal{}, bad
	}
	payload := string(raw)
	if !hmac.Equal([]byte(s.mac(payload)), []byte(mac)) {
		return Principal{}, bad
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 4 {
		return Principal{}, bad
	}
	p := Principal{MerchantID: parts[0], ClientID: parts[1]}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || now.Unix() >= exp {
		return p, bad
	}
	return p, nil
}

func (s Signer) mac(payload string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
