// Package webhook delivers the notifications the outbox wrote: it claims
// due deliveries from the store, POSTs them signed to their destinations
// and records each attempt, following notify's retry schedule. Several
// processes can share one database: claims are leases.
package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// Config tunes a Dispatcher; zero values take the defaults.
type Config struct {
	// Concurrency bounds the requests in flight (default 64). A request
	// that waits for a receiver costs a goroutine and a connection.
	Concurrency int
	// PerDestination bounds the requests in flight to one destination
	// (notify.Destination) over every process sharing the database
	// (default 16, at most Concurrency): a receiver that hangs holds that
	// many slots and the others keep the rest. It also bounds one
	// destination's throughput, to about PerDestination requests per
	// round trip and commit.
	PerDestination int
	// Timeout bounds one attempt, connection to last byte (default 15 s,
	// the low end of what Standard Webhooks recommends).
	Timeout time.Duration
	// Lease is how long a claimed delivery stays with this process before
	// another may take it over (default three times Timeout). A delivery
	// is claimed when its attempt starts, so the attempt takes at most
	// Timeout of it; the rest covers recording the attempt on a busy
	// database and clocks that differ between processes.
	Lease time.Duration
	// Poll is how often to look for due deliveries when not woken (default
	// 1 s): retries falling due, and other processes' notifications.
	Poll time.Duration
	// AllowPrivate allows loopback, private and link-local destinations:
	// for sandboxes and tests only.
	AllowPrivate bool
	// KEK opens endpoints' secrets, which are stored sealed under it
	// (provider.LoadSigner); without it only session notification URLs can
	// be signed for.
	KEK *seal.Key
	// Jitter returns the spread added to the delay after attempt number
	// attempts has failed (default: up to a tenth of the delay, random).
	Jitter func(attempts int) time.Duration
	// Endpoints, if set, learns of every attempt sent to a notification
	// endpoint, in the transaction that records it: the provider keeps
	// each endpoint's failure streak and disables it when it answers 410
	// Gone or fails for days (provider.Service.EndpointAttempted). Without
	// it endpoints are never disabled.
	Endpoints Endpoints
}

// Endpoints keeps the health of notification endpoints.
type Endpoints interface {
	// EndpointAttempted takes a, an attempt sent to d's endpoint, in tx.
	EndpointAttempted(ctx context.Context, tx store.Tx, d *notify.Delivery, a notify.Attempt) error
}

// Response bodies are read up to readLimit (so a connection can be kept)
// and kept in the log up to logLimit.
const (
	readLimit = 64 << 10
	logLimit  = 1 << 10
)

// Dispatcher delivers notifications.
type Dispatcher struct {
	cfg    Config
	log    *slog.Logger
	store  store.Store
	clock  kassa.Clock
	key    []byte
	client *http.Client
	wake   chan struct{}
	claim  string // this process's claim prefix
	mu     sync.Mutex
	n      int // claims made, for unique claim tokens
}

// New makes a dispatcher over st. key derives the secrets of session
// notification URLs (api.LoadNotificationKey).
func New(log *slog.Logger, st store.Store, clock kassa.Clock, key []byte, cfg Config) *Dispatcher {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.PerDestination <= 0 {
		cfg.PerDestination = 16
	}
	cfg.PerDestination = min(cfg.PerDestination, cfg.Concurrency)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 3 * cfg.Timeout
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(attempts int) time.Duration { return notify.Jitter(attempts, rand.Float64()) }
	}
	var id [8]byte
	crand.Read(id[:])
	return &Dispatcher{
		cfg: cfg, log: log, store: st, clock: clock, key: key,
		client: &http.Client{
			Transport: newTransport(cfg.AllowPrivate, cfg.Timeout, cfg.Concurrency),
			Timeout:   cfg.Timeout,
			// A redirect could lead past the destination policy, and Ledyer
			// asks for a 200 from the URL itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		wake:  make(chan struct{}, 1),
		claim: hex.EncodeToString(id[:]),
	}
}

// newTransport dials only destinations the policy allows, checking the
// address actually dialled (after DNS), so a name that resolves to an
// internal address is refused too. Proxies from the environment are not
// used: they would bypass the check.
func newTransport(allowPrivate bool, timeout time.Duration, conns int) *http.Transport {
	d := &net.Dialer{Timeout: min(timeout, 10*time.Second)}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !notify.PublicIP(ip) {
				return fmt.Errorf("%w: %s", errForbidden, host)
			}
			return nil
		}
	}
	return &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

var errForbidden = errors.New("destination address not allowed")

// Wake makes Run look for due deliveries now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. On the way out it claims nothing more and
// lets the attempts in flight finish and be recorded.
func (d *Dispatcher) Run(ctx context.Context) {
	d.dispatch(ctx, false)
}

// Drain makes every attempt due now, and those that fall due meanwhile,
// and returns how many it made once none is due and all are recorded.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	return d.dispatch(ctx, true)
}

