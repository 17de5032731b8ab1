package pgtest

import (
	"strings"
	"testing"
)

// recorder stands in for a test, to see whether baseURL skips or fails it.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		wantOK        bool
		skip, fail    bool
		wantURLPrefix string
	}{
		{name: "set", env: map[string]string{EnvURL: "postgres://127.0.0.1/db"}, wantOK: true, wantURLPrefix: "postgres://"},
		{name: "set in CI", env: map[string]string{EnvURL: "postgres://127.0.0.1/db", "CI": "true"}, wantOK: true, wantURLPrefix: "postgres://"},
		{name: "unset", env: map[string]string{}, skip: true},
		{name: "unset in CI", env: map[string]string{"CI": "true"}, fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			got, ok := baseURL(r, func(k string) string { return tt.env[k] })
			if ok != tt.wantOK || r.skipped != tt.skip || r.failed != tt.fail {
				t.Fatalf("ok=%v skipped=%v failed=%v, want ok=%v skipped=%v failed=%v", ok, r.skipped, r.failed, tt.wantOK, tt.skip, tt.fail)
			}
			if !strings.HasPrefix(got, tt.wantURLPrefix) {
				t.Errorf("url %q", got)
			}
			if tt.fail && !strings.Contains(r.msg, "CI is set") {
				t.Errorf("failure message %q does not say why", r.msg)
			}
		})
	}
}
