package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// sourceEnv is every KASSA_ environment variable kassa's source names.
func sourceEnv(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"(KASSA_[A-Z_]+)"`).FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	slices.Sort(names)
	return names
}

// checkServe checks that a deployment's `kassa serve` command line and
// environment are ones kassa takes: known variables, flags that exist,
// values that parse.
func checkServe(t *testing.T, where string, args []string, environment map[string]string) {
	t.Helper()
	known := sourceEnv(t)
	for k := range environment {
		if strings.HasPrefix(k, "KASSA_") && !slices.Contains(known, k) {
			t.Errorf("%s: kassa reads no variable %s", where, k)
		}
	}
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("%s: command %q is not kassa serve", where, args)
	}
	if _, err := parseServe(args[1:], func(k string) string { return environment[k] }, io.Discard); err != nil {
		t.Errorf("%s: kassa %q: %v", where, args, err)
	}
}

// interpolation is a compose ${VAR}, ${VAR:-default} or ${VAR:?message}.
var interpolation = regexp.MustCompile(`\$\{([A-Z_]+)(?::[-?]([^}]*))?\}`)

// The compose file's replicas run commands and flags kassa has, with
// variables it reads, and trust exactly the proxy's address; the proxy
// forwards to each replica.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string
			Command     []string
			Environment map[string]string
			Secrets     []string
			Networks    yaml.Node
		}
		Secrets map[string]struct{ File string }
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	caddyfile, err := os.ReadFile("../../deploy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	var proxy struct {
		Kassa struct {
			IPv4 string `yaml:"ipv4_address"`
		}
	}
	networks := compose.Services["caddy"].Networks
	if err := networks.Decode(&proxy); err != nil || proxy.Kassa.IPv4 == "" {
		t.Fatalf("the proxy has no fixed address on the kassa network: %v", err)
	}
	replicas := 0
	for name, s := range compose.Services {
		if s.Image != "kassa" {
			continue
		}
		replicas++
		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = interpolation.ReplaceAllString(v, "x") // what .env would give
		}
		checkServe(t, name, s.Command, env)
		if i := slices.Index(s.Command, "--trusted-proxies"); i < 0 || s.Command[i+1] != proxy.Kassa.IPv4 {
			t.Errorf("%s trusts %q as proxies, want the proxy's %s", name, s.Command, proxy.Kassa.IPv4)
		}
		if secret := strings.TrimPrefix(env["KASSA_KEY_FILE"], "/run/secrets/"); !slices.Contains(s.Secrets, secret) || compose.Secrets[secret].File == "" {
			t.Errorf("%s reads its key from %q, which is not a secret it is given", name, env["KASSA_KEY_FILE"])
		}
		if !strings.Contains(string(caddyfile), " "+name+":8080") {
			t.Errorf("the Caddyfile does not forward to %s:8080", name)
		}
	}
	if replicas != 2 {
		t.Errorf("%d replicas, want 2", replicas)
	}
}

// The systemd unit starts `kassa serve` with flags and variables kassa
// has, and hands it the key file as the credential it loads.
func TestSystemdUnit(t *testing.T) {
	f, err := os.Open("../../deploy/kassa.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env, settings := map[string]string{}, map[string][]string{}
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		k, v, ok := strings.Cut(lines.Text(), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		settings[k] = append(settings[k], v)
		if k == "Environment" {
			name, value, _ := strings.Cut(v, "=")
			env[name] = value
		}
	}
	// /etc/kassa/kassa.env gives live mode its public URL.
	env["KASSA_PUBLIC_URL"] = "https://pay.example.com"
	exec := strings.Fields(settings["ExecStart"][0])
	if exec[0] != "/usr/local/bin/kassa" {
		t.Errorf("ExecStart runs %s", exec[0])
	}
	checkServe(t, "kassa.service", exec[1:], env)
	credential, _, _ := strings.Cut(settings["LoadCredential"][0], ":")
	if env["KASSA_KEY_FILE"] != "%d/"+credential {
		t.Errorf("KASSA_KEY_FILE=%s, want the credential %s in %%d", env["KASSA_KEY_FILE"], credential)
	}
	for _, want := range []string{"DynamicUser", "StateDirectory", "ProtectSystem", "NoNewPrivileges", "PrivateTmp", "RestrictAddressFamilies", "SystemCallFilter"} {
		if settings[want] == nil {
			t.Errorf("kassa.service does not set %s", want)
		}
	}
}

// The Dockerfile builds the command without cgo, its health check and
// command are kassa commands, and its variables are kassa's.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	if !regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build .* \./cmd/kassa`).MatchString(text) {
		t.Error("the Dockerfile does not build ./cmd/kassa with CGO_ENABLED=0")
	}
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(KASSA_[A-Z_]+)=(\S+)`).FindAllStringSubmatch(text, -1) {
		env[m[1]] = m[2]
	}
	checkServe(t, "Dockerfile", []string{"serve"}, env)
	for _, want := range []string{`CMD ["/usr/local/bin/kassa", "health"]`, `ENTRYPOINT ["/usr/local/bin/kassa"]`, `CMD ["serve"]`, "VOLUME /data", "USER 65532:65532"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
	if env["KASSA_DATA_DIR"] != "/data" {
		t.Errorf("KASSA_DATA_DIR=%q, want the volume /data", env["KASSA_DATA_DIR"])
	}
}
