// Package user holds the merchant dashboard's people: their roles and
// what each role may do (Role.Can, the one place that decides), password
// hashing (argon2id) and the password policy, time-based one-time
// passwords (RFC 6238), and the dashboard's sessions and one-time tokens
// (invitations, password resets, sign-in links), which are random and
// stored only as hashes. It does no I/O: the provider's use cases store
// what it makes.
package user

import (
	"net/mail"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
)

// IDPrefix begins every user's ID.
const IDPrefix = "usr_"

// User is a person who signs in to a merchant's dashboard. An e-mail
// address belongs to one user of one merchant: it is what they sign in
// with.
type User struct {
	ID         string
	MerchantID string
	Email      string // lower case (NormalizeEmail)
	Role       Role
	// PasswordHash is HashPassword's text; "" until the user sets a
	// password (an invited user, or one made by the command line).
	PasswordHash string
	// TOTPSecret is the authenticator's secret, sealed under the
	// key-encryption key; "" until the user enrols. TOTPEnabled turns it
	// on once a first code has verified it; TOTPStep is the time step of
	// the last code accepted, so that no code is accepted twice.
	TOTPSecret  string
	TOTPEnabled bool
	TOTPStep    int64
	CreatedAt   time.Time
}

// MaxEmail bounds an address (RFC 5321's path limit).
const MaxEmail = 254

// NormalizeEmail checks an e-mail address and returns it trimmed and in
// lower case, the form users are found by.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > MaxEmail {
		return "", kassa.Invalid("email", "an e-mail address of at most %d characters is required", MaxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", kassa.Invalid("email", "%q is not an e-mail address", kassa.Clip(s, 64))
	}
	return s, nil
}
