package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
)

// cuttable is an HTTP client whose connections a test can cut, as a
// network failure does.
type cuttable struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (c *cuttable) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.mu.Lock()
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
		}
		return conn, err
	}}}
}

func (c *cuttable) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

// next reads n notifications and returns their IDs, sorted.
func next(t *testing.T, s *client.NotificationStream, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		x, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}
	slices.Sort(ids)
	return ids
}

// A stream whose connection drops opens it again from where it was: it
// goes on with what was written since, and repeats nothing. A stream
// opened with its cursor does the same.
func TestStreamReconnects(t *testing.T) {
	k := newKassa(t)
	net := &cuttable{}
	c := k.client(client.WithHTTPClient(net.client()), client.WithRetry(client.Retry{Attempts: 2, Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s, err := c.StreamNotifications(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	placeOrder(c)
	first := next(t, s, 3)

	net.cut()
	placeOrder(c)
	second := next(t, s, 3)
	if slices.ContainsFunc(second, func(id string) bool { return slices.Contains(first, id) }) {
		t.Errorf("after the connection dropped the stream sent %v again of %v", second, first)
	}

	resumed, err := c.StreamNotifications(ctx, s.Cursor())
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	placeOrder(c)
	if third := next(t, resumed, 3); slices.ContainsFunc(third, func(id string) bool { return slices.Contains(second, id) }) {
		t.Errorf("a stream from the cursor sent %v again of %v", third, second)
	}

	cancel()
	if _, err := s.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after its context ended = %v", err)
	}
}

// A stream that cannot be opened again for good (its client revoked)
// fails instead of trying for ever.
func TestStreamRevoked(t *testing.T) {
	k := newKassa(t)
	ctx := t.Context()
	owner := k.client()
	reader, err := owner.CreateAPIClient(ctx, client.APIClientParams{Name: "listen", Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	net := &cuttable{}
	c := client.New(k.URL, reader.ClientID, reader.ClientSecret, client.WithHTTPClient(net.client()))
	s, err := c.StreamNotifications(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := owner.RevokeAPIClient(ctx, reader.ClientID); err != nil {
		t.Fatal(err)
	}
	net.cut()
	if _, err := s.Next(); !isCode(err, "invalid_client") {
		t.Errorf("Next once the client is revoked = %v, want 401", err)
	}
}
