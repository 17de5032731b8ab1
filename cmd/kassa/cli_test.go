package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs kassa as main does and returns its exit status and output.
func runCLI(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli(context.Background(), append([]string{"kassa"}, args...), getenv, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

// kassa --help, -h and help list every command with its line, and exit 0.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, errOut := runCLI(t, noenv, arg)
		if code != 0 || errOut != "" {
			t.Errorf("kassa %s: exit %d, stderr %q; want 0 and none", arg, code, errOut)
		}
		for _, c := range commands {
			if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.name) + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(out) {
				t.Errorf("kassa %s does not list %s with its line:\n%s", arg, c.name, out)
			}
		}
	}
	code, out, _ := runCLI(t, noenv, "help", "backup")
	if code != 0 || !strings.HasPrefix(out, "Usage: kassa backup") {
		t.Errorf("kassa help backup: exit %d\n%s", code, out)
	}
}

// leaves are every runnable command line: kassa NAME, or kassa NAME VERB
// for the commands that have verbs, read from their help.
func leaves(t *testing.T) [][]string {
	t.Helper()
	verbLine := regexp.MustCompile(`(?m)^  ([a-z-]+) +\S`)
	var all [][]string
	for _, c := range commands {
		code, out, _ := runCLI(t, noenv, c.name, "--help")
		if code != 0 {
			t.Fatalf("kassa %s --help: exit %d", c.name, code)
		}
		if !strings.Contains(out, "Commands:\n") {
			all = append(all, []string{c.name})
			continue
		}
		for _, m := range verbLine.FindAllStringSubmatch(out, -1) {
			all = append(all, []string{c.name, m[1]})
		}
	}
	return all
}

// Every command and every verb prints its usage and flags for --help and
// -h, on stdout, and exits 0, whatever the environment holds.
func TestCommandHelp(t *testing.T) {
	bad := env(map[string]string{"KASSA_ALLOW_PRIVATE_WEBHOOKS": "maybe", "KASSA_DATABASE_URL": "mysql://root:hunter2@db/kassa"})
	cmds := leaves(t)
	if got := fmt.Sprint(cmds); !strings.Contains(got, "[apikey revoke]") || !strings.Contains(got, "[keys rotate-signing]") {
		t.Fatalf("verbs not found: %v", got)
	}
	for _, cmd := range cmds {
		for _, h := range []string{"--help", "-h"} {
			code, out, errOut := runCLI(t, bad, append(cmd, h)...)
			if code != 0 || errOut != "" {
				t.Errorf("kassa %s %s: exit %d, stderr %q", strings.Join(cmd, " "), h, code, errOut)
			}
			if !strings.HasPrefix(out, "Usage: kassa "+strings.Join(cmd, " ")) {
				t.Errorf("kassa %s %s prints no usage:\n%s", strings.Join(cmd, " "), h, out)
			}
			if strings.Contains(out, "hunter2") {
				t.Errorf("kassa %s %s shows the database password:\n%s", strings.Join(cmd, " "), h, out)
			}
		}
	}
	_, out, _ := runCLI(t, noenv, "serve", "--help")
	for _, want := range []string{"\n  --addr string\n", "--allow-private-webhooks\n", "(default 127.0.0.1:8080)"} {
		if !strings.Contains(out, want) {
			t.Errorf("kassa serve --help lacks %q:\n%s", want, out)
		}
	}
}

// A command line kassa cannot run exits 2 with the usage on stderr, and
// prints nothing on stdout.
func TestUsageExit(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"--bogus"},
		{"serve", "--bogus"},
		{"serve", "extra"},
		{"apikey"},
		{"apikey", "bogus"},
		{"apikey", "list"}, // no --merchant
		{"apikey", "rotate", "--merchant", "ac_1", "--overlap", "soon"},
		{"keys", "generate", "extra"},
		{"merchant", "delete"},
		{"payments", "import", "--merchant", "ac_1"}, // no FILE
		{"credit-policy", "set", "--merchant", "ac_1"},
		{"backup"},
		{"version", "--short"},
	} {
		code, out, errOut := runCLI(t, noenv, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "Usage: kassa") {
			t.Errorf("kassa %q: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and the usage on stderr", args, code, out, errOut)
		}
	}
	// A value kassa refuses is a failure (1), with a message and no usage.
	code, _, errOut := runCLI(t, noenv, "serve", "--mode", "production")
	if code != 1 || strings.Contains(errOut, "Usage:") || !strings.Contains(errOut, `mode "production"`) {
		t.Errorf("kassa serve --mode production: exit %d, stderr:\n%s", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, noenv, "version")
	if code != 0 || !strings.HasPrefix(out, "kassa ") || !strings.Contains(out, "\nrevision: ") || !regexp.MustCompile(`\ngo: +go1\.\d+`).MatchString(out) {
		t.Errorf("kassa version: exit %d\n%s", code, out)
	}
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	if _, out, _ := runCLI(t, noenv, "version"); !strings.HasPrefix(out, "kassa v1.2.3\n") {
		t.Errorf("kassa version with main.version set:\n%s", out)
	}
}

