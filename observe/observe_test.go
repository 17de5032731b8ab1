package observe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/observe/observetest"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// Requests are counted by route without its method; a request no route
// matched as unrouted, a method no route takes as OTHER, so that what a
// client sends cannot add series.
func TestRequestLabels(t *testing.T) {
	m := observe.New()
	m.Request(http.MethodGet, "GET /v1/orders/{orderId}", 200, 3*time.Millisecond)
	m.Request(http.MethodHead, "GET /v1/orders/{orderId}", 200, time.Millisecond)
	m.Request("PROPFIND", "", 405, time.Millisecond)
	m.Request("X-"+strings.Repeat("Y", 100), "", 405, time.Millisecond)
	got := observetest.Scrape(t, m.Handler())
	for name, want := range map[string]float64{
		`kassa_http_requests_total{code="200",method="GET",route="/v1/orders/{orderId}"}`:                  1,
		`kassa_http_requests_total{code="200",method="HEAD",route="/v1/orders/{orderId}"}`:                 1,
		`kassa_http_requests_total{code="405",method="OTHER",route="unrouted"}`:                            2,
		`kassa_http_request_duration_seconds_bucket{method="GET",route="/v1/orders/{orderId}",le="0.005"}`: 1,
		`kassa_http_request_duration_seconds_bucket{method="GET",route="/v1/orders/{orderId}",le="0.001"}`: 0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present: %v), want %v", name, v, ok, want)
		}
	}
	if got.Sum("go_goroutines") == 0 || got.Sum("process_start_time_seconds") == 0 {
		t.Error("the Go runtime's and the process's metrics are missing")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "WARN": slog.LevelWarn, "Error": slog.LevelError} {
		if got, err := observe.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "warning", "trace", "info+2", "-4", "fatal"} {
		_, err := observe.ParseLevel(in)
		if err == nil || !strings.Contains(err.Error(), "none of debug, info, warn, error") {
			t.Errorf("ParseLevel(%q) = %v, want an error naming the levels", in, err)
		}
	}
}

// A line logged with a request's context carries its ID, and keeps the
// logger's attributes; one without a request has none.
func TestLoggerRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := observe.NewLogger(&buf, slog.LevelInfo).With("component", "test")
	ctx := provider.WithActor(t.Context(), provider.Actor{RequestID: "req-1", Source: "192.0.2.1"})
	log.InfoContext(ctx, "inside")
	log.InfoContext(t.Context(), "outside")
	log.DebugContext(ctx, "below the level")
	var lines []map[string]any
	for l := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0]["request_id"] != "req-1" || lines[0]["component"] != "test" || lines[1]["request_id"] != nil {
		t.Errorf("lines %v, want inside with request_id req-1, outside without, both with component", lines)
	}
}

// backends runs test on a fresh SQLite store and, when the test database
// is configured, a PostgreSQL one.
func backends(t *testing.T, test func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db)
	})
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.Open(t)) })
}

// The backlog's gauges show the queued deliveries per merchant and
// endpoint (the sessions' URLs as session_url) and the queued mail, aged
// by the clock; the store's connections and commits are there too.
func TestWatchStore(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		clock := kassatest.NewClock(t0)
		ctx := t.Context()
		n := &notify.Notification{ID: "nt_1", MerchantID: "ac_1", Type: notify.OrderCreate, OrderID: "or_1", SessionID: "ps_1", Body: []byte(`{}`), CreatedAt: t0}
		ds := []notify.Delivery{
			{ID: "nd_1", URL: "https://shop.example/notify", NextAt: t0},
			{ID: "nd_2", EndpointID: "ne_1", URL: "https://hooks.example/in", NextAt: t0},
		}
		mail := &store.Mail{ID: "mail_1", MerchantID: "ac_1", MessageID: "<1@kassa>", To: []string{"a@example.com"}, Subject: "Invoice", NextAt: t0, CreatedAt: t0}
		err := st.Update(ctx, func(tx store.Tx) error {
			if err := tx.CreateNotification(ctx, n, ds); err != nil {
				return err
			}
			return tx.EnqueueMails(ctx, mail)
		})
		if err != nil {
			t.Fatal(err)
		}
		m := observe.New()
		m.WatchStore(st, clock)
		clock.Advance(time.Minute)
		got := observetest.Scrape(t, m.Handler())
		for name, want := range map[string]float64{
			`kassa_backlog_up`: 1,
			`kassa_notification_deliveries_pending{endpoint="session_url",merchant="ac_1"}`:                1,
			`kassa_notification_deliveries_pending{endpoint="ne_1",merchant="ac_1"}`:                       1,
			`kassa_notification_deliveries_oldest_pending_seconds{endpoint="ne_1",merchant="ac_1"}`:        60,
			`kassa_notification_deliveries_oldest_pending_seconds{endpoint="session_url",merchant="ac_1"}`: 60,
			`kassa_mails_queued`:                      1,
			`kassa_mails_oldest_queued_seconds`:       60,
			`kassa_documents_unnumbered`:              0,
			`kassa_store_commits_total`:               1,
			`kassa_store_updates_total`:               1,
			`kassa_store_updates_queued`:              0,
			`kassa_store_connections{state="in_use"}`: 0,
		} {
			if v, ok := got[name]; !ok || v != want {
				t.Errorf("%s = %v (present: %v), want %v", name, v, ok, want)
			}
		}
		if got[`kassa_store_connections_max`] < 1 {
			t.Errorf("kassa_store_connections_max = %v", got[`kassa_store_connections_max`])
		}
	})
}

// brokenViews is a store whose read transactions fail.
type brokenViews struct{ store.Store }

func (brokenViews) View(context.Context, func(store.ReadTx) error) error {
	return errors.New("database unreachable")
}

// A backlog that cannot be read leaves its gauges out and says so; the
// scrape still answers, with every other metric.
func TestWatchStoreUnreadable(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := observe.New()
	m.WatchStore(brokenViews{db}, kassatest.NewClock(time.Now()))
	got := observetest.Scrape(t, m.Handler())
	if v, ok := got[`kassa_backlog_up`]; !ok || v != 0 {
		t.Errorf("kassa_backlog_up = %v (present: %v), want 0", v, ok)
	}
	if _, ok := got[`kassa_mails_queued`]; ok {
		t.Error("kassa_mails_queued is answered without the backlog")
	}
	if _, ok := got[`kassa_store_commits_total`]; !ok {
		t.Error("the store's commits are missing")
	}
}
