package checkout

import (
	"net/http/httptest"
	"testing"

	"github.com/kassa-pay/kassa/session"
)

func TestOriginOf(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"https://Shop.Example/checkout?x=1", "https://shop.example"},
		{"https://shop.example:443/a", "https://shop.example"},
		{"http://shop.example:80/a", "http://shop.example"},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080"},
		{"https://[::1]/a", "https://[::1]"},
		{"https://[::1]:8443/a", "https://[::1]:8443"},
		{"ftp://shop.example/a", ""},
		{"/relative", ""},
		{"javascript:alert(1)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := originOf(tt.raw); got != tt.want {
			t.Errorf("originOf(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// The dialog may be framed by the shop of the confirmation URL, or
// without one by that of the notification URL.
func TestFrameOrigins(t *testing.T) {
	ps := &session.Session{Settings: session.Settings{ConfirmationURL: "https://shop.example/thanks", NotificationURL: "https://api.shop.example/hook"}}
	if got, setting := frameOrigins(ps); len(got) != 1 || got[0] != "https://shop.example" || setting != "settings.urls.confirmation" {
		t.Errorf("frameOrigins = %q, %q", got, setting)
	}
	ps.Settings.ConfirmationURL = ""
	if got, setting := frameOrigins(ps); len(got) != 1 || got[0] != "https://api.shop.example" || setting != "settings.urls.notification" {
		t.Errorf("without a confirmation URL: %q, %q", got, setting)
	}
	ps.Settings.NotificationURL = ""
	if got, setting := frameOrigins(ps); got != nil || setting != "" {
		t.Errorf("without URLs: %q, %q", got, setting)
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		site, origin string
		ok           bool
	}{
		{"", "", true}, // not a browser
		{"same-origin", "https://kassa.test", true},
		{"cross-site", "", false},
		{"same-site", "https://kassa.test", false},
		{"", "https://evil.example", false},
		{"", "null", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "https://kassa.test/payments/dialog/ps_1/confirm", nil)
		if tt.site != "" {
			r.Header.Set("Sec-Fetch-Site", tt.site)
		}
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if err := sameOrigin(r); (err == nil) != tt.ok {
			t.Errorf("Sec-Fetch-Site %q, Origin %q: %v, want ok %v", tt.site, tt.origin, err, tt.ok)
		}
	}
}
