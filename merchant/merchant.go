// Package merchant holds merchants, their stores and API clients, and the
// credentials rules: hashed client secrets and signed access tokens.
package merchant

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
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
	Email     string    `json:"email"`   // where Kassa writes to the merchant (ParseEmail); "" for nowhere
	CreatedAt time.Time `json:"createdAt"`
}

// Client is an API client of a merchant. Only its secrets' hashes are
// kept. Rotating the secret keeps the one it replaces valid for an overlap
// (PreviousHash until PreviousUntil), so the merchant can deploy the new
// one before the old one stops working; revoking ends every secret and
// token of the client (see apiclients.go).
type Client struct {
	ID         string
	MerchantID string
	Name       string
	Scope      Scope
	SecretHash []byte
	CreatedAt  time.Time
	// Generation counts the rotations: a token carries the generation of
	// the secret it was issued for, so that the tokens of a secret can end
	// with it.
	Generation    int
	RotatedAt     time.Time // zero if never rotated
	PreviousHash  []byte    // the secret the last rotation replaced
	PreviousUntil time.Time // when PreviousHash stops being accepted
	RevokedAt     time.Time // zero while the client is active
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

// NewClient creates a merchant's first API client, a write client named
// "default", and returns it with its secret, which is shown once and never
// stored.
func NewClient(ids kassa.IDs, now time.Time, merchantID string) (*Client, string) {
	secret := newSecret()
	return &Client{
		ID:         ids.New(kassa.PrefixClient),
		MerchantID: merchantID,
		Name:       DefaultClientName,
		Scope:      ScopeWrite,
		SecretHash: HashSecret(secret),
		CreatedAt:  now,
	}, secret
}

// newSecret is a client secret: 256 random bits.
func newSecret() string {
	var raw [32]byte
	rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// HashSecret hashes a client secret. Secrets are 256 random bits, so a
// plain SHA-256 is as strong as a slow password hash and costs nothing per
// token request.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Verify reports whether secret is one of the client's live secrets at
// now, in constant time: its current one, or the one its last rotation
// replaced until the overlap ends. A revoked client has none.
func (c *Client) Verify(secret string, now time.Time) bool {
	_, ok := c.secretGeneration(secret, now)
	return ok
}

// secretGeneration is the generation of the live secret that secret is.
func (c *Client) secretGeneration(secret string, now time.Time) (int, bool) {
	h := HashSecret(secret)
	current := hmac.Equal(h, c.SecretHash)
	previous := hmac.Equal(h, c.PreviousHash) && now.Before(c.PreviousUntil)
	switch {
	case c.Revoked():
		return 0, false
	case current:
		return c.Generation, true
	case previous:
		return c.Generation - 1, true
	}
	return 0, false
}

// Signer issues and checks access tokens: stateless, HMAC-SHA256 signed
// with keys every Kassa process sharing the database reads from it. Every
// token is distinct, and earlier ones stay valid until they expire, since
// each client integration caches its own.
type Signer struct {
	// Keys are the signing keys, oldest first (signingkeys.go): the last
	// signs new tokens, and each one before it verifies the tokens it
	// signed until it retires. There is at least one.
	Keys []SigningKey
}

// NewKey makes a signing key.
func NewKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// AccessToken is a token as the token endpoint answers it.
type AccessToken struct {
	Token     string
	Scope     Scope
	ExpiresIn time.Duration
}

// Grant is the client-credentials grant: a token for c if secret is one
// of its live secrets at now (Verify). A token got with the secret a
// rotation replaced expires when that secret does, if that is sooner than
// TokenLifetime.
func (s Signer) Grant(c *Client, secret string, now time.Time) (AccessToken, bool) {
	gen, ok := c.secretGeneration(secret, now)
	if !ok {
		return AccessToken{}, false
	}
	if gen == c.Generation {
		return AccessToken{Token: s.Issue(c, now), Scope: c.Scope, ExpiresIn: TokenLifetime}, true
	}
	exp := now.Add(TokenLifetime)
	if c.PreviousUntil.Before(exp) {
		exp = c.PreviousUntil.Truncate(time.Second) // the token never outlives the secret
	}
	return AccessToken{Token: s.issue(c, gen, exp), Scope: c.Scope, ExpiresIn: exp.Sub(now)}, true
}

// Issue returns a token for the client's current secret, valid until now
// + TokenLifetime.
func (s Signer) Issue(c *Client, now time.Time) string {
	return s.issue(c, c.Generation, now.Add(TokenLifetime))
}

// issue returns a token for the client's secret of generation gen, valid
// until exp, signed with the current key. The payload's fields are
// merchant, client, expiry and a nonce followed by the scope, generation
// and signing key ("nonce~scope~gen~key"): they ride in the nonce's field
// so that the token keeps the four fields every Kassa process checks, and
// a process that predates scopes, during a rolling upgrade, still accepts
// it. The first key's tokens name no key ("nonce~scope~gen"), so that a
// process that predates key IDs accepts them too.
func (s Signer) issue(c *Client, gen int, exp time.Time) string {
	k := s.Keys[len(s.Keys)-1]
	var nonce [12]byte
	rand.Read(nonce[:])
	claims := base64.RawURLEncoding.EncodeToString(nonce[:]) + "~" + string(c.Scope) + "~" + strconv.Itoa(gen)
	if k.ID != "" {
		claims += "~" + k.ID
	}
	payload := strings.Join([]string{c.MerchantID, c.ID, strconv.FormatInt(exp.Unix(), 10), claims}, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + mac(k.Key, payload)
}

// Principal is who a valid token speaks for.
type Principal struct {
	MerchantID, ClientID string
	Scope                Scope
	Generation           int // of the client's secret the token was issued for
}

// ErrUnknownKey is the cause of Check's refusal of a token that names a
// signing key the Signer does not have, and that has not expired: a key
// made since the Signer's keys were read, perhaps, or a forger's.
var ErrUnknownKey = errors.New("the access token names a signing key that is not known")

// Check validates a token and returns its principal. A genuine token
// that has expired, or whose key has retired, is refused with its
// principal, so that the refusal can be recorded against the client it
// was issued to; any other is refused with none.
func (s Signer) Check(token string, now time.Time) (Principal, error) {
	bad := kassa.Errorf(kassa.EUnauthorized, "the access token is invalid or has expired")
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Principal{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Principal{}, bad
	}
	payload := string(raw)
	parts := strings.Split(payload, ".")
	if len(parts) != 4 {
		return Principal{}, bad
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Principal{}, bad
	}
	// A token with a bare nonce is from a process that predates scopes,
	// when every client was a write client of generation 0; one with no
	// key is the first key's.
	_, claims, scoped := strings.Cut(parts[3], "~")
	var scope, gen, keyID string
	if scoped {
		cs := strings.Split(claims, "~")
		switch {
		case len(cs) == 2:
			scope, gen = cs[0], cs[1]
		case len(cs) == 3 && cs[2] != "":
			scope, gen, keyID = cs[0], cs[1], cs[2]
		default:
			return Principal{}, bad
		}
	}
	i := s.find(keyID)
	if i < 0 {
		if validKeyID(keyID) && now.Unix() < exp {
			return Principal{}, &kassa.Error{Code: bad.Code, Message: bad.Message, Err: ErrUnknownKey}
		}
		return Principal{}, bad
	}
	if !hmac.Equal([]byte(mac(s.Keys[i].Key, payload)), []byte(sig)) {
		return Principal{}, bad
	}
	p := Principal{MerchantID: parts[0], ClientID: parts[1], Scope: ScopeWrite}
	if scoped {
		p.Scope = Scope(scope)
		if p.Generation, err = strconv.Atoi(gen); err != nil || p.Generation < 0 || !p.Scope.valid() {
			return Principal{}, bad
		}
	}
	if now.Unix() >= exp || s.retired(i, now) {
		return p, bad // genuine but expired, or retired: whom it names, for the audit log
	}
	return p, nil
}

func mac(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
