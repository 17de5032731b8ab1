package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/load"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

// replicas serves the API from two servers, each with its own connection
// pool to one PostgreSQL schema, as two Kassa processes behind a load
// balancer would. It returns a client of one merchant for each, and the
// first replica's store scoped to that merchant. wrap, if given, wraps the
// first replica's store.
func replicas(t *testing.T, wrap func(store.Store) store.Store) ([2]*client.Client, scoped) {
	t.Helper()
	url := pgtest.URL(t)
	ctx := context.Background()
	var (
		cs     [2]*client.Client
		first  scoped
		cl     *merchant.Client
		secret string
	)
	for i := range cs {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		var st store.Store = db
		if i == 0 {
			ids, now := kassa.RandomIDs{}, time.Now()
			m, _ := merchant.NewMerchant(ids, now, "Replicated AB")
			cl, secret = kassatest.AddMerchant(t, db, ids, now, m)
			first = scoped{db, m.ID}
			if wrap != nil {
				st = wrap(db)
			}
		}
		signer, err := provider.LoadSigner(ctx, db, kassatest.KEK())
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(t.Output(), nil))
		app := provider.New(log, provider.Config{PublicURL: "http://kassa", KEK: kassatest.KEK()}, st, kassa.SystemClock{}, kassa.RandomIDs{}, signer)
		srv := api.NewServer(log, api.Config{Sandbox: true}, app)
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		cs[i] = client.New(hs.URL, cl.ID, secret, client.WithRetry(client.Retry{Attempts: 1})) // each answer as it came
	}
	return cs, first
}

// outcome is one answer: the status and the raw body.
type outcome struct {
	status int
	body   json.RawMessage
	err    error
}

// both sends the two requests at the same moment, one to each replica.
func both(ctx context.Context, cs [2]*client.Client, reqs [2]func(c *client.Client) outcome) [2]outcome {
	var out [2]outcome
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range cs {
		wg.Go(func() {
			<-start
			out[i] = reqs[i](cs[i])
		})
	}
	close(start)
	wg.Wait()
	return out
}

// call sends a request with key as its Idempotency-Key, or a new key
// each time if key is "".
func call(ctx context.Context, method, path string, body any, key string) func(c *client.Client) outcome {
	var opts []client.CallOption
	if key != "" {
		opts = append(opts, client.IdempotencyKey(key))
	}
	return func(c *client.Client) outcome {
		var raw json.RawMessage
		status, err := c.Do(ctx, method, path, body, &raw, opts...)
		if ce, ok := errors.AsType[*client.Error](err); ok {
			return outcome{status: status, err: ce}
		}
		return outcome{status: status, body: raw, err: err}
	}
}

