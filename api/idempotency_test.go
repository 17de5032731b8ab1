package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

func TestIdempotentReplay(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.order(cart(line("A", 2, 10000)))
		capture := map[string]any{"orderLines": []any{line("A", 1, 10000)}, "totalCaptureAmount": 10000}
		key := map[string]string{"Idempotency-Key": "3f1c7a52-8f7e-4a63-9d45-1b2f0c4d5e6f"}
		req := request{method: "POST", path: "/v1/orders/" + id + "/partialcapture", body: capture, header: key}

		first := e.must(200, req)
		if first.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("first response has Idempotent-Replayed")
		}
		e.clock.Advance(1e9)
		again := e.must(200, req)
		if again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay lacks Idempotent-Replayed: true")
		}
		if !bytes.Equal(first.body, again.body) {
			t.Errorf("replayed body differs:\nfirst  %s\nreplay %s", first.body, again.body)
		}
		if o := e.getOrder(id, nil); len(o.Captured) != 1 {
			t.Errorf("after a replayed capture: %d captures, want 1", len(o.Captured))
		}

		// The same key with another request is 422 and applies nothing.
		other := request{method: "POST", path: req.path, body: map[string]any{"orderLines": []any{line("A", 1, 9000)}, "totalCaptureAmount": 9000}, header: key}
		if resp := e.do(other); resp.status != 422 || resp.code() != "idempotency_key_reused" {
			t.Errorf("same key, other body = %d %s, want 422 idempotency_key_reused", resp.status, resp.body)
		}
		// Keys are per merchant: merchant B may use the same key.
		if resp := e.do(request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: key, as: &e.b}); resp.status != 200 {
			t.Errorf("merchant B with merchant A's key = %d %s, want 200", resp.status, resp.body)
		}
		// A failed request is not stored: retrying it with its key runs again.
		failing := request{method: "POST", path: "/v1/orders/" + id + "/reference", body: map[string]any{}, header: map[string]string{"Idempotency-Key": "k-fail"}}
		e.must(400, failing)
		failing.body = map[string]any{"reference": "fixed"}
		e.must(200, failing)
		if resp := e.do(request{method: "POST", path: "/v1/orders/x", header: map[string]string{"Idempotency-Key": string(bytes.Repeat([]byte("k"), 256))}}); resp.status != 400 {
			t.Errorf("a 256-character key = %d, want 400", resp.status)
		}
	})
}

// gatedStore holds every Update at a gate, so a test can keep a request in
// flight while it sends another.
type gatedStore struct {
	store.Store
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	g.entered <- struct{}{}
	<-g.gate
	return g.Store.Update(ctx, fn)
}

func TestIdempotencyInFlight(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		var g *gatedStore
		e := newEnv(t, withStore(func(s store.Store) store.Store {
			g = &gatedStore{Store: s, entered: make(chan struct{}, 1), gate: make(chan struct{})}
			return g
		}))
		e.token(&e.a)
		key := map[string]string{"Idempotency-Key": "in-flight"}
		req := request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: key}
		done := make(chan response)
		go func() { done <- e.do(req) }()
		<-g.entered // the first request is inside its transaction
		if resp := e.do(req); resp.status != 409 || resp.code() != "idempotency_key_in_use" {
			t.Errorf("same key while the first runs = %d %s, want 409 idempotency_key_in_use", resp.status, resp.body)
		}
		close(g.gate)
		first := <-done
		if first.status != 200 {
			t.Fatalf("first request = %d %s", first.status, first.body)
		}
		g.entered = make(chan struct{}, 10)
		if again := e.do(req); again.status != 200 || !bytes.Equal(again.body, first.body) {
			t.Errorf("retry after completion = %d, want the stored 200 answer", again.status)
		}
	})
}

// A pending record (a payment-module call that has begun and not answered)
// found by a Ledyer API call with the same key and the same request is the
// key in use, 409, never a stored answer to replay.
func TestMutationFindsPendingRecord(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		body, err := json.Marshal(cart(line("A", 1, 100)))
		if err != nil {
			t.Fatal(err)
		}
		path := "/v1/payment-sessions"
		fp := sha256.Sum256(append([]byte("POST "+path+"?\n"), body...))
		err = e.store.Update(t.Context(), func(tx store.Tx) error {
			return tx.PutIdempotencyRecord(t.Context(), &store.IdempotencyRecord{
				MerchantID: e.a.merchantID, Key: "pending-key", Fingerprint: fp[:], Status: store.Pending, CreatedAt: t0,
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		req := request{method: "POST", path: path, body: body, header: map[string]string{"Idempotency-Key": "pending-key"}}
		if resp := e.do(req); resp.status != 409 || resp.code() != "idempotency_key_in_use" {
			t.Errorf("key held by a pending record = %d %s, want 409 idempotency_key_in_use", resp.status, resp.body)
		}
	})
}

// Stored answers are purged after the retention period, a batch at a
// time, however many there are; newer ones stay.
func TestPurgeIdempotencyRecords(t *testing.T) {
	e := newEnv(t)
	const old = 2500 // more than two batches
	err := e.store.Update(t.Context(), func(tx store.Tx) error {
		for i := range old + 1 {
			at := t0
			if i == old {
				at = t0.Add(provider.IdempotencyRetention) // young enough to stay
			}
			r := &store.IdempotencyRecord{MerchantID: e.a.merchantID, Key: fmt.Sprint("key-", i), Fingerprint: []byte("fp"), Status: 200, CreatedAt: at}
			if err := tx.PutIdempotencyRecord(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(provider.IdempotencyRetention + time.Minute)
	if n, err := e.app.PurgeIdempotencyRecords(t.Context()); n != old || err != nil {
		t.Fatalf("PurgeIdempotencyRecords = %d, %v; want %d", n, err, old)
	}
	err = e.store.View(t.Context(), func(tx store.ReadTx) error {
		for _, k := range []string{"key-0", fmt.Sprint("key-", old-1), fmt.Sprint("key-", old)} {
			r, err := tx.IdempotencyRecord(t.Context(), e.a.merchantID, k)
			if err != nil {
				return err
			}
			if want := k == fmt.Sprint("key-", old); (r != nil) != want {
				t.Errorf("record %s kept: %v, want %v", k, r != nil, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
