//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kassa-pay/kassa/seal"
)

// A new data directory is the owner's alone, and so are the database, the
// sandbox credentials and the generated key-encryption key in it; an existing directory or file that group
// or others can read is left as it is, with a warning naming it.
func TestDataIsPrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022)) // the common default, under which files were 0644
	dir := filepath.Join(t.TempDir(), "kassa-data")
	_, _, stop := startServe(t, dir)
	stop()
	for path, want := range map[string]os.FileMode{
		dir:                            0o700,
		filepath.Join(dir, "kassa.db"): 0o600,
		filepath.Join(dir, "sandbox-credentials.json"): 0o600,
		filepath.Join(dir, "kassa.key"):                0o600,
	} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", path, fi.Mode(), err, want)
		}
	}
	migrate := func() string {
		t.Helper()
		var stderr bytes.Buffer
		if err := run(context.Background(), []string{"kassa", "migrate", "--data-dir", dir}, noenv, nil, &bytes.Buffer{}, &stderr); err != nil {
			t.Fatal(err)
		}
		return stderr.String()
	}
	if warned := migrate(); warned != "" {
		t.Errorf("warned about private data:\n%s", warned)
	}

	shared := []string{dir, filepath.Join(dir, "kassa.db"), filepath.Join(dir, "sandbox-credentials.json"), filepath.Join(dir, "kassa.key")}
	for _, p := range shared {
		mode := os.FileMode(0o644)
		if p == dir {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	warned := migrate()
	for _, p := range shared {
		if !strings.Contains(warned, "path="+p+" ") {
			t.Errorf("no warning about %s:\n%s", p, warned)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o077 == 0 {
			t.Errorf("%s: %v %v, want it left as it was", p, fi.Mode(), err)
		}
	}
}

// A key file that group or others can read is used, with a warning naming
// it.
func TestSharedKeyFileWarns(t *testing.T) {
	dir := t.TempDir()
	shared, next := filepath.Join(dir, "shared.key"), filepath.Join(dir, "next.key")
	for path, mode := range map[string]os.FileMode{shared: 0o644, next: 0o600} {
		if err := os.WriteFile(path, []byte(seal.Encode(seal.Generate())), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	args := []string{"kassa", "keys", "rewrap", "--data-dir", filepath.Join(dir, "data"), "--key-file", shared, "--new-key-file", next}
	if err := run(context.Background(), args, noenv, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "path="+shared+" ") || strings.Contains(stderr.String(), "path="+next+" ") {
		t.Errorf("warnings:\n%s\nwant one about %s alone", stderr.String(), shared)
	}
}
