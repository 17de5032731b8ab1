package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/kassa-pay/kassa/sqlite"
)

// backupCmd copies the SQLite database while Kassa runs (sqlite.Backup).
// PostgreSQL has its own tools: pg_dump.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "--to FILE [--data-dir DIR]",
		"Copy the SQLite database in the data directory to FILE, a new file readable by its owner alone, while Kassa runs: "+
			"a consistent snapshot of what was committed. The key-encryption key is not in it: back up its file apart (docs/operations.md).")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	to := fs.String("to", "", "the backup file to write; it must not exist")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *to == "" {
		return fs.usageError(errors.New("--to is required"))
	}
	if db.url != "" {
		return errors.New("kassa backup copies the SQLite database; back up a PostgreSQL database with pg_dump (docs/operations.md), and give no --database (KASSA_DATABASE_URL)")
	}
	path := filepath.Join(db.dataDir, "kassa.db")
	if err := sqlite.Backup(ctx, path, *to); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "backed up %s to %s\nThe key-encryption key is not in the backup: keep a copy of its file (a sandbox's is %s) apart from it.\n",
		path, *to, filepath.Join(db.dataDir, keyFile))
	return err
}
