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
	"github.com/kassa-pay/kassa/store"
)

// Config tunes a Dispatcher; zero values take the defaults.
type Config struct {
	// Concurrency bounds the requests in flight (default 16).
	Concurrency int
	// Timeout bounds one attempt, connection to last byte (default 15 s,
	// the low end of what Standard Webhooks recommends).
	Timeout time.Duration
	// Lease is how long a claimed delivery stays with this process before
	// another may take it over (default three times Timeout: a claimed
	// delivery may wait for two rounds of attempts ahead of it, then make
	// its own).
	Lease time.Duration
	// Poll is how often to look for due deliveries when not woken (default
	// 1 s): retries falling due, and other processes' notifications.
	Poll time.Duration
	// AllowPrivate allows loopback, private and link-local destinations:
	// for sandboxes and tests only.
	AllowPrivate bool
	// Jitter returns the spread added to the delay after attempt number
	// attempts has failed (default: up to a tenth of the delay, random).
	Jitter func(attempts int) time.Duration
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
		cfg.Concurrency = 16
	}
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
	t := time.NewTimer(d.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := d.Drain(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("delivering notifications", "err", err)
		}
		t.Reset(d.cfg.Poll)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// Drain makes every attempt due now, and those that fall due meanwhile,
// and returns how many it made once none is due and all are recorded.
//
// Attempts stream: up to Concurrency run at once and a free slot takes
// the next claimed delivery at once, so one slow receiver holds one slot,
// not everyone's notifications. Claims fetch up to twice Concurrency
// ahead, refilled when half are started (a claim is a transaction); a
// claimed delivery waits for at most two rounds of attempts, within its
// lease. Results are recorded in batches by one goroutine.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	conc := d.cfg.Concurrency
	results := make(chan attempted, conc)
	recorded := make(chan error, 1)
	go func() { recorded <- d.recordAll(ctx, results) }()
	done := make(chan struct{}, conc)
	var (
		queue          []notify.Delivery
		inflight, made int
		claimErr       error
		full           = true // the last claim got all it asked for
	)
	for {
		if ctx.Err() == nil && claimErr == nil && (len(queue) == 0 || full && len(queue) <= conc/2) {
			want := 2*conc - len(queue)
			batch, err := d.claimDue(ctx, want)
			claimErr = err
			full = len(batch) == want
			queue = append(queue, batch...)
		}
		switch {
		case len(queue) > 0 && inflight < conc && ctx.Err() == nil:
			go func(dl notify.Delivery) {
				a := d.deliver(ctx, &dl)
				results <- attempted{dl, a}
				done <- struct{}{}
			}(queue[0])
			queue = queue[1:]
			inflight++
			made++
		case inflight == 0 && (len(queue) == 0 || ctx.Err() != nil || claimErr != nil):
			close(results)
			return made, errors.Join(claimErr, <-recorded, d.release(ctx, queue))
		default:
			<-done
			inflight--
		}
	}
}

// release gives back deliveries claimed but not started (Drain was
// stopped), so that another process, or this one restarted, need not wait
// for their lease.
func (d *Dispatcher) release(ctx context.Context, queue []notify.Delivery) error {
	if len(queue) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	now := d.clock.Now()
	return d.store.Update(ctx, func(tx store.Tx) error {
		for i := range queue {
			if err := tx.ReleaseClaim(ctx, &queue[i], now); err != nil {
				return err
			}
		}
		return nil
	})
}

// attempted is an attempt made, waiting to be recorded.
type attempted struct {
	d notify.Delivery
	a notify.Attempt
}

// recordAll records results as they come, each time all that are waiting
// in one transaction.
func (d *Dispatcher) recordAll(ctx context.Context, results <-chan attempted) error {
	var errs []error
	for r := range results {
		batch := []attempted{r}
	more:
		for len(batch) < 256 {
			select {
			case r, ok := <-results:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		if err := d.record(ctx, batch); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// record stores attempts in one transaction. The attempts have been made
// whatever ctx says, so ctx's end does not stop the recording.
func (d *Dispatcher) record(ctx context.Context, batch []attempted) error {
	ctx = context.WithoutCancel(ctx)
	return d.store.Update(ctx, func(tx store.Tx) error {
		for i := range batch {
			err := tx.RecordAttempt(ctx, &batch[i].d, batch[i].a)
			if kassa.ErrorCode(err) == kassa.EConflict {
				// The lease ran out and another process took the delivery
				// over; its attempt is the one on record.
				d.log.Warn("notification attempt not recorded: lease lost", "delivery", batch[i].d.ID)
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *Dispatcher) claimDue(ctx context.Context, limit int) ([]notify.Delivery, error) {
	d.mu.Lock()
	d.n++
	claim := fmt.Sprintf("%s-%d", d.claim, d.n)
	d.mu.Unlock()
	now := d.clock.Now()
	var batch []notify.Delivery
	err := d.store.Update(ctx, func(tx store.Tx) error {
		var err error
		batch, err = tx.ClaimDeliveries(ctx, now, now.Add(d.cfg.Lease), claim, limit,
			func(merchantID string) string { return notify.SessionSecret(d.key, merchantID) })
		return err
	})
	return batch, err
}

// deliver makes one attempt and sets the delivery's next state from its
// outcome. The attempt runs to its end even when ctx ends, so that
// shutting down does not waste it.
func (d *Dispatcher) deliver(ctx context.Context, dl *notify.Delivery) notify.Attempt {
	a, retryAfter, permanent := d.attempt(context.WithoutCancel(ctx), dl)
	dl.Attempts++
	switch next, ok := notify.Next(dl.Attempts, d.clock.Now(), d.cfg.Jitter(dl.Attempts), retryAfter); {
	case notify.Success(a.StatusCode) && a.Error == "":
		dl.State = notify.Delivered
	case permanent || !ok:
		dl.State = notify.Failed
	default:
		dl.NextAt = next
	}
	return a
}

// attempt POSTs the notification once. permanent says that retrying
// cannot help (the URL itself is unusable).
func (d *Dispatcher) attempt(ctx context.Context, dl *notify.Delivery) (a notify.Attempt, retryAfter time.Duration, permanent bool) {
	start := d.clock.Now()
	a = notify.Attempt{DeliveryID: dl.ID, At: start}
	u, err := url.Parse(dl.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		a.Error = "the URL is not an absolute http or https URL"
		return a, 0, true
	}
	h, err := notify.Sign(dl.Secret, dl.NotificationID, start, dl.Body)
	if err != nil {
		a.Error = err.Error()
		return a, 0, true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Body))
	if err != nil {
		a.Error = "the URL cannot be requested"
		return a, 0, true
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
		return a, 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, readLimit))
	a.Latency = d.clock.Now().Sub(start)
	a.StatusCode = resp.StatusCode
	a.Body = truncate(b, logLimit)
	if err != nil && notify.Success(resp.StatusCode) {
		a.Error = "reading the response: " + describe(err)
	}
	return a, notify.RetryAfter(resp.Header.Get("Retry-After"), d.clock.Now()), false
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
