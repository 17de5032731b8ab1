package limit_test

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/limit"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func TestDelay(t *testing.T) {
	for _, tt := range []struct {
		rule limit.Backoff
		n    int
		want time.Duration
	}{
		{limit.ClientBackoff, 0, 0},
		{limit.ClientBackoff, 4, 0},
		{limit.ClientBackoff, 5, time.Minute},
		{limit.ClientBackoff, 6, 2 * time.Minute},
		{limit.ClientBackoff, 9, 16 * time.Minute},
		{limit.ClientBackoff, 10, 30 * time.Minute}, // 32 minutes, capped
		{limit.ClientBackoff, 1000, 30 * time.Minute},
		{limit.SourceBackoff, 19, 0},
		{limit.SourceBackoff, 20, time.Second},
		{limit.SourceBackoff, 30, 1024 * time.Second},
		{limit.SourceBackoff, 31, 30 * time.Minute},
		{limit.BadTokenBackoff, 19, 0},
		{limit.BadTokenBackoff, 20, time.Second},
		{limit.BadTokenBackoff, 25, 32 * time.Second},
		{limit.BadTokenBackoff, 26, time.Minute}, // 64 seconds, capped
		{limit.Backoff{After: 1, Base: 3 * time.Second, Max: 10 * time.Second}, 2, 6 * time.Second},
		{limit.Backoff{After: 1, Base: 3 * time.Second, Max: 10 * time.Second}, 3, 10 * time.Second},
	} {
		if got := tt.rule.Delay(tt.n); got != tt.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.rule, tt.n, got, tt.want)
		}
	}
}

// step is one credential check against a Guard: begun at at from source
// with client id client, and ended as outcome at once ("fail", "ok",
// "error"), or held open ("hold") until a later step "end fail" or
// "end ok" ends every held check. want is Begin's wait (0: it began).
type step struct {
	at      time.Duration
	client  string
	source  string
	outcome string
	want    time.Duration
}

// fails is n failed checks of client from source at at; "*" as the
// client makes each one's client id different.
func fails(n int, at time.Duration, client, source string) []step {
	var s []step
	for i := range n {
		c := client
		if c == "*" {
			c = fmt.Sprintf("cl_guess%d", i)
		}
		s = append(s, step{at, c, source, "fail", 0})
	}
	return s
}

func steps(parts ...any) []step {
	var s []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			s = append(s, p)
		case []step:
			s = append(s, p...)
		}
	}
	return s
}

const (
	ip1 = "192.0.2.1"
	ip2 = "192.0.2.2"
)

