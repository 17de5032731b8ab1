package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kassa backup copies the SQLite database of a running server; the copy,
// with the key file kept apart, restores a Kassa whose API clients work.
func TestBackupRestore(t *testing.T) {
	dir, to := t.TempDir(), filepath.Join(t.TempDir(), "kassa-backup.db")
	_, _, stop := startServe(t, dir)
	c := createMerchant(t, dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "backup", "--data-dir", dir, "--to", to}, noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("backup while serving: %v", err)
	}
	stop()
	if !strings.Contains(out.String(), "The key-encryption key is not in the backup") {
		t.Errorf("backup does not mention the key:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"kassa", "backup", "--data-dir", dir, "--to", to}, noenv, nil, &out, t.Output()); err == nil {
		t.Error("a backup over an existing file succeeded")
	}

	restored := t.TempDir()
	for from, name := range map[string]string{to: "kassa.db", filepath.Join(dir, keyFile): keyFile} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(restored, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base, _, stop := startServe(t, restored)
	defer stop()
	token := accessToken(t, base, c["clientId"], c["clientSecret"])
	if status := get(t, base+"/v1/api-clients", token); status != 200 {
		t.Errorf("GET /v1/api-clients on the restored copy: %d", status)
	}

	err := run(context.Background(), []string{"kassa", "backup", "--database", "postgres://127.0.0.1/kassa", "--to", filepath.Join(t.TempDir(), "x")}, noenv, nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v, want it pointed to pg_dump", err)
	}
}

func TestHealthCommand(t *testing.T) {
	base, _, stop := startServe(t, t.TempDir())
	defer stop()
	for _, args := range [][]string{{"--url", base}, {"--url", base, "--ready"}} {
		code, out, errOut := runCLI(t, noenv, append([]string{"health"}, args...)...)
		if code != 0 || !strings.Contains(out, `"status":"ok"`) {
			t.Errorf("kassa health %q: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	// The default URL is KASSA_ADDR's port on the loopback address.
	code, _, errOut := runCLI(t, env(map[string]string{"KASSA_ADDR": ":" + strings.TrimPrefix(base, "http://127.0.0.1:")}), "health")
	if code != 0 {
		t.Errorf("kassa health with KASSA_ADDR: exit %d\n%s", code, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if code, _, _ := runCLI(t, noenv, "health", "--url", closed, "--timeout", "2s"); code != 1 {
		t.Errorf("kassa health against a closed port: exit %d, want 1", code)
	}
	for addr, want := range map[string]string{":8080": "http://127.0.0.1:8080", "0.0.0.0:80": "http://127.0.0.1:80", "[::]:8080": "http://[::1]:8080", "10.0.0.5:8080": "http://10.0.0.5:8080"} {
		if got := localURL(addr); got != want {
			t.Errorf("localURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// The binary builds without cgo (the Dockerfile's CGO_ENABLED=0 static
// build), says which version it is, and runs from an empty directory with
// its defaults: it answers its health check and stops on SIGTERM.
func TestStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the container image is linux")
	}
	bin := kassaBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary is dynamically linked")
		}
	}
	f.Close()
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "kassa "+testVersion+"\n") {
		t.Errorf("kassa version: %v\n%s", err, out)
	}

	work := t.TempDir()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0")
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // nothing of the caller's KASSA_ variables
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	var base string
	for base == "" && lines.Scan() {
		if m := regexp.MustCompile(`Kassa listening on (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("kassa printed no address; stderr:\n%s", stderr.String())
	}
	go func() {
		for lines.Scan() {
		}
	}()
	health, err := exec.Command(bin, "health", "--url", base, "--ready").Output()
	var status struct{ Status string }
	if json.Unmarshal(health, &status); err != nil || status.Status != "ok" {
		t.Errorf("kassa health --ready: %v %s", err, health)
	}
	if _, err := os.Stat(filepath.Join(work, "kassa-data", "kassa.db")); err != nil {
		t.Errorf("no database in ./kassa-data: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kassa exited on SIGTERM with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Error("kassa did not stop on SIGTERM")
	}
}
