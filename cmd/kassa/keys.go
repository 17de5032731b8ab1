package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
)

// keyFile is the key-encryption key a sandbox generates, in its data
// directory.
const keyFile = "kassa.key"

// keyFlags choose a key-encryption key: a file, or the key itself in an
// environment variable (never a flag: flags show in the process list).
type keyFlags struct {
	flag, fileEnv, keyEnv string // the flag and variables that give it, for messages
	file, key             string

	checked    bool      // check ran: loaded and loadedFrom are what the flags give
	loaded     *seal.Key // nil when they give none
	loadedFrom string
}

// kekFlags are the key-encryption key's flags: --key-file, KASSA_KEY_FILE,
// KASSA_KEY.
func kekFlags(fs *flag.FlagSet, getenv func(string) string) *keyFlags {
	k := &keyFlags{flag: "key-file", fileEnv: "KASSA_KEY_FILE", keyEnv: "KASSA_KEY"}
	k.register(fs, getenv, "file of the key-encryption key that seals the signing keys and webhook secrets in the database")
	return k
}

func (k *keyFlags) register(fs *flag.FlagSet, getenv func(string) string, usage string) {
	fs.StringVar(&k.file, k.flag, getenv(k.fileEnv), usage+" ("+k.fileEnv+"; or the key itself, base64, in "+k.keyEnv+")")
	k.key = getenv(k.keyEnv)
}

// given returns the key the flags give, and where it came from; nil when
// they give none.
func (k *keyFlags) given(log *slog.Logger) (*seal.Key, string, error) {
	switch {
	case k.file != "" && k.key != "":
		return nil, "", fmt.Errorf("give the key-encryption key once: --%s (%s) or %s, not both", k.flag, k.fileEnv, k.keyEnv)
	case k.file != "":
		warnShared(log, k.file)
		key, err := readKey(k.file)
		return key, k.file, err
	case k.key != "":
		key, err := seal.Parse(k.key)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %v (make a key with `kassa keys generate`)", k.keyEnv, err)
		}
		return key, k.keyEnv, nil
	}
	return nil, "", nil
}

func readKey(path string) (*seal.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the key-encryption key: %w", err)
	}
	key, err := seal.Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %v (make one with `kassa keys generate > %s`)", path, err, path)
	}
	return key, nil
}

// check reads the key-encryption key the flags give, before any database
// is opened or created, so that a bad key, or none where one is needed
// (live mode: !sandbox), fails a start without leaving anything on disk.
func (k *keyFlags) check(log *slog.Logger, sandbox bool) error {
	key, from, err := k.given(log)
	if err != nil {
		return err
	}
	if key == nil && !sandbox {
		return fmt.Errorf("live mode needs a key-encryption key, which seals the signing keys and webhook secrets in the database: "+
			"make one with `(umask 077; kassa keys generate > kassa.key)`, keep it apart from the database and its backups, "+
			"and give it to every Kassa process sharing the database with --%s kassa.key (%s), or its content in %s", k.flag, k.fileEnv, k.keyEnv)
	}
	k.checked, k.loaded, k.loadedFrom = true, key, from
	return nil
}

// load returns the key-encryption key the flags give and where it came
// from (checking them first, unless check ran already). Without
// one, a sandbox (and a command run beside one) uses the key in the data
// directory, generated there for a database that has no key yet;
// generated says it was just made. A sandbox database sealed under a key
// that is not given is an error.
func (k *keyFlags) load(ctx context.Context, log *slog.Logger, st store.Store, dataDir string) (key *seal.Key, from string, generated bool, err error) {
	if !k.checked {
		if err := k.check(log, true); err != nil {
			return nil, "", false, err
		}
	}
	if k.loaded != nil {
		return k.loaded, k.loadedFrom, false, nil
	}
	from = filepath.Join(dataDir, keyFile)
	if key, err = readKey(from); !errors.Is(err, fs.ErrNotExist) {
		return key, from, false, err
	}
	id, err := provider.SealedUnder(ctx, st)
	if err != nil {
		return nil, "", false, err
	}
	if id != "" {
		return nil, "", false, fmt.Errorf("this database's secrets are sealed under key-encryption key %s, and no key was given: "+
			"give it with --%s (%s) or %s; Kassa generates a key only for a database that has none", id, k.flag, k.fileEnv, k.keyEnv)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", false, err
	}
	generated, err = writeKeyOnce(from, seal.Generate())
	if err != nil {
		return nil, "", false, err
	}
	key, err = readKey(from) // another process's, if it was first
	return key, from, generated, err
}