// placeCaptured places an order through replica 0, acknowledges and
// captures it, and returns its ID and captured chunk's ledger ID.
func placeCaptured(t *testing.T, ctx context.Context, c *client.Client, capture bool) (string, string) {
	t.Helper()
	id, err := load.PlaceOrder(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AcknowledgeOrder(ctx, id); err != nil {
		t.Fatal(err)
	}
	if !capture {
		return id, ""
	}
	o, err := c.CaptureOrder(ctx, id, load.SampleCapture())
	if err != nil {
		t.Fatal(err)
	}
	return id, o.Captured[0].LedgerID
}

// TestReplicasConflicts sends conflicting requests for one order to two
// replicas at once, many times over: exactly one wins, the other gets a
// clean 4xx, and the stored order keeps its invariants.
func TestReplicasConflicts(t *testing.T) {
	cs, st := replicas(t, nil)
	ctx := t.Context()
	const rounds = 8
	bigRefund := map[string]any{
		"orderLines": []any{map[string]any{
			"type": "physical", "reference": "SKU-1", "description": "Office chair",
			"quantity": 1, "vat": 2500, "unitPrice": 300000, "totalAmount": 300000, "totalVatAmount": 60000,
		}},
		"totalRefundAmount": 300000,
	}
	tests := []struct {
		name    string
		capture bool // the order is captured first
		reqs    func(id, ledger string) [2]func(*client.Client) outcome
	}{
		{"two captures", false, func(id, _ string) [2]func(*client.Client) outcome {
			p := "/v1/orders/" + id + "/capture"
			return [2]func(*client.Client) outcome{call(ctx, "POST", p, load.SampleCapture(), ""), call(ctx, "POST", p, load.SampleCapture(), "")}
		}},
		{"capture and cancel", false, func(id, _ string) [2]func(*client.Client) outcome {
			return [2]func(*client.Client) outcome{
				call(ctx, "POST", "/v1/orders/"+id+"/capture", load.SampleCapture(), ""),
				call(ctx, "DELETE", "/v1/orders/"+id, nil, ""),
			}
		}},
		{"two refunds exceeding the chunk together", true, func(id, ledger string) [2]func(*client.Client) outcome {
			p := "/v1/orders/" + id + "/partialrefund/" + ledger
			return [2]func(*client.Client) outcome{call(ctx, "POST", p, bigRefund, ""), call(ctx, "POST", p, bigRefund, "")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range rounds {
				id, ledger := placeCaptured(t, ctx, cs[0], tt.capture)
				out := both(ctx, cs, tt.reqs(id, ledger))
				wins := 0
				for _, o := range out {
					switch {
					case o.err == nil && o.status == 200:
						wins++
					case o.status >= 400 && o.status < 500:
					default:
						t.Errorf("answer %d %v, want 200 or a 4xx", o.status, o.err)
					}
				}
				if wins != 1 {
					t.Errorf("%d requests won, want exactly 1: %+v", wins, out)
				}
				st.check(t, id)
			}
		})
	}
}

// scoped is a store seen as one merchant.
type scoped struct {
	store.Store
	merchantID string
}

// check reads the order from the store and checks its invariants and that
// its events tell the same story as its amounts.
func (st scoped) check(t *testing.T, id string) *order.Order {
	t.Helper()
	ctx := context.Background()
	var o *order.Order
	err := st.View(ctx, func(tx store.ReadTx) error {
		var err error
		o, err = tx.Order(ctx, st.merchantID, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(); err != nil {
		t.Errorf("order %s breaks an invariant: %v", id, err)
	}
	return o
}

// TestReplicasIdempotency sends one request with one Idempotency-Key to
// both replicas at once, and again afterwards: every 200 carries the same
// bytes, the other answer is at most a 409 (still in flight), and the
// capture happened once.
func TestReplicasIdempotency(t *testing.T) {
	cs, st := replicas(t, nil)
	ctx := t.Context()
	for i := range 8 {
		id, _ := placeCaptured(t, ctx, cs[0], false)
		key := fmt.Sprintf("capture-%d", i)
		req := call(ctx, "POST", "/v1/orders/"+id+"/capture", load.SampleCapture(), key)
		out := both(ctx, cs, [2]func(*client.Client) outcome{req, req})
		var first json.RawMessage
		for _, o := range append(out[:], req(cs[0]), req(cs[1])) {
			switch {
			case o.status == 200 && first == nil:
				first = o.body
			case o.status == 200:
				if !bytes.Equal(o.body, first) {
					t.Errorf("two different 200 answers for one key:\n%s\n%s", first, o.body)
				}
			case o.status == 409:
			default:
				t.Errorf("answer %d %v, want 200 or 409", o.status, o.err)
			}
		}
		if o := st.check(t, id); o.CapturedAmount() != o.AuthorizedAmount {
			t.Errorf("captured %d of %d", o.CapturedAmount(), o.AuthorizedAmount)
		}
	}
}

// holdingStore keeps each Update's transaction open after its function has
// run, until the test lets it commit.
type holdingStore struct {
	store.Store
	inside, release chan struct{}
}

func (h *holdingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return h.Store.Update(ctx, func(tx store.Tx) error {
		err := fn(tx)
		h.inside <- struct{}{}
		<-h.release
		return err
	})
}

// TestReplicasInFlight: while one replica's transaction for a key is
// still open, the other replica answers the same key with 409 at once.
func TestReplicasInFlight(t *testing.T) {
	hold := &holdingStore{inside: make(chan struct{}), release: make(chan struct{})}
	cs, _ := replicas(t, func(s store.Store) store.Store { hold.Store = s; return hold })
	ctx := t.Context()
	id, err := load.PlaceOrder(ctx, cs[1])
	if err != nil {
		t.Fatal(err)
	}
	req := call(ctx, "POST", "/v1/orders/"+id+"/reference", map[string]any{"reference": "PO-1"}, "held")
	done := make(chan outcome)
	go func() { done <- req(cs[0]) }()
	<-hold.inside
	if o := req(cs[1]); o.status != 409 {
		t.Errorf("same key on the other replica while the first is open = %d %v, want 409", o.status, o.err)
	}
	close(hold.release)
	first := <-done
	if first.status != 200 {
		t.Fatalf("first request = %d %v", first.status, first.err)
	}
	if again := req(cs[1]); again.status != 200 || !bytes.Equal(again.body, first.body) {
		t.Errorf("retry on the other replica = %d %v, want the stored answer", again.status, again.err)
	}
}
