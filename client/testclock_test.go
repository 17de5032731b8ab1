package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
)

// A test clock read, advanced 15 days (the order expires at once), and
// refused a move back, through the client against a real Kassa of its
// own (the clock is its merchant's).
func TestTestClock(t *testing.T) {
	k := newKassa(t)
	c := k.client()
	ctx := t.Context()
	o := order(t, c, cartOf(chairs(1)), "559311-3714")

	start := must(c.GetTestClock(ctx))
	if start.OffsetSeconds != 0 {
		t.Errorf("a new merchant's clock = %+v, want no offset", start)
	}
	moved := must(c.AdvanceTestClock(ctx, client.AdvanceTestClockParams{Seconds: 15 * 24 * 3600}))
	if moved.OffsetSeconds != 15*24*3600 || moved.Now.Sub(start.Now) < 15*24*time.Hour {
		t.Errorf("advanced clock = %+v, from %+v", moved, start)
	}
	if o = must(c.GetOrder(ctx, o.ID)); len(o.Events) == 0 || o.Events[0].Type != "expire" {
		t.Errorf("events after 15 days = %+v, want expire newest", o.Events)
	}
	_, err := c.AdvanceTestClock(ctx, client.AdvanceTestClockParams{To: start.Now})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Param != "to" {
		t.Errorf("moving the clock back = %v, want 400 on to", err)
	}
	if now := must(c.GetTestClock(ctx)); now.OffsetSeconds != moved.OffsetSeconds {
		t.Errorf("clock after the refused move = %+v, want %+v", now, moved)
	}
}
