package session

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
)

// A live session that needs a signatory's approval is approved by the
// person the buyer names, never by the buyer's own session: the signing
// link goes to the signatory's e-mail address, and the signing page asks
// for proof that whoever opened it is that person (a one-time code sent
// to the same address separately, or an identity provider's
// verification) before it approves or declines.

// Limits of the one-time codes of a session's signatory.
const (
	CodeLifetime    = 10 * time.Minute
	MaxCodeAttempts = 5 // wrong codes before the code is void
	MaxCodes        = 5 // codes sent per session: each is an e-mail
	maxSignatory    = 200
)

// Signatory is the person the buyer named to approve the purchase, and
// how far their verification got.
type Signatory struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Code is the one-time code last sent, until it is used or void.
	Code      *Code `json:"code,omitempty"`
	CodesSent int   `json:"codesSent,omitempty"`
	// Verified is set once the person at the signing page proved to be
	// the signatory; approving or declining then records it.
	Verified *order.Approval `json:"verified,omitempty"`
}

// Code is a one-time code as stored: a keyed hash of it (the caller's,
// so that a copy of the database cannot try the million codes), when it
// stops working and the wrong guesses so far.
type Code struct {
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expiresAt"`
	Attempts  int       `json:"attempts"`
}

// NameSignatory records the signatory the buyer named for a session
// awaiting one, before the signing link is sent to them. It is not the
// buyer: the signatory's address must differ from the buyer's.
func (s *Session) NameSignatory(now time.Time, name, email string) (*Session, error) {
	if s.StateAt(now) != StateAwaitingSignatory {
		return nil, kassa.Errorf(kassa.EConflict, "session %s is not awaiting a signatory", s.ID)
	}
	if s.Signatory != nil {
		return nil, kassa.Errorf(kassa.EConflict, "session %s already has its signatory", s.ID)
	}
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	switch {
	case name == "":
		return nil, kassa.Invalid("signatory.name", "name the person who approves purchases for the company")
	case len(name) > maxSignatory:
		return nil, kassa.Invalid("signatory.name", "signatory.name is longer than %d characters", maxSignatory)
	case email == "":
		return nil, kassa.Invalid("signatory.email", "give the signatory's e-mail address: the approval link is sent there")
	case len(email) > maxSignatory || !order.LooksLikeEmail(email):
		return nil, kassa.Invalid("signatory.email", "%q is not an e-mail address", email)
	case s.Customer != nil && strings.EqualFold(email, s.Customer.Email):
		return nil, kassa.Invalid("signatory.email", "the signatory must be someone else than the buyer: give their own e-mail address")
	}
	n := s.clone()
	n.Signatory = &Signatory{Name: name, Email: email}
	n.UpdatedAt = now
	return n, nil
}

// signatory is the session's signatory, if it awaits one who was named.
func (s *Session) signatory(now time.Time) (*Signatory, error) {
	if s.StateAt(now) != StateAwaitingSignatory {
		return nil, kassa.Errorf(kassa.EConflict, "session %s is not awaiting a signatory", s.ID)
	}
	if s.Signatory == nil {
		return nil, kassa.Errorf(kassa.EConflict, "session %s has no signatory named", s.ID)
	}
	return s.Signatory, nil
}

// SendCode records a new one-time code, by its hash, replacing any
// earlier one; the caller sends the code to the signatory.
func (s *Session) SendCode(now time.Time, hash string) (*Session, error) {
	sig, err := s.signatory(now)
	if err != nil {
		return nil, err
	}
	if sig.CodesSent >= MaxCodes {
		return nil, kassa.Errorf(kassa.ERateLimited, "%d codes were sent for this purchase, the most there can be; ask the buyer to start a new checkout", MaxCodes)
	}
	n := s.clone()
	c := *sig
	c.Code = &Code{Hash: hash, ExpiresAt: now.Add(CodeLifetime)}
	c.CodesSent++
	n.Signatory = &c
	n.UpdatedAt = now
	return n, nil
}

// CheckCode checks a code the person at the signing page entered, by its
// hash. A right code verifies the signatory (ok true); a wrong one counts
// against the code, which is void after MaxCodeAttempts. Either way the
// caller saves next: a wrong guess must be remembered.
func (s *Session) CheckCode(now time.Time, hash string) (next *Session, ok bool, err error) {
	sig, err := s.signatory(now)
	if err != nil {
		return nil, false, err
	}
	if sig.Code == nil || !now.Before(sig.Code.ExpiresAt) || sig.Code.Attempts >= MaxCodeAttempts {
		return nil, false, kassa.Errorf(kassa.EConflict, "there is no valid code: send a new one")
	}
	n := s.clone()
	c := *sig
	n.Signatory, n.UpdatedAt = &c, now
	if subtle.ConstantTimeCompare([]byte(hash), []byte(sig.Code.Hash)) != 1 {
		code := *sig.Code
		code.Attempts++
		c.Code = &code
		return n, false, nil
	}
	c.Code = nil
	c.Verified = &order.Approval{Name: sig.Name, Email: sig.Email, Method: order.VerifiedByEmailCode, At: now}
	return n, true, nil
}

// Identity is a person as an identity provider verified them.
type Identity struct {
	Method  string // the provider's name
	Subject string // the provider's identifier of the person
	Name    string
}

// VerifyIdentity records that an identity provider verified the person at
// the signing page; they then act as the signatory, under the name the
// provider gives.
func (s *Session) VerifyIdentity(now time.Time, id Identity) (*Session, error) {
	sig, err := s.signatory(now)
	if err != nil {
		return nil, err
	}
	if id.Method == "" || id.Subject == "" {
		return nil, kassa.Errorf(kassa.EUnauthorized, "the identity provider verified no one")
	}
	n := s.clone()
	c := *sig
	c.Code = nil
	c.Verified = &order.Approval{Name: id.Name, Email: sig.Email, Method: id.Method, Subject: id.Subject, At: now}
	n.Signatory, n.UpdatedAt = &c, now
	return n, nil
}

// Verified is the verified signatory's approval record, to sign or
// decline with, or an error saying what is missing.
func (s *Session) Verified(now time.Time) (order.Approval, error) {
	sig, err := s.signatory(now)
	if err != nil {
		return order.Approval{}, err
	}
	if sig.Verified == nil {
		return order.Approval{}, kassa.Errorf(kassa.EForbidden, "verify that you are %s first", sig.Name)
	}
	a := *sig.Verified
	a.At = now
	return a, nil
}
