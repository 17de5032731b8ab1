package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/audit"
)

// AuditFilter selects a merchant's audit events; empty fields match all.
type AuditFilter struct {
	Action, Target, Actor string
	// Outcome matches one outcome; audit.Failed matches every outcome
	// but audit.OK.
	Outcome string
	// From and To bound the events' time: From ≤ At < To. A zero time
	// leaves that side open.
	From, To time.Time
	// After continues a listing: only the events that come after this
	// position in the listing's order. Nil starts at the newest.
	After *AuditPosition
	Limit int
}

// AuditPosition is an event's place in a listing: its time, then its
// sequence number (Event.At, Event.Seq).
type AuditPosition struct {
	At  time.Time
	Seq int64
}

// AuditReader reads the audit log.
type AuditReader interface {
	// AuditEvents lists up to f.Limit of the merchant's events that match
	// f, newest first: by time, and events of the same time by sequence
	// number, the one appended last first.
	AuditEvents(ctx context.Context, merchantID string, f AuditFilter) ([]audit.Event, error)
}

// AuditWriter appends to it. The audit log is append-only: no method
// changes or removes an event, and the database refuses to.
type AuditWriter interface {
	// AppendAuditEvent appends e, which commits with the transaction or
	// not at all; the store gives it its sequence number, which e.Seq
	// does not report.
	AppendAuditEvent(ctx context.Context, e *audit.Event) error
}
