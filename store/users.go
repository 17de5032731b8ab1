package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/user"
)

// UserReader reads the dashboard's users, their sessions and one-time
// tokens. Sessions and tokens are found by their secret's hash
// (user.Hash): the store never sees a secret.
type UserReader interface {
	// User returns the user id. In a read-write transaction it locks the
	// user until the transaction ends, so that changes to one user (a
	// TOTP code's step, a password) take turns.
	User(ctx context.Context, id string) (*user.User, error)
	// UserByEmail returns the user with the address email (in its
	// normalized form, user.NormalizeEmail), of whichever merchant.
	UserByEmail(ctx context.Context, email string) (*user.User, error)
	// Users lists the merchant's users, oldest first.
	Users(ctx context.Context, merchantID string) ([]user.User, error)
	// DashboardSession returns the session whose ID hashes to hash.
	DashboardSession(ctx context.Context, hash string) (*user.Session, error)
	// OneTimeToken returns the token whose secret hashes to hash, used
	// or not.
	OneTimeToken(ctx context.Context, hash string) (*user.Token, error)
}

// UserWriter writes them.
type UserWriter interface {
	// CreateUser inserts a user; an address another user has is
	// EConflict.
	CreateUser(ctx context.Context, u *user.User) error
	// UpdateUser saves the user's role, password hash and TOTP state.
	UpdateUser(ctx context.Context, u *user.User) error
	// DeleteUser removes the merchant's user id with its sessions and
	// one-time tokens, so that none of them opens anything again; a user
	// not of the merchant is ENotFound.
	DeleteUser(ctx context.Context, merchantID, id string) error
	// CreateDashboardSession inserts a session.
	CreateDashboardSession(ctx context.Context, s *user.Session) error
	// TouchDashboardSession sets the session's LastSeenAt.
	TouchDashboardSession(ctx context.Context, hash string, at time.Time) error
	// DeleteDashboardSession removes the session, if there is one.
	DeleteDashboardSession(ctx context.Context, hash string) error
	// DeleteExpiredDashboardSessions removes up to limit sessions e has
	// ended and one-time tokens that expired at or before e's time
	// (tokensBefore), and says how many of each.
	DeleteExpiredDashboardSessions(ctx context.Context, e user.Expiry, tokensBefore time.Time, limit int) (sessions, tokens int, err error)
	// DeleteUserSessions removes every session of the user (a password
	// reset signs them out everywhere) and returns how many.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// CreateOneTimeToken inserts a token.
	CreateOneTimeToken(ctx context.Context, t *user.Token) error
	// UseOneTimeToken marks the token used at at, once: a token already
	// used, or none, is ENotFound, so that of two uses at once only one
	// succeeds.
	UseOneTimeToken(ctx context.Context, hash string, at time.Time) error
}
