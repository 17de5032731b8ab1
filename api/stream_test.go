package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/provider"
)

// sse is a notification stream as a client reads it: its lines, one
// event or comment at a time.
type sse struct {
	t     testing.TB
	resp  *http.Response
	lines chan string // closed when the stream ends
}

// stream opens GET /v1/notifications/stream as c with the given query and
// headers.
func (e *env) stream(c *creds, query string, header map[string]string) *sse {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), "GET", e.http.URL+"/v1/notifications/stream"+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token(c))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	s := &sse{t: e.t, resp: resp, lines: make(chan string, 100)}
	e.t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// event is one server-sent event.
type event struct {
	id, name, data string
	comment        bool
}

// next reads the next event or comment; it fails the test if none comes
// within 5 seconds, and reports false if the stream ended.
func (s *sse) next() (event, bool) {
	s.t.Helper()
	var ev event
	timeout := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-s.lines:
			switch {
			case !ok:
				return ev, false
			case l == "":
				return ev, true
			case strings.HasPrefix(l, ":"):
				ev.comment = true
			default:
				field, value, _ := strings.Cut(l, ": ")
				switch field {
				case "id":
					ev.id = value
				case "event":
					ev.name = value
				case "data":
					ev.data = value
				}
			}
		case <-timeout:
			s.t.Fatal("no event within 5 seconds")
		}
	}
}

// notification reads events until a notification and returns it.
func (s *sse) notification() (string, notificationOut) {
	s.t.Helper()
	for {
		ev, ok := s.next()
		if !ok {
			s.t.Fatal("the stream ended")
		}
		if ev.comment {
			continue
		}
		if ev.name != "notification" || ev.id == "" {
			s.t.Fatalf("event %+v, want a notification with an id", ev)
		}
		var n notificationOut
		if err := json.Unmarshal([]byte(ev.data), &n); err != nil {
			s.t.Fatalf("event data %s: %v", ev.data, err)
		}
		return ev.id, n
	}
}

// TestNotificationStream: the stream sends the merchant's own
// notifications written after it opened, each as its list entry with a
// cursor to go on from (as ?cursor= or Last-Event-ID), heartbeats in
// between, and ends when the server ends its streams.
func TestNotificationStream(t *testing.T) {
	e := newEnv(t, withConfig(func(c *api.Config) { c.StreamHeartbeat = 20 * time.Millisecond }))
	e.order(cart(line("A", 1, 1000))) // before: not streamed
	s := e.stream(&e.a, "", nil)
	if h := s.resp.Header; s.resp.StatusCode != 200 || h.Get("Content-Type") != "text/event-stream" || h.Get("Cache-Control") != "no-store" || h.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("stream = %d %v", s.resp.StatusCode, h)
	}
	if ev, _ := s.next(); !ev.comment {
		t.Fatalf("first event %+v, want the opening comment", ev)
	}
	if ev, _ := s.next(); !ev.comment {
		t.Fatalf("an idle stream sent %+v, want a heartbeat", ev)
	}

	e.orderAs(&e.b, cart(line("B", 1, 1000))) // merchant B's is not A's
	id := e.order(cart(line("C", 2, 1000)))
	var cursors []string
	var got []string
	for range 3 { // authorization.create, order.create, ready_for_capture
		c, n := s.notification()
		cursors = append(cursors, c)
		got = append(got, n.EventType)
		if n.EventType != "com.ledyer.authorization.create" && n.OrderID != id {
			t.Errorf("streamed %s of order %s, want order %s's", n.EventType, n.OrderID, id)
		}
		if n.Status != "delivered" && n.Status != "pending" || len(n.Payload) == 0 {
			t.Errorf("streamed %+v, want its status and payload", n)
		}
	}
	want := []string{"com.ledyer.authorization.create", "com.ledyer.order.create", "com.ledyer.order.ready_for_capture"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("streamed %v, want %v", got, want)
	}

	// Going on from the first of them, by query or by Last-Event-ID.
	for _, again := range []*sse{e.stream(&e.a, "?cursor="+cursors[0], nil), e.stream(&e.a, "", map[string]string{"Last-Event-ID": cursors[0]})} {
		for _, w := range want[1:] {
			if _, n := again.notification(); n.EventType != w {
				t.Errorf("from the cursor: %s, want %s", n.EventType, w)
			}
		}
	}

	e.srv.EndStreams()
	for {
		if _, ok := s.next(); !ok {
			break
		}
	}
}

// TestNotificationStreamScope: the stream is the merchant's own, and a
// read client may follow it; a bad cursor is a 400, a missing token a 401, and
// a merchant has at most provider.MaxFeeds streams.
func TestNotificationStreamScope(t *testing.T) {
	e := newEnv(t)
	var reader struct{ ClientID, ClientSecret string }
	e.must(201, request{method: "POST", path: "/v1/api-clients", body: map[string]any{"name": "listen", "scope": "read"}, as: &e.b}).decode(t, &reader)
	b := e.stream(&creds{e.b.merchantID, reader.ClientID, reader.ClientSecret}, "", nil)
	b.next()
	e.order(cart(line("A", 1, 1000)))
	id := e.orderAs(&e.b, cart(line("B", 1, 1000)))
	if _, n := b.notification(); n.EventType != "com.ledyer.authorization.create" {
		t.Errorf("merchant B's stream sent %+v first, want its authorization", n)
	}
	if _, n := b.notification(); n.OrderID != id {
		t.Errorf("merchant B's stream sent %+v, want its order %s", n, id)
	}
	e.must(400, request{method: "GET", path: "/v1/notifications/stream?cursor=nonsense"})
	resp, err := http.Get(e.http.URL + "/v1/notifications/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("without a token = %d, want 401", resp.StatusCode)
	}
	for range provider.MaxFeeds - 1 { // the read client's is the first
		e.stream(&e.b, "", nil).next()
	}
	if r := e.do(request{method: "GET", path: "/v1/notifications/stream", as: &e.b}); r.status != 429 || r.code() != "rate_limited" {
		t.Errorf("stream %d = %d %s, want 429", provider.MaxFeeds+1, r.status, r.body)
	}
}
