package storetest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
)

// The store keeps a document's link token only as its hash and sealed
// copy, finds the document by the token and not by the hash, refuses a
// document without them, and lists and replaces the sealed secrets of
// every merchant.
func testSecrets(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	o := f.newOrder(m, 0)
	f.createOrder(o)
	ocr, _ := invoice.NewOCR("1000001")
	_, d, err := f.issueInvoice(o, ocr)
	f.ok("issue", err)

	tokens := func(after string, limit int) []store.DocumentToken {
		t.Helper()
		var ts []store.DocumentToken
		f.mustUpdate(func(tx store.Tx) (err error) { ts, err = tx.DocumentTokens(ctx, after, limit); return err })
		return ts
	}
	want := []store.DocumentToken{{DocumentID: d.ID, Hash: invoice.TokenHash(d.AccessToken), Sealed: d.SealedToken}}
	if diff := cmp.Diff(want, tokens("", 10)); diff != "" {
		t.Errorf("DocumentTokens (-want +got):\n%s", diff)
	}
	if ts := tokens(d.ID, 10); len(ts) != 0 {
		t.Errorf("DocumentTokens after the last = %v", ts)
	}
	_, err = read(f, func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByToken(ctx, want[0].Hash) })
	wantCode(t, "DocumentByToken(the token's hash)", err, kassa.ENotFound)
	unsealed := *d
	unsealed.ID, unsealed.LedgerID, unsealed.SealedToken = f.ids.New("iv_"), "in_unsealed", ""
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateDocument(ctx, &unsealed) })
	wantCode(t, "CreateDocument without a sealed token", err, kassa.EInternal)

	f.mustUpdate(func(tx store.Tx) error {
		return tx.PutDocumentTokens(ctx, []store.DocumentToken{{DocumentID: d.ID, Hash: invoice.TokenHash("tok_new"), Sealed: "sealed anew"}})
	})
	got, err := read(f, func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByToken(ctx, "tok_new") })
	if err != nil || got.ID != d.ID || got.SealedToken != "sealed anew" {
		t.Errorf("DocumentByToken(the new token) = %+v, %v", got, err)
	}
	_, err = read(f, func(tx store.ReadTx) (*invoice.Document, error) { return tx.DocumentByToken(ctx, d.AccessToken) })
	wantCode(t, "DocumentByToken(the replaced token)", err, kassa.ENotFound)

	e1 := &notify.Endpoint{ID: "ne_1", MerchantID: m, URL: "https://hooks.example/1", Secret: "stored 1", CreatedAt: f.now}
	e2 := &notify.Endpoint{ID: "ne_2", MerchantID: other, URL: "https://hooks.example/2", Secret: "stored 2",
		PreviousSecret: "stored 2 before", PreviousUntil: f.now.Add(time.Hour), RotatedAt: f.now, CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.CreateNotificationEndpoint(ctx, e2), tx.CreateNotificationEndpoint(ctx, e1))
	})
	var ss []store.EndpointSecret
	f.mustUpdate(func(tx store.Tx) (err error) { ss, err = tx.EndpointSecrets(ctx); return err })
	if diff := cmp.Diff([]store.EndpointSecret{{ID: "ne_1", Secret: "stored 1"}, {ID: "ne_2", Secret: "stored 2", Previous: "stored 2 before"}}, ss); diff != "" {
		t.Errorf("EndpointSecrets (-want +got):\n%s", diff)
	}
	f.mustUpdate(func(tx store.Tx) error {
		return tx.PutEndpointSecrets(ctx, []store.EndpointSecret{{ID: "ne_2", Secret: "resealed 2", Previous: "resealed 2 before"}})
	})
	for merchantID, want := range map[string][2]string{m: {"stored 1", ""}, other: {"resealed 2", "resealed 2 before"}} {
		es := mustRead(f, func(tx store.ReadTx) ([]notify.Endpoint, error) { return tx.NotificationEndpoints(ctx, merchantID) })
		if len(es) != 1 || es[0].Secret != want[0] || es[0].PreviousSecret != want[1] {
			t.Errorf("%s's endpoints = %+v, want one with secrets %q", merchantID, es, want)
		}
	}
}

// The access-token signing keys are listed in the order they were made
// (then by ID), whatever order they were stored in; storing one with a
// known ID replaces it (a rewrap), and deleting one removes it alone,
// an unknown one nothing.
func testSigningKeys(f *fixture) {
	t, ctx := f.t, f.ctx
	keys := func() []store.SigningKey {
		t.Helper()
		return mustRead(f, func(tx store.ReadTx) ([]store.SigningKey, error) { return tx.SigningKeys(ctx) })
	}
	if ks := keys(); len(ks) != 0 {
		t.Fatalf("SigningKeys of a new store = %+v", ks)
	}
	later := store.SigningKey{ID: "0000000000000001", Sealed: "sealed 1", CreatedAt: f.now.Add(time.Hour)}
	tie := store.SigningKey{ID: "0000000000000003", Sealed: "sealed 3", CreatedAt: f.now}
	first := store.SigningKey{ID: "0000000000000002", Sealed: "sealed 2", CreatedAt: f.now}
	for _, k := range []store.SigningKey{later, tie, first} {
		f.mustUpdate(func(tx store.Tx) error { return tx.PutSigningKey(ctx, k) })
	}
	if diff := cmp.Diff([]store.SigningKey{first, tie, later}, keys()); diff != "" {
		t.Errorf("SigningKeys (-want +got):\n%s", diff)
	}
	rewrapped := later
	rewrapped.Sealed = "sealed anew"
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.PutSigningKey(ctx, rewrapped), tx.DeleteSigningKey(ctx, tie.ID), tx.DeleteSigningKey(ctx, "ffffffffffffffff"))
	})
	if diff := cmp.Diff([]store.SigningKey{first, rewrapped}, keys()); diff != "" {
		t.Errorf("SigningKeys after a replacement and a deletion (-want +got):\n%s", diff)
	}
}

// testConcurrentSigningKeys: many concurrent Updates each list the
// signing keys and add one made a microsecond after the last, as
// rotations do; listing them in a read-write transaction locks them, so
// each sees the one before and no two are made at the same time.
func testConcurrentSigningKeys(f *fixture) {
	t, ctx := f.t, f.ctx
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := f.s.Update(ctx, func(tx store.Tx) error {
				ks, err := tx.SigningKeys(ctx)
				if err != nil {
					return err
				}
				at := f.now
				if len(ks) > 0 {
					at = ks[len(ks)-1].CreatedAt.Add(time.Microsecond)
				}
				return tx.PutSigningKey(ctx, store.SigningKey{ID: fmt.Sprintf("%016x", i), Sealed: "sealed", CreatedAt: at})
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	ks := mustRead(f, func(tx store.ReadTx) ([]store.SigningKey, error) { return tx.SigningKeys(ctx) })
	for i := range ks {
		if want := f.now.Add(time.Duration(i) * time.Microsecond); !ks[i].CreatedAt.Equal(want) {
			t.Errorf("key %d made at %s, want %s: rotations did not take turns", i, ks[i].CreatedAt, want)
		}
	}
	if len(ks) != n {
		t.Errorf("%d keys, want %d", len(ks), n)
	}
}
