package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// The settings kept sealed under the key-encryption key (docs/secrets.md).
const (
	tokenKeySetting        = "token_signing_key"
	notificationKeySetting = "notification_signing_key"
	// keyCheckSetting seals keyCheck: which key the database's secrets
	// are sealed under, and that the secrets it held in clear were sealed.
	keyCheckSetting = "key_check"
	keyCheck        = "kassa key check"
)

// sealedSettings are the settings kept sealed.
var sealedSettings = []string{keyCheckSetting, tokenKeySetting, notificationKeySetting}

// settingContext binds a sealed setting to its name.
func settingContext(name string) string { return "setting " + name }

// ErrNoKey is the error for a missing key-encryption key.
var ErrNoKey = errors.New("no key-encryption key: Kassa keeps its signing keys and webhook secrets sealed under one")

// unlock checks that kek is the key the database's secrets are sealed
// under: the first process to start on a database records its key, and
// every later one must bring the same. A database from before sealing
// has its clear secrets sealed in the same transaction that records the
// key: the signing keys, the notification endpoints' secrets, and the
// buyers' link tokens, which it also replaces with their hash for
// lookups. So the upgrade happens once, whole or not at all.
// LoadSigner, LoadNotificationKey and Rewrap unlock first.
func unlock(ctx context.Context, tx store.Tx, kek *seal.Key) error {
	if kek == nil {
		return ErrNoKey
	}
	check, err := tx.Setting(ctx, keyCheckSetting)
	if err != nil {
		return err
	}
	if check != nil {
		_, err := openSetting(kek, keyCheckSetting, check)
		return err
	}
	if _, err := reseal(ctx, tx, []string{tokenKeySetting, notificationKeySetting}, func(clear []byte, context string) (string, error) {
		return kek.Seal(clear, context), nil
	}); err != nil {
		return err
	}
	return tx.PutSetting(ctx, keyCheckSetting, []byte(kek.Seal([]byte(keyCheck), settingContext(keyCheckSetting))))
}

// SealedUnder is the ID of the key the database's secrets are sealed
// under, "" when none has been recorded yet (a new database, or one from
// before sealing).
func SealedUnder(ctx context.Context, st store.Store) (string, error) {
	var id string
	err := st.View(ctx, func(tx store.ReadTx) error {
		check, err := tx.Setting(ctx, keyCheckSetting)
		if err != nil || check == nil {
			return err
		}
		id, _, err = seal.Decode(string(check))
		return err
	})
	return id, err
}

// Rewrap re-seals every sealed value under next, in one transaction, and
// returns how many there were: afterwards next opens them and kek opens
// none. kek must be the database's key. Stop every Kassa process sharing
// the database first, and start them with next: one still running with
// kek would seal what it stores under kek.
func Rewrap(ctx context.Context, st store.Store, kek, next *seal.Key) (int, error) {
	if next == nil {
		return 0, ErrNoKey
	}
	var n int
	err := st.Update(ctx, func(tx store.Tx) error {
		if err := unlock(ctx, tx, kek); err != nil {
			return err
		}
		rewrap := func(sealed []byte, context string) (string, error) {
			plain, err := kek.Open(string(sealed), context)
			if err != nil {
				return "", fmt.Errorf("opening %s: %w", context, err)
			}
			return next.Seal(plain, context), nil
		}
		var err error
		if n, err = reseal(ctx, tx, sealedSettings, rewrap); err != nil {
			return err
		}
		// The keys rotations made: only ever sealed, so not among what
		// the first start with a key seals (reseal).
		ks, err := tx.SigningKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.Sealed, err = rewrap([]byte(k.Sealed), signingKeyContext(k.ID)); err != nil {
				return err
			}
			if err := tx.PutSigningKey(ctx, k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// resealBatch bounds the document tokens reseal holds at once.
const resealBatch = 1000

// reseal replaces each secret the database keeps sealed (the settings
// named, every endpoint's secret and the one its last rotation replaced,
// every message mail's body, every
// document's link token) with what f makes of it, given its value as
// stored and its context, and returns how many it replaced. A document's
// token still in clear is hashed, and f gets the clear token.
func reseal(ctx context.Context, tx store.Tx, settings []string, f func(stored []byte, context string) (string, error)) (int, error) {
	n := 0
	for _, name := range settings {
		v, err := tx.Setting(ctx, name)
		if err != nil {
			return n, err
		}
		if v == nil {
			continue
		}
		sealed, err := f(v, settingContext(name))
		if err == nil {
			err = tx.PutSetting(ctx, name, []byte(sealed))
		}
		if err != nil {
			return n, err
		}
		n++
	}
	es, err := tx.EndpointSecrets(ctx)
	if err != nil {
		return n, err
	}
	for i := range es {
		e := &es[i]
		if e.Secret, err = f([]byte(e.Secret), notify.SecretContext(e.ID)); err != nil {
			return n, err
		}
		n++
		if e.Previous == "" {
			continue
		}
		if e.Previous, err = f([]byte(e.Previous), notify.SecretContext(e.ID)); err != nil {
			return n, err
		}
		n++
	}
	if err := tx.PutEndpointSecrets(ctx, es); err != nil {
		return n, err
	}
	for after := ""; ; {
		ms, err := tx.MailBodies(ctx, after, resealBatch)
		if err != nil {
			return n, err
		}
		if len(ms) == 0 {
			break
		}
		for i := range ms {
			if ms[i].Value, err = f([]byte(ms[i].Value), store.MailBodyContext(ms[i].ID)); err != nil {
				return n, err
			}
		}
		if err := tx.PutMailBodies(ctx, ms); err != nil {
			return n, err
		}
		n += len(ms)
		after = ms[len(ms)-1].ID
	}
	for after := ""; ; {
		ts, err := tx.DocumentTokens(ctx, after, resealBatch)
		if err != nil || len(ts) == 0 {
			return n, err
		}
		for i := range ts {
			t := &ts[i]
			context, stored := invoice.TokenContext(t.DocumentID), t.Sealed
			if t.Clear != "" {
				t.Hash, stored = invoice.TokenHash(t.Clear), t.Clear
			}
			if t.Sealed, err = f([]byte(stored), context); err != nil {
				return n, err
			}
		}
		if err := tx.PutDocumentTokens(ctx, ts); err != nil {
			return n, err
		}
		n += len(ts)
		after = ts[len(ts)-1].DocumentID
	}
}

// openSetting opens the setting name, stored sealed as sealed, and
// explains a failure.
func openSetting(kek *seal.Key, name string, sealed []byte) ([]byte, error) {
	v, err := kek.Open(string(sealed), settingContext(name))
	switch {
	case errors.Is(err, seal.ErrWrongKey):
		id, _, _ := seal.Decode(string(sealed))
		return nil, fmt.Errorf("%w: this database's secrets are sealed under key-encryption key %s, and the key given is %s; "+
			"every Kassa process sharing a database needs the same key", seal.ErrWrongKey, id, kek.ID())
	case err != nil:
		return nil, fmt.Errorf("setting %s does not open under key-encryption key %s: %w", name, kek.ID(), err)
	}
	return v, nil
}
