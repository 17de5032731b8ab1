package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// mutation is the one path for requests that change state. It runs op in
// a store transaction of the provider (its outbox) and, when the request
// carries an Idempotency-Key, stores the response in that same
// transaction: the change and its replayable answer commit together or
// not at all. A replay answers the stored status and body byte for byte;
// the same key with a different request is 422; the same key while the
// first request runs is 409. Failed requests apply nothing, so they are
// not stored and a retry with the same key runs afresh. The request's
// audit event commits in the same transaction, the change's or the
// replay's (audited records failures).
func (s *Server) mutation(w http.ResponseWriter, r *http.Request, body []byte, op func(ctx context.Context, tx store.Tx) (status int, v any, err error)) error {
	ctx := r.Context()
	merchantID := principal(r).MerchantID
	key, fp, release, err := s.takeKey(r, body)
	if err != nil {
		return err
	}
	defer release()

	var (
		status   int
		v        any
		payload  []byte
		replayed bool
	)
	err = s.app.Update(ctx, func(tx store.Tx) error {
		replayed = false
		// Every change reads the merchant's time; the read goes with the
		// key's.
		if err := s.app.PrefetchClock(ctx, tx, merchantID); err != nil {
			return err
		}
		if key != "" {
			rec, err := tx.IdempotencyRecord(ctx, merchantID, key)
			if err != nil {
				return err
			}
			if rec != nil {
				if !bytes.Equal(rec.Fingerprint, fp) {
					return kassa.Errorf(kassa.EIdempotencyMismatch, "this Idempotency-Key was used for a different request")
				}
				if rec.Pending() {
					// A payment-module call holds the key and has not
					// answered yet: there is nothing to replay.
					return kassa.Errorf(kassa.EIdempotencyInFlight, "a request with this Idempotency-Key is still being processed; retry later")
				}
				status, payload, replayed = rec.Status, rec.Body, true
				return s.recordChange(ctx, tx, r, status, true)
			}
		}
		var err error
		if status, v, err = op(ctx, tx); err != nil {
			return err
		}
		if err := s.recordChange(ctx, tx, r, status, false); err != nil {
			return err
		}
		if key == "" {
			return nil
		}
		if payload, err = marshal(stored(v)); err != nil {
			return err
		}
		return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
			MerchantID: merchantID, Key: key, Fingerprint: fp,
			Status: status, Body: payload, CreatedAt: s.app.Now(),
		})
	})
	if err != nil {
		return err
	}
	changeOf(r).recorded = true
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else if _, once := v.(redactor); key == "" || once {
		if payload, err = marshal(v); err != nil {
			return err
		}
	}
	wire.WriteRaw(w, status, payload)
	return nil
}

// validKey reports whether an Idempotency-Key is one Kassa accepts: UUIDs
// and every client's keys are short printable ASCII, and anything else
// could not be stored as text.
func validKey(key string) bool { return printable(key, 255) }

// printable reports whether s is at most max characters of printable
// ASCII.
func printable(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// takeKey validates the request's Idempotency-Key and, when there is one,
// marks it in flight in this process until release is called. It returns
// the key and the request's fingerprint, or the error to answer (a
// malformed key, or one already in flight).
func (s *Server) takeKey(r *http.Request, body []byte) (key string, fp []byte, release func(), err error) {
	merchantID := principal(r).MerchantID
	key = r.Header.Get("Idempotency-Key")
	if !validKey(key) {
		return "", nil, nil, kassa.Invalid("Idempotency-Key", "Idempotency-Key must be at most 255 printable ASCII characters")
	}
	if key == "" {
		return "", nil, func() {}, nil
	}
	if !s.inflight.acquire(merchantID, key) {
		return "", nil, nil, kassa.Errorf(kassa.EIdempotencyInFlight, "a request with this Idempotency-Key is still being processed; retry later")
	}
	return key, fingerprint(r, body), func() { s.inflight.release(merchantID, key) }, nil
}

// redactor is an answer that shows a secret once (a new API client's):
// an Idempotency-Key's record keeps it redacted, without the secret, so
// that no secret is kept in the clear; a replay answers without it.
type redactor interface{ redacted() any }

// stored is the answer v as an Idempotency-Key's record keeps it.
func stored(v any) any {
	if r, ok := v.(redactor); ok {
		return r.redacted()
	}
	return v
}

func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// fingerprint identifies a request: method, path, query and body.
func fingerprint(r *http.Request, body []byte) []byte {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+"\n")
	h.Write(body)
	return h.Sum(nil)
}

// orderMutation applies change to the caller's order (provider's
// ChangeOrder) and answers the order with status.
func (s *Server) orderMutation(w http.ResponseWriter, r *http.Request, body []byte, status int, change func(ctx context.Context, tx store.Tx, merchantID, orderID string) (*order.Order, order.Env, error)) error {
	merchantID, id := principal(r).MerchantID, r.PathValue("orderId")
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		next, env, err := change(ctx, tx, merchantID, id)
		if err != nil {
			return 0, nil, err
		}
		return status, orderOf(next, env.Now), nil
	})
}

// inflight tracks the Idempotency-Keys whose first request is running.
type inflight struct {
	mu   sync.Mutex
	keys map[[2]string]struct{}
}

func newInflight() *inflight { return &inflight{keys: map[[2]string]struct{}{}} }

func (f *inflight) acquire(merchantID, key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]string{merchantID, key}
	if _, busy := f.keys[k]; busy {
		return false
	}
	f.keys[k] = struct{}{}
	return true
}

func (f *inflight) release(merchantID, key string) {
	f.mu.Lock()
	delete(f.keys, [2]string{merchantID, key})
	f.mu.Unlock()
}
