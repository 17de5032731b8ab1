package client

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const eventStream = "text/event-stream"

// streamIdle is how long a stream may stay silent before it is taken for
// dead and opened again: Kassa sends a heartbeat every 15 seconds.
const streamIdle = time.Minute

// NotificationStream is the merchant's notifications as Kassa writes
// them (GET /v1/notifications/stream, server-sent events). A dropped
// connection is opened again from the last notification received, so a
// stream delivers each notification at least once; de-duplicate on ID.
// It is not safe for concurrent use.
type NotificationStream struct {
	c      *Client
	ctx    context.Context
	cursor string

	cancel  context.CancelFunc // ends the connection, if open
	lines   *bufio.Scanner
	idle    *time.Timer
	failing int // connections that failed in a row
}

// StreamNotifications opens the merchant's notification stream: the
// notifications written from now on, or with a cursor (a stream's
// Cursor), those after it. It returns once Kassa streams; the stream ends
// with ctx.
func (c *Client) StreamNotifications(ctx context.Context, cursor string) (*NotificationStream, error) {
	s := &NotificationStream{c: c, ctx: ctx, cursor: cursor}
	if err := s.connect(); err != nil {
		return nil, err
	}
	return s, nil
}

// Cursor is the position after the last notification Next returned: give
// it to StreamNotifications to go on from there.
func (s *NotificationStream) Cursor() string { return s.cursor }

// Close ends the stream.
func (s *NotificationStream) Close() error {
	s.disconnect()
	return nil
}

// Next waits for the next notification. It opens the connection again,
// for as long as the stream's context lasts, whenever it drops or the
// server ends it (a restart); it fails with the context's error, or an
// API error that trying again would not mend (a revoked client, say).
func (s *NotificationStream) Next() (*Notification, error) {
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		if s.lines != nil {
			n, err := s.read()
			if n != nil || err != nil {
				return n, err
			}
			s.disconnect()
		}
		if s.failing > 0 {
			t := time.NewTimer(s.c.retry.wait(s.failing))
			select {
			case <-s.ctx.Done():
				t.Stop()
				return nil, s.ctx.Err()
			case <-t.C:
			}
		}
		if err := s.connect(); err != nil && !Transient(err) && s.ctx.Err() == nil {
			return nil, err
		}
	}
}

// connect opens a connection from the cursor.
func (s *NotificationStream) connect() error {
	ctx, cancel := context.WithCancel(s.ctx)
	q := url.Values{}
	set(q, "cursor", s.cursor)
	resp, err := s.c.open(ctx, &request{method: http.MethodGet, path: "/v1/notifications/stream", query: q, accept: eventStream}, nil)
	if err != nil {
		cancel()
		s.failing++
		return err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, eventStream) {
		resp.Body.Close()
		cancel()
		return fmt.Errorf("the notification stream answered %q, not %s", ct, eventStream)
	}
	s.lines = bufio.NewScanner(resp.Body)
	s.lines.Buffer(make([]byte, 0, 64<<10), 4<<20)
	s.idle = time.AfterFunc(streamIdle, cancel) // silence: the connection is gone
	s.cancel = func() {
		cancel()
		resp.Body.Close()
	}
	return nil
}

func (s *NotificationStream) disconnect() {
	if s.cancel != nil {
		s.idle.Stop()
		s.cancel()
	}
	s.cancel, s.lines = nil, nil
}

// read reads events until a notification: nil when the connection ends.
func (s *NotificationStream) read() (*Notification, error) {
	var id, event string
	var data []string
	for s.lines.Scan() {
		s.idle.Reset(streamIdle)
		line := s.lines.Text()
		if line == "" { // the event is complete
			if event == "notification" && len(data) > 0 {
				var n Notification
				if err := decode([]byte(strings.Join(data, "\n")), &n); err != nil {
					return nil, fmt.Errorf("decoding a streamed notification: %w", err)
				}
				s.cursor, s.failing = id, 0
				return &n, nil
			}
			event, data = "", nil
			continue
		}
		if strings.HasPrefix(line, ":") { // a comment: the heartbeat
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			event = value
		case "data":
			data = append(data, value)
		}
	}
	s.failing++ // until a notification comes through again, reconnect after a backoff
	return nil, nil
}
