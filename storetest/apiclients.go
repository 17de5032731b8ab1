package storetest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/store"
)

func (f *fixture) newClient(merchantID, name string, scope merchant.Scope) *merchant.Client {
	return &merchant.Client{
		ID: f.ids.New(kassa.PrefixClient), MerchantID: merchantID, Name: name, Scope: scope,
		SecretHash: merchant.HashSecret("secret of " + name), CreatedAt: f.now,
	}
}

func (f *fixture) clients(merchantID string) []merchant.Client {
	f.t.Helper()
	return mustRead(f, func(tx store.ReadTx) ([]merchant.Client, error) { return tx.Clients(f.ctx, merchantID) })
}

func (f *fixture) clientChanges(since time.Time) []merchant.Client {
	f.t.Helper()
	return mustRead(f, func(tx store.ReadTx) ([]merchant.Client, error) { return tx.ClientChanges(f.ctx, since) })
}

// testClients: API clients are listed oldest first, per merchant; a
// rotation and a revocation are kept whole; the changes since a time are
// the clients rotated or revoked at or after it, of every merchant,
// without secrets; and changing another merchant's client is not found.
func testClients(f *fixture) {
	t, ctx := f.t, f.ctx
	m1, m2 := f.createMerchant(), f.createMerchant()
	writer := f.newClient(m1, "default", merchant.ScopeWrite)
	f.advance(time.Second)
	reader := f.newClient(m1, "reporting", merchant.ScopeRead)
	other := f.newClient(m2, "default", merchant.ScopeWrite)
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.CreateClient(ctx, reader), tx.CreateClient(ctx, writer), tx.CreateClient(ctx, other))
	})
	if diff := cmp.Diff([]merchant.Client{*writer, *reader}, f.clients(m1)); diff != "" {
		t.Errorf("Clients mismatch (-want +got):\n%s", diff)
	}
	if got := f.clients("ac_unknown"); len(got) != 0 {
		t.Errorf("Clients of an unknown merchant = %v, want none", got)
	}
	if got := f.clientChanges(time.Time{}.Add(time.Microsecond)); len(got) != 0 {
		t.Errorf("ClientChanges with nothing rotated or revoked = %v, want none", got)
	}

	f.advance(time.Minute)
	rotatedAt := f.now
	rotated, _, err := writer.Rotate(f.now, time.Hour)
	f.ok("Rotate", err)
	f.mustUpdate(func(tx store.Tx) error { return tx.RotateClient(ctx, rotated) })
	got := mustRead(f, func(tx store.ReadTx) (*merchant.Client, error) { return tx.Client(ctx, writer.ID) })
	if diff := cmp.Diff(rotated, got); diff != "" {
		t.Errorf("Client after RotateClient mismatch (-want +got):\n%s", diff)
	}

	f.advance(time.Minute)
	revokedAt := f.now
	f.mustUpdate(func(tx store.Tx) error { return tx.RevokeClient(ctx, m1, reader.ID, revokedAt) })
	revoked := *reader
	revoked.RevokedAt = revokedAt
	if diff := cmp.Diff([]merchant.Client{*rotated, revoked}, f.clients(m1)); diff != "" {
		t.Errorf("Clients after RevokeClient mismatch (-want +got):\n%s", diff)
	}

	// The changes, of every merchant, without secrets.
	f.advance(time.Minute)
	f.mustUpdate(func(tx store.Tx) error { return tx.RevokeClient(ctx, m2, other.ID, f.now) })
	bare := func(cs ...merchant.Client) []merchant.Client {
		for i := range cs {
			cs[i].SecretHash, cs[i].PreviousHash = nil, nil
		}
		return cs
	}
	otherRevoked := *other
	otherRevoked.RevokedAt = f.now
	for _, tc := range []struct {
		since time.Time
		want  []merchant.Client
	}{
		{rotatedAt, bare(*rotated, revoked, otherRevoked)},
		{rotatedAt.Add(time.Microsecond), bare(revoked, otherRevoked)},
		{revokedAt, bare(revoked, otherRevoked)},
		{f.now.Add(time.Microsecond), nil},
	} {
		got := f.clientChanges(tc.since)
		if diff := cmp.Diff(clientsByID(tc.want), clientsByID(got)); diff != "" {
			t.Errorf("ClientChanges(since %s) mismatch (-want +got):\n%s", tc.since.Sub(rotatedAt), diff)
		}
	}

	for name, fn := range map[string]func(tx store.Tx) error{
		"RotateClient of another merchant's client": func(tx store.Tx) error {
			c := *other
			c.MerchantID = m1
			return tx.RotateClient(ctx, &c)
		},
		"RotateClient of a missing client": func(tx store.Tx) error {
			c := *rotated
			c.ID = "cl_missing"
			return tx.RotateClient(ctx, &c)
		},
		"RevokeClient of another merchant's client": func(tx store.Tx) error { return tx.RevokeClient(ctx, m2, writer.ID, f.now) },
		"RevokeClient of a missing client":          func(tx store.Tx) error { return tx.RevokeClient(ctx, m1, "cl_missing", f.now) },
	} {
		wantCode(t, name, f.s.Update(ctx, fn), kassa.ENotFound)
	}
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.RevokeClient(ctx, m1, writer.ID, time.Time{}) })
	wantCode(t, "RevokeClient at the zero time", err, kassa.EInvalid)
	if got := f.clients(m1); got[0].Revoked() {
		t.Error("a failed RevokeClient revoked the client")
	}
}

// clientsByID indexes clients by ID, for comparisons that ignore order.
func clientsByID(cs []merchant.Client) map[string]merchant.Client {
	m := map[string]merchant.Client{}
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}

// testConcurrentClients: many concurrent Updates each list a merchant's
// clients and create one only while there are fewer than a cap; listing
// them in a read-write transaction locks them, so the cap holds exactly.
func testConcurrentClients(f *fixture) {
	t, ctx := f.t, f.ctx
	const n, limit = 20, 5
	m := f.createMerchant()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := f.s.Update(ctx, func(tx store.Tx) error {
				cs, err := tx.Clients(ctx, m)
				if err != nil || len(cs) >= limit {
					return err
				}
				return tx.CreateClient(ctx, f.newClient(m, fmt.Sprintf("client %d", i), merchant.ScopeRead))
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := len(f.clients(m)); got != limit {
		t.Errorf("%d clients created, want exactly %d", got, limit)
	}
}
