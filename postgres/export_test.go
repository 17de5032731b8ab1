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
