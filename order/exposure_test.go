package order_test

import "testing"

func TestExposure(t *testing.T) {
	full := int64(500000 + 4900 + 2*12000)
	for name, want := range map[string]int64{
		"ready":              full,
		"cancelled":          0,
		"partially captured": full,
		"fully captured":     full,
	} {
		t.Run(name, func(t *testing.T) {
			if got := states[name](t, newClock()).Exposure(); got != want {
				t.Errorf("Exposure() = %d, want %d", got, want)
			}
		})
	}
	t.Run("fully refunded", func(t *testing.T) {
		c := newClock()
		o := states["fully captured"](t, c)
		o = must(t, "Refund")(o.Refund(c.env(), o.Captured[0].LedgerID, ""))
		if got := o.Exposure(); got != 0 {
			t.Errorf("Exposure() = %d, want 0", got)
		}
	})
}
