//go:build unix

package sqlite_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kassa-pay/kassa/store"
)

// The database and its -wal and -shm files are created readable by their
// owner only, whatever the umask lets through: they hold signing keys.
func TestFilesArePrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022)) // the common default, which left them 0644
	path := filepath.Join(t.TempDir(), "kassa.db")
	db := mustOpen(t, path)
	defer db.Close()
	if err := db.Update(t.Context(), func(tx store.Tx) error { return tx.PutSetting(t.Context(), "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(p), mode)
		}
	}
}
