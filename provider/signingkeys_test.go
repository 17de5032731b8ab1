package provider_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

// signedWith is the ID of the key that signed token: "" for the first.
func signedWith(t *testing.T, token string) string {
	t.Helper()
	enc, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	claims := strings.Split(string(raw), "~")
	if len(claims) == 4 {
		return claims[3]
	}
	return ""
}

// rotate rotates the signing key in app and returns the keys that verify
// tokens.
func (p *processes) rotate(app *provider.Service) []merchant.KeyState {
	p.t.Helper()
	var ks []merchant.KeyState
	p.update(app, func(ctx context.Context, tx store.Tx) (err error) {
		ks, err = app.RotateSigningKey(ctx, tx)
		return err
	})
	return ks
}

// refreshKeys runs app's refresh pass of the signing keys.
func (p *processes) refreshKeys(app *provider.Service) {
	p.t.Helper()
	if _, err := app.RefreshSigningKeys(p.t.Context()); err != nil {
		p.t.Fatal(err)
	}
}

// A rotation of the signing key reaches every process with its refresh
// pass: before it, a process signs with the key it knows; from it on,
// with the new key. A process accepts a token of a key it has not read
// yet after reading the keys, at once, so that the tokens of a process
// that passed first work everywhere. Tokens of the key the rotation
// replaced keep working until they expire. Reading the keys for unknown
// keys happens at most once a second; the keys that have retired are
// deleted by the next rotation.
func TestSigningKeyRotationReachesEveryProcess(t *testing.T) {
	onOneDatabase(t, func(t *testing.T, p *processes) {
		before := p.token(p.b, p.first.ID, p.firstSecret).Token
		if id := signedWith(t, before); id != "" {
			t.Fatalf("a token before any rotation names key %q, want none (the first key's)", id)
		}

		ks := p.rotate(p.a)
		want := []merchant.KeyState{{RetiresAt: t0.Add(merchant.KeyRetention)}, {ID: ks[len(ks)-1].ID, Current: true, CreatedAt: t0}}
		if diff := cmp.Diff(want, ks); diff != "" {
			t.Fatalf("keys after the rotation (-want +got):\n%s", diff)
		}
		current := want[1].ID

		if id := signedWith(t, p.token(p.b, p.first.ID, p.firstSecret).Token); id != "" {
			t.Errorf("before its pass, the other process signs with key %q, want the first", id)
		}
		p.refreshKeys(p.b)
		fromB := p.token(p.b, p.first.ID, p.firstSecret).Token
		if id := signedWith(t, fromB); id != current {
			t.Errorf("after its pass, the other process signs with key %q, want the new key %q", id, current)
		}
		wantAuth(t, "the new key's token, in a process that has not passed", p.a, fromB, true)
		for _, app := range []*provider.Service{p.a, p.b} {
			wantAuth(t, "the first key's token after the rotation", app, before, true)
		}
		p.clock.Advance(merchant.TokenLifetime)
		wantAuth(t, "the first key's token once it has expired", p.a, before, false)

		// A made-up key makes b read the keys; a key made less than a
		// second after is not read for a token until the second has
		// passed.
		madeUp := merchant.Signer{Keys: []merchant.SigningKey{{ID: "0123456789abcdef", Key: merchant.NewKey()}}}
		wantAuth(t, "a token of a made-up key", p.b, madeUp.Issue(p.first, p.clock.Now()), false)
		ks = p.rotate(p.a)
		third := ks[len(ks)-1].ID
		p.refreshKeys(p.a)
		fromA := p.token(p.a, p.first.ID, p.firstSecret).Token
		if id := signedWith(t, fromA); id != third {
			t.Errorf("the token after the second rotation is signed with %q, want %q", id, third)
		}
		wantAuth(t, "the third key's token, within the second", p.b, fromA, false)
		p.clock.Advance(time.Second)
		wantAuth(t, "the third key's token, a second on", p.b, fromA, true)

		// The second key retires KeyRetention after the third was made: b,
		// which read the third, refuses its tokens from then on, even one
		// that a process still signing with it issued a minute before.
		keys, err := provider.LoadSigner(t.Context(), p.a.Store(), kassatest.KEK())
		if err != nil || len(keys.Keys) != 3 || keys.Keys[1].ID != current {
			t.Fatalf("LoadSigner = %+v, %v; want three keys, the second current before", keys.Keys, err)
		}
		stale := merchant.Signer{Keys: keys.Keys[:2]}
		retires := ks[len(ks)-2].RetiresAt // the second key's
		p.clock.Set(retires.Add(-time.Minute))
		late := stale.Issue(p.first, p.clock.Now())
		wantAuth(t, "the second key's token, before it retires", p.b, late, true)
		p.clock.Set(retires)
		wantAuth(t, "the second key's token, once it has retired", p.b, late, false)
		last := p.rotate(p.a)
		if len(last) != 2 || last[0].ID != third || last[1].ID == third || !last[1].Current {
			t.Errorf("keys after the third rotation %+v, want the third key and the new one", last)
		}
		stored, err := provider.View(t.Context(), p.a, func(tx store.ReadTx) ([]store.SigningKey, error) { return tx.SigningKeys(t.Context()) })
		if err != nil || len(stored) != 2 || stored[0].ID != third || stored[1].ID != last[1].ID {
			t.Errorf("signing keys stored %+v, %v; want the retired one deleted", stored, err)
		}

		// The buyer's links are authenticated with a key derived from the
		// first signing key, which rotations leave: a process started
		// after them agrees with one started before.
		keys, err = provider.LoadSigner(t.Context(), p.a.Store(), kassatest.KEK())
		if err != nil {
			t.Fatal(err)
		}
		restarted := provider.New(slog.New(slog.DiscardHandler), provider.Config{KEK: kassatest.KEK()}, p.a.Store(), p.clock, &kassatest.IDs{}, keys)
		if restarted.SigningPath("ps_1") != p.a.SigningPath("ps_1") {
			t.Error("a process started after the rotations signs the buyer's links differently")
		}
	})
}
