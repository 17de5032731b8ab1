package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa/observe"
)

// obsFlags are serve's flags for what operators watch: the log's level
// and the metrics' listener (docs/observability.md).
type obsFlags struct {
	level       string
	metricsAddr string
}

func (o *obsFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&o.level, "log-level", or(getenv("KASSA_LOG_LEVEL"), "info"),
		"the least severe log lines written, as JSON to stderr: debug, info, warn or error (KASSA_LOG_LEVEL)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", getenv("KASSA_METRICS_ADDR"),
		"address to serve Prometheus metrics on, at /metrics, apart from the API, such as 127.0.0.1:9090; empty: no metrics (KASSA_METRICS_ADDR)")
}

// parse checks the flags and reads the log level.
func (o *obsFlags) parse() (slog.Level, error) {
	level, err := observe.ParseLevel(o.level)
	if err != nil {
		return level, err
	}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
			return level, fmt.Errorf("metrics address %q is not host:port, such as 127.0.0.1:9090", o.metricsAddr)
		}
	}
	return level, nil
}

// listen opens the metrics' listener; nil without --metrics-addr.
func (o *obsFlags) listen() (net.Listener, error) {
	if o.metricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return ln, nil
}

// metricsServer serves m at /metrics on ln, which nothing else is served
// on: the API's listener never serves metrics, which name merchants and
// their endpoints.
func metricsServer(ln net.Listener, m *observe.Metrics) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go hs.Serve(ln)
	return hs
}

// stopping is why the server stops: the signal that ended ctx, as
// os/signal.NotifyContext words it ("terminated signal received").
func stopping(ctx context.Context) string { return context.Cause(ctx).Error() }
