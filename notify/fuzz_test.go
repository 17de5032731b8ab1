package notify_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/notify"
)

// Whatever a receiver sends as Retry-After, the delay is within [0, 24 h].
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-1", "9223372036854775807", "Wed, 21 Oct 2026 07:28:00 GMT", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if d := notify.RetryAfter(h, t0); d < 0 || d > 24*time.Hour {
			t.Errorf("RetryAfter(%q) = %v", h, d)
		}
	})
}

// CheckURL accepts only absolute http(s) URLs with a host, and without
// allowPrivate never a literal loopback address.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://shop.example/n", "http://127.0.0.1/", "http://[::1]:80/", "ftp://x/", "//x", "http://u:p@x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if notify.CheckURL(raw, false) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Errorf("CheckURL accepted %q", raw)
		}
		if h := u.Hostname(); h == "127.0.0.1" || h == "::1" || h == "localhost" {
			t.Errorf("CheckURL accepted loopback %q", raw)
		}
	})
}
