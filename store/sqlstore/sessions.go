package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// sessionExpiry is the expires_at column of s: when it reads expired
// (session.Session.StateAt), in unix microseconds, or NULL when it never
// will.
func sessionExpiry(s *session.Session) any {
	if s.OrderID != "" || s.State == session.StateCancelled {
		return nil
	}
	return s.ExpiresAt.UnixMicro()
}

// Sessions builds its statement from the filters given, as Orders does.
func (t *Tx) Sessions(ctx context.Context, merchantID string, f store.SessionFilter) ([]*session.Session, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	q := newListQuery("s", merchantID)
	arg := q.arg
	if len(f.States) > 0 {
		var ors []string
		for _, st := range f.States {
			switch st {
			case session.StateExpired:
				ors = append(ors, "s.expires_at <= "+arg(f.Now.UnixMicro()))
			case session.StateCancelled:
				ors = append(ors, "s.state = "+arg(st))
			default: // a state a session leaves when it expires
				ors = append(ors, "s.state = "+arg(st)+" AND (s.expires_at IS NULL OR s.expires_at > "+arg(f.Now.UnixMicro())+")")
			}
		}
		q.and("(" + strings.Join(ors, " OR ") + ")")
	}
	var sessions []*session.Session
	err := t.c.Query(ctx, func(rows Scanner) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		s := new(session.Session)
		if err := unmarshal(doc, s); err != nil {
			return fmt.Errorf("decode session: %w", err)
		}
		sessions = append(sessions, s)
		return nil
	}, `SELECT s.doc FROM payment_sessions s`+q.page(f.After, f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return sessions, nil
}
