// Package limit holds Kassa's abuse limits as rules over the times their
// callers pass in (no clock, no I/O): the backoff that slows the guessing
// of API client secrets, per client id and per source address (Guard),
// and the token buckets that hold each merchant to a request quota
// (Quotas). Their state is in memory and per process: behind a load
// balancer each replica keeps its own (docs/architecture.md, "Abuse
// limits", has the arithmetic).
package limit

import (
	"crypto/sha256"
	"net/netip"
	"sync"
	"time"
)

// Backoff is how long a key waits after consecutive failures: not at all
// before the After-th, then Base, doubling with each further failure up
// to Max. A key with no failure for Forget starts again from zero.
type Backoff struct {
	After  int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// ClientBackoff is the rule per client id: after 5 consecutive failures a
// minute, doubling to 30 minutes from the 10th (the numbers of PCI DSS
// 8.3.4: lock out after at most 10 failed attempts, for at least 30
// minutes). A success or a day without failure forgets them.
var ClientBackoff = Backoff{After: 5, Base: time.Minute, Max: 30 * time.Minute, Forget: 24 * time.Hour}

// SourceBackoff is the rule per source address, whichever client ids its
// requests name: after 20 consecutive failures a second, doubling to 30
// minutes from the 31st. Successes do not forget them (an address's own
// good credentials must not wash out its guesses at others'), an hour
// without failure does. The allowance is larger than a client id's
// because many shops may share one address behind a NAT.
var SourceBackoff = Backoff{After: 20, Base: time.Second, Max: 30 * time.Minute, Forget: time.Hour}

// BadTokenBackoff is the rule per source address for requests refused
// for their access token (forged, expired, or of a client revoked or
// rotated out), each of which the audit log records: after 20
// consecutive failures a second, doubling to a minute from the 26th, so
// that a flood of bad tokens from one address costs the database a write
// a minute. Successes do not forget them, ten minutes without failure
// do. The wait is short because it also holds back a shop behind the same
// address whose token has just expired, until its retry is answered 401
// and it asks for a new token.
var BadTokenBackoff = Backoff{After: 20, Base: time.Second, Max: time.Minute, Forget: 10 * time.Minute}

// MaxKeys bounds each of a Guard's tables: about 10 MB at most.
const MaxKeys = 100_000

// Delay is how long a key waits after its n-th consecutive failure.
func (b Backoff) Delay(n int) time.Duration {
	if n < b.After {
		return 0
	}
	d := b.Base
	for i := b.After; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Failures applies a Backoff to keys. It is safe for concurrent use.
//
// An attempt may start only while its key does not wait, and only one at
// a time once the key has reached After failures; below that, failures
// and attempts under way together number at most After. So concurrent
// attempts cannot outrun the rule: a burst of guesses sent at once gets
// no more tries than guesses sent one by one.
type Failures struct {
	rule    Backoff
	maxKeys int
	mu      sync.Mutex
	keys    map[string]*record
	sweepAt time.Time // no record can be forgotten before then
}

type record struct {
	failed  int       // consecutive failures
	pending int       // attempts begun and not yet ended
	last    time.Time // the last failure
}

// NewFailures applies rule to at most maxKeys keys at once. When that many
// keys have failures not yet forgotten, a new key goes uncounted until
// some are: filling the table takes thousands of source addresses, each
// of which its own key holds back, and failing closed instead would
// refuse every client that had not failed.
func NewFailures(rule Backoff, maxKeys int) *Failures {
	return &Failures{rule: rule, maxKeys: maxKeys, keys: map[string]*record{}}
}

// forgotten says whether r no longer counts at now.
func (f *Failures) forgotten(r *record, now time.Time) bool {
	return r.pending == 0 && (r.failed == 0 || now.Sub(r.last) >= f.rule.Forget)
}

// Begin starts an attempt of key at now, or says how long key must wait
// first (and starts nothing). Every attempt begun must be ended by End.
func (f *Failures) Begin(key string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.keys[key]
	if r != nil && f.forgotten(r, now) {
		delete(f.keys, key)
		r = nil
	}
	if r == nil {
		if len(f.keys) >= f.maxKeys && !f.makeRoom(now) {
			return 0 // uncounted (see NewFailures)
		}
		r = &record{}
		f.keys[key] = r
	}
	if wait := r.last.Add(f.rule.Delay(r.failed)).Sub(now); r.failed >= f.rule.After && wait > 0 {
		return min(wait, f.rule.Delay(r.failed)) // a clock set back waits no longer than the delay
	}
	if r.failed+r.pending >= f.rule.After && r.pending > 0 {
		return time.Second // another attempt is under way and takes milliseconds
	}
	r.pending++
	return 0
}

// End ends an attempt of key begun at Begin: failed counts a failure at
// now (and returns the delay it imposes); reset, after a success, forgets
// key's failures; neither leaves them as they were.
func (f *Failures) End(key string, now time.Time, failed, reset bool) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.keys[key]
	if r == nil { // uncounted, or forgotten meanwhile
		if !failed || len(f.keys) >= f.maxKeys && !f.makeRoom(now) {
			return 0
		}
		r = &record{pending: 1}
		f.keys[key] = r
	}
	r.pending = max(r.pending-1, 0)
	switch {
	case failed:
		r.failed++
		r.last = now
	case reset:
		r.failed = 0
	}
	if f.forgotten(r, now) {
		delete(f.keys, key)
	}
	return f.rule.Delay(r.failed)
}

// makeRoom forgets every record that no longer counts, at most once until
// the earliest of the rest can be, and says whether there is room now.
// (A record with no failures and an attempt under way goes when the
// attempt ends.)
func (f *Failures) makeRoom(now time.Time) bool {
	if now.Before(f.sweepAt) {
		return false
	}
	next := now.Add(f.rule.Forget)
	for k, r := range f.keys {
		if f.forgotten(r, now) {
			delete(f.keys, k)
		} else if t := r.last.Add(f.rule.Forget); r.failed > 0 && t.Before(next) {
			next = t
		}
	}
	f.sweepAt = next
	return len(f.keys) < f.maxKeys
}

// Guard applies backoffs to credential checks, per client id and per
// source address. It is safe for concurrent use.
type Guard struct {
	clients, sources *Failures
}

// NewGuard applies clients to client ids and sources to source
// addresses, holding at most maxKeys of each.
func NewGuard(clients, sources Backoff, maxKeys int) *Guard {
	return &Guard{NewFailures(clients, maxKeys), NewFailures(sources, maxKeys)}
}

// Check is a credential check under way.
type Check struct {
	g              *Guard
	client, source string // "" for no client id
}

// Begin starts checking a credential of clientID ("" for none) sent from
// source, or says how long they must wait first: the longer of the two
// waits, and nothing is counted. The answer is the same whether or not
// clientID exists.
func (g *Guard) Begin(clientID string, source netip.Addr, now time.Time) (Check, time.Duration) {
	c := Check{g: g, source: SourceKey(source)}
	if clientID != "" {
		h := sha256.Sum256([]byte(clientID)) // the client id is the caller's: bound its size
		c.client = string(h[:])
	}
	var wc time.Duration
	if c.client != "" {
		wc = g.clients.Begin(c.client, now)
	}
	ws := g.sources.Begin(c.source, now)
	if wc == 0 && ws == 0 {
		return c, 0
	}
	if wc == 0 && c.client != "" {
		g.clients.End(c.client, now, false, false)
	}
	if ws == 0 {
		g.sources.End(c.source, now, false, false)
	}
	return Check{}, max(wc, ws)
}

// Failed ends the check as a failure at now and returns the longer of the
// delays it imposes on the client id and the source.
func (c Check) Failed(now time.Time) time.Duration {
	var d time.Duration
	if c.client != "" {
		d = c.g.clients.End(c.client, now, true, false)
	}
	return max(d, c.g.sources.End(c.source, now, true, false))
}

// Succeeded ends the check as a success: the client id's failures are
// forgotten, the source's stay.
func (c Check) Succeeded(now time.Time) {
	if c.client != "" {
		c.g.clients.End(c.client, now, false, true)
	}
	c.g.sources.End(c.source, now, false, false)
}

// Abandoned ends a check that had no answer (the store failed, say): it
// counts neither way.
func (c Check) Abandoned(now time.Time) {
	if c.client != "" {
		c.g.clients.End(c.client, now, false, false)
	}
	c.g.sources.End(c.source, now, false, false)
}

// SourceKey is the key of a source address: an IPv6 address by its /64,
// the block one host or household is usually given, so that the rest of
// that block is not a supply of fresh addresses.
func SourceKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64) // 64 is within an IPv6 address: no error
		return p.String()
	}
	return a.String() // "invalid IP" for none: such requests share one key
}
