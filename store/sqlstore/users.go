package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/user"
)

const userColumns = `id, merchant_id, email, role, password_hash, totp_secret, totp_enabled, totp_step, created_at`

// scanUser reads a row of userColumns.
func scanUser(rows Scanner, u *user.User) error {
	var (
		enabled, created int64
		role             string
	)
	if err := rows.Scan(&u.ID, &u.MerchantID, &u.Email, &role, &u.PasswordHash, &u.TOTPSecret, &enabled, &u.TOTPStep, &created); err != nil {
		return err
	}
	u.Role, u.TOTPEnabled, u.CreatedAt = user.Role(role), enabled == 1, fromMicros(created)
	return nil
}

// bit is b as the 0 or 1 both databases' flag columns hold.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t *Tx) findUser(ctx context.Context, what, where string, arg any) (*user.User, error) {
	var (
		u     user.User
		found bool
	)
	err := t.c.Query(ctx, func(rows Scanner) error {
		found = true
		return scanUser(rows, &u)
	}, `SELECT `+userColumns+` FROM users WHERE `+where+` = $1`+t.c.ForUpdate(), arg)
	if err != nil {
		return nil, readErr(err, what)
	}
	if !found {
		return nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	return &u, nil
}

func (t *Tx) User(ctx context.Context, id string) (*user.User, error) {
	return t.findUser(ctx, "user "+id, "id", id)
}

func (t *Tx) UserByEmail(ctx context.Context, email string) (*user.User, error) {
	return t.findUser(ctx, "user", "email", email)
}

func (t *Tx) Users(ctx context.Context, merchantID string) ([]user.User, error) {
	var us []user.User
	err := t.c.Query(ctx, func(rows Scanner) error {
		var u user.User
		err := scanUser(rows, &u)
		us = append(us, u)
		return err
	}, `SELECT `+userColumns+` FROM users WHERE merchant_id = $1 ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

func (t *Tx) CreateUser(ctx context.Context, u *user.User) error {
	_, err := t.c.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, u.MerchantID, u.Email, string(u.Role), u.PasswordHash, u.TOTPSecret, bit(u.TOTPEnabled), u.TOTPStep, u.CreatedAt.UnixMicro())
	return t.writeErr(err, "user "+u.Email)
}

func (t *Tx) UpdateUser(ctx context.Context, u *user.User) error {
	n, err := t.c.Exec(ctx, `UPDATE users SET role = $1, password_hash = $2, totp_secret = $3, totp_enabled = $4, totp_step = $5
		WHERE id = $6 AND merchant_id || '' = $7`,
		string(u.Role), u.PasswordHash, u.TOTPSecret, bit(u.TOTPEnabled), u.TOTPStep, u.ID, u.MerchantID)
	if err != nil {
		return t.writeErr(err, "user "+u.ID)
	}
	return mustChange(n, "user "+u.ID)
}

func (t *Tx) DeleteUser(ctx context.Context, merchantID, id string) error {
	n, err := t.c.Exec(ctx, `DELETE FROM users WHERE `+byID, id, merchantID)
	if err != nil {
		return t.writeErr(err, "user "+id)
	}
	if err := mustChange(n, "user "+id); err != nil {
		return err
	}
	if _, err := t.c.Exec(ctx, `DELETE FROM dashboard_sessions WHERE user_id = $1`, id); err != nil {
		return t.writeErr(err, "sessions of "+id)
	}
	_, err = t.c.Exec(ctx, `DELETE FROM one_time_tokens WHERE user_id = $1`, id)
	return t.writeErr(err, "tokens of "+id)
}

func (t *Tx) DashboardSession(ctx context.Context, hash string) (*user.Session, error) {
	var (
		s                      user.Session
		pending, created, seen int64
	)
	err := t.c.QueryRow(ctx, []any{&s.Hash, &s.UserID, &s.MerchantID, &pending, &created, &seen},
		`SELECT hash, user_id, merchant_id, pending, created_at, last_seen_at FROM dashboard_sessions WHERE hash = $1`, hash)
	if err != nil {
		return nil, readErr(err, "session")
	}
	s.Pending, s.CreatedAt, s.LastSeenAt = pending == 1, fromMicros(created), fromMicros(seen)
	return &s, nil
}

func (t *Tx) CreateDashboardSession(ctx context.Context, s *user.Session) error {
	_, err := t.c.Exec(ctx, `INSERT INTO dashboard_sessions (hash, user_id, merchant_id, pending, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.Hash, s.UserID, s.MerchantID, bit(s.Pending), s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro())
	return t.writeErr(err, "session")
}

func (t *Tx) TouchDashboardSession(ctx context.Context, hash string, at time.Time) error {
	n, err := t.c.Exec(ctx, `UPDATE dashboard_sessions SET last_seen_at = $1 WHERE hash = $2`, at.UnixMicro(), hash)
	if err != nil {
		return t.writeErr(err, "session")
	}
	return mustChange(n, "session")
}

func (t *Tx) DeleteDashboardSession(ctx context.Context, hash string) error {
	_, err := t.c.Exec(ctx, `DELETE FROM dashboard_sessions WHERE hash = $1`, hash)
	return t.writeErr(err, "session")
}

func (t *Tx) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	n, err := t.c.Exec(ctx, `DELETE FROM dashboard_sessions WHERE user_id = $1`, userID)
	return int(n), t.writeErr(err, "sessions of "+userID)
}

