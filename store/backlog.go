package store

import (
	"context"
	"time"
)

// Backlog is the work Kassa has queued and not done yet, across every
// merchant, as operators watch it (docs/observability.md).
type Backlog struct {
	// Deliveries are the pending notification deliveries of each merchant
	// and endpoint that has any, ordered by merchant and then endpoint.
	Deliveries []DeliveryQueue
	// Mails are the queued e-mails: neither sent nor given up.
	Mails Queue
	// Unnumbered are the issued invoice documents waiting for their number.
	Unnumbered Queue
}

// Queue is how many items wait, and since when.
type Queue struct {
	Count int
	// Oldest is when the oldest item was created (a redelivered
	// notification's delivery: when it was first created); zero when
	// Count is 0.
	Oldest time.Time
}

// DeliveryQueue is the pending deliveries to one endpoint of a merchant;
// EndpointID is empty for those to the sessions' notification URLs.
type DeliveryQueue struct {
	MerchantID, EndpointID string
	Queue
}

// BacklogReader reads the backlog.
type BacklogReader interface {
	Backlog(ctx context.Context) (Backlog, error)
}

// Stats are a store's connections and commits, as operators watch them.
// Counts only grow, from the store's opening.
type Stats struct {
	// The connections that serve transactions: PostgreSQL's pool, or
	// SQLite's readers (its one writer connection is not among them).
	MaxConns, OpenConns, InUseConns, IdleConns int
	// Waits counts the times a transaction waited for a free connection,
	// WaitTime how long they waited in all.
	Waits    int64
	WaitTime time.Duration
	// Commits counts the read-write transactions committed, and Updates
	// the Update calls they answered: more than Commits where a backend
	// commits several Updates together (SQLite's group commit).
	Commits, Updates int64
	// Statements counts the SQL statements that Update and View sent,
	// BEGIN, COMMIT, ROLLBACK and savepoints included, and RoundTrips the
	// exchanges with a database server they took, a batch of statements
	// being one: 0 on SQLite, which runs inside the process. A driver's
	// own exchanges (PostgreSQL's preparation of a statement the first
	// time a connection runs it) are not counted.
	Statements, RoundTrips int64
	// Queued is the number of Updates waiting to run: those waiting for
	// SQLite's writer; 0 on a backend that runs them at once.
	Queued int
}
