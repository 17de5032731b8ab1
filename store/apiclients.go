package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/merchant"
)

// ClientReader reads merchants' API clients (Client reads one by ID).
type ClientReader interface {
	// Clients lists the merchant's API clients, revoked ones included,
	// oldest first. In a read-write transaction it locks the merchant's
	// clients until the transaction ends, so that changes to them that
	// depend on the others (the last write client, the cap) take turns.
	Clients(ctx context.Context, merchantID string) ([]merchant.Client, error)
	// ClientChanges lists the API clients of every merchant revoked or
	// rotated at or after since, without their secrets' hashes.
	ClientChanges(ctx context.Context, since time.Time) ([]merchant.Client, error)
}

// ClientWriter changes them. Changing another merchant's client, or one
// that does not exist, is ENotFound.
type ClientWriter interface {
	// RotateClient saves a rotation of c: its secret's hash, the previous
	// secret's hash and when it expires, its generation and when it was
	// rotated.
	RotateClient(ctx context.Context, c *merchant.Client) error
	// RevokeClient marks the client revoked at at.
	RevokeClient(ctx context.Context, merchantID, id string, at time.Time) error
}