// dispatch claims due deliveries whenever a slot is free and starts each
// one's attempt at once; it never waits for one attempt to claim the
// next. A transaction records the attempts that have ended (all that are
// waiting) and claims for the slots free, so an attempt holds its slot,
// and its destination's share in the store, until it is recorded, and one
// commit both frees and refills it. Two such transactions may run at
// once, so that attempts that end while a claim runs are recorded without
// waiting for it. It claims when woken, every Poll, and when attempts
// have ended, until a claim gets less than it asked for. The store caps
// each destination (PerDestination), so a receiver that hangs holds a
// few slots while the others go on. Drain returns once nothing is in
// flight and a claim found nothing it may take; Run only when ctx ends.
func (d *Dispatcher) dispatch(ctx context.Context, drain bool) (int, error) {
	conc := d.cfg.Concurrency
	results := make(chan attempted, conc)
	outcomes := make(chan outcome, 2)
	poll := time.NewTicker(d.cfg.Poll)
	defer poll.Stop()
	var (
		ended    []attempted // attempts made, not yet being recorded
		inflight int         // attempts started and not yet recorded
		reserved int         // slots that running transactions claim for
		running  int         // transactions running
		made     int
		errs     []error
		due      = true // something may be due: claim when a slot is free
		stop     = ctx.Done()
	)
	for {
		// Drain stops claiming at its first error, and returns it once
		// the attempts in flight are recorded.
		want := 0
		if due && ctx.Err() == nil && len(errs) == 0 {
			want = conc - inflight - reserved + len(ended)
		}
		if running < cap(outcomes) && (want > 0 || len(ended) > 0) {
			running++
			reserved += want
			if want > 0 {
				due = false // until this claim, or a signal, says otherwise
			}
			go func(ended []attempted, want int) {
				batch, err := d.recordAndClaim(ctx, ended, want)
				outcomes <- outcome{len(ended), want, batch, err}
			}(ended, want)
			ended = nil
		}
		if running == 0 && inflight == 0 && (ctx.Err() != nil || drain && (!due || len(errs) > 0)) {
			return made, errors.Join(errs...)
		}
		select {
		case o := <-outcomes:
			running--
			reserved -= o.want
			inflight += len(o.batch) - o.recorded
			made += len(o.batch)
			for _, dl := range o.batch {
				go func() {
					a, sent := d.deliver(ctx, &dl)
					results <- attempted{dl, a, sent}
				}()
			}
			switch {
			case o.err != nil && ctx.Err() == nil && drain:
				errs = append(errs, o.err)
			case o.err != nil && ctx.Err() == nil:
				d.log.Error("delivering notifications", "err", o.err)
			case o.want > 0 && len(o.batch) == o.want:
				due = true // there may be more
			}
		case r := <-results:
			ended = ready(append(ended, r), results)
			due = true
		case <-d.wake:
			due = true
		case <-poll.C:
			due = true
		case <-stop:
			stop = nil // from now on, wait only for the attempts in flight
		}
	}
}

// outcome is what a transaction of dispatch did: recorded attempts, and
// claimed batch of the want it asked for.
type outcome struct {
	recorded, want int
	batch          []notify.Delivery
	err            error
}

// ready appends the results that have come, without waiting for more.
func ready(ended []attempted, results <-chan attempted) []attempted {
	for {
		select {
		case r := <-results:
			ended = append(ended, r)
		default:
			return ended
		}
	}
}

// attempted is an attempt made, waiting to be recorded. sent says that
// it was tried at the destination (attempt): its outcome is the
// destination's doing.
type attempted struct {
	d    notify.Delivery
	a    notify.Attempt
	sent bool
}

// recordAndClaim records the attempts ended and claims up to limit due
// deliveries, in one transaction. The attempts have been made whatever
// ctx says, so ctx's end does not stop the recording. If the transaction
// fails, the attempts are recorded in one of their own, without telling
// Endpoints of them, so that neither a claim nor an endpoint's health
// that fails takes them along (their log matters more than one attempt
// more or less in a failure streak); if that fails too, their leases run
// out and they are made again.
func (d *Dispatcher) recordAndClaim(ctx context.Context, ended []attempted, limit int) ([]notify.Delivery, error) {
	d.mu.Lock()
	d.n++
	token := fmt.Sprintf("%s-%d", d.claim, d.n)
	d.mu.Unlock()
	now := d.clock.Now()
	c := store.DeliveryClaim{Now: now, LeaseUntil: now.Add(d.cfg.Lease), Token: token, Limit: limit, PerDestination: d.cfg.PerDestination}
	ctx = context.WithoutCancel(ctx)
	var batch []notify.Delivery
	err := d.store.Update(ctx, func(tx store.Tx) error {
		if err := d.record(ctx, tx, ended, d.cfg.Endpoints); err != nil {
			return err
		}
		var err error
		batch, err = tx.ClaimDeliveries(ctx, c, func(merchantID string) string { return notify.SessionSecret(d.key, merchantID) })
		return err
	})
	if err != nil && len(ended) > 0 {
		return nil, errors.Join(err, d.store.Update(ctx, func(tx store.Tx) error { return d.record(ctx, tx, ended, nil) }))
	}
	return batch, err
}

