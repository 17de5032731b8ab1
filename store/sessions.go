package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/session"
)

// SessionFilter selects a merchant's payment sessions; empty fields
// match all.
type SessionFilter struct {
	// States matches sessions whose state as the API reports it at Now
	// (session.Session.StateAt) is one of them.
	States []string
	Now    time.Time
	// After continues a listing: only the sessions that come after this
	// position in the listing's order. Nil starts at the newest.
	After *ListPosition
	Limit int
}

// SessionLister lists payment sessions.
type SessionLister interface {
	// Sessions lists up to f.Limit of the merchant's sessions that match
	// f, newest first (by creation time, then by ID, the greater first).
	Sessions(ctx context.Context, merchantID string, f SessionFilter) ([]*session.Session, error)
}
