package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/store"
)

// merchants counts the merchants in the database db names.
func merchants(t *testing.T, db dbFlags) int {
	t.Helper()
	st, err := db.open(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.View(t.Context(), func(tx store.ReadTx) error {
		n, err = tx.CountMerchants(t.Context())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

var createCommand = regexp.MustCompile(`(?m)^  kassa merchant create (.+)$`)

// runPrintedCreate runs the `kassa merchant create` command out printed,
// as an operator would, naming the merchant; it returns what it prints.
func runPrintedCreate(t *testing.T, out string) string {
	t.Helper()
	m := createCommand.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve printed no kassa merchant create command:\n%s", out)
	}
	args := []string{"kassa", "merchant", "create"}
	for _, f := range strings.Fields(m[1]) { // the temporary paths and test URLs hold no spaces
		if f == "NAME" {
			f = "Acme AB"
		}
		args = append(args, strings.Trim(f, "'"))
	}
	var created bytes.Buffer
	if err := run(t.Context(), args, noenv, nil, &created, t.Output()); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return created.String()
}

// TestServeLiveCreatesNoMerchant: live mode on an empty database creates no
// merchant and no credentials file and prints no secret, only the command
// that creates the first merchant; that command, run as printed, creates
// it in the same database. The sandbox, on the same kind of start, creates
// its merchant and prints its secret (TestServeThenDemo).
func TestServeLiveCreatesNoMerchant(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			db := dbFlags{dataDir: dir}
			flags := []string{"--key-file", newKeyFile(t), "--public-url", "https://pay.example.com"}
			if backend == "postgres" {
				db.url = pgtest.URL(t)
				flags = append(flags, "--database", db.url)
			}
			logged := &syncBuffer{}
			_, out, stop := startServeLogged(t, dir, noenv, logged, append(flags, "--mode", "live")...)
			stop()
			if !strings.Contains(logged.String(), "no SMTP server") {
				t.Errorf("live start without an SMTP server does not warn that nothing is sent:\n%s", logged)
			}
			for _, unwanted := range []string{"secret:", "clientSecret", "Sandbox credentials", "/demo/shop", "/dashboard/link"} {
				if strings.Contains(out.String(), unwanted) {
					t.Errorf("live start printed %q:\n%s", unwanted, out)
				}
			}
			if !strings.Contains(out.String(), "No merchant yet") {
				t.Errorf("live start on an empty database does not say how to create a merchant:\n%s", out)
			}
			if n := merchants(t, db); n != 0 {
				t.Errorf("live start created %d merchants", n)
			}
			if _, err := os.Stat(filepath.Join(dir, credentialsFile)); !os.IsNotExist(err) {
				t.Errorf("live start wrote %s (stat: %v)", credentialsFile, err)
			}

			if created := runPrintedCreate(t, out.String()); !strings.Contains(created, "clientSecret") {
				t.Errorf("the printed command printed no credentials: %s", created)
			}
			if n := merchants(t, db); n != 1 {
				t.Errorf("after the printed command the database has %d merchants, want 1", n)
			}
			_, out, stop = startServeWith(t, dir, noenv, append(flags, "--mode", "live")...)
			stop()
			if strings.Contains(out.String(), "No merchant yet") {
				t.Errorf("live start with a merchant still asks for the first one:\n%s", out)
			}
		})
	}
}

// TestServeLiveIgnoresSandboxCredentials: a credentials file a sandbox run
// left in the data directory is neither read nor printed nor changed in
// live mode, and the log warns naming it.
func TestServeLiveIgnoresSandboxCredentials(t *testing.T) {
	dir := t.TempDir()
	_, out, stop := startServe(t, dir)
	stop()
	secret := regexp.MustCompile(`client secret:\s+(\S+)`).FindStringSubmatch(out.String())
	if secret == nil {
		t.Fatalf("the sandbox printed no secret:\n%s", out)
	}
	file := filepath.Join(dir, credentialsFile)
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	var log syncBuffer
	_, out, stop = startServeLogged(t, dir, noenv, &log, "--mode", "live", "--key-file", filepath.Join(dir, keyFile), "--public-url", "https://pay.example.com") // the key the sandbox made
	stop()
	if strings.Contains(out.String()+log.String(), secret[1]) || strings.Contains(out.String(), file) {
		t.Errorf("live start showed the sandbox credentials:\n%s\n%s", out, log.String())
	}
	if !strings.Contains(log.String(), `"level":"WARN"`) || !strings.Contains(log.String(), "ignoring the sandbox credentials file") || !strings.Contains(log.String(), `"file":"`+file+`"`) {
		t.Errorf("live start logged no warning naming %s:\n%s", file, log.String())
	}
	if after, err := os.ReadFile(file); err != nil || !bytes.Equal(before, after) {
		t.Errorf("live start changed %s: %v\n%s", file, err, after)
	}
}

