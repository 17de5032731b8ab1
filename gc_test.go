package kassa_test

import (
	"testing"

	"github.com/kassa-pay/kassa"
)

// TestGCPercent: kassa serve sets the collector's target to GCPercent
// unless the operator chose one with GOGC, which the runtime applied.
func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		gogc   string
		want   int
		wantOK bool
	}{
		{"", kassa.GCPercent, true},
		{"100", 0, false},
		{"off", 0, false},
	} {
		got, ok := kassa.ServeGCPercent(func(name string) string {
			if name == "GOGC" {
				return tc.gogc
			}
			return ""
		})
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("GOGC=%q: ServeGCPercent = %d, %t; want %d, %t", tc.gogc, got, ok, tc.want, tc.wantOK)
		}
	}
}
