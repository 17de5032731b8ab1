package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// MigrateTo brings the schema at url to migration last, as a release that
// ended there left it.
func MigrateTo(ctx context.Context, url, last string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = migrate(ctx, pool, last)
	return err
}

// Setting reads a run-time setting on one of db's connections.
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}

// MaxConns is the size of db's connection pool.
func (db *DB) MaxConns() int32 { return db.pool.Config().MaxConns }
