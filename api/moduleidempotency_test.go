package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
)

// countingProvider is the system provider keeping the idempotency keys
// it is called with, so tests can tell a retried call from a second one.
type countingProvider struct {
	paymod.System
	mu       sync.Mutex
	initKeys []string
	captures []string
}

func (p *countingProvider) Initiate(ctx context.Context, in paymod.SessionInput) (payment.ProviderResult, error) {
	p.mu.Lock()
	p.initKeys = append(p.initKeys, in.Key)
	p.mu.Unlock()
	return p.System.Initiate(ctx, in)
}

func (p *countingProvider) Capture(ctx context.Context, in paymod.MovementInput) (paymod.MovementResult, error) {
	p.mu.Lock()
	p.captures = append(p.captures, in.Key)
	p.mu.Unlock()
	return p.System.Capture(ctx, in)
}

// distinct is how many different keys keys holds.
func distinct(mu *sync.Mutex, keys *[]string) int {
	mu.Lock()
	defer mu.Unlock()
	k := slices.Clone(*keys)
	slices.Sort(k)
	return len(slices.Compact(k))
}

// lostAnswerStore loses the answer of one request with an Idempotency-Key
// when armed: writing it fails, as if the process died after the change
// was made and before its answer was stored.
type lostAnswerStore struct {
	store.Store
	armed atomic.Bool
}

func (s *lostAnswerStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(lostAnswerTx{tx, s}) })
}

type lostAnswerTx struct {
	store.Tx
	s *lostAnswerStore
}

func (tx lostAnswerTx) PutIdempotencyRecord(ctx context.Context, r *store.IdempotencyRecord) error {
	if !r.Pending() && tx.s.armed.CompareAndSwap(true, false) {
		return errors.New("the process died before the answer was stored")
	}
	return tx.Tx.PutIdempotencyRecord(ctx, r)
}

// TestPaymentModuleLostAnswer: every module call with an Idempotency-Key
// whose answer was never stored (the process died after its change) is
// retried with the key: the retry makes no second record and asks no
// provider for a second object, and a later replay answers as the retry
// did.
func TestPaymentModuleLostAnswer(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		prov := &countingProvider{}
		lost := &lostAnswerStore{}
		e := newEnv(t, withStore(func(s store.Store) store.Store { lost.Store = s; return lost }),
			withConfig(func(c *api.Config) { c.PaymentProviders = paymod.Registry{"pp_counting": prov} }))
		n := 0
		// send sends r with a new key, losing its first answer, and
		// retries it until it is answered; it returns that answer.
		send := func(want int, r request) response {
			t.Helper()
			n++
			r.header = map[string]string{"Idempotency-Key": fmt.Sprint("lost-", n)}
			lost.armed.Store(true)
			resp := e.do(r)
			if lost.armed.Load() {
				t.Fatalf("%s %s stored no answer", r.method, r.path)
			}
			for range 3 {
				if resp.status < 500 {
					break
				}
				resp = e.do(r)
			}
			if resp.status != want {
				t.Fatalf("%s %s = %d %s, want %d", r.method, r.path, resp.status, resp.body, want)
			}
			if again := e.do(r); again.status != want || !bytes.Equal(again.body, resp.body) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay of %s %s = %d %s, want the stored %d %s", r.method, r.path, again.status, again.body, want, resp.body)
			}
			return resp
		}
		colID := idOf(t, send(http.StatusCreated, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 3000}}))
		var list struct {
			Collections []struct{ ID string } `json:"collections"`
		}
		e.must(http.StatusOK, request{method: "GET", path: pm + "/collections?limit=100"}).decode(t, &list)
		if len(list.Collections) != 1 {
			t.Fatalf("%d collections after a retried create, want 1", len(list.Collections))
		}
		send(http.StatusOK, request{method: "POST", path: pm + "/collections/" + colID, body: map[string]any{"metadata": map[string]any{"cart": "c1"}}})
		ses := idOf(t, send(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + colID + "/sessions", body: map[string]any{"providerId": "pp_counting", "amount": 1000}}))
		var col collectionOut
		e.must(http.StatusOK, request{method: "GET", path: pm + "/collections/" + colID}).decode(t, &col)
		if len(col.Sessions) != 1 || distinct(&prov.mu, &prov.initKeys) != 1 {
			t.Fatalf("%d sessions and %d provider sessions after a retried create, want 1 and 1", len(col.Sessions), distinct(&prov.mu, &prov.initKeys))
		}
		send(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses, body: map[string]any{"amount": 2000}})
		var auth struct {
			Payment struct{ ID string } `json:"payment"`
		}
		send(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/authorize"}).decode(t, &auth)
		send(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/sync"})
		send(http.StatusOK, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/capture", body: map[string]any{"amount": 500}})
		send(http.StatusOK, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/refund", body: map[string]any{"amount": 100}})
		var p struct {
			Captures []struct{} `json:"captures"`
			Refunds  []struct{} `json:"refunds"`
		}
		e.must(http.StatusOK, request{method: "GET", path: pm + "/payments/" + auth.Payment.ID}).decode(t, &p)
		if len(p.Captures) != 1 || len(p.Refunds) != 1 || distinct(&prov.mu, &prov.captures) != 1 {
			t.Fatalf("%d captures, %d refunds, %d provider captures after retried calls, want 1 each", len(p.Captures), len(p.Refunds), distinct(&prov.mu, &prov.captures))
		}

		other := idOf(t, send(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + colID + "/sessions", body: map[string]any{"providerId": "pp_counting", "amount": 500}}))
		send(http.StatusNoContent, request{method: "DELETE", path: pm + "/sessions/" + other})
		c2 := idOf(t, send(http.StatusCreated, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 100}}))
		send(http.StatusOK, request{method: "POST", path: pm + "/collections/" + c2 + "/cancel"})
		send(http.StatusNoContent, request{method: "DELETE", path: pm + "/collections/" + c2})
		c3 := idOf(t, send(http.StatusCreated, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 100}}))
		s3 := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + c3 + "/sessions", body: map[string]any{"providerId": "pp_counting"}}))
		e.must(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + s3 + "/authorize"}).decode(t, &auth)
		send(http.StatusOK, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/cancel"})
	})
}