func (t *Tx) DeleteExpiredDashboardSessions(ctx context.Context, e user.Expiry, tokensBefore time.Time, limit int) (int, int, error) {
	if limit <= 0 {
		return 0, 0, nil
	}
	sessions, err := t.c.Exec(ctx, `DELETE FROM dashboard_sessions WHERE hash IN (SELECT hash FROM dashboard_sessions
		WHERE pending = 1 AND created_at <= $1 OR pending = 0 AND (last_seen_at <= $2 OR created_at <= $3) LIMIT $4)`,
		e.PendingCreated.UnixMicro(), e.LastSeen.UnixMicro(), e.Created.UnixMicro(), limit)
	if err != nil {
		return 0, 0, t.writeErr(err, "expired dashboard sessions")
	}
	tokens, err := t.c.Exec(ctx, `DELETE FROM one_time_tokens WHERE hash IN (SELECT hash FROM one_time_tokens WHERE expires_at <= $1 LIMIT $2)`,
		tokensBefore.UnixMicro(), limit)
	return int(sessions), int(tokens), t.writeErr(err, "expired one-time tokens")
}

func (t *Tx) OneTimeToken(ctx context.Context, hash string) (*user.Token, error) {
	var (
		tok                   user.Token
		kind                  string
		created, expires, use int64
	)
	err := t.c.QueryRow(ctx, []any{&tok.Hash, &kind, &tok.UserID, &tok.MerchantID, &created, &expires, &use},
		`SELECT hash, kind, user_id, merchant_id, created_at, expires_at, used_at FROM one_time_tokens WHERE hash = $1`, hash)
	if err != nil {
		return nil, readErr(err, "token")
	}
	tok.Kind, tok.CreatedAt, tok.ExpiresAt, tok.UsedAt = user.TokenKind(kind), fromMicros(created), fromMicros(expires), timeOrZero(use)
	return &tok, nil
}

func (t *Tx) CreateOneTimeToken(ctx context.Context, tok *user.Token) error {
	_, err := t.c.Exec(ctx, `INSERT INTO one_time_tokens (hash, kind, user_id, merchant_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tok.Hash, string(tok.Kind), tok.UserID, tok.MerchantID, tok.CreatedAt.UnixMicro(), tok.ExpiresAt.UnixMicro(), microsOrZero(tok.UsedAt))
	return t.writeErr(err, "token")
}

func (t *Tx) UseOneTimeToken(ctx context.Context, hash string, at time.Time) error {
	n, err := t.c.Exec(ctx, `UPDATE one_time_tokens SET used_at = $1 WHERE hash = $2 AND used_at = 0`, at.UnixMicro(), hash)
	if err != nil {
		return t.writeErr(err, "token")
	}
	return mustChange(n, "unused token")
}
