package provider_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// processes are two providers on one database, as two Kassa processes
// are, with one merchant whose first client's secret is secret.
type processes struct {
	t           *testing.T
	a, b        *provider.Service
	clock       *kassatest.Clock
	merchant    string
	first       *merchant.Client
	firstSecret string
}

// onOneDatabase runs test with two providers on one database: on SQLite,
// over one store (what each knows of API clients is still its own), and
// on PostgreSQL, each with its own pool, as two replicas.
func onOneDatabase(t *testing.T, test func(t *testing.T, p *processes)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, newProcesses(t, db, db))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		var dbs [2]store.Store
		for i := range dbs {
			db, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs[i] = db
		}
		test(t, newProcesses(t, dbs[0], dbs[1]))
	})
}

func newProcesses(t *testing.T, a, b store.Store) *processes {
	p := &processes{t: t, clock: kassatest.NewClock(t0)}
	ids := &kassatest.IDs{Digits: 27}
	m, err := merchant.NewMerchant(ids, t0, "Möbler AB")
	if err != nil {
		t.Fatal(err)
	}
	p.first, p.firstSecret = kassatest.AddMerchant(t, a, ids, t0, m)
	p.merchant = m.ID
	signer, err := provider.LoadSigner(t.Context(), a, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	p.a = provider.New(log, provider.Config{KEK: kassatest.KEK()}, a, p.clock, ids, signer)
	p.b = provider.New(log, provider.Config{KEK: kassatest.KEK()}, b, p.clock, ids, signer)
	return p
}

// update runs fn in a transaction of app, which must succeed.
func (p *processes) update(app *provider.Service, fn func(ctx context.Context, tx store.Tx) error) {
	p.t.Helper()
	if err := app.Update(p.t.Context(), func(tx store.Tx) error { return fn(p.t.Context(), tx) }); err != nil {
		p.t.Fatal(err)
	}
}

// try runs fn in a transaction of app and returns its error.
func (p *processes) try(app *provider.Service, fn func(ctx context.Context, tx store.Tx) error) error {
	return app.Update(p.t.Context(), func(tx store.Tx) error { return fn(p.t.Context(), tx) })
}

func (p *processes) create(name string, scope merchant.Scope) (*merchant.Client, string) {
	p.t.Helper()
	var (
		c      *merchant.Client
		secret string
	)
	p.update(p.a, func(ctx context.Context, tx store.Tx) (err error) {
		c, secret, err = p.a.CreateClient(ctx, tx, p.merchant, name, scope)
		return err
	})
	return c, secret
}

func (p *processes) token(app *provider.Service, clientID, secret string) merchant.AccessToken {
	p.t.Helper()
	tok, err := app.IssueToken(p.t.Context(), clientID, secret)
	if err != nil {
		p.t.Fatalf("IssueToken(%s): %v", clientID, err)
	}
	return tok
}

// refresh runs app's refresh pass.
func (p *processes) refresh(app *provider.Service) {
	p.t.Helper()
	if _, err := app.RefreshClients(p.t.Context()); err != nil {
		p.t.Fatal(err)
	}
}

func wantAuth(t *testing.T, what string, app *provider.Service, token string, ok bool) {
	t.Helper()
	_, err := app.Authenticate(t.Context(), token)
	if ok && err != nil {
		t.Errorf("%s: Authenticate = %v, want the token accepted", what, err)
	}
	if !ok && kassa.ErrorCode(err) != kassa.EUnauthorized {
		t.Errorf("%s: Authenticate error = %v, want %s", what, err, kassa.EUnauthorized)
	}
}

// A merchant's clients through the use cases: created with a name and a
// scope, listed oldest first, rotated, revoked; never the last write
// client; an unknown merchant's are not found.
func TestClientUseCases(t *testing.T) {
	onOneDatabase(t, func(t *testing.T, p *processes) {
		reader, readSecret := p.create("reporting", merchant.ScopeRead)
		tok := p.token(p.a, reader.ID, readSecret)
		if tok.Scope != merchant.ScopeRead {
			t.Errorf("token scope = %q, want read", tok.Scope)
		}
		if pr, err := p.a.Authenticate(t.Context(), tok.Token); err != nil || pr.Scope != merchant.ScopeRead || pr.ClientID != reader.ID || pr.MerchantID != p.merchant {
			t.Errorf("Authenticate = %+v, %v", pr, err)
		}

		cs, err := provider.View(t.Context(), p.a, func(tx store.ReadTx) ([]merchant.Client, error) {
			return p.a.Clients(t.Context(), tx, p.merchant)
		})
		if err != nil || len(cs) != 2 || cs[0].ID != p.first.ID || cs[1].ID != reader.ID {
			t.Fatalf("Clients = %+v, %v; want the first client, then the reader", cs, err)
		}

		// The first client is the last write client: a read client does
		// not count.
		err = p.try(p.a, func(ctx context.Context, tx store.Tx) error {
			_, err := p.a.RevokeClient(ctx, tx, p.merchant, p.first.ID)
			return err
		})
		if kassa.ErrorCode(err) != kassa.EConflict {
			t.Errorf("RevokeClient of the last write client error = %v, want %s", err, kassa.EConflict)
		}

		p.clock.Advance(time.Minute)
		var rotated *merchant.Client
		var secret string
		p.update(p.a, func(ctx context.Context, tx store.Tx) (err error) {
			rotated, secret, err = p.a.RotateClient(ctx, tx, p.merchant, p.first.ID, time.Hour)
			return err
		})
		if !rotated.PreviousUntil.Equal(p.clock.Now().Add(time.Hour)) || rotated.Generation != 1 {
			t.Errorf("rotated = %+v", rotated)
		}
		p.token(p.a, p.first.ID, secret)
		p.token(p.a, p.first.ID, p.firstSecret) // during the overlap

		p.update(p.a, func(ctx context.Context, tx store.Tx) error {
			_, err := p.a.RevokeClient(ctx, tx, p.merchant, reader.ID)
			return err
		})
		if _, err := p.a.IssueToken(t.Context(), reader.ID, readSecret); kassa.ErrorCode(err) != kassa.EUnauthorized {
			t.Errorf("IssueToken for a revoked client error = %v, want %s", err, kassa.EUnauthorized)
		}

		for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
			"CreateClient": func(ctx context.Context, tx store.Tx) error {
				_, _, err := p.a.CreateClient(ctx, tx, "ac_unknown", "x", merchant.ScopeRead)
				return err
			},
			"RotateClient": func(ctx context.Context, tx store.Tx) error {
				_, _, err := p.a.RotateClient(ctx, tx, "ac_unknown", p.first.ID, 0)
				return err
			},
			"RevokeClient": func(ctx context.Context, tx store.Tx) error {
				_, err := p.a.RevokeClient(ctx, tx, "ac_unknown", p.first.ID)
				return err
			},
		} {
			if err := p.try(p.a, fn); kassa.ErrorCode(err) != kassa.ENotFound {
				t.Errorf("%s for an unknown merchant error = %v, want %s", name, err, kassa.ENotFound)
			}
		}
	})
}