func TestGuard(t *testing.T) {
	minute, sec := time.Minute, time.Second
	tests := []struct {
		name  string
		steps []step
	}{
		{"a client id waits after 5 failures, right secret or not, then a success forgets them", steps(
			fails(5, 0, "cl_a", ip1),
			step{0, "cl_a", ip1, "ok", minute},
			step{59 * sec, "cl_a", ip1, "ok", sec},
			step{minute, "cl_a", ip1, "ok", 0},
			fails(4, minute, "cl_a", ip1),
			step{minute, "cl_a", ip1, "ok", 0}, // 4 failures since the success: no wait
		)},
		{"the wait doubles with each failure", steps(
			fails(5, 0, "cl_a", ip1),
			step{minute, "cl_a", ip1, "fail", 0},
			step{minute, "cl_a", ip1, "ok", 2 * minute},
			step{3 * minute, "cl_a", ip1, "fail", 0},
			step{3 * minute, "cl_a", ip1, "ok", 4 * minute},
		)},
		{"other client ids from the same address are not held back", steps(
			fails(5, 0, "cl_a", ip1),
			step{0, "cl_b", ip1, "ok", 0},
		)},
		{"a day without failure forgets a client id's failures", steps(
			fails(5, 0, "cl_a", ip1),
			step{24 * time.Hour, "cl_a", ip1, "fail", 0},
			fails(3, 24*time.Hour, "cl_a", ip1),
			step{24 * time.Hour, "cl_a", ip1, "fail", 0}, // the 5th since
			step{24 * time.Hour, "cl_a", ip1, "ok", minute},
		)},
		{"an address waits after 20 failures whichever client ids they named", steps(
			fails(20, 0, "*", ip1),
			step{0, "cl_new", ip1, "ok", sec},
			step{0, "cl_new", ip2, "ok", 0},
			step{sec, "cl_new", ip1, "fail", 0},
			step{sec, "cl_other", ip1, "fail", 2 * sec},
		)},
		{"no client id counts for the address only", steps(
			fails(20, 0, "", ip1),
			step{0, "", ip1, "fail", sec},
			step{0, "", ip2, "fail", 0},
		)},
		{"a success does not forget an address's failures", steps(
			fails(19, 0, "*", ip1),
			step{0, "cl_good", ip1, "ok", 0},
			step{0, "cl_x", ip1, "fail", 0},
			step{0, "cl_good", ip1, "ok", sec},
		)},
		{"an hour without failure forgets an address's failures", steps(
			fails(20, 0, "*", ip1),
			step{time.Hour, "cl_x", ip1, "ok", 0},
		)},
		{"an IPv6 address counts for its /64", steps(
			fails(10, 0, "*", "2001:db8::1"),
			fails(10, 0, "*", "2001:db8::ffff:2"),
			step{0, "cl_x", "2001:db8::3", "ok", sec},
			step{0, "cl_x", "2001:db8:0:1::1", "ok", 0},
		)},
		{"an IPv4-mapped IPv6 address is the IPv4 address", steps(
			fails(20, 0, "*", "::ffff:"+ip1),
			step{0, "cl_x", ip1, "ok", sec},
		)},
		{"checks without an answer count for nothing", steps(
			step{0, "cl_a", ip1, "error", 0}, step{0, "cl_a", ip1, "error", 0}, step{0, "cl_a", ip1, "error", 0},
			step{0, "cl_a", ip1, "error", 0}, step{0, "cl_a", ip1, "error", 0}, step{0, "cl_a", ip1, "error", 0},
			fails(4, 0, "cl_a", ip1),
			step{0, "cl_a", ip1, "ok", 0},
		)},
		{"checks at once cannot outrun the rule", steps(
			step{0, "cl_a", ip1, "hold", 0}, step{0, "cl_a", ip1, "hold", 0}, step{0, "cl_a", ip1, "hold", 0},
			step{0, "cl_a", ip1, "hold", 0}, step{0, "cl_a", ip1, "hold", 0},
			step{0, "cl_a", ip1, "hold", sec}, // five under way: the sixth waits for them
			step{0, "cl_a", ip2, "hold", sec},
			step{0, "", "", "end fail", 0},
			step{0, "cl_a", ip1, "ok", minute},
		)},
		{"past the threshold, one check at a time", steps(
			fails(5, 0, "cl_a", ip1),
			step{minute, "cl_a", ip1, "hold", 0},
			step{minute, "cl_a", ip1, "ok", sec},
			step{minute, "", "", "end ok", 0},
			step{minute, "cl_a", ip1, "ok", 0},
		)},
		{"checks under way count until they end", steps(
			fails(3, 0, "cl_a", ip1),
			step{0, "cl_a", ip1, "hold", 0}, step{0, "cl_a", ip1, "hold", 0},
			step{0, "cl_a", ip1, "ok", sec},
			step{0, "", "", "end ok", 0},
			fails(4, 0, "cl_a", ip1),
			step{0, "cl_a", ip1, "ok", 0},
		)},
		{"the longer wait of client id and address is the answer", steps(
			fails(19, 0, "*", ip1),
			fails(5, 0, "cl_a", ip2),
			step{0, "cl_x", ip1, "fail", 0}, // the address's 20th
			step{0, "cl_a", ip1, "ok", minute},
			step{minute, "cl_a", ip1, "ok", 0},
		)},
		{"a clock set back waits no longer than the delay", steps(
			fails(5, time.Hour, "cl_a", ip1),
			step{0, "cl_a", ip1, "ok", minute},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := limit.NewGuard(limit.ClientBackoff, limit.SourceBackoff, limit.MaxKeys)
			var held []limit.Check
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.outcome == "end fail" || s.outcome == "end ok" {
					for _, c := range held {
						if s.outcome == "end fail" {
							c.Failed(now)
						} else {
							c.Succeeded(now)
						}
					}
					held = nil
					continue
				}
				c, wait := g.Begin(s.client, netip.MustParseAddr(or(s.source, ip1)), now)
				if wait != s.want {
					t.Fatalf("step %d: Begin(%q, %s) at +%v = %v, want %v", i, s.client, s.source, s.at, wait, s.want)
				}
				if wait > 0 {
					continue
				}
				switch s.outcome {
				case "fail":
					c.Failed(now)
				case "ok":
					c.Succeeded(now)
				case "error":
					c.Abandoned(now)
				case "hold":
					held = append(held, c)
				}
			}
		})
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestFailedReturnsTheDelay(t *testing.T) {
	g := limit.NewGuard(limit.ClientBackoff, limit.SourceBackoff, limit.MaxKeys)
	src := netip.MustParseAddr(ip1)
	for i, want := range []time.Duration{0, 0, 0, 0, time.Minute} {
		c, _ := g.Begin("cl_a", src, t0)
		if got := c.Failed(t0); got != want {
			t.Errorf("failure %d: Failed = %v, want %v", i+1, got, want)
		}
	}
}

// Guesses sent at once get no more tries than guesses sent one by one.
func TestGuardConcurrent(t *testing.T) {
	g := limit.NewGuard(limit.ClientBackoff, limit.SourceBackoff, limit.MaxKeys)
	src := netip.MustParseAddr(ip1)
	var began atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if c, wait := g.Begin("cl_a", src, t0); wait == 0 {
				began.Add(1)
				c.Failed(t0)
			}
		})
	}
	wg.Wait()
	if n := began.Load(); n < 1 || n > int64(limit.ClientBackoff.After) {
		t.Errorf("%d of 200 guesses at once were checked, want 1 to %d", n, limit.ClientBackoff.After)
	}
}

