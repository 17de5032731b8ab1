package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/store/sqlstore"
)

// TestKeyedPlans checks that PostgreSQL finds a row by its id, and an
// order's documents by the order, in a new database, whose tables have no
// statistics yet, with the generic plans Kassa's connections keep: there
// a merchant-leading index may cost less, and a plan using it reads every
// row of the merchant.
func TestKeyedPlans(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := postgres.Open(ctx, url) // migrates the schema
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	c, err := pgx.Connect(ctx, url+"&plan_cache_mode=force_generic_plan")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// Documents enough that, without statistics, a merchant-leading index
	// looks as selective as documents_order.
	_, err = c.Exec(ctx, `INSERT INTO documents (id, merchant_id, order_id, ledger_id, kind, reference, payable, due_at, doc, created_at)
		SELECT 'doc_' || i, 'mer_1', 'ord_' || i / 2, 'led_' || i, 'invoice', 'ref_' || i, 100, 0, json_build_object('pdf', repeat('x', 1500)), i FROM generate_series(1, 300) i`)
	if err != nil {
		t.Fatal(err)
	}
	type plan struct{ name, stmt, args, index string }
	plans := []plan{
		{"order_update", `UPDATE orders SET doc = $3 WHERE ` + sqlstore.ByID, `'ord_1', 'mer_1', '{}'`, "orders_pkey"},
		{"session_update", `UPDATE payment_sessions SET doc = $3 WHERE ` + sqlstore.ByID, `'ses_1', 'mer_1', '{}'`, "payment_sessions_pkey"},
		{"order_documents", sqlstore.SelectOrderDocuments, `'ord_1', 'mer_1'`, "documents_order"},
	}
	// Every table with an id that has an index led by merchant_id, and
	// the index of its id.
	rows, err := c.Query(ctx, `SELECT DISTINCT m.tablename, k.indexname FROM pg_indexes m
		JOIN pg_indexes k ON k.schemaname = m.schemaname AND k.tablename = m.tablename
		WHERE m.schemaname = current_schema() AND m.indexdef LIKE '%(merchant_id%'
			AND k.indexdef LIKE 'CREATE UNIQUE INDEX % (id)'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	keyed, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Index string }])
	if err != nil {
		t.Fatal(err)
	}
	if len(keyed) < 10 {
		t.Fatalf("%d tables keyed by id with a merchant-leading index, want at least 10: %v", len(keyed), keyed)
	}
	for _, k := range keyed {
		plans = append(plans, plan{k.Table, `SELECT * FROM ` + k.Table + ` WHERE ` + sqlstore.ByID + ` FOR UPDATE`, `'id_1', 'mer_1'`, k.Index})
	}
	for _, tt := range plans {
		if _, err := c.Exec(ctx, "PREPARE "+tt.name+" AS "+tt.stmt); err != nil {
			t.Fatal(err)
		}
		rows, err := c.Query(ctx, "EXPLAIN EXECUTE "+tt.name+"("+tt.args+")")
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, " "+tt.index+" ") || strings.Contains(text, "Cond: (merchant_id") {
			t.Errorf("%s: the plan does not use %s alone:\n%s", tt.name, tt.index, text)
		}
	}
}