// Boolean environment variables read as boolean flags do; anything else
// is an error naming the variable, never false.
func TestBoolEnv(t *testing.T) {
	for _, tt := range []struct {
		value       string
		allow, want bool
	}{
		{"", false, true}, {"true", true, true}, {"TRUE", true, true}, {"1", true, true}, {"t", true, true},
		{"false", false, true}, {"0", false, true}, {"F", false, true},
		{"yes", false, false}, {"no", false, false}, {"on", false, false}, {"2", false, false}, {" true", false, false},
	} {
		c, err := parseServe(nil, env(map[string]string{"KASSA_ALLOW_PRIVATE_WEBHOOKS": tt.value}), t.Output())
		if tt.want && (err != nil || c.allowPrivateWebhooks != tt.allow) {
			t.Errorf("KASSA_ALLOW_PRIVATE_WEBHOOKS=%q: %v, %v; want %v", tt.value, c.allowPrivateWebhooks, err, tt.allow)
		}
		if !tt.want && (err == nil || !strings.Contains(err.Error(), "KASSA_ALLOW_PRIVATE_WEBHOOKS") || !strings.Contains(err.Error(), "not a boolean")) {
			t.Errorf("KASSA_ALLOW_PRIVATE_WEBHOOKS=%q: %v, want an error naming it", tt.value, err)
		}
	}
	if c, err := parseServe(nil, noenv, t.Output()); err != nil || !c.overdueReminders {
		t.Errorf("overdue reminders by default: %v, %v", c.overdueReminders, err)
	}
	if c, err := parseServe(nil, env(map[string]string{"KASSA_OVERDUE_REMINDERS": "0"}), t.Output()); err != nil || c.overdueReminders {
		t.Errorf("KASSA_OVERDUE_REMINDERS=0: %v, %v", c.overdueReminders, err)
	}
	if _, err := parseServe(nil, env(map[string]string{"KASSA_OVERDUE_REMINDERS": "off"}), t.Output()); err == nil || !strings.Contains(err.Error(), "KASSA_OVERDUE_REMINDERS") {
		t.Errorf("KASSA_OVERDUE_REMINDERS=off: %v, want an error naming it", err)
	}
}

// --database takes PostgreSQL only, and says so (without the password)
// when given a file or another database's URL.
func TestDatabaseFlag(t *testing.T) {
	for _, ok := range []string{"postgres://kassa@127.0.0.1:5432/kassa", "postgresql://kassa:pw@127.0.0.1/kassa?pool_max_conns=8", "host=127.0.0.1 dbname=kassa"} {
		if _, err := parseServe([]string{"--database", ok}, noenv, t.Output()); err != nil {
			t.Errorf("--database %s: %v", ok, err)
		}
	}
	for _, bad := range []string{"./kassa-data/kassa.db", "kassa.db", "/var/lib/kassa", "sqlite:///var/lib/kassa/kassa.db", "mysql://root:hunter2@127.0.0.1/kassa"} {
		_, err := parseServe([]string{"--database", bad}, noenv, t.Output())
		if err == nil || !strings.Contains(err.Error(), "PostgreSQL only") || !strings.Contains(err.Error(), "--data-dir") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("--database %s: %v, want an error saying it takes PostgreSQL only", bad, err)
		}
	}
}

// A start or command that fails leaves nothing on disk: no data
// directory, database or key file.
func TestFailedStartCreatesNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	badKey := env(map[string]string{"KASSA_KEY": "not-a-key"})
	for _, tt := range []struct {
		name   string
		getenv func(string) string
		args   []string
	}{
		{"unknown flag", noenv, []string{"--bogus"}},
		{"bad mode", noenv, []string{"--mode", "production"}},
		{"bad delay", noenv, []string{"--processing-delay", "soon"}},
		{"bad boolean", env(map[string]string{"KASSA_ALLOW_PRIVATE_WEBHOOKS": "yes"}), nil},
		{"bad key", badKey, nil},
		{"missing key file", noenv, []string{"--key-file", "KEYDIR/missing.key"}},
		{"live without key", noenv, []string{"--mode", "live"}},
		{"database file", noenv, []string{"--database", "KEYDIR/kassa.db"}},
		{"address in use", noenv, []string{"--addr", taken.Addr().String()}},
		{"merchant create, bad key", badKey, []string{"merchant", "create", "--name", "Acme AB"}},
		{"apikey list, bad key", badKey, []string{"apikey", "list", "--merchant", "ac_1"}},
		{"payments import, bad key", badKey, []string{"payments", "import", "--merchant", "ac_1", "KEYDIR/camt.xml"}},
		{"rotate-signing, bad key", badKey, []string{"keys", "rotate-signing"}},
	} {
		for _, sub := range []string{"", "kassa-data"} { // an empty directory, or none yet
			root := t.TempDir()
			dataDir := filepath.Join(root, sub)
			args, rest := []string{"kassa"}, tt.args
			if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
				args, rest = append(args, rest[0], rest[1]), rest[2:] // the command and its verb
			} else {
				args = append(args, "--addr", "127.0.0.1:0")
			}
			args = append(args, "--data-dir", dataDir)
			for _, a := range rest {
				args = append(args, strings.ReplaceAll(a, "KEYDIR", root))
			}
			var out bytes.Buffer
			if err := run(context.Background(), args, tt.getenv, nil, &out, &out); err == nil {
				t.Errorf("%s: %q succeeded", tt.name, args)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Errorf("%s: %q left %v in %s", tt.name, args, entries, root)
			}
		}
	}
}
