// Package provider is the invoice payment provider's application layer:
// the use cases behind Ledyer's API, the buyer's checkout, the command
// line and the background jobs. Each use case runs inside a store
// transaction the caller opens with Update, so the API can commit its
// idempotency record with the change; the transactions Update opens are
// the outbox's, so every caller writes the notifications of its changes
// without remembering to (outbox.go).
package provider

import (
	"context"
	"log/slog"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// Config is the provider's behaviour that deployments choose. The zero
// Config is the sandbox's.
type Config struct {
	// Live is live mode (docs/modes.md): the risk policy's test companies
	// do not apply, AllowPrivateWebhooks is ignored, and notification
	// URLs, endpoints' and sessions', must be https.
	Live bool
	// ProcessingDelay is how long a new order waits before it is ready for
	// capture; zero makes it ready at once.
	ProcessingDelay time.Duration
	// PublicURL is the base URL clients reach Kassa at, for links.
	PublicURL string
	// Risk is the assessment policy for authorizations and order growth
	// of merchants without a credit policy of their own, and for what a
	// merchant's leaves out; zero is risk.DefaultPolicy. Live mode turns
	// its TestCompanies off.
	Risk risk.Policy
	// CreditService is the deployment's credit service, which decides
	// for the merchants whose credit policy names it (docs/credit.md);
	// nil for none.
	CreditService CreditProvider
	// NotificationKey derives the secrets that sign deliveries to session
	// notification URLs (see LoadNotificationKey).
	NotificationKey []byte
	// KEK is the key-encryption key that seals the secrets the provider
	// stores: endpoints' signing secrets and buyers' link tokens. It must
	// be the database's (see LoadSigner).
	KEK *seal.Key
	// Identity is the deployment's identity provider, which verifies
	// signatories in live mode instead of a one-time code by e-mail; nil
	// for none (signatory.go).
	Identity IdentityProvider
	// AllowPrivateWebhooks lets endpoints point at loopback and private
	// addresses: for sandboxes and tests only, ignored in live mode.
	AllowPrivateWebhooks bool
	// OnNotification, if set, is called after a transaction that wrote
	// notifications has committed, to wake the dispatcher.
	OnNotification func()
	// DisableEndpointsAfter is how long every attempt at a notification
	// endpoint may fail, without a success, before the endpoint is
	// disabled (EndpointAttempted); zero is notify.DefaultDisableAfter.
	DisableEndpointsAfter time.Duration
	// Version is the build's version, which the files Kassa writes for
	// other programs name (the accounting export's #PROGRAM).
	Version string
}

// Service runs the provider's use cases over a store.
type Service struct {
	cfg   Config
	log   *slog.Logger
	store store.Store // the outbox over the store New was given
	clock kassa.Clock
	ids   kassa.IDs
	// decisionIDs names credit decisions: a generator of their own, so
	// that recording decisions leaves the IDs of everything else as ids
	// gives them (tests predict those).
	decisionIDs kassa.IDs
	keys        signingKeys     // the access-token signing keys known (signingkeys.go)
	linkKey     []byte          // the buyer's links' MAC key (LinkKey)
	issued      chan struct{}   // a committed transaction issued documents
	clients     clientStates    // API clients revoked or rotated lately (apikeys.go)
	notices     notices         // wakes the notification feeds (feed.go)
	feeds       feeds           // the notification feeds open
	signIns     *limit.Guard    // failed dashboard sign-ins (users.go)
	resets      *limit.Failures // password-reset e-mails per address (users.go)
}

// New returns the provider over st. The signer must be as LoadSigner
// returns it, with the keys every Kassa process on the same database
// uses, the first one first; the process learns the keys made later by
// itself.
func New(log *slog.Logger, cfg Config, st store.Store, clock kassa.Clock, ids kassa.IDs, signer merchant.Signer) *Service {
	if cfg.Risk.CreditLimit == 0 {
		cfg.Risk = risk.DefaultPolicy
	}
	if cfg.Live {
		cfg.Risk.TestCompanies, cfg.AllowPrivateWebhooks = false, false
	}
	if cfg.DisableEndpointsAfter <= 0 {
		cfg.DisableEndpointsAfter = notify.DefaultDisableAfter
	}
	s := &Service{cfg: cfg, log: log, clock: clock, ids: ids, decisionIDs: kassa.RandomIDs{Clock: clock}, linkKey: linkKey(signer.Keys[0].Key), issued: make(chan struct{}, 1), signIns: newSignInGuard(), resets: limit.NewFailures(resetBackoff, limit.MaxKeys)}
	s.keys.signer.Store(&signer)
	s.store = outbox{Store: st, srv: s}
	return s
}

// Store is the store as use cases must write it: through the outbox. The
// payment module is built on it too.
func (s *Service) Store() store.Store { return s.store }

// Update runs fn in a write transaction of the outbox (see Store).
func (s *Service) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.store.Update(ctx, fn)
}

// View runs fn in a read-only transaction.
func (s *Service) View(ctx context.Context, fn func(tx store.ReadTx) error) error {
	return s.store.View(ctx, fn)
}

// Now is the provider's clock.
func (s *Service) Now() time.Time { return s.clock.Now() }

// IDs is the provider's ID generator.
func (s *Service) IDs() kassa.IDs { return s.ids }

// PublicURL is the base URL clients reach Kassa at.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

// Issued receives after a transaction that issued documents commits: the
// numbering job's cue (NumberDocuments).
func (s *Service) Issued() <-chan struct{} { return s.issued }

// Env is the environment of an operation that starts now.
func (s *Service) Env() order.Env { return order.Env{Now: s.clock.Now(), IDs: s.ids} }

// View runs get in a read-only transaction of s and returns its value.
func View[T any](ctx context.Context, s *Service, get func(tx store.ReadTx) (T, error)) (T, error) {
	var v T
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var err error
		v, err = get(tx)
		return err
	})
	return v, err
}

// kek is the key-encryption key, or the error that there is none.
func (s *Service) kek() (*seal.Key, error) {
	if s.cfg.KEK == nil {
		return nil, ErrNoKey
	}
	return s.cfg.KEK, nil
}

// Clock is the provider's clock.
func (s *Service) Clock() kassa.Clock { return s.clock }
