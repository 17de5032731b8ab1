package provider_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// stored is what a copy of the database holds of the secrets.
type stored struct {
	tokenKey, notificationKey []byte
	signingKeys               []store.SigningKey
	endpoints                 []notify.Endpoint
	tokens                    []store.DocumentToken
	mailBodies                []store.StoredSecret
}

func (e *env) stored() stored {
	e.t.Helper()
	var s stored
	err := e.store.Update(e.t.Context(), func(tx store.Tx) error {
		ctx := e.t.Context()
		var err error
		if s.tokenKey, err = tx.Setting(ctx, "token_signing_key"); err != nil {
			return err
		}
		if s.notificationKey, err = tx.Setting(ctx, "notification_signing_key"); err != nil {
			return err
		}
		if s.signingKeys, err = tx.SigningKeys(ctx); err != nil {
			return err
		}
		if s.endpoints, err = tx.NotificationEndpoints(ctx, e.merchant); err != nil {
			return err
		}
		if s.tokens, err = tx.DocumentTokens(ctx, "", 100); err != nil {
			return err
		}
		s.mailBodies, err = tx.MailBodies(ctx, "", 100)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// The promise of sealing: a copy of the database without its
// key-encryption key mints nothing and signs nothing. Another key (or
// none) loads no signer; a token signed with what the database holds, of
// the first signing key or of one a rotation made, is refused by a server
// with the right key; session notification secrets derived from it are
// not the merchant's; endpoint secrets and buyer link tokens are not in
// it.
func TestCopyWithoutKey(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		ctx := t.Context()
		e := newEnv(t, provider.Config{})
		kassatest.Capture(t, e.app, kassatest.Purchase(t, e.app, e.merchant, nil)) // issues an invoice
		notificationKey, err := provider.LoadNotificationKey(ctx, e.store, kassatest.KEK())
		if err != nil {
			t.Fatal(err)
		}
		e.update(func(ctx context.Context, tx store.Tx) error {
			_, err := e.app.RotateSigningKey(ctx, tx)
			return err
		})
		signer, err := provider.LoadSigner(ctx, e.store, kassatest.KEK())
		if err != nil {
			t.Fatal(err)
		}
		var endpointSecrets []string // as the merchant got them: a rotated secret, the one it replaced, another endpoint's
		e.update(func(ctx context.Context, tx store.Tx) error {
			es, err := tx.NotificationEndpoints(ctx, e.merchant)
			if err != nil {
				return err
			}
			previous, err := e.app.OpenSecret(es[0].ID, es[0].Secret)
			if err != nil {
				return err
			}
			rotated, err := e.app.RotateEndpointSecret(ctx, tx, e.merchant, es[0].ID, notify.DefaultOverlap)
			if err != nil {
				return err
			}
			ep, err := e.app.CreateEndpoint(ctx, tx, e.merchant, "https://erp.test/second", nil)
			if err != nil {
				return err
			}
			endpointSecrets = []string{rotated.Secret, previous, ep.Secret}
			return nil
		})

		other := mustKey(t, 9)
		for name, load := range map[string]func(*seal.Key) error{
			"LoadSigner":          func(k *seal.Key) error { _, err := provider.LoadSigner(ctx, e.store, k); return err },
			"LoadNotificationKey": func(k *seal.Key) error { _, err := provider.LoadNotificationKey(ctx, e.store, k); return err },
		} {
			if err := load(other); !errors.Is(err, seal.ErrWrongKey) || !strings.Contains(err.Error(), kassatest.KEK().ID()) {
				t.Errorf("%s with another key = %v, want ErrWrongKey naming the database's key %s", name, err, kassatest.KEK().ID())
			}
			if err := load(nil); !errors.Is(err, provider.ErrNoKey) {
				t.Errorf("%s without a key = %v, want ErrNoKey", name, err)
			}
		}

		s := e.stored()
		if len(s.signingKeys) != 1 || len(signer.Keys) != 2 {
			t.Fatalf("signing keys stored %+v, loaded %d; want the rotation's beside the first", s.signingKeys, len(signer.Keys))
		}
		rotated := s.signingKeys[0]
		client := &merchant.Client{ID: "cl_1", MerchantID: e.merchant, Scope: merchant.ScopeWrite}
		if _, err := e.app.Authenticate(ctx, signer.Issue(client, e.clock.Now())); err != nil {
			t.Fatalf("the server refuses its own token: %v", err)
		}
		for name, key := range map[string]merchant.SigningKey{
			"the stored first key":   {Key: s.tokenKey},
			"the stored rotated key": {ID: rotated.ID, Key: []byte(rotated.Sealed), CreatedAt: rotated.CreatedAt},
			"a new key":              {Key: merchant.NewKey()},
		} {
			forger := merchant.Signer{Keys: []merchant.SigningKey{key}}
			if p, err := e.app.Authenticate(ctx, forger.Issue(client, e.clock.Now())); err == nil {
				t.Errorf("a token signed with %s is accepted, for %+v", name, p)
			}
		}
		for i, stored := range [][]byte{s.tokenKey, []byte(rotated.Sealed)} {
			if clear := signer.Keys[i].Key; bytes.Equal(stored, clear) || bytes.Contains(stored, clear) {
				t.Errorf("token signing key %q is stored in clear", signer.Keys[i].ID)
			}
		}
		if _, err := other.Open(rotated.Sealed, "access token signing key "+rotated.ID); !errors.Is(err, seal.ErrWrongKey) {
			t.Errorf("another key opens the rotated signing key: %v", err)
		}
		real := notify.SessionSecret(notificationKey, e.merchant)
		if forged := notify.SessionSecret(s.notificationKey, e.merchant); forged == real || bytes.Contains(s.notificationKey, notificationKey) {
			t.Error("the notification signing key is stored in clear")
		}

		if len(s.endpoints) != 2 || s.endpoints[0].PreviousSecret == "" {
			t.Fatalf("endpoints %+v, want two, the first rotated", s.endpoints)
		}
		for _, ep := range s.endpoints {
			stored := []string{ep.Secret}
			if ep.PreviousSecret != "" {
				stored = append(stored, ep.PreviousSecret)
			}
			for _, secret := range stored {
				for _, given := range endpointSecrets {
					if !seal.IsSealed(secret) || strings.Contains(secret, strings.TrimPrefix(given, notify.SecretPrefix)) {
						t.Errorf("endpoint %s's stored secret %q is not sealed", ep.ID, secret)
					}
				}
				if _, err := other.Open(secret, notify.SecretContext(ep.ID)); !errors.Is(err, seal.ErrWrongKey) {
					t.Errorf("another key opens a secret of endpoint %s: %v", ep.ID, err)
				}
				if _, err := notify.Sign("nt_1", e.clock.Now(), []byte("{}"), secret); err == nil {
					t.Errorf("a stored secret of endpoint %s signs", ep.ID)
				}
			}
		}

		if len(s.tokens) != 1 {
			t.Fatalf("document tokens %+v, want the invoice's", s.tokens)
		}
		tok := s.tokens[0]
		clear, err := kassatest.KEK().Open(tok.Sealed, invoice.TokenContext(tok.DocumentID))
		if err != nil || tok.Clear != "" || tok.Hash != invoice.TokenHash(string(clear)) || strings.Contains(tok.Hash+tok.Sealed, string(clear)) {
			t.Errorf("the invoice's stored token %+v (%v): want its hash and a sealed copy only", tok, err)
		}
		if _, err := other.Open(tok.Sealed, invoice.TokenContext(tok.DocumentID)); !errors.Is(err, seal.ErrWrongKey) {
			t.Errorf("another key opens the invoice's link token: %v", err)
		}
	})
}

// Rewrap re-seals every sealed value under the new key in one
// transaction: the new key opens them all, to the same keys, secrets and
// tokens, and the old key opens none. A key that is not the database's
// cannot rewrap, and changes nothing.
func TestRewrap(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		ctx, old := t.Context(), kassatest.KEK()
		e := newEnv(t, provider.Config{})
		kassatest.Capture(t, e.app, kassatest.Purchase(t, e.app, e.merchant, nil))
		const body = "a signing link"
		err := e.app.Update(ctx, func(tx store.Tx) error {
			return e.app.QueueMessage(ctx, tx, provider.Message{MerchantID: e.merchant, To: "signer@buyer.example", Subject: "Approve", Body: body})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.update(func(ctx context.Context, tx store.Tx) error { // the endpoint keeps the secret it replaces
			es, err := tx.NotificationEndpoints(ctx, e.merchant)
			if err == nil {
				_, err = e.app.RotateEndpointSecret(ctx, tx, e.merchant, es[0].ID, notify.DefaultOverlap)
			}
			return err
		})
		notificationKey, err := provider.LoadNotificationKey(ctx, e.store, old)
		if err != nil {
			t.Fatal(err)
		}
		e.update(func(ctx context.Context, tx store.Tx) error {
			_, err := e.app.RotateSigningKey(ctx, tx)
			return err
		})
		signer, err := provider.LoadSigner(ctx, e.store, old)
		if err != nil {
			t.Fatal(err)
		}
		before := e.stored()
		next, stranger := mustKey(t, 2), mustKey(t, 3)
		if _, err := provider.Rewrap(ctx, e.store, stranger, next); !errors.Is(err, seal.ErrWrongKey) {
			t.Fatalf("Rewrap from a key that is not the database's = %v, want ErrWrongKey", err)
		}
		if diff := cmp.Diff(before, e.stored(), cmp.AllowUnexported(stored{})); diff != "" {
			t.Fatalf("a refused rewrap changed the database (-before +after):\n%s", diff)
		}

		n, err := provider.Rewrap(ctx, e.store, old, next)
		// the key check, two signing keys, an endpoint's secret and the one
		// its rotation replaced, a message's body, an invoice's link token,
		// the access-token key a rotation made
		if err != nil || n != 8 {
			t.Fatalf("Rewrap = %d, %v; want 8 values re-sealed", n, err)
		}
		if _, err := provider.LoadSigner(ctx, e.store, old); !errors.Is(err, seal.ErrWrongKey) {
			t.Errorf("LoadSigner with the old key after the rewrap = %v, want ErrWrongKey", err)
		}
		if s, err := provider.LoadSigner(ctx, e.store, next); err != nil || !cmp.Equal(s, signer) {
			t.Errorf("LoadSigner with the new key = %v; want the same signing keys", err)
		}
		if k, err := provider.LoadNotificationKey(ctx, e.store, next); err != nil || !bytes.Equal(k, notificationKey) {
			t.Errorf("LoadNotificationKey with the new key = %v; want the same key", err)
		}
		after := e.stored()
		for i, ep := range after.endpoints {
			was := before.endpoints[i]
			for name, pair := range map[string][2]string{"secret": {was.Secret, ep.Secret}, "previous secret": {was.PreviousSecret, ep.PreviousSecret}} {
				want, err := old.Open(pair[0], notify.SecretContext(ep.ID))
				if err != nil {
					t.Fatal(err)
				}
				if got, err := next.Open(pair[1], notify.SecretContext(ep.ID)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("endpoint %s's %s under the new key = %q, %v; want %q", ep.ID, name, got, err, want)
				}
				if _, err := old.Open(pair[1], notify.SecretContext(ep.ID)); err == nil {
					t.Errorf("the old key still opens endpoint %s's %s", ep.ID, name)
				}
			}
		}
		m := after.mailBodies[0]
		if got, err := next.Open(m.Value, store.MailBodyContext(m.ID)); err != nil || string(got) != body {
			t.Errorf("the message's body under the new key = %q, %v; want %q", got, err, body)
		}
		d := &invoice.Document{ID: after.tokens[0].DocumentID, SealedToken: after.tokens[0].Sealed}
		if path, err := d.BuyerPath(next); err != nil || invoice.TokenHash(strings.TrimPrefix(path, "/invoices/")) != before.tokens[0].Hash {
			t.Errorf("the invoice's link under the new key = %q, %v; want the same token", path, err)
		}
		if _, err := d.BuyerPath(old); err == nil {
			t.Error("the old key still opens the invoice's link token")
		}
		doc, err := provider.View(ctx, e.app, func(tx store.ReadTx) (*invoice.Document, error) {
			return tx.Document(ctx, e.merchant, d.ID)
		})
		if path, perr := doc.BuyerPath(next); err != nil || perr != nil {
			t.Errorf("the invoice read back opens under the new key: %q, %v, %v", path, err, perr)
		}
	})
}

func mustKey(t *testing.T, fill byte) *seal.Key {
	t.Helper()
	k, err := seal.New(bytes.Repeat([]byte{fill}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
