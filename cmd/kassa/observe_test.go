package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/observe/observetest"
)

func TestServeLogLevelFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want slog.Level
	}{
		{nil, nil, slog.LevelInfo},
		{[]string{"--log-level", "debug"}, nil, slog.LevelDebug},
		{nil, map[string]string{"KASSA_LOG_LEVEL": "ERROR"}, slog.LevelError},
		{[]string{"--log-level", "warn"}, map[string]string{"KASSA_LOG_LEVEL": "debug"}, slog.LevelWarn},
	} {
		c, err := parseServe(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if err != nil || c.logLevel != tt.want {
			t.Errorf("parseServe(%q, %v): level %v, %v; want %v", tt.args, tt.env, c.logLevel, err, tt.want)
		}
	}
	for _, tt := range []struct {
		args []string
		env  map[string]string
		err  string
	}{
		{[]string{"--log-level", "verbose"}, nil, `log level "verbose" is none of debug, info, warn, error`},
		{nil, map[string]string{"KASSA_LOG_LEVEL": "warning"}, `log level "warning" is none of debug, info, warn, error`},
		{[]string{"--metrics-addr", "9090"}, nil, `metrics address "9090" is not host:port`},
	} {
		_, err := parseServe(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("parseServe(%q, %v) = %v, want %q", tt.args, tt.env, err, tt.err)
		}
	}
}

// A metrics address that cannot be listened on stops kassa serve at
// start, saying so.
func TestServeMetricsAddrTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	err = run(t.Context(), []string{"kassa", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--metrics-addr", taken.Addr().String()}, noenv, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "metrics: listen tcp "+taken.Addr().String()) {
		t.Errorf("serve with a taken metrics address = %v, want the listen error", err)
	}
}

// logLinesOf are the JSON lines of a server's log with message msg.
func logLinesOf(t *testing.T, log, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(log) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// With --metrics-addr (here from KASSA_METRICS_ADDR) the metrics are
// served on that loopback port, and the API's listener has no /metrics.
// The log says where the server listens as it starts, then each request
// (the merchant's, its secret nowhere), then why and how long the
// server drained as it stops.
func TestServeMetricsAddr(t *testing.T) {
	dir := t.TempDir()
	stderr := &syncBuffer{}
	env := map[string]string{"KASSA_METRICS_ADDR": "127.0.0.1:0"}
	base, out, stop := startServeLogged(t, dir, func(k string) string { return env[k] }, stderr)
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	var metricsURL string
	for deadline := time.Now().Add(5 * time.Second); metricsURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`Metrics at (http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(out.String()); m != nil {
			metricsURL = m[1]
		}
	}
	if metricsURL == "" {
		t.Fatalf("serve printed no metrics address:\n%s", out)
	}
	creds := regexp.MustCompile(`client id:\s+(\S+)\s+client secret:\s+(\S+)`).FindStringSubmatch(out.String())
	c := client.New(base, creds[1], creds[2])
	if status, _ := c.Do(context.Background(), "GET", "/v1/orders/or_missing", nil, nil); status != 404 {
		t.Fatalf("GET /v1/orders/or_missing = %d", status)
	}

	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s = %d %s", metricsURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got := observetest.Parse(t, string(b))
	for name, want := range map[string]float64{
		`kassa_http_requests_total{code="404",method="GET",route="/v1/orders/{orderId}"}`: 1,
		`kassa_access_tokens_issued_total`:                                                1,
		`kassa_backlog_up`:                                                                1,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /metrics on the API's listener = %d, want 404", resp.StatusCode)
	}

	stop()
	stop = nil
	log := stderr.String()
	started := logLinesOf(t, log, "kassa started")
	if len(started) != 1 || started[0]["mode"] != "sandbox" || started[0]["store"] != "SQLite in "+dir || "http://"+started[0]["addr"].(string) != base ||
		started[0]["public_url"] != base || "http://"+started[0]["metrics_addr"].(string)+"/metrics" != metricsURL || started[0]["version"] == "" {
		t.Errorf("start-up lines %v, want one with the version, mode, store, addresses and public URL", started)
	}
	var seen bool
	for _, l := range logLinesOf(t, log, "request") {
		if l["route"] == "/v1/orders/{orderId}" && l["status"] == float64(404) && l["merchant_id"] != nil && l["request_id"] != nil {
			seen = true
		}
	}
	if !seen {
		t.Errorf("no access log line of the merchant's request:\n%s", log)
	}
	if strings.Contains(log, creds[2]) {
		t.Error("the log holds the client secret")
	}
	shutting, stopped := logLinesOf(t, log, "shutting down"), logLinesOf(t, log, "kassa stopped")
	if len(shutting) != 1 || shutting[0]["signal"] != "context canceled" {
		t.Errorf("shutdown lines %v, want one naming why", shutting)
	}
	if len(stopped) != 1 || stopped[0]["signal"] != "context canceled" || stopped[0]["drained_ms"] == nil {
		t.Errorf("stop lines %v, want one with why and how long it drained", stopped)
	}
}

// --log-level warn leaves out the info lines: the start-up line and the
// access log. Without --metrics-addr no metrics are served.
func TestServeLogLevelWarn(t *testing.T) {
	stderr := &syncBuffer{}
	base, out, stop := startServeLogged(t, t.TempDir(), noenv, stderr, "--log-level", "warn")
	resp, err := http.Get(base + "/v1/orders/or_1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("GET /v1/orders/or_1 = %d, want 401", resp.StatusCode)
	}
	stop()
	if strings.Contains(out.String(), "Metrics at") {
		t.Errorf("metrics served without --metrics-addr:\n%s", out)
	}
	for _, msg := range []string{"kassa started", "request", "kassa stopped"} {
		if ls := logLinesOf(t, stderr.String(), msg); len(ls) != 0 {
			t.Errorf("--log-level warn logged %q: %v", msg, ls)
		}
	}
}
