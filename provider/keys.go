package provider

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// LoadSigner returns the token signer whose keys are kept in the
// database, sealed under kek, creating the first key on first use, so
// every process sharing the database accepts the others' tokens. It
// checks kek first: it must be the database's, and a database from before
// sealing has its clear secrets sealed, once (docs/secrets.md).
func LoadSigner(ctx context.Context, st store.Store, kek *seal.Key) (merchant.Signer, error) {
	var signer merchant.Signer
	err := st.Update(ctx, func(tx store.Tx) (err error) {
		signer, err = loadSigner(ctx, tx, kek)
		return err
	})
	return signer, err
}

// LoadNotificationKey returns the key that session notification secrets
// derive from, kept in the database sealed under kek (created on first
// use) so every process sharing it signs alike. It checks kek first.
func LoadNotificationKey(ctx context.Context, st store.Store, kek *seal.Key) ([]byte, error) {
	var key []byte
	err := st.Update(ctx, func(tx store.Tx) (err error) {
		key, err = loadKey(ctx, tx, kek, notificationKeySetting, func() []byte {
			key := make([]byte, 32)
			rand.Read(key) // never fails (crypto/rand docs)
			return key
		})
		return err
	})
	return key, err
}

// loadKey checks kek and opens the key kept sealed under name, storing
// a new one on first use.
func loadKey(ctx context.Context, tx store.Tx, kek *seal.Key, name string, newKey func() []byte) ([]byte, error) {
	if err := unlock(ctx, tx, kek); err != nil {
		return nil, err
	}
	sealed, err := tx.Setting(ctx, name)
	if err != nil {
		return nil, err
	}
	if sealed != nil {
		return openSetting(kek, name, sealed)
	}
	key := newKey()
	return key, tx.PutSetting(ctx, name, []byte(kek.Seal(key, settingContext(name))))
}

// IssueToken is the client-credentials grant: an access token for the
// API client id, if secret is one of its live secrets (merchant.Signer's
// Grant), signed with the current signing key this process knows
// (signingkeys.go). Unknown and revoked clients and wrong secrets are
// alike unauthorized.
func (s *Service) IssueToken(ctx context.Context, clientID, secret string) (merchant.AccessToken, error) {
	c, err := View(ctx, s, func(tx store.ReadTx) (*merchant.Client, error) {
		return tx.Client(ctx, clientID)
	})
	if err != nil && kassa.ErrorCode(err) != kassa.ENotFound {
		return merchant.AccessToken{}, err
	}
	if err == nil {
		if tok, ok := s.signer().Grant(c, secret, s.clock.Now()); ok {
			return tok, nil
		}
	}
	return merchant.AccessToken{}, kassa.Errorf(kassa.EUnauthorized, "the client credentials are not valid")
}

// Authenticate checks an access token, its MAC and expiry and what this
// process knows of its client's revocation and rotations (apikeys.go: no
// database read), and returns whom it was issued to; a refused one with
// whom it names, if genuine, for the audit log (merchant.Signer.Check).
// A token of a signing key this process has not read yet makes it read
// the keys first, at most once a second (readKeys).
func (s *Service) Authenticate(ctx context.Context, token string) (merchant.Principal, error) {
	now := s.clock.Now()
	p, err := s.signer().Check(token, now)
	if errors.Is(err, merchant.ErrUnknownKey) {
		s.readKeys(ctx, now)
		p, err = s.signer().Check(token, now)
	}
	if err != nil {
		return p, err
	}
	return p, s.admits(p, now)
}

// LinkKey is the MAC key of the buyer's dialog tokens and signing links,
// derived from the first access-token key so every process sharing the
// database agrees. A rotation of the access-token key leaves it as it is:
// signing links go out by mail and are used days later.
func (s *Service) LinkKey() []byte { return s.linkKey }

// linkKey derives LinkKey from the first access-token key.
func linkKey(first []byte) []byte {
	m := hmac.New(sha256.New, first)
	m.Write([]byte("kassa checkout links v1"))
	return m.Sum(nil)
}

// MAC authenticates parts with LinkKey.
func (s *Service) MAC(parts ...string) string {
	m := hmac.New(sha256.New, s.LinkKey())
	m.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// SigningPath is the signatory's link for a session.
func (s *Service) SigningPath(sessionID string) string {
	return "/payments/sign/" + sessionID + "/" + s.MAC("sign", sessionID)
}
