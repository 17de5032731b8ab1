package api_test

import (
	"net/http"
	"testing"
)

// Endpoints of Ledyer's that Kassa does not implement, and methods a route
// does not take, answer in the API's error shape (compatibility.md).
func TestUnroutedRequests(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"POST", "/v1/sessions", http.StatusNotFound, "not_found", ""},
		{"GET", "/v1/sessions/cs_1", http.StatusNotFound, "not_found", ""},
		{"POST", "/v1/customer-tokens/ct_1/order", http.StatusNotFound, "not_found", ""},
		{"PUT", "/v1/orders/or_1/capture", http.StatusMethodNotAllowed, "method_not_allowed", "DELETE, POST"}, // DELETE: the {ledgerId} route,
	}
	for _, tt := range tests {
		r := e.do(request{method: tt.method, path: tt.path, body: "{}"})
		if r.status != tt.status || r.code() != tt.code {
			t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
		}
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}
