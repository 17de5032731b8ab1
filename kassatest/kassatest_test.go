package kassatest_test

import (
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
)

var (
	_ kassa.Clock = (*kassatest.Clock)(nil)
	_ kassa.IDs   = (*kassatest.IDs)(nil)
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := kassatest.NewClock(t0)
	for range 2 {
		if !c.Now().Equal(t0) {
			t.Fatalf("Now = %v, want %v while the clock stands", c.Now(), t0)
		}
	}
	c.Advance(time.Minute)
	if want := t0.Add(time.Minute); !c.Now().Equal(want) {
		t.Errorf("Now after Advance = %v, want %v", c.Now(), want)
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Errorf("Now after Set = %v, want %v", c.Now(), t0)
	}
}

func TestIDs(t *testing.T) {
	var g kassatest.IDs
	if a, b := g.New("or_"), g.New("ps_"); a != "or_00000000000000000001" || b != "ps_00000000000000000002" {
		t.Errorf("IDs = %q, %q", a, b)
	}
	w := kassatest.IDs{Digits: 27}
	if id := w.New("ac_"); len(id) != 30 {
		t.Errorf("27-digit ID %q has length %d", id, len(id))
	}
}
