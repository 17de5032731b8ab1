package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthCmd asks a running server for its liveness or readiness, for
// container health checks in images that have no HTTP client of their
// own (the Dockerfile's is distroless).
func healthCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("health", "[--url URL] [--ready]",
		"Ask a running Kassa whether it is live (GET /healthz) or, with --ready, ready (GET /readyz: its database answers); "+
			"exit 0 when it answers 200, 1 otherwise.")
	url := fs.String("url", localURL(or(getenv("KASSA_ADDR"), "127.0.0.1:8080")), "base URL of the server; by default KASSA_ADDR's port on the loopback address")
	ready := fs.Bool("ready", false, "ask for readiness (/readyz) rather than liveness (/healthz)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long the server has to answer")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(*url, "/")+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(body)))
	return err
}

// localURL is the URL of a server listening on addr, from the same
// machine: an address that listens on every interface (":8080",
// "0.0.0.0:8080", "[::]:8080") is reached on the loopback address.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