// A revocation reaches every process with its refresh pass: the process
// that revoked refuses the client's tokens as soon as the revocation
// commits; another one accepts them until its next pass, and refuses them
// from then on.
func TestRevocationReachesEveryProcess(t *testing.T) {
	onOneDatabase(t, func(t *testing.T, p *processes) {
		c, secret := p.create("integration", merchant.ScopeWrite)
		fromA, fromB := p.token(p.a, c.ID, secret), p.token(p.b, c.ID, secret)
		p.refresh(p.b)
		wantAuth(t, "before the revocation", p.b, fromA.Token, true)

		p.clock.Advance(time.Second)
		p.update(p.a, func(ctx context.Context, tx store.Tx) error {
			_, err := p.a.RevokeClient(ctx, tx, p.merchant, c.ID)
			return err
		})
		for _, tok := range []string{fromA.Token, fromB.Token} {
			wantAuth(t, "in the process that revoked", p.a, tok, false)
			wantAuth(t, "in another process, before its pass", p.b, tok, true)
		}
		p.refresh(p.b)
		for _, tok := range []string{fromA.Token, fromB.Token} {
			wantAuth(t, "in another process, after its pass", p.b, tok, false)
		}
		// The other clients' tokens are unaffected.
		wantAuth(t, "another client", p.b, p.token(p.b, p.first.ID, p.firstSecret).Token, true)

		// Once the client's tokens have all expired, the processes forget
		// it: what they keep stays small.
		p.clock.Advance(merchant.TokenLifetime)
		wantAuth(t, "an hour on", p.b, fromB.Token, false)
		p.clock.Advance(10 * time.Minute)
		if n, err := p.b.RefreshClients(t.Context()); err != nil || n != 0 {
			t.Errorf("RefreshClients long after the revocation = %d, %v; want none known", n, err)
		}
	})
}

// A rotation without overlap (a leaked secret) ends the old secret at
// once, and its tokens with the next pass of every process; the new
// secret's tokens work everywhere. With an overlap, the old secret's
// tokens work until the overlap ends, however late they were issued.
func TestRotationReachesEveryProcess(t *testing.T) {
	onOneDatabase(t, func(t *testing.T, p *processes) {
		old := p.token(p.b, p.first.ID, p.firstSecret)
		p.refresh(p.b)
		var secret string
		p.update(p.a, func(ctx context.Context, tx store.Tx) (err error) {
			_, secret, err = p.a.RotateClient(ctx, tx, p.merchant, p.first.ID, 0)
			return err
		})
		if _, err := p.b.IssueToken(t.Context(), p.first.ID, p.firstSecret); kassa.ErrorCode(err) != kassa.EUnauthorized {
			t.Errorf("IssueToken with the replaced secret error = %v, want %s", err, kassa.EUnauthorized)
		}
		wantAuth(t, "the old secret's token where it was rotated", p.a, old.Token, false)
		wantAuth(t, "the old secret's token elsewhere, before its pass", p.b, old.Token, true)
		p.refresh(p.b)
		wantAuth(t, "the old secret's token elsewhere, after its pass", p.b, old.Token, false)
		wantAuth(t, "the new secret's token", p.b, p.token(p.a, p.first.ID, secret).Token, true)

		// With an overlap of ten minutes: a token issued before the
		// rotation, for an hour, works until the overlap ends.
		early := p.token(p.a, p.first.ID, secret)
		p.update(p.a, func(ctx context.Context, tx store.Tx) (err error) {
			_, _, err = p.a.RotateClient(ctx, tx, p.merchant, p.first.ID, 10*time.Minute)
			return err
		})
		p.refresh(p.b)
		p.clock.Advance(9 * time.Minute)
		late := p.token(p.b, p.first.ID, secret)
		if late.ExpiresIn != time.Minute {
			t.Errorf("a token of the replaced secret expires in %s, want 1m0s (with the overlap)", late.ExpiresIn)
		}
		for _, tok := range []string{early.Token, late.Token} {
			wantAuth(t, "in the overlap", p.b, tok, true)
		}
		p.clock.Advance(time.Minute)
		for _, tok := range []string{early.Token, late.Token} {
			wantAuth(t, "once the overlap ends", p.b, tok, false)
		}
	})
}
