package load_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/load"
)

func TestOperation(t *testing.T) {
	for path, want := range map[string]string{
		"/v1/orders/or_1/capture":                     "capture",
		"/v1/orders/or_1/partialrefund/le_2":          "partialrefund",
		"/v1/orders/or_1":                             "orders",
		"/v1/payment-sessions":                        "payment-sessions",
		"/v1/sandbox/payment-sessions/ps_1/authorize": "authorize",
		"/oauth/token":                                "token",
	} {
		if got := load.Operation(path); got != want {
			t.Errorf("Operation(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestRecorder(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hs.Close()
	rec := load.NewRecorder(http.DefaultTransport)
	c := &http.Client{Transport: rec}
	for range 3 {
		resp, err := c.Post(hs.URL+"/v1/orders/or_1/capture", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	s := rec.Stats()
	if len(s) != 1 || s["capture"].Count != 3 || s["capture"].P50 <= 0 || s["capture"].P99 < s["capture"].P50 {
		t.Errorf("Stats = %+v, want 3 captures with p99 ≥ p50 > 0", s)
	}
	rec.Reset()
	if s := rec.Stats(); len(s) != 0 {
		t.Errorf("Stats after Reset = %+v", s)
	}
	var sb strings.Builder
	load.Result{Flows: 10, Elapsed: time.Second, Ops: map[string]load.Stats{"capture": {Count: 3, P50: time.Millisecond, P99: 2 * time.Millisecond}}}.Print(&sb)
	if !strings.Contains(sb.String(), "10.0 flows/s") || !strings.Contains(sb.String(), "capture") {
		t.Errorf("Print = %q", sb.String())
	}
}

func TestRepeat(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	if _, err := load.Repeat(50, 4, func() error { mu.Lock(); calls++; mu.Unlock(); return nil }); err != nil || calls != 50 {
		t.Errorf("Repeat(50, 4) made %d calls, error %v; want 50, nil", calls, err)
	}
	boom := errors.New("boom")
	calls = 0
	_, err := load.Repeat(50, 4, func() error {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls >= 50 {
		t.Errorf("Repeat after an error = %v with %d calls, want boom and fewer than 50", err, calls)
	}
}
