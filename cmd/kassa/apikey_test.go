package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
)

// apikeyClient is an API client as kassa apikey prints it.
type apikeyClient struct {
	ClientID, Name, Scope, State, ClientSecret string
	PreviousSecretExpiresAt, RevokedAt         time.Time
}

// apikeyRun runs kassa apikey with args in dir and decodes what it prints
// into out.
func apikeyRun(t *testing.T, dir string, out any, args ...string) error {
	t.Helper()
	var b bytes.Buffer
	err := run(context.Background(), append([]string{"kassa", "apikey"}, append(args, "--data-dir", dir)...), noenv, nil, &b, t.Output())
	if err == nil {
		if jerr := json.Unmarshal(b.Bytes(), out); jerr != nil {
			t.Fatalf("kassa apikey %s printed %q: %v", args[0], b.String(), jerr)
		}
	}
	return err
}

// kassa apikey creates, lists, rotates and revokes a merchant's API
// clients, printing a new secret once; the merchant's last write client
// cannot be revoked.
func TestAPIKeyCommands(t *testing.T) {
	dir := t.TempDir()
	m := createMerchant(t, dir)
	var reader apikeyClient
	if err := apikeyRun(t, dir, &reader, "create", "--merchant", m["merchantId"], "--name", "reporting", "--scope", "read"); err != nil {
		t.Fatal(err)
	}
	if reader.ClientID == "" || reader.ClientSecret == "" || reader.Scope != "read" || reader.Name != "reporting" || reader.State != "active" {
		t.Errorf("created %+v", reader)
	}

	var list struct{ Data []apikeyClient }
	if err := apikeyRun(t, dir, &list, "list", "--merchant", m["merchantId"]); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 2 || list.Data[0].ClientID != m["clientId"] || list.Data[0].Scope != "write" || list.Data[0].Name != "default" || list.Data[1].ClientID != reader.ClientID {
		t.Errorf("list = %+v, want the merchant's first client (write), then the reader", list.Data)
	}
	for _, c := range list.Data {
		if c.ClientSecret != "" {
			t.Errorf("list shows a secret: %+v", c)
		}
	}

	var rotated apikeyClient
	if err := apikeyRun(t, dir, &rotated, "rotate", "--merchant", m["merchantId"], "--client", reader.ClientID, "--overlap", "1h"); err != nil {
		t.Fatal(err)
	}
	if rotated.ClientSecret == "" || rotated.ClientSecret == reader.ClientSecret || rotated.PreviousSecretExpiresAt.IsZero() {
		t.Errorf("rotated %+v, want a new secret and the previous one's expiry", rotated)
	}

	var revoked apikeyClient
	if err := apikeyRun(t, dir, &revoked, "revoke", "--merchant", m["merchantId"], "--client", reader.ClientID); err != nil {
		t.Fatal(err)
	}
	if revoked.State != "revoked" || revoked.RevokedAt.IsZero() {
		t.Errorf("revoked %+v", revoked)
	}
	err := apikeyRun(t, dir, &revoked, "revoke", "--merchant", m["merchantId"], "--client", m["clientId"])
	if err == nil || !strings.Contains(err.Error(), "last write client") {
		t.Errorf("revoking the last write client: %v, want an error saying so", err)
	}

	for _, args := range [][]string{
		{},
		{"bogus", "--merchant", m["merchantId"]},
		{"create", "--merchant", m["merchantId"], "--name", "x", "--scope", "admin"},
		{"create", "--merchant", m["merchantId"], "--scope", "read"},
		{"create", "--name", "x", "--scope", "read"},
		{"list", "--merchant", m["merchantId"], "extra"},
		{"list", "--merchant", "ac_unknown"},
		{"rotate", "--merchant", m["merchantId"], "--client", m["clientId"], "--overlap", "200h"},
		{"rotate", "--merchant", m["merchantId"], "--client", "cl_unknown"},
	} {
		var out any
		if err := apikeyRun(t, dir, &out, args...); err == nil {
			t.Errorf("kassa apikey %q = nil, want an error", args)
		}
	}
}

// kassa serve refuses a revoked client's tokens from its first request:
// it learns the clients revoked lately before it serves.
func TestServeRefusesRevokedClientAtStart(t *testing.T) {
	dir := t.TempDir()
	m := createMerchant(t, dir)
	var c apikeyClient
	if err := apikeyRun(t, dir, &c, "create", "--merchant", m["merchantId"], "--name", "integration", "--scope", "write"); err != nil {
		t.Fatal(err)
	}
	get := func(base, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/v1/api-clients", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	base, _, stop := startServe(t, dir)
	token, err := client.New(base, c.ClientID, c.ClientSecret).Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if status := get(base, token); status != 200 {
		t.Fatalf("GET with the client's token = %d, want 200", status)
	}
	stop()

	if err := apikeyRun(t, dir, &c, "revoke", "--merchant", m["merchantId"], "--client", c.ClientID); err != nil {
		t.Fatal(err)
	}
	base, _, stop = startServe(t, dir)
	defer stop()
	if status := get(base, token); status != 401 {
		t.Errorf("GET with the revoked client's token after a restart = %d, want 401", status)
	}
}
