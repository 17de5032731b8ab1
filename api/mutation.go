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
// a store transaction and, when the request carries an Idempotency-Key,
// stores the response in that same transaction: the change and its
// replayable answer commit together or not at all. A replay answers the
// stored status and body byte for byte; the same key with a different
// request is 422; the same key while the first request runs is 409.
// Failed requests apply nothing, so they are not stored and a retry with
// the same key runs afresh.
func (s *Server) mutation(w http.ResponseWriter, r *http.Request, body []byte, op func(ctx context.Context, tx store.Tx) (status int, v any, err error)) {
	ctx := r.Context()
	merchantID := principal(r).MerchantID
	key, fp, release, ok := s.takeKey(w, r, body)
	if !ok {
		return
	}
	defer release()

	var (
		status   int
		v        any
		payload  []byte
		replayed bool
	)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		replayed = false
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
				return nil
			}
		}
		var err error
		if status, v, err = op(ctx, tx); err != nil {
			return err
		}
		if key == "" {
			return nil
		}
		if payload, err = marshal(v); err != nil {
			return err
		}
		return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
			MerchantID: merchantID, Key: key, Fingerprint: fp,
			Status: status, Body: payload, CreatedAt: s.clock.Now(),
		})
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else if key == "" {
		if payload, err = marshal(v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	wire.WriteRaw(w, status, payload)
}

// validKey reports whether an Idempotency-Key is one Kassa accepts: UUIDs
// and every client's keys are short printable ASCII, and anything else
// could not be stored as text.
func validKey(key string) bool {
	if len(key) > 255 {
		return false
	}
	for i := range len(key) {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// takeKey validates the request's Idempotency-Key and, when there is one,
// marks it in flight in this process until release is called. It returns
// the key and the request's fingerprint; ok is false when it has answered
// the request itself (a malformed key, or one already in flight).
func (s *Server) takeKey(w http.ResponseWriter, r *http.Request, body []byte) (key string, fp []byte, release func(), ok bool) {
	merchantID := principal(r).MerchantID
	key = r.Header.Get("Idempotency-Key")
	if !validKey(key) {
		s.writeError(w, r, kassa.Invalid("Idempotency-Key", "Idempotency-Key must be at most 255 printable ASCII characters"))
		return "", nil, nil, false
	}
	if key == "" {
		return "", nil, func() {}, true
	}
	if !s.inflight.acquire(merchantID, key) {
		s.writeError(w, r, kassa.Errorf(kassa.EIdempotencyInFlight, "a request with this Idempotency-Key is still being processed; retry later"))
		return "", nil, nil, false
	}
	return key, fingerprint(r, body), func() { s.inflight.release(merchantID, key) }, true
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

// orderMutation loads the caller's order, applies op and saves the result
// (saveOrder).
func (s *Server) orderMutation(w http.ResponseWriter, r *http.Request, body []byte, status int, op func(ctx context.Context, tx store.Tx, o *order.Order, env order.Env) (*order.Order, error)) {
	merchantID, id := principal(r).MerchantID, r.PathValue("orderId")
	s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		o, err := tx.Order(ctx, merchantID, id)
		if err != nil {
			return 0, nil, err
		}
		env := s.env().For(o)
		next, err := op(ctx, tx, o, env)
		if err != nil {
			return 0, nil, err
		}
		if next != o {
			if err := s.saveOrder(ctx, tx, o, next, env); err != nil {
				return 0, nil, err
			}
		}
		return status, orderOf(next, env.Now), nil
	})
}

// saveOrder stores an order's change from prev to next, the one way the
// API writes a change to an existing order (package reconcile records the
// paid event itself, which issues nothing and draws on no credit): it checks next's invariants
// before anything is written (a violation is a bug and commits nothing),
// issues the documents the change calls for, saves next with its new
// events, and makes its session's credit hold what it now draws on.
func (s *Server) saveOrder(ctx context.Context, tx store.Tx, prev, next *order.Order, env order.Env) error {
	if err := next.Check(); err != nil {
		return err
	}
	if err := s.issueDocuments(ctx, tx, prev, next, env); err != nil {
		return err
	}
	if err := tx.UpdateOrder(ctx, next, next.Events[len(prev.Events):]); err != nil {
		return err
	}
	if next.Exposure() == prev.Exposure() && next.Customer.CompanyID == prev.Customer.CompanyID {
		return nil // the hold already says so: a capture moves credit, it draws no more
	}
	return holdOrder(ctx, tx, next)
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
