package order_test

import (
	"testing"
	"time"

	"github.com/kassa-pay/kassa/order"
)

func TestEnvFor(t *testing.T) {
	changed := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	o := &order.Order{UpdatedAt: changed}
	for _, tt := range []struct {
		name      string
		now, want time.Time
	}{
		{"clock ahead", changed.Add(time.Minute), changed.Add(time.Minute)},
		{"clock at the change", changed, changed},
		{"clock stepped back", changed.Add(-time.Hour), changed},
	} {
		if got := (order.Env{Now: tt.now}).For(o).Now; !got.Equal(tt.want) {
			t.Errorf("%s: Now = %v, want %v", tt.name, got, tt.want)
		}
	}
}