// TestReplicasPaymentModuleIdempotency sends one module request with one
// Idempotency-Key four times at once, two to each of two replicas: one
// record is made, every success answers the same bytes, and the others
// are at most 409 (in flight).
func TestReplicasPaymentModuleIdempotency(t *testing.T) {
	cs, _ := replicas(t, nil)
	ctx := t.Context()
	count := func(path, field string) int {
		t.Helper()
		var v map[string]json.RawMessage
		if _, err := cs[0].Do(ctx, "GET", path, nil, &v); err != nil {
			t.Fatal(err)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(v[field], &list); err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	race := func(req func(*client.Client) outcome) {
		t.Helper()
		var (
			out   [4]outcome
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for i := range out {
			wg.Go(func() {
				<-start
				out[i] = req(cs[i%2])
			})
		}
		close(start)
		wg.Wait()
		var ok []byte
		for _, o := range append(out[:], req(cs[0])) {
			switch {
			case o.status/100 == 2 && ok == nil:
				ok = o.body
			case o.status/100 == 2:
				if !bytes.Equal(o.body, ok) {
					t.Errorf("two different answers for one key:\n%s\n%s", ok, o.body)
				}
			case o.status == http.StatusConflict:
			default:
				t.Errorf("answer %d %v, want 2xx or 409", o.status, o.err)
			}
		}
	}
	for i := range 6 {
		race(call(ctx, "POST", pm+"/collections", map[string]any{"currency": "SEK", "amount": 1000}, fmt.Sprint("collection-", i)))
		if n := count(pm+"/collections?limit=100", "collections"); n != i+1 {
			t.Fatalf("round %d: %d collections, want %d", i, n, i+1)
		}
	}
	var col struct{ ID string }
	if _, err := cs[0].Do(ctx, "POST", pm+"/collections", map[string]any{"currency": "SEK", "amount": 1000}, &col); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		race(call(ctx, "POST", pm+"/collections/"+col.ID+"/sessions", map[string]any{"providerId": "pp_system_default", "amount": 100}, fmt.Sprint("session-", i)))
		if n := count(pm+"/collections/"+col.ID, "sessions"); n != i+1 {
			t.Fatalf("round %d: %d sessions, want %d", i, n, i+1)
		}
	}
}
