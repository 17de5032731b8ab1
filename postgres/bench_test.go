package postgres_test

import (
	"testing"

	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/storetest"
)

// BenchmarkOrderList lists and searches 100,000 orders of one merchant
// (storetest.BenchOrderList; docs/benchmarks.md).
func BenchmarkOrderList(b *testing.B) { storetest.BenchOrderList(b, pgtest.Open(b)) }
