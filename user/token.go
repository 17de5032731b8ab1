package user

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// NewSecret returns a random 256-bit secret in URL-safe text: a session
// ID or a one-time token. Only its Hash is stored, so that a copy of the
// database opens no session and no link.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand docs)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is what is stored of a secret: its SHA-256 in hex. The secret
// has 256 random bits, so a fast hash is enough: there is nothing to
// guess from.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Session is a dashboard session as stored, under its ID's Hash.
type Session struct {
	Hash       string
	UserID     string
	MerchantID string
	// Pending marks a session whose password checked out but whose user
	// has still to give a TOTP code: it opens nothing but the code step,
	// and the code step replaces it with a session of a new ID.
	Pending    bool
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// How long sessions last.
const (
	// IdleTimeout ends a session nobody has used for this long.
	IdleTimeout = 30 * time.Minute
	// AbsoluteTimeout ends any session this long after sign-in.
	AbsoluteTimeout = 12 * time.Hour
	// PendingTimeout is how long the code step waits for its code.
	PendingTimeout = 5 * time.Minute
	// TouchEvery is how often a session in use has its LastSeenAt
	// rewritten: not at every request, which would make each page a
	// write.
	TouchEvery = time.Minute
)

// Expired says whether s has ended at now: idle too long, or signed in
// too long ago (a pending session: waiting too long for its code).
func (s *Session) Expired(now time.Time) bool { return ExpiryAt(now).Ends(s) }

// Expiry is when sessions have ended at a time, as times a store can
// compare a session's with: a pending session created at or before
// PendingCreated, and another last seen at or before LastSeen or
// created at or before Created.
type Expiry struct{ PendingCreated, LastSeen, Created time.Time }

// ExpiryAt is the sessions that have ended at now.
func ExpiryAt(now time.Time) Expiry {
	return Expiry{PendingCreated: now.Add(-PendingTimeout), LastSeen: now.Add(-IdleTimeout), Created: now.Add(-AbsoluteTimeout)}
}

// Ends says whether s is one of the sessions e has ended.
func (e Expiry) Ends(s *Session) bool {
	if s.Pending {
		return !s.CreatedAt.After(e.PendingCreated)
	}
	return !s.LastSeenAt.After(e.LastSeen) || !s.CreatedAt.After(e.Created)
}

// TokenKind is what a one-time token is for.
type TokenKind string

// The kinds of one-time token.
const (
	// Invitation lets a new user set their first password.
	Invitation TokenKind = "invitation"
	// PasswordReset lets a user who forgot theirs set a new one.
	PasswordReset TokenKind = "password_reset"
	// SignInLink signs a user in without a password (the command line
	// and the sandbox give these to the operator).
	SignInLink TokenKind = "sign_in_link"
)

// Lifetime is how long a token of kind k stays usable.
func (k TokenKind) Lifetime() time.Duration {
	switch k {
	case Invitation:
		return 7 * 24 * time.Hour
	case PasswordReset:
		return time.Hour
	default:
		return 15 * time.Minute
	}
}

// Token is a one-time token as stored, under its secret's Hash. It is
// used at most once (UsedAt set), before ExpiresAt.
type Token struct {
	Hash       string
	Kind       TokenKind
	UserID     string
	MerchantID string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time // zero while unused
}

// NewToken returns a fresh token of kind for u, made at now, and its
// secret, which only the link carries.
func NewToken(kind TokenKind, u *User, now time.Time) (secret string, t Token) {
	secret = NewSecret()
	return secret, Token{Hash: Hash(secret), Kind: kind, UserID: u.ID, MerchantID: u.MerchantID, CreatedAt: now, ExpiresAt: now.Add(kind.Lifetime())}
}

// Usable says whether t may still be used at now.
func (t *Token) Usable(now time.Time) bool { return t.UsedAt.IsZero() && now.Before(t.ExpiresAt) }
