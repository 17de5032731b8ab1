// Package kassatest holds deterministic stand-ins for kassa.Clock and
// kassa.IDs, so that tests can control time and predict IDs, and the
// fixtures many tests need.
package kassatest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/session"
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

// KEK returns the tests' key-encryption key: the same every time, so that
// every provider a test makes over one database opens its secrets.
func KEK() *seal.Key {
	k, err := seal.New([]byte("kassatest key-encryption key 32B"))
	if err != nil {
		panic(err) // the literal is 32 bytes
	}
	return k
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

// Buyer is the company Purchase buys as: approved by the sandbox rules,
// with an e-mail address for its invoices.
var Buyer = order.Customer{CompanyID: "559311-3714", CompanyName: "Köpare AB", Email: "ap@buyer.test"}

// Purchase makes an order of 100.00 SEK (one line at 25 % VAT) for
// merchantID the way a buyer and a shop do, through app's use cases:
// a payment session, the buyer's authorization, the order from its token.
func Purchase(tb testing.TB, app *provider.Service, merchantID string, auto *order.AutoCapture) *order.Order {
	tb.Helper()
	return PurchaseAs(tb, app, merchantID, Buyer, auto)
}

// PurchaseAs is Purchase bought as buyer, which the sandbox rules must
// approve.
func PurchaseAs(tb testing.TB, app *provider.Service, merchantID string, buyer order.Customer, auto *order.AutoCapture) *order.Order {
	tb.Helper()
	price := int64(10000)
	lines := []order.Line{{Type: order.TypePhysical, Reference: "A", Description: "Desk", Quantity: 1, UnitPrice: &price, VAT: 2500, TotalAmount: 10000, TotalVATAmount: 2000}}
	totals := order.Totals{Amount: 10000, VATAmount: 2000}
	cur, country, locale := "SEK", "SE", "sv-SE"
	ctx := context.Background()
	var o *order.Order
	err := app.Update(ctx, func(tx store.Tx) error {
		ps, err := app.CreateSession(ctx, tx, merchantID, session.Params{Currency: &cur, Country: &country, Locale: &locale, Lines: lines, Totals: totals})
		if err != nil {
			return err
		}
		var a provider.Authorization
		if _, err := app.ChangeSession(ctx, tx, merchantID, ps.ID, func(ps *session.Session, env order.Env) (next *session.Session, err error) {
			next, a, err = app.Authorize(ctx, tx, ps, provider.Confirmation{Buyer: buyer, Method: order.Invoice}, env)
			return next, err
		}); err != nil {
			return err
		}
		o, err = app.OrderFromToken(ctx, tx, merchantID, a.AuthorizationToken, session.OrderRequest{
			Currency: cur, Lines: lines, Totals: totals, Customer: buyer, AutoCapture: auto,
		})
		return err
	})
	if err != nil {
		tb.Fatalf("purchase: %v", err)
	}
	return o
}

// Capture captures all of the order that is uncaptured, through app.
func Capture(tb testing.TB, app *provider.Service, o *order.Order) {
	tb.Helper()
	ctx := context.Background()
	err := app.Update(ctx, func(tx store.Tx) error {
		_, _, err := app.ChangeOrder(ctx, tx, o.MerchantID, o.ID, func(o *order.Order, env order.Env) (*order.Order, error) {
			total, _ := o.Uncaptured.Totals()
			return o.Capture(env, order.CaptureRequest{Lines: o.Uncaptured.Lines, TotalAmount: total})
		})
		return err
	})
	if err != nil {
		tb.Fatalf("capture: %v", err)
	}
}

// ServeGC runs the rest of tb with the garbage collector's target kassa
// serve runs with (kassa.ServeGCPercent), so that a benchmark of the
// server in the test's process measures what serve would.
func ServeGC(tb testing.TB) {
	p, ok := kassa.ServeGCPercent(os.Getenv)
	if !ok {
		return
	}
	old := debug.SetGCPercent(p)
	tb.Cleanup(func() { debug.SetGCPercent(old) })
}
