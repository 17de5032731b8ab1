package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/sqlite"
)

// serveErr runs `kassa serve` on dataDir, expecting it not to start, and
// returns its error.
func serveErr(t *testing.T, dataDir string, getenv func(string) string, flags ...string) error {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"kassa", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, flags...), getenv, nil, &out, &out)
	if err == nil {
		t.Fatalf("serve %v started and ended without an error:\n%s", flags, out.String())
	}
	return err
}

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestKeysGenerate(t *testing.T) {
	var keys [2]string
	for i := range keys {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"kassa", "keys", "generate"}, noenv, nil, &out, &out); err != nil {
			t.Fatal(err)
		}
		if _, err := seal.Parse(out.String()); err != nil {
			t.Fatalf("keys generate printed %q: %v", out.String(), err)
		}
		keys[i] = out.String()
	}
	if keys[0] == keys[1] {
		t.Errorf("keys generate printed the same key twice: %s", keys[0])
	}
}

// A sandbox without a key generates one into its data directory, for the
// owner alone, and says so; later starts use it and say where it is.
func TestSandboxGeneratesKey(t *testing.T) {
	dir := t.TempDir()
	_, out, stop := startServe(t, dir)
	stop()
	path := filepath.Join(dir, keyFile)
	key, err := readKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Generated the key-encryption key " + key.ID() + " in " + path; !strings.Contains(out.String(), want) {
		t.Errorf("the first start did not say %q:\n%s", want, out)
	}
	_, out, stop = startServe(t, dir)
	stop()
	if want := "Secrets sealed under key-encryption key " + key.ID() + " (from " + path + ")"; !strings.Contains(out.String(), want) {
		t.Errorf("the second start did not say %q:\n%s", want, out)
	}
}

