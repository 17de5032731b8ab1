package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/postgres/pgtest"
)

// TestCrashNotifications kills a real kassa process with SIGKILL while
// state changes are being made, restarts it on the same data, and checks
// the outbox promise both ways: every committed change has its
// notification delivered, and no notification exists for a change that
// did not commit. It runs on SQLite, and on PostgreSQL when configured.
func TestCrashNotifications(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { crashNotifications(t, []string{"--data-dir", t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) {
		crashNotifications(t, []string{"--database", pgtest.URL(t), "--data-dir", t.TempDir()})
	})
}

func crashNotifications(t *testing.T, db []string) {
	var out bytes.Buffer
	if err := run(t.Context(), append([]string{"kassa", "merchant", "create", "--name", "Crash AB"}, db...), noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("merchant create: %v\n%s", err, out.String())
	}
	var creds credentials
	if err := json.Unmarshal(out.Bytes(), &creds); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--allow-private-webhooks", "--webhook-timeout", "2s"}, db...)

	rcv := newCrashReceiver(t)
	srv := startProcess(t, args...)
	c := &crashClient{t: t, base: srv.base, id: creds.ClientID, pw: creds.ClientSecret, progress: make(chan struct{}, 1)}

	// Purchases run on 8 workers until the process dies under them.
	var (
		mu       sync.Mutex
		sessions []string
		orders   atomic.Int64
		wg       sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				sid, ok := c.post("/v1/payment-sessions", crashCart(rcv.URL), "sessionId")
				if !ok {
					return
				}
				mu.Lock()
				sessions = append(sessions, sid)
				mu.Unlock()
				tok, ok := c.post("/v1/sandbox/payment-sessions/"+sid+"/authorize", map[string]any{"customer": crashBuyer}, "authorizationToken")
				if !ok {
					return
				}
				oid, ok := c.post("/v1/authorization-tokens/"+tok+"/order", withBuyer(crashCart(rcv.URL)), "orderId")
				if !ok {
					return
				}
				orders.Add(1)
				if _, ok := c.post("/v1/orders/"+oid+"/capture", map[string]any{"orderLines": []any{crashLine}, "totalCaptureAmount": 10000}, ""); !ok {
					return
				}
			}
		})
	}
	for orders.Load() < 40 {
		c.waitProgress()
	}
	srv.cmd.Process.Kill() // SIGKILL: no shutdown code runs
	srv.cmd.Wait()
	wg.Wait()

	srv = startProcess(t, args...)
	c.base = srv.base
	c.waitDelivered()

	// Both directions, over every session the workers learnt of.
	got := rcv.snapshot()
	seen := map[string]bool{}
	for _, sid := range sessions {
		var s struct{ State, OrderID string }
		c.get("/v1/payment-sessions/"+sid, &s)
		seen["authorization.create "+sid] = true
		if want := s.State == "authorized"; got["com.ledyer.authorization.create "+sid] != want {
			t.Errorf("session %s is %s; authorization.create received: %v", sid, s.State, !want)
		}
		for _, typ := range []string{"create", "ready_for_capture", "full_capture"} {
			seen[typ+" "+s.OrderID] = true
		}
		if s.OrderID == "" {
			continue
		}
		var o struct{ Captured []any }
		c.get("/v1/orders/"+s.OrderID, &o)
		for typ, want := range map[string]bool{"create": true, "ready_for_capture": true, "full_capture": len(o.Captured) > 0} {
			if got["com.ledyer.order."+typ+" "+s.OrderID] != want {
				t.Errorf("order %s (captured %d): %s received %v, want %v", s.OrderID, len(o.Captured), typ, !want, want)
			}
		}
	}
	for k := range got {
		typ, id, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(k, "com.ledyer.order."), "com.ledyer."), " ")
		if !seen[typ+" "+id] {
			t.Errorf("notification %s about nothing the workers made", k)
		}
	}
	if len(sessions) < 40 || orders.Load() < 40 {
		t.Errorf("only %d sessions, %d orders before the kill", len(sessions), orders.Load())
	}
	t.Logf("%d sessions, %d orders acknowledged before SIGKILL; %d distinct notifications delivered", len(sessions), orders.Load(), len(got))
}

