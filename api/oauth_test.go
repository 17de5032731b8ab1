package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	e := newEnv(t)
	post := func(url, body, user, pass string, form bool) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest("POST", e.http.URL+url, rd)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	tests := []struct {
		name       string
		url, body  string
		user, pass string
		form       bool
		wantStatus int
		wantError  string
	}{
		{"form body", "/oauth/token", "grant_type=client_credentials", e.a.clientID, e.a.secret, true, 200, ""},
		{"query string, no body", "/oauth/token?grant_type=client_credentials", "", e.a.clientID, e.a.secret, false, 200, ""},
		{"wrong secret", "/oauth/token", "grant_type=client_credentials", e.a.clientID, "nope", true, 401, "invalid_client"},
		{"other merchant's secret", "/oauth/token", "grant_type=client_credentials", e.a.clientID, e.b.secret, true, 401, "invalid_client"},
		{"unknown client", "/oauth/token", "grant_type=client_credentials", "cl_unknown", "x", true, 401, "invalid_client"},
		{"no credentials", "/oauth/token", "grant_type=client_credentials", "", "", true, 401, "invalid_client"},
		{"no grant type", "/oauth/token", "", e.a.clientID, e.a.secret, false, 400, "unsupported_grant_type"},
		{"other grant type", "/oauth/token", "grant_type=password", e.a.clientID, e.a.secret, true, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(tt.url, tt.body, tt.user, tt.pass, tt.form)
			if status != tt.wantStatus {
				t.Fatalf("POST %s = %d %v, want %d", tt.url, status, out, tt.wantStatus)
			}
			if tt.wantError != "" {
				if out["error"] != tt.wantError {
					t.Errorf("error = %v, want %q", out["error"], tt.wantError)
				}
				return
			}
			if out["token_type"] != "Bearer" || out["scope"] != "write" || out["expires_in"] != float64(3600) || out["access_token"] == "" {
				t.Errorf("token response = %v, want Bearer/write/3600 with a token", out)
			}
		})
	}

	t.Run("several tokens valid at once", func(t *testing.T) {
		_, first := post("/oauth/token", "grant_type=client_credentials", e.a.clientID, e.a.secret, true)
		_, second := post("/oauth/token?grant_type=client_credentials", "", e.a.clientID, e.a.secret, false)
		if first["access_token"] == second["access_token"] {
			t.Fatal("two token requests returned the same token")
		}
		for _, tok := range []any{first["access_token"], second["access_token"]} {
			req, _ := http.NewRequest("GET", e.http.URL+"/v1/orders/or_missing", nil)
			req.Header.Set("Authorization", "Bearer "+tok.(string))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("GET with token = %d, want 404 (authenticated, order missing)", resp.StatusCode)
			}
		}
	})

	t.Run("tokens expire after an hour", func(t *testing.T) {
		e := newEnv(t)
		tok := e.token(&e.a)
		e.clock.Advance(3600e9)
		resp := e.do(request{method: "GET", path: "/v1/orders/or_x", header: map[string]string{"Authorization": "Bearer " + tok}})
		if resp.status != 401 {
			t.Errorf("GET with an hour-old token = %d, want 401", resp.status)
		}
	})
}

func TestAuthenticationRequired(t *testing.T) {
	e := newEnv(t)
	for _, h := range []string{"", "Bearer ", "Bearer garbage", "Basic abc", "Bearer " + e.token(&e.a) + "x"} {
		resp := e.do(request{method: "GET", path: "/v1/orders/or_x", header: map[string]string{"Authorization": h}})
		if resp.status != 401 || resp.code() != "unauthorized" {
			t.Errorf("GET with Authorization %q = %d %s, want 401 unauthorized", h, resp.status, resp.body)
		}
	}
}
