package kassa_test

import (
	"testing"

	"github.com/kassa-pay/kassa"
)

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"Łódź", 1, ""},  // Ł is two bytes
		{"Łódź", 3, "Ł"}, // Ł and the first byte of ó: back to Ł
		{"Łódź", 4, "Łó"},
		{"", 0, ""},
	} {
		if got := kassa.Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
