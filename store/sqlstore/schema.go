package sqlstore

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// NewerSchema is the error for a database whose schema_migrations record
// migrations that are not among known, this build's migration files
// (sorted by name, as fs.ReadDir returns them): a newer Kassa
// migrated it, and this one would misread or damage what the newer
// schema holds. Migrations only go forward, so the answer is that
// version or a later one, or the backup taken before the upgrade. It is
// nil when every applied migration is known.
func NewerSchema(applied []string, known []fs.DirEntry) error {
	var unknown []string
	for _, name := range applied {
		if !slices.ContainsFunc(known, func(f fs.DirEntry) bool { return f.Name() == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("the database's schema is newer than this Kassa: it has migration %s, which this build does not know (its newest is %s). "+
		"A newer Kassa migrated it; run that version or a later one. Schemas are never migrated down: to go back, restore the backup taken before the upgrade",
		strings.Join(unknown, ", "), known[len(known)-1].Name())
}