// writeKeyOnce writes a new key file at path, readable by the owner
// alone, unless one exists; created says whether it did. The file appears
// whole or not at all, so processes starting together on one data
// directory all read the one that was written first.
func writeKeyOnce(path string, raw []byte) (created bool, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), keyFile+".*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.WriteString(tmp, seal.Encode(raw)+"\n")
	if err == nil {
		err = tmp.Sync()
	}
	if err = errors.Join(err, tmp.Close()); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// keysCmd runs `kassa keys generate`, `kassa keys rewrap` and `kassa keys
// rotate-signing`.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "keys", []verb{
		{"generate", "print a new key-encryption key (base64 of 32 random bytes)", keysGenerate},
		{"rewrap", "re-seal the database's secrets under a new key-encryption key (stop Kassa first)", keysRewrap},
		{"rotate-signing", "make a new access-token signing key; tokens of the old one work until they expire", rotateSigning},
	}, args, getenv, stdout, stderr)
}

func keysGenerate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("keys generate", "", "Print a new key-encryption key, base64 of 32 random bytes: (umask 077; kassa keys generate > kassa.key)")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, seal.Encode(seal.Generate()))
	return err
}

func keysRewrap(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("keys rewrap", "--key-file OLD --new-key-file NEW [--data-dir DIR | --database URL]",
		"Re-seal every secret in the database under a new key-encryption key. Stop every Kassa process sharing the database first, and start them with the new key.")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	old := kekFlags(fs.FlagSet, getenv)
	next := &keyFlags{flag: "new-key-file", fileEnv: "KASSA_NEW_KEY_FILE", keyEnv: "KASSA_NEW_KEY"}
	next.register(fs.FlagSet, getenv, "file of the key-encryption key to seal everything under from now on")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if err := db.check(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	kek, _, err := old.given(log)
	if err == nil && kek == nil {
		err = errors.New("give the database's key-encryption key with --key-file (KASSA_KEY_FILE) or KASSA_KEY")
	}
	if err != nil {
		return err
	}
	nextKey, _, err := next.given(log)
	if err == nil && nextKey == nil {
		err = errors.New("give the new key-encryption key with --new-key-file (KASSA_NEW_KEY_FILE) or KASSA_NEW_KEY")
	}
	if err != nil {
		return err
	}
	st, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := provider.Rewrap(ctx, st, kek, nextKey)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "re-sealed %d values under key-encryption key %s (was %s); start every Kassa process sharing %s with the new key\n",
		n, nextKey.ID(), kek.ID(), db.where())
	return err
}

// rotateSigning makes a new access-token signing key (docs/secrets.md):
// every running server signs the tokens it issues with it within 2
// seconds (its refresh pass), and the tokens of the keys before it work
// until they expire. It prints the keys that verify tokens, the new one last, and is
// in the audit log with the new key as its target.
func rotateSigning(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("keys rotate-signing", "[--key-file FILE] [--data-dir DIR | --database URL]",
		"Make a new access-token signing key: every running server signs with it within 2 seconds, and tokens of the old one work until they expire; prints the keys that verify tokens, the new one last.")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	kek := kekFlags(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	ev := &audit.Event{Action: "keys rotate-signing"}
	return commandUpdate(ctx, &db, kek, getenv, stdout, stderr, ev, func(app *provider.Service, tx store.Tx) (any, error) {
		ks, err := app.RotateSigningKey(ctx, tx)
		if err != nil {
			return nil, err
		}
		ev.Target = ks[len(ks)-1].ID
		return map[string]any{"keys": ks}, nil
	})
}