// Live mode does not start without a key, and says how to make one.
func TestLiveModeNeedsKey(t *testing.T) {
	dir := t.TempDir()
	err := serveErr(t, dir, noenv, "--mode", "live", "--public-url", "https://pay.example.com")
	if !strings.Contains(err.Error(), "kassa keys generate") || !strings.Contains(err.Error(), "--key-file") {
		t.Errorf("live mode without a key = %v, want how to make and give one", err)
	}
	if _, err := os.Stat(filepath.Join(dir, keyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("live mode left a key in its data directory: %v", err)
	}
}

// A copy of a sandbox's database without its key does not start: Kassa
// generates no new key for a database sealed under one, and refuses
// another key. With the key, the copy starts.
func TestDatabaseCopyWithoutKey(t *testing.T) {
	dir := t.TempDir()
	_, _, stop := startServe(t, dir)
	stop()
	key, err := readKey(filepath.Join(dir, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	copied := t.TempDir()
	for _, name := range []string{"kassa.db", "kassa.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			err = os.WriteFile(filepath.Join(copied, name), b, 0o600)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}

	if err := serveErr(t, copied, noenv); !strings.Contains(err.Error(), "sealed under key-encryption key "+key.ID()+", and no key was given") {
		t.Errorf("the copy without a key = %v, want it refused, naming the key", err)
	}
	if _, err := os.Stat(filepath.Join(copied, keyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key was generated for a database sealed under another: %v", err)
	}
	otherKey := seal.Encode(seal.Generate())
	other, err := seal.Parse(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	err = serveErr(t, copied, env(map[string]string{"KASSA_KEY": otherKey}))
	if !errors.Is(err, seal.ErrWrongKey) || !strings.Contains(err.Error(), key.ID()) || !strings.Contains(err.Error(), other.ID()) {
		t.Errorf("the copy with another key = %v, want ErrWrongKey naming both keys", err)
	}
	_, _, stop = startServeWith(t, copied, noenv, "--key-file", filepath.Join(dir, keyFile))
	stop()
}

// kassa keys rewrap moves a database to a new key: the old key no longer
// starts Kassa on it, the new one does, and an access token issued before
// is still accepted (the signing key is the same).
func TestKeysRewrap(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := startServe(t, dir)
	creds := sandboxCreds(t, out)
	token := accessToken(t, base, creds[1], creds[2])
	stop()

	oldFile, newFile := filepath.Join(dir, keyFile), filepath.Join(t.TempDir(), "new.key")
	newKey := seal.Encode(seal.Generate())
	if err := os.WriteFile(newFile, []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var rewrap bytes.Buffer
	args := []string{"kassa", "keys", "rewrap", "--data-dir", dir}
	if err := run(context.Background(), args, env(map[string]string{"KASSA_KEY_FILE": oldFile}), nil, &rewrap, &rewrap); err == nil {
		t.Error("rewrap without a new key succeeded")
	}
	if err := run(context.Background(), append(args, "--key-file", oldFile, "--new-key-file", newFile), noenv, nil, &rewrap, &rewrap); err != nil {
		t.Fatalf("keys rewrap: %v\n%s", err, rewrap.String())
	}
	if !strings.Contains(rewrap.String(), "re-sealed 3 values") {
		t.Errorf("keys rewrap printed %q, want the key check and the two signing keys re-sealed", rewrap.String())
	}

	if err := serveErr(t, dir, noenv, "--key-file", oldFile); !errors.Is(err, seal.ErrWrongKey) {
		t.Errorf("serve with the old key after the rewrap = %v, want ErrWrongKey", err)
	}
	base, _, stop = startServeWith(t, dir, env(map[string]string{"KASSA_KEY": newKey}))
	defer stop()
	if status := get(t, base+"/v1/notification-endpoints", token); status != http.StatusOK {
		t.Errorf("a token from before the rewrap = %d, want it accepted", status)
	}
}

// With its key lost, a database starts over under a new one once what
// the lost key sealed is removed by hand (docs/secrets.md): the new start
// makes new signing keys, so access tokens issued before are refused.
func TestStartOverAfterLostKey(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := startServe(t, dir)
	creds := sandboxCreds(t, out)
	before := accessToken(t, base, creds[1], creds[2])
	secretBefore := signingSecret(t, base, before)
	stop()
	var rotated bytes.Buffer // a signing key of its own, sealed under the key lost
	if err := run(context.Background(), []string{"kassa", "keys", "rotate-signing", "--data-dir", dir}, noenv, nil, &rotated, t.Output()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, keyFile)); err != nil {
		t.Fatal(err)
	}
	if err := serveErr(t, dir, noenv); !strings.Contains(err.Error(), "no key was given") {
		t.Fatalf("serve with the key lost = %v, want it refused", err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`DELETE FROM settings WHERE name IN ('key_check', 'token_signing_key', 'notification_signing_key')`)
	for _, table := range []string{"signing_keys", "notification_endpoints"} {
		if err == nil {
			_, err = db.Exec(`DELETE FROM ` + table)
		}
	}
	if err = errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}

	base, _, stop = startServe(t, dir)
	defer stop()
	if status := get(t, base+"/v1/notification-endpoints", before); status != http.StatusUnauthorized {
		t.Errorf("a token from before the key was lost = %d, want 401", status)
	}
	after := accessToken(t, base, creds[1], creds[2])
	if status := get(t, base+"/v1/notification-endpoints", after); status != http.StatusOK {
		t.Errorf("a new token = %d, want 200", status)
	}
	if signingSecret(t, base, after) == secretBefore {
		t.Error("the session notification secret is the one from before the key was lost")
	}
}

// signingSecret is the merchant's session notification secret.
func signingSecret(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/notification-signing-secret", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct{ Secret string }
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
	}
	if err != nil || out.Secret == "" {
		t.Fatalf("getting the notification signing secret: %v", err)
	}
	return out.Secret
}

// accessToken gets an access token for the client.
func accessToken(t *testing.T, base, id, secret string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		err = json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
	}
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("getting an access token: %v", err)
	}
	return tok.AccessToken
}

// get requests url with the access token and returns the status.
func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// kassa keys rotate-signing makes a new access-token signing key while
// the server runs: the server signs its tokens with it once its refresh
// pass has read it, a token from before keeps working, and the rotation is
// in the audit log with the new key as target. A copy of the database
// without its key rotates nothing.
func TestKeysRotateSigning(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := startServe(t, dir)
	creds := sandboxCreds(t, out)
	before := accessToken(t, base, creds[1], creds[2])

	var rotated bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "keys", "rotate-signing", "--data-dir", dir}, noenv, nil, &rotated, t.Output()); err != nil {
		t.Fatalf("keys rotate-signing: %v", err)
	}
	var res struct {
		Keys []struct {
			KeyID                string
			Current              bool
			CreatedAt, RetiresAt time.Time
		}
	}
	if err := json.Unmarshal(rotated.Bytes(), &res); err != nil || len(res.Keys) != 2 {
		t.Fatalf("keys rotate-signing printed %s (%v), want two keys", rotated.String(), err)
	}
	first, current := res.Keys[0], res.Keys[1]
	if first.KeyID != "" || first.Current || !first.RetiresAt.Equal(current.CreatedAt.Add(65*time.Minute)) {
		t.Errorf("the first key %+v: want no ID, not current, retiring 65 minutes after the new one was made", first)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(current.KeyID) || !current.Current || !current.RetiresAt.IsZero() {
		t.Errorf("the new key %+v: want 16 hex digits, current", current)
	}

	// The server's refresh pass runs every second: its tokens are signed
	// with the new key within 2 seconds (the timing itself is the provider
	// tests'; here a loaded machine gets more time).
	var after string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = accessToken(t, base, creds[1], creds[2])
		payload, _, _ := strings.Cut(after, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(payload)
		if strings.HasSuffix(string(raw), "~"+current.KeyID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's tokens still carry %q, want the new key %s", raw, current.KeyID)
		}
	}
	for name, token := range map[string]string{"before": before, "after": after} {
		if status := get(t, base+"/v1/notification-endpoints", token); status != http.StatusOK {
			t.Errorf("a token from %s the rotation = %d, want it accepted", name, status)
		}
	}
	stop()

	if err := run(context.Background(), []string{"kassa", "keys", "rotate-signing", "--data-dir", dir, "extra"}, noenv, nil, &rotated, t.Output()); err == nil {
		t.Error("keys rotate-signing with an argument succeeded")
	}
	copied := t.TempDir()
	b, err := os.ReadFile(filepath.Join(dir, "kassa.db"))
	if err == nil {
		err = os.WriteFile(filepath.Join(copied, "kassa.db"), b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"kassa", "keys", "rotate-signing", "--data-dir", copied}, noenv, nil, &rotated, t.Output())
	if err == nil || !strings.Contains(err.Error(), "no key was given") {
		t.Errorf("keys rotate-signing on a copy without the key = %v, want it refused", err)
	}

	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es := auditLog(t, db, "")
	if len(es) != 1 || es[0].Actor != "operator" || es[0].Action != "keys rotate-signing" || es[0].Target != current.KeyID || es[0].Outcome != "ok" {
		t.Errorf("audit events of no merchant %+v, want the rotation, by the operator, of key %s", es, current.KeyID)
	}
}
