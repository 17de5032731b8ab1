package postgres_test

import (
	"testing"

	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		// storetest closes the store; pgtest closing it again is harmless.
		return pgtest.Open(t)
	})
}
