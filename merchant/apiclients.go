package merchant

// A merchant's API clients: their scopes, rotation and revocation.

import (
	"net/http"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
)

// Scope is what an API client's tokens may do.
type Scope string

const (
	// ScopeRead may make GET (and HEAD) requests only.
	ScopeRead Scope = "read"
	// ScopeWrite may make every request, managing API clients included.
	ScopeWrite Scope = "write"
)

// ParseScope reads a scope as the API and the command line take it.
func ParseScope(s string) (Scope, error) {
	if sc := Scope(s); sc.valid() {
		return sc, nil
	}
	return "", kassa.Invalid("scope", "scope must be read or write, not %q", s)
}

func (s Scope) valid() bool { return s == ScopeRead || s == ScopeWrite }

// Allows reports whether a token of scope s may make a request with the
// HTTP method.
func (s Scope) Allows(method string) bool {
	switch s {
	case ScopeWrite:
		return true
	case ScopeRead:
		return method == http.MethodGet || method == http.MethodHead
	}
	return false
}

// DefaultClientName names the client a merchant is created with.
const DefaultClientName = "default"

// MaxClients bounds a merchant's active API clients; revoked ones do not
// count.
const MaxClients = 20

// Bounds of the overlap during which a rotated client's previous secret
// still works: none at all (a leaked secret) up to a week, a day unless
// the rotation says otherwise.
const (
	DefaultOverlap = 24 * time.Hour
	MaxOverlap     = 7 * 24 * time.Hour
)

// NewAPIClient creates an API client named name with scope among the
// merchant's clients and returns it with its secret, shown once and never
// stored. The merchant may have at most MaxClients active clients.
func NewAPIClient(ids kassa.IDs, now time.Time, clients []Client, merchantID, name string, scope Scope) (*Client, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return nil, "", kassa.Invalid("name", "name must be 1 to 100 characters")
	}
	if !scope.valid() {
		return nil, "", kassa.Invalid("scope", "scope must be read or write")
	}
	if active(clients, func(*Client) bool { return true }) >= MaxClients {
		return nil, "", kassa.Errorf(kassa.EConflict, "a merchant can have at most %d active API clients; revoke one first", MaxClients)
	}
	c, secret := NewClient(ids, now, merchantID)
	c.Name, c.Scope = name, scope
	return c, secret, nil
}

// Revoked reports whether the client has been revoked.
func (c *Client) Revoked() bool { return !c.RevokedAt.IsZero() }

// Rotate gives the client a new secret, returned once, and keeps the
// current one valid for overlap (0 to MaxOverlap). The secret before that,
// if it was still in its own overlap, ends at once.
func (c *Client) Rotate(now time.Time, overlap time.Duration) (*Client, string, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return nil, "", kassa.Invalid("overlapSeconds", "the overlap must be 0 to 7 days (overlapSeconds 0 to %d)", int(MaxOverlap.Seconds()))
	}
	if c.Revoked() {
		return nil, "", kassa.Errorf(kassa.EConflict, "API client %s is revoked", c.ID)
	}
	secret := newSecret()
	next := *c
	next.SecretHash, next.PreviousHash = HashSecret(secret), c.SecretHash
	next.PreviousUntil, next.RotatedAt = now.Add(overlap), now
	next.Generation++
	return &next, secret, nil
}

// Find returns the client id among clients, which are one merchant's.
func Find(clients []Client, id string) (*Client, error) {
	for i := range clients {
		if clients[i].ID == id {
			return &clients[i], nil
		}
	}
	return nil, kassa.Errorf(kassa.ENotFound, "API client %s not found", id)
}

// Revoke revokes the client id among clients, all of one merchant's, as
// of now. Its last active write client cannot be revoked, so that a
// merchant never locks itself out of managing its clients.
func Revoke(clients []Client, id string, now time.Time) (*Client, error) {
	c, err := Find(clients, id)
	if err != nil {
		return nil, err
	}
	if c.Revoked() {
		return nil, kassa.Errorf(kassa.EConflict, "API client %s is already revoked", id)
	}
	writers := active(clients, func(c *Client) bool { return c.Scope == ScopeWrite })
	if c.Scope == ScopeWrite && writers == 1 {
		return nil, kassa.Errorf(kassa.EConflict, "API client %s is the merchant's last write client; create another write client before revoking it", id)
	}
	next := *c
	next.RevokedAt = now
	return &next, nil
}

// active counts the clients not revoked that match.
func active(clients []Client, match func(*Client) bool) int {
	n := 0
	for i := range clients {
		if !clients[i].Revoked() && match(&clients[i]) {
			n++
		}
	}
	return n
}

// Admits reports whether a token whose signature and expiry are valid,
// issued for principal p, is still good at now as far as c, the state of
// its client, goes: c is not revoked, and the token was issued for c's
// current secret or for the one its last rotation replaced, during its
// overlap. A token of a later generation than c's is from a rotation that
// c, an older state, does not know of yet.
func (c *Client) Admits(p Principal, now time.Time) bool {
	switch {
	case c.Revoked():
		return false
	case p.Generation >= c.Generation:
		return true
	case p.Generation == c.Generation-1:
		return now.Before(c.PreviousUntil)
	}
	return false
}

// Later returns whichever of two states of one client is the later: a
// client only moves forward, through rotations (each a generation) and
// then, perhaps, its revocation, which is final.
func Later(a, b *Client) *Client {
	switch {
	case a.Revoked():
		return a
	case b.Revoked() || b.Generation > a.Generation:
		return b
	}
	return a
}