var crashLine = map[string]any{
	"type": "physical", "reference": "A", "description": "Item A", "quantity": 1, "unitPrice": 10000,
	"vat": 2500, "totalAmount": 10000, "totalVatAmount": 2000,
}

var crashBuyer = map[string]any{
	"companyId": "559311-3714", "email": "buyer@example.com", "firstName": "Sven", "lastName": "Svensson",
	"billingAddress": map[string]any{"companyName": "Buyer AB", "streetAddress": "Sveavägen 49", "postalCode": "11359", "city": "Stockholm", "country": "SE"},
}

func crashCart(notifyURL string) map[string]any {
	return map[string]any{
		"country": "SE", "currency": "SEK", "locale": "sv-SE", "reference": "crash",
		"orderLines": []any{crashLine}, "totalOrderAmount": 10000, "totalOrderVatAmount": 2000, "totalOrderAmountExclVat": 8000,
		"settings": map[string]any{"urls": map[string]any{"notification": notifyURL}},
	}
}

func withBuyer(c map[string]any) map[string]any {
	c["customer"] = crashBuyer
	return c
}

// crashReceiver records the notifications it is sent, by type and the
// session or order they concern; it always answers 200.
type crashReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string]bool
}

func newCrashReceiver(t *testing.T) *crashReceiver {
	r := &crashReceiver{got: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var n struct{ EventType, OrderID, SessionID string }
		if err := json.NewDecoder(req.Body).Decode(&n); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if n.OrderID != "" {
			r.got[n.EventType+" "+n.OrderID] = true
		} else {
			r.got[n.EventType+" "+n.SessionID] = true
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *crashReceiver) snapshot() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

// crashClient calls the API as the sandbox merchant.
type crashClient struct {
	t        *testing.T
	base     string
	id, pw   string
	mu       sync.Mutex
	token    string
	progress chan struct{}
}

func (c *crashClient) bearer() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" {
		return c.token
	}
	req, _ := http.NewRequest("POST", c.base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(c.id, c.pw)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	c.token = out.AccessToken
	return c.token
}

// post sends body and returns field of a 2xx answer; ok is false when the
// server did not answer (it was killed) or refused.
func (c *crashClient) post(path string, body any, field string) (string, bool) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.bearer())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode/100 != 2 {
		c.t.Errorf("POST %s = %d %v", path, resp.StatusCode, out)
		return "", false
	}
	select {
	case c.progress <- struct{}{}:
	default:
	}
	if field == "" {
		return "", true
	}
	v, _ := out[field].(string)
	return v, v != ""
}

func (c *crashClient) waitProgress() { <-c.progress }

func (c *crashClient) get(path string, v any) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.bearer())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		c.t.Fatal(err)
	}
}

// waitDelivered waits until no notification is pending. Deliveries the
// killed process had claimed wait for their lease (3 × 2 s) to end.
func (c *crashClient) waitDelivered() { waitForDeliveries(c.t, c.get) }

// waitForDeliveries polls the notifications API through get until none is
// pending, failing the test if one failed or a minute passes.
func waitForDeliveries(t *testing.T, get func(path string, v any)) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(60 * time.Second)
	for {
		var pending, failed struct{ Data []any }
		get("/v1/notifications?status=pending&limit=100", &pending)
		get("/v1/notifications?status=failed&limit=100", &failed)
		if len(failed.Data) > 0 {
			t.Fatalf("%d notifications failed: %v", len(failed.Data), failed.Data)
		}
		if len(pending.Data) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("%d notifications still pending after a minute", len(pending.Data))
		}
	}
}
