package provider

// The access-token signing keys: rotating them, and what each process
// knows of them (docs/secrets.md, "Rotating the access-token signing
// key"). The first key is the setting token_signing_key, where processes
// from before rotations read it; the keys rotations make are rows of
// their own. A process learns a new key with its refresh pass
// (RefreshSigningKeys), from which on it signs with it, and at once when
// a token names a key it does not know (Authenticate, readKeys), so that
// it accepts the tokens of a process that learned the key first.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// signingKeyContext binds a sealed signing key to its ID.
func signingKeyContext(id string) string { return "access token signing key " + id }

// loadSigner checks kek and returns the signer of every signing key in
// the database, creating the first key on first use. In a read-write
// transaction it locks the keys until the transaction ends.
func loadSigner(ctx context.Context, tx store.Tx, kek *seal.Key) (merchant.Signer, error) {
	first, err := loadKey(ctx, tx, kek, tokenKeySetting, merchant.NewKey)
	if err != nil {
		return merchant.Signer{}, err
	}
	signer := merchant.Signer{Keys: []merchant.SigningKey{{Key: first}}}
	stored, err := tx.SigningKeys(ctx)
	if err != nil {
		return signer, err
	}
	for _, k := range stored {
		key, err := openSigningKey(kek, k)
		if err != nil {
			return signer, err
		}
		signer = signer.With(key)
	}
	return signer, nil
}

// openSigningKey opens a signing key as stored.
func openSigningKey(kek *seal.Key, k store.SigningKey) (merchant.SigningKey, error) {
	key, err := kek.Open(k.Sealed, signingKeyContext(k.ID))
	if err != nil {
		return merchant.SigningKey{}, fmt.Errorf("opening access-token signing key %s: %w", k.ID, err)
	}
	return merchant.SigningKey{ID: k.ID, Key: key, CreatedAt: k.CreatedAt}, nil
}

// RotateSigningKey makes a new access-token signing key, which signs the
// tokens every process issues from its first refresh pass after tx
// commits (RefreshSigningKeys); the keys it replaces verify their tokens
// until they retire (merchant.KeyRetention). It deletes the keys that
// have retired, but for the first, which the buyer's links derive from
// (LinkKey), and returns the keys that still verify tokens, the new one
// last.
func (s *Service) RotateSigningKey(ctx context.Context, tx store.Tx) ([]merchant.KeyState, error) {
	kek, err := s.kek()
	if err != nil {
		return nil, err
	}
	signer, err := loadSigner(ctx, tx, kek)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	next, k := signer.Rotate(now)
	for _, r := range next.Retired(now) {
		if r.ID == "" {
			continue
		}
		if err := tx.DeleteSigningKey(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.PutSigningKey(ctx, store.SigningKey{ID: k.ID, Sealed: kek.Seal(k.Key, signingKeyContext(k.ID)), CreatedAt: k.CreatedAt}); err != nil {
		return nil, err
	}
	return next.States(now), nil
}

// signingKeys is what a process knows of the access-token signing keys:
// read by every authenticated request, so held in an immutable Signer
// that each change replaces. It only gains keys: a key the database no
// longer has has retired, and the Signer refuses its tokens by itself.
type signingKeys struct {
	mu     sync.Mutex // serialises the changes
	signer atomic.Pointer[merchant.Signer]

	read     sync.Mutex // held by the read a token of an unknown key caused
	lastRead time.Time  // when the last such read began, under read
}

// signer is the current Signer.
func (s *Service) signer() merchant.Signer { return *s.keys.signer.Load() }

// learnKeys adds the stored keys this process does not know yet to its
// Signer, and returns it.
func (s *Service) learnKeys(stored []store.SigningKey) (merchant.Signer, error) {
	k := &s.keys
	k.mu.Lock()
	defer k.mu.Unlock()
	signer := *k.signer.Load()
	var fresh []merchant.SigningKey
	for _, st := range stored {
		if signer.Has(st.ID) {
			continue
		}
		kek, err := s.kek()
		if err != nil {
			return signer, err
		}
		key, err := openSigningKey(kek, st)
		if err != nil {
			return signer, err
		}
		fresh = append(fresh, key)
	}
	if len(fresh) > 0 {
		signer = signer.With(fresh...)
		k.signer.Store(&signer)
	}
	return signer, nil
}

// RefreshSigningKeys is the pass that keeps what this process knows of
// the signing keys current: it reads them, and returns how many this
// process knows of. From the pass that first reads a rotation's key on,
// the process signs its tokens with it.
func (s *Service) RefreshSigningKeys(ctx context.Context) (int, error) {
	stored, err := View(ctx, s, func(tx store.ReadTx) ([]store.SigningKey, error) { return tx.SigningKeys(ctx) })
	if err != nil {
		return 0, err
	}
	signer, err := s.learnKeys(stored)
	return len(signer.Keys), err
}

// keyReadEvery bounds the reads of the signing keys that tokens of
// unknown keys cause: whoever sends tokens naming made-up keys makes a
// process read them at most once a second.
const keyReadEvery = time.Second

// readKeys reads the signing keys for a token of a key this process does
// not know, unless such a read began less than keyReadEvery before now; a
// request that finds one in progress waits for it. A failure is logged:
// the token is then refused.
func (s *Service) readKeys(ctx context.Context, now time.Time) {
	k := &s.keys
	k.read.Lock()
	defer k.read.Unlock()
	if since := now.Sub(k.lastRead); since >= 0 && since < keyReadEvery {
		return
	}
	k.lastRead = now
	if _, err := s.RefreshSigningKeys(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("reading the access-token signing keys", "err", err)
	}
}
