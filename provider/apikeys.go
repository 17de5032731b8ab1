package provider

// A merchant's API clients: creating, listing, rotating and revoking them,
// and what every process knows of the clients revoked or rotated lately,
// so that Authenticate refuses their tokens without a database read
// (docs/api-keys.md).

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/store"
)

// Clients lists the merchant's API clients, revoked ones included. In a
// read-write transaction it locks them until the transaction ends (the
// store's Clients). An unknown merchant is ENotFound.
func (s *Service) Clients(ctx context.Context, tx store.ReadTx, merchantID string) ([]merchant.Client, error) {
	if _, err := tx.Merchant(ctx, merchantID); err != nil {
		return nil, err
	}
	return tx.Clients(ctx, merchantID)
}

// CreateClient adds an API client named name with scope to the merchant's
// and returns it with its secret, which is shown once and never stored.
func (s *Service) CreateClient(ctx context.Context, tx store.Tx, merchantID, name string, scope merchant.Scope) (*merchant.Client, string, error) {
	cs, err := s.Clients(ctx, tx, merchantID)
	if err != nil {
		return nil, "", err
	}
	c, secret, err := merchant.NewAPIClient(s.ids, s.clock.Now(), cs, merchantID, name, scope)
	if err != nil {
		return nil, "", err
	}
	return c, secret, tx.CreateClient(ctx, c)
}

// RotateClient gives the merchant's client id a new secret, returned once;
// the one it replaces stays valid for overlap, and so do the tokens issued
// for it, until then.
func (s *Service) RotateClient(ctx context.Context, tx store.Tx, merchantID, id string, overlap time.Duration) (*merchant.Client, string, error) {
	cs, err := s.Clients(ctx, tx, merchantID)
	if err != nil {
		return nil, "", err
	}
	c, err := merchant.Find(cs, id)
	if err != nil {
		return nil, "", err
	}
	next, secret, err := c.Rotate(s.clock.Now(), overlap)
	if err != nil {
		return nil, "", err
	}
	return next, secret, tx.RotateClient(ctx, next)
}

// RevokeClient revokes the merchant's client id: its secrets stop working
// at once, and its tokens in every process within the revocation promise
// (docs/api-keys.md), in this one as soon as the transaction commits. The
// merchant's last write client cannot be revoked.
func (s *Service) RevokeClient(ctx context.Context, tx store.Tx, merchantID, id string) (*merchant.Client, error) {
	cs, err := s.Clients(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	next, err := merchant.Revoke(cs, id, s.clock.Now())
	if err != nil {
		return nil, err
	}
	return next, tx.RevokeClient(ctx, merchantID, id, next.RevokedAt)
}

// RefreshClients is the pass that keeps what this process knows of API
// clients current: it reads the clients revoked or rotated since a token
// lifetime ago (and merchant.ClockMargin more), since a token issued
// before then has expired anyway, and returns how many this process
// knows of.
func (s *Service) RefreshClients(ctx context.Context) (int, error) {
	since := s.clock.Now().Add(-merchant.TokenLifetime - merchant.ClockMargin)
	cs, err := View(ctx, s, func(tx store.ReadTx) ([]merchant.Client, error) {
		return tx.ClientChanges(ctx, since)
	})
	if err != nil {
		return 0, err
	}
	return s.clients.learn(since, cs), nil
}

// admits reports whether a token whose signature and expiry are valid,
// issued for p, is still good as far as this process knows.
func (s *Service) admits(p merchant.Principal, now time.Time) error {
	if !s.clients.admits(p, now) {
		return kassa.Errorf(kassa.EUnauthorized, "the access token's API client has been revoked, or its secret rotated out; get a new token")
	}
	return nil
}

// clientStates is what a process knows of the API clients revoked or
// rotated lately, by client ID: read by every authenticated request, so
// held in an immutable map that each change replaces.
type clientStates struct {
	mu    sync.Mutex // serialises the changes
	known atomic.Pointer[map[string]merchant.Client]
}

func (k *clientStates) admits(p merchant.Principal, now time.Time) bool {
	m := k.known.Load()
	if m == nil {
		return true
	}
	c, ok := (*m)[p.ClientID]
	return !ok || c.Admits(p, now)
}

// learn adds the states cs to what is known, keeping the later of two
// states of a client, so that a pass that read the database before a
// change this process made never undoes it; and forgets the clients
// neither revoked nor rotated since since (zero: forgets none). It
// returns how many clients it knows of.
func (k *clientStates) learn(since time.Time, cs []merchant.Client) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	next := map[string]merchant.Client{}
	if m := k.known.Load(); m != nil {
		for id, c := range *m {
			if c.RevokedAt.Compare(since) >= 0 || c.RotatedAt.Compare(since) >= 0 {
				next[id] = c
			}
		}
	}
	for _, c := range cs {
		c.SecretHash, c.PreviousHash = nil, nil // no secrets kept in memory
		if prev, ok := next[c.ID]; ok {
			c = *merchant.Later(&prev, &c)
		}
		next[c.ID] = c
	}
	k.known.Store(&next)
	return len(next)
}

// The outbox's writes of clients: once their transaction commits, this
// process knows of them at once, before the next RefreshClients.

func (t *outboxTx) RotateClient(ctx context.Context, c *merchant.Client) error {
	err := t.Tx.RotateClient(ctx, c)
	if err == nil {
		t.clients = append(t.clients, *c)
	}
	return err
}

func (t *outboxTx) RevokeClient(ctx context.Context, merchantID, id string, at time.Time) error {
	err := t.Tx.RevokeClient(ctx, merchantID, id, at)
	if err == nil {
		t.clients = append(t.clients, merchant.Client{ID: id, MerchantID: merchantID, RevokedAt: at})
	}
	return err
}