// record records the attempts ended in tx, and tells endpoints (if any)
// of those sent to endpoints. An attempt counts for its endpoint's health
// whether or not its lease still held: the endpoint answered it.
func (d *Dispatcher) record(ctx context.Context, tx store.Tx, ended []attempted, endpoints Endpoints) error {
	for i := range ended {
		r := &ended[i]
		held, err := tx.RecordAttempt(ctx, &r.d, r.a)
		if err != nil {
			return err
		}
		if !held {
			// The lease ran out (a stalled process, or clocks apart) and
			// the delivery was taken over or reset meanwhile: the attempt
			// is in its log, its state is its holder's now.
			d.log.Warn("notification attempt logged after its lease ran out", "delivery", r.d.ID)
		}
		if endpoints != nil && r.sent && r.d.EndpointID != "" {
			if err := endpoints.EndpointAttempted(ctx, tx, &r.d, r.a); err != nil {
				return err
			}
		}
	}
	return nil
}

// deliver makes one attempt and sets the delivery's next state from its
// outcome; sent says that the request was sent (attempt). The attempt
// runs to its end even when ctx ends, so that shutting down does not
// waste it.
func (d *Dispatcher) deliver(ctx context.Context, dl *notify.Delivery) (a notify.Attempt, sent bool) {
	a, sent, retryAfter, permanent := d.attempt(context.WithoutCancel(ctx), dl)
	dl.Attempts++
	switch next, ok := notify.Next(dl.Attempts, d.clock.Now(), d.cfg.Jitter(dl.Attempts), retryAfter); {
	case notify.Success(a.StatusCode) && a.Error == "":
		dl.State = notify.Delivered
	case permanent || !ok:
		dl.State = notify.Failed
	default:
		dl.NextAt = next
	}
	return a, sent
}

// secrets are the secrets that sign dl's attempt at t: an endpoint's
// opened, both during a rotation's overlap (notify.Delivery.Secrets); a
// session URL's as the claim derived it.
func (d *Dispatcher) secrets(dl *notify.Delivery, t time.Time) ([]string, error) {
	sealed := dl.Secrets(t)
	if dl.EndpointID == "" {
		return sealed, nil
	}
	if d.cfg.KEK == nil {
		return nil, errors.New("this process has no key-encryption key to open the endpoint's secret with")
	}
	secrets := make([]string, len(sealed))
	for i, s := range sealed {
		secret, err := d.cfg.KEK.Open(s, notify.SecretContext(dl.EndpointID))
		if err != nil {
			return nil, fmt.Errorf("the endpoint's secret does not open under this process's key-encryption key: %w", err)
		}
		secrets[i] = string(secret)
	}
	return secrets, nil
}

// attempt POSTs the notification once. sent says that the request was
// tried at the destination, whatever came of it (a response, a refused
// or timed-out connection, an address the policy refuses), rather than
// given up before (no key to sign with); permanent, that retrying cannot
// help (the URL itself is unusable).
func (d *Dispatcher) attempt(ctx context.Context, dl *notify.Delivery) (a notify.Attempt, sent bool, retryAfter time.Duration, permanent bool) {
	start := d.clock.Now()
	a = notify.Attempt{DeliveryID: dl.ID, At: start}
	u, err := url.Parse(dl.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		a.Error = "the URL is not an absolute http or https URL"
		return a, false, 0, true
	}
	secrets, err := d.secrets(dl, start)
	if err != nil {
		// Another process, with the database's key, can send it.
		a.Error = err.Error()
		return a, false, 0, false
	}
	h, err := notify.Sign(dl.NotificationID, start, dl.Body, secrets...)
	if err != nil {
		a.Error = err.Error()
		return a, false, 0, true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Body))
	if err != nil {
		a.Error = "the URL cannot be requested"
		return a, false, 0, true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kassa-Webhooks/1")
	req.Header.Set("webhook-id", h.ID)
	req.Header.Set("webhook-timestamp", h.Timestamp)
	req.Header.Set("webhook-signature", h.Signature)
	resp, err := d.client.Do(req)
	a.Latency = d.clock.Now().Sub(start)
	if err != nil {
		a.Error = describe(err)
		return a, true, 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, readLimit))
	a.Latency = d.clock.Now().Sub(start)
	a.StatusCode = resp.StatusCode
	a.Body = truncate(b, logLimit)
	if err != nil && notify.Success(resp.StatusCode) {
		a.Error = "reading the response: " + describe(err)
	}
	return a, true, notify.RetryAfter(resp.Header.Get("Retry-After"), d.clock.Now()), false
}

// describe says what went wrong without the URL (which the log shows).
func describe(err error) string {
	if errors.Is(err, errForbidden) {
		return "the destination resolves to a non-public address, which this server does not send to"
	}
	if e, ok := errors.AsType[*url.Error](err); ok {
		if e.Timeout() {
			return "timed out"
		}
		return e.Err.Error()
	}
	return err.Error()
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), string(utf8.RuneError))
}
