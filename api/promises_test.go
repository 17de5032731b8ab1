package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/store"
)

// The limits README.md and docs/ state as numbers, each checked on both
// sides of its boundary, so that changing one fails here and not in a
// reader's integration.

// TestDocumentedRequestLimits pins: request bodies up to 1 MiB (413
// request_too_large beyond); Idempotency-Key of 1–255 printable ASCII
// characters (400 otherwise); payment-module webhook bodies up to 64 KiB
// (413 beyond); collection lists of 50 by default (as every list) and at
// most 100.
func TestDocumentedRequestLimits(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		id := e.order(cart(line("A", 1, 100)))
		pm := "/v1/payment-module"
		hook := pm + "/providers/pp_system_default/webhooks"
		// padded is a JSON body of exactly n bytes.
		padded := func(n int) string {
			const head, tail = `{"reference":"`, `"}`
			return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
		}
		reference := func(key string) request {
			return request{method: "POST", path: "/v1/orders/" + id + "/reference", body: `{"reference":"r"}`, header: map[string]string{"Idempotency-Key": key}}
		}
		for _, c := range []struct {
			name string
			req  request
			want int // the status, or 0 for "anything but 413"
		}{
			{"body of 1 MiB", request{method: "POST", path: "/v1/payment-sessions", body: padded(1 << 20)}, 0},
			{"body of 1 MiB + 1", request{method: "POST", path: "/v1/payment-sessions", body: padded(1<<20 + 1)}, 413},
			{"key of 255 characters", reference(strings.Repeat("k", 255)), 200},
			{"key of 256 characters", reference(strings.Repeat("k", 256)), 400},
			{"key of printable punctuation, letters, digits and space", reference("!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|} ~"), 200},
			{"key with a tab", reference("k\tk"), 400}, // other control characters do not get past Go's client
			{"webhook of 64 KiB", request{method: "POST", path: hook, body: padded(64 << 10)}, 0},
			{"webhook of 64 KiB + 1", request{method: "POST", path: hook, body: padded(64<<10 + 1)}, 413},
			{"collections limit 100", request{method: "GET", path: pm + "/collections?limit=100"}, 200},
			{"collections limit 101", request{method: "GET", path: pm + "/collections?limit=101"}, 400},
			{"collections limit 0", request{method: "GET", path: pm + "/collections?limit=0"}, 400},
		} {
			resp := e.do(c.req)
			if c.want == 0 && resp.status == 413 || c.want != 0 && resp.status != c.want {
				t.Errorf("%s = %d %s, want %d (0: anything but 413)", c.name, resp.status, resp.body, c.want)
			}
			if resp.status == 413 && resp.code() != "request_too_large" {
				t.Errorf("%s: code %q, want request_too_large", c.name, resp.code())
			}
		}

		for i := range 51 {
			e.must(201, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 100 + i}})
		}
		var list struct {
			Data       []struct{ ID string }
			NextCursor string
		}
		e.must(200, request{method: "GET", path: pm + "/collections"}).decode(t, &list)
		if len(list.Data) != 50 || list.NextCursor == "" {
			t.Errorf("collections without a limit: %d (next %q), want 50 and a next page", len(list.Data), list.NextCursor)
		}
	})
}

// TestIdempotencyKeptFortyEightHours pins the retention of stored answers:
// a retry 48 hours less a minute after the first request is replayed; one
// after 48 hours and a purge runs afresh. Purging a backlog deletes at most
// 1,000 records per transaction.
func TestIdempotencyKeptFortyEightHours(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		var deleted []int
		e := newEnv(t, withStore(func(s store.Store) store.Store { return &deleteCounter{Store: s, deleted: &deleted} }))
		req := request{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100)), header: map[string]string{"Idempotency-Key": "kept-48h"}}
		first := e.must(200, req)

		e.clock.Advance(48*time.Hour - time.Minute)
		if _, err := e.app.PurgeIdempotencyRecords(t.Context()); err != nil {
			t.Fatal(err)
		}
		if again := e.must(200, req); again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
			t.Errorf("retry after 47h59m: replayed %q, want the stored answer", again.header.Get("Idempotent-Replayed"))
		}
		e.clock.Advance(2 * time.Minute)
		if _, err := e.app.PurgeIdempotencyRecords(t.Context()); err != nil {
			t.Fatal(err)
		}
		if again := e.must(200, req); again.header.Get("Idempotent-Replayed") != "" || string(again.body) == string(first.body) {
			t.Errorf("retry after 48h01m and a purge was replayed, want a new session")
		}

		// A backlog of 2,500 old records goes in batches of at most 1,000.
		err := e.store.Update(t.Context(), func(tx store.Tx) error {
			for i := range 2500 {
				r := &store.IdempotencyRecord{MerchantID: e.a.merchantID, Key: fmt.Sprint("old-", i), Fingerprint: []byte("fp"), Status: 200, CreatedAt: t0}
				if err := tx.PutIdempotencyRecord(t.Context(), r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		deleted = nil
		if n, err := e.app.PurgeIdempotencyRecords(t.Context()); n != 2500 || err != nil {
			t.Fatalf("PurgeIdempotencyRecords = %d, %v; want 2500", n, err)
		}
		for _, n := range deleted {
			if n > 1000 {
				t.Errorf("one purge transaction deleted %d records, want at most 1,000 (all: %v)", n, deleted)
			}
		}
	})
}

// deleteCounter records how many idempotency records each
// DeleteIdempotencyRecords call removed.
type deleteCounter struct {
	store.Store
	deleted *[]int
}

func (d *deleteCounter) Update(ctx context.Context, fn func(store.Tx) error) error {
	return d.Store.Update(ctx, func(tx store.Tx) error { return fn(deleteCountingTx{tx, d.deleted}) })
}

type deleteCountingTx struct {
	store.Tx
	deleted *[]int
}

func (t deleteCountingTx) DeleteIdempotencyRecords(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := t.Tx.DeleteIdempotencyRecords(ctx, before, limit)
	if err == nil {
		*t.deleted = append(*t.deleted, n)
	}
	return n, err
}