// TestLiveRefusesPrivateWebhooks: --allow-private-webhooks, as a flag or
// from the environment, stops live mode from starting; the sandbox takes it.
func TestLiveRefusesPrivateWebhooks(t *testing.T) {
	env := map[string]string{"KASSA_MODE": "live", "KASSA_ALLOW_PRIVATE_WEBHOOKS": "true"}
	for _, c := range []struct {
		args   []string
		getenv func(string) string
	}{
		{[]string{"--mode", "live", "--allow-private-webhooks"}, noenv},
		{nil, func(k string) string { return env[k] }},
	} {
		if _, err := parseServe(c.args, c.getenv, t.Output()); err == nil || !strings.Contains(err.Error(), "--allow-private-webhooks (KASSA_ALLOW_PRIVATE_WEBHOOKS) is for the sandbox only") {
			t.Errorf("parseServe(%q) = %v, want live mode refusing private webhooks", c.args, err)
		}
	}
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"kassa", "--addr", "127.0.0.1:0", "--data-dir", dir, "--mode", "live", "--allow-private-webhooks"}, noenv, nil, &out, &out)
	if err == nil || strings.Contains(out.String(), "Kassa listening") {
		t.Errorf("live serve with private webhooks = %v\n%s; want it not to start", err, out.String())
	}
	if c, err := parseServe([]string{"--allow-private-webhooks"}, noenv, t.Output()); err != nil || !c.allowPrivateWebhooks {
		t.Errorf("sandbox with private webhooks = %v, %v; want it allowed", c.allowPrivateWebhooks, err)
	}
}

// The printed command names this server's database without its password.
func TestMerchantCreateCommand(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		db   dbFlags
		want string
	}{
		{dbFlags{dataDir: "/var/lib/kassa"}, "kassa merchant create --name NAME --data-dir /var/lib/kassa"},
		{dbFlags{dataDir: "/srv/my data/it's"}, `kassa merchant create --name NAME --data-dir '/srv/my data/it'\''s'`},
		{dbFlags{dataDir: "kassa-data"}, "kassa merchant create --name NAME --data-dir " + shellQuote(filepath.Join(cwd, "kassa-data"))},
		{dbFlags{url: "postgres://kassa@db.internal:5432/kassa?sslmode=require"}, "kassa merchant create --name NAME --database 'postgres://kassa@db.internal:5432/kassa?sslmode=require'"},
		{dbFlags{url: "postgres://kassa:hunter2@db.internal/kassa"},
			"kassa merchant create --name NAME --database postgres://kassa:xxxxx@db.internal/kassa\n  (with the database password where xxxxx stands)"},
		{dbFlags{url: "postgres://db.internal/kassa?password=hunter2&user=kassa"},
			"kassa merchant create --name NAME --database 'postgres://db.internal/kassa?password=xxxxx&user=kassa'\n  (with the database password where xxxxx stands)"},
		{dbFlags{url: "host=db.internal user=kassa password='hunter 2' sslpassword=hunter2 dbname=kassa"},
			"kassa merchant create --name NAME --database 'host=db.internal user=kassa password=xxxxx sslpassword=xxxxx dbname=kassa'\n  (with the database password where xxxxx stands)"},
	} {
		got := tt.db.merchantCreateCommand(nil)
		if got != tt.want {
			t.Errorf("command for %+v:\n got %s\nwant %s", tt.db, got, tt.want)
		}
		if strings.Contains(got, "hunter") || strings.Contains(tt.db.where(), "hunter") {
			t.Errorf("the password of %+v is printed: %s; %s", tt.db, got, tt.db.where())
		}
	}
}
