// Package audit holds the audit log's event: who changed what, through
// which request, from where, with which outcome, and when. Events are only
// ever appended (the stores refuse to change or remove one); what records
// them, and when, is docs/audit.md's subject.
package audit

import (
	"time"

	"github.com/kassa-pay/kassa"
)

// Event is one change, or one failed or refused attempt at one.
type Event struct {
	// Seq is the event's position in the log, given by the store when it
	// appends the event.
	Seq int64
	// MerchantID is the merchant the change belongs to; empty when no
	// merchant can be named (an access token that is not genuine, a
	// client ID that names no client, the purge of idempotency records).
	MerchantID string
	// Actor is who acted: an API client's ID, Operator, Buyer, DemoShop
	// or System(job). Other kinds (a dashboard's users, say) name theirs
	// with a prefix of their own, as System does.
	Actor string
	// Action is a stable name of what was attempted: an HTTP route's
	// method and pattern ("POST /v1/orders/{orderId}/capture"), a
	// command ("merchant create"), or a job's name.
	Action string
	// Target is the ID of the order, session, endpoint, collection or
	// other object acted on, if there is one.
	Target string
	// RequestID is the HTTP request's ID (its X-Request-Id), if any.
	RequestID string
	// Source is the client's address, if any: the connection's peer, or
	// the client a trusted reverse proxy names.
	Source string
	// Status is the HTTP status answered; 0 outside HTTP.
	Status int
	// Outcome is OK, or the code of the error that failed or refused the
	// change.
	Outcome string
	// Replay marks a request answered with the stored answer of an
	// earlier one with the same Idempotency-Key: it changed nothing.
	Replay bool
	// At is when it happened, by the clock of the process that recorded
	// it.
	At time.Time
}

// OK is the outcome of a change that was made.
const OK = "ok"

// Failed is not an outcome: as a filter it selects every outcome but OK.
const Failed = "failed"

// The actors that are not API clients.
const (
	// Operator is whoever runs Kassa's command line on its database.
	Operator = "operator"
	// Buyer is the person on the buyer's checkout dialog.
	Buyer = "buyer"
	// Signatory is the person on a signing page: whoever holds the link
	// until they verify, the signatory the buyer named after.
	Signatory = "signatory"
	// DemoShop is the sandbox demo shop's backend, which acts for its
	// merchant.
	DemoShop = "demo-shop"
	// Anonymous presents an access token that names nobody Kassa issued
	// one to.
	Anonymous = "anonymous"
)

// System is the actor of the background job named job.
func System(job string) string { return "system:" + job }

// MaxText bounds the text fields an event takes from a request (an actor
// or target as given): longer ones are clipped.
const MaxText = 128

// Clip shortens s to at most MaxText bytes without splitting a character.
func Clip(s string) string { return kassa.Clip(s, MaxText) }
