package storetest

import (
	"errors"
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
