package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// `kassa user create` adds a user without a password and prints a
// one-time link to set one, at the public URL; bad input creates nothing.
func TestUserCreate(t *testing.T) {
	dir := t.TempDir()
	c := createMerchant(t, dir)
	var out bytes.Buffer
	args := []string{"kassa", "user", "create", "--data-dir", dir, "--merchant", c["merchantId"], "--email", "Ada@Example.com", "--role", "owner", "--public-url", "https://pay.example"}
	if err := run(context.Background(), args, noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("user create: %v\n%s", err, out.String())
	}
	i := strings.Index(out.String(), "https://pay.example/dashboard/set-password?token=")
	if i < 0 {
		t.Fatalf("no link in:\n%s", out.String())
	}
	link, err := url.Parse(strings.TrimSpace(out.String()[i:]))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"--merchant", c["merchantId"], "--email", "ada@example.com", "--role", "owner"}, // taken
		{"--merchant", c["merchantId"], "--email", "bo@example.com", "--role", "root"},
		{"--merchant", "ac_none", "--email", "bo@example.com", "--role", "owner"},
		{"--merchant", c["merchantId"], "--email", "bo", "--role", "owner"},
		{"--merchant", c["merchantId"], "--role", "owner"},
	} {
		if err := run(context.Background(), append([]string{"kassa", "user", "create", "--data-dir", dir}, bad...), noenv, nil, &out, &out); err == nil {
			t.Errorf("user create %v succeeded", bad)
		}
	}
	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(t.Context(), func(tx store.ReadTx) error {
		us, err := tx.Users(t.Context(), c["merchantId"])
		if err != nil {
			return err
		}
		if len(us) != 1 || us[0].Email != "ada@example.com" || us[0].Role != user.Owner || us[0].PasswordHash != "" {
			t.Errorf("users %+v, want ada as owner without a password", us)
		}
		tok, err := tx.OneTimeToken(t.Context(), user.Hash(link.Query().Get("token")))
		if err != nil || tok.Kind != user.Invitation || tok.UserID != us[0].ID {
			t.Errorf("the link's token: %+v, %v", tok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if es := auditLog(t, db, c["merchantId"]); len(es) == 0 || es[0].Actor != audit.Operator || es[0].Action != "user create" {
		t.Errorf("audit log %+v, want the operator's user create first", es)
	}
}

// A sandbox start prints a one-time link that signs in to the sandbox
// merchant's dashboard as its owner, made at the first start; a restart
// prints a new link for the same owner.
func TestServeDashboardLink(t *testing.T) {
	dir := t.TempDir()
	_, out, stop := startServe(t, dir)
	first := dashboardLink(t, out.String())
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(first)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("Sign in as owner@sandbox.kassa.test")) || csrf == nil {
		t.Fatalf("GET the link: %d\n%s", resp.StatusCode, page)
	}
	u, _ := url.Parse(first)
	resp, err = client.PostForm(strings.Split(first, "?")[0], url.Values{"csrf": {string(csrf[1])}, "token": {u.Query().Get("token")}})
	if err != nil {
		t.Fatal(err)
	}
	home, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/dashboard" || !bytes.Contains(home, []byte("Sandbox merchant")) {
		t.Errorf("after the link: %d at %s\n%s", resp.StatusCode, resp.Request.URL, home)
	}
	stop()

	_, out, stop = startServe(t, dir)
	defer stop()
	if second := dashboardLink(t, out.String()); second == first {
		t.Error("a restart printed the same link")
	}
	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.View(t.Context(), func(tx store.ReadTx) error {
		us, err := tx.Users(t.Context(), sandboxMerchantID(t, dir))
		n = len(us)
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("%d users (%v), want the one owner", n, err)
	}
}

func dashboardLink(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`Sign in to the merchant dashboard[^\n]*\n\s+(http\S+/dashboard/link\?token=\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve printed no dashboard link:\n%s", out)
	}
	return m[1]
}

// sandboxMerchantID reads the sandbox merchant's ID from its credentials
// file.
func sandboxMerchantID(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, credentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.MerchantID
}
