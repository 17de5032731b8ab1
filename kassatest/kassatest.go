// Package kassatest holds deterministic stand-ins for kassa.Clock and
// kassa.IDs, so that tests can control time and predict IDs, and the
// fixtures many tests need.
package kassatest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/store"
)

// Clock is a clock that stands still until told to move. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// IDs makes predictable IDs: the prefix and a counter shared by all
// prefixes, zero-padded to Digits digits (20 if zero). It is safe for
// concurrent use.
type IDs struct {
	Digits int
	n      atomic.Int64
}

func (g *IDs) New(prefix string) string {
	d := g.Digits
	if d == 0 {
		d = 20
	}
	return fmt.Sprintf("%s%0*d", prefix, d, g.n.Add(1))
}

// Skip moves the counter on by n, so that two generators in one test do
// not make the same IDs.
func (g *IDs) Skip(n int64) { g.n.Add(n) }

// AddMerchant stores m with a new API client made by ids at now, and
// returns the client and its secret.
func AddMerchant(tb testing.TB, st store.Store, ids kassa.IDs, now time.Time, m *merchant.Merchant) (*merchant.Client, string) {
	tb.Helper()
	cl, secret := merchant.NewClient(ids, now, m.ID)
	ctx := context.Background()
	if err := st.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.CreateMerchant(ctx, m), tx.CreateClient(ctx, cl))
	}); err != nil {
		tb.Fatalf("adding merchant %s: %v", m.Name, err)
	}
	return cl, secret
}