// A full table counts no new key until its keys can be forgotten.
func TestFailuresFull(t *testing.T) {
	rule := limit.Backoff{After: 2, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	f := limit.NewFailures(rule, 2)
	fail := func(key string, at time.Duration) time.Duration {
		t.Helper()
		now := t0.Add(at)
		if wait := f.Begin(key, now); wait > 0 {
			return wait
		}
		f.End(key, now, true, false)
		return 0
	}
	fail("a", 0)
	fail("b", time.Minute)
	for i := range 5 {
		if wait := fail("c", 0); wait != 0 {
			t.Fatalf("c's failure %d in a full table: wait %v, want 0 (uncounted)", i+1, wait)
		}
	}
	fail("a", 0) // a's second: a counts as before
	if wait := fail("a", 0); wait != time.Second {
		t.Errorf("a after two failures waits %v, want 1s", wait)
	}
	// An hour after a's last failure, a is forgotten and c counts.
	fail("c", time.Hour)
	fail("c", time.Hour)
	if wait := fail("c", time.Hour); wait != time.Second {
		t.Errorf("c once a was forgotten waits %v, want 1s", wait)
	}
}

// take is one request of key at at, and the wait Take answers.
type take struct {
	key      string
	at, want time.Duration
}

func TestQuotas(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		takes []take
	}{
		{"a burst, then the rate", []take{
			{"m1", 0, 0}, {"m1", 0, 0}, {"m1", 0, 0},
			{"m1", 0, 500 * ms},
			{"m1", 250 * ms, 250 * ms},
			{"m1", 500 * ms, 0},
			{"m1", 500 * ms, 500 * ms},
			{"m1", 1000 * ms, 0},
		}},
		{"keys are independent", []take{
			{"m1", 0, 0}, {"m1", 0, 0}, {"m1", 0, 0}, {"m1", 0, 500 * ms},
			{"m2", 0, 0}, {"m2", 0, 0}, {"m2", 0, 0}, {"m2", 0, 500 * ms},
		}},
		{"an idle bucket fills up to the burst only", []take{
			{"m1", 0, 0},
			{"m1", time.Hour, 0}, {"m1", time.Hour, 0}, {"m1", time.Hour, 0},
			{"m1", time.Hour, 500 * ms},
		}},
		{"a clock set back refills nothing", []take{
			{"m1", time.Second, 0}, {"m1", time.Second, 0}, {"m1", time.Second, 0},
			{"m1", 0, 500 * ms},
			{"m1", time.Second + 500*ms, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := limit.NewQuotas(limit.Quota{Rate: 2, Burst: 3})
			for i, tk := range tt.takes {
				if got := q.Take(tk.key, t0.Add(tk.at)); got != tk.want {
					t.Fatalf("take %d: Take(%q) at +%v = %v, want %v", i, tk.key, tk.at, got, tk.want)
				}
			}
		})
	}
}
