package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// Fold is how search columns hold text, and how a query is matched
// against them: trimmed and in lower case.
func Fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// foldOrg is an organisation number as its search column holds it:
// folded, without the dashes and spaces people write it with or without.
func foldOrg(s string) string {
	return strings.NewReplacer("-", "", " ", "").Replace(Fold(s))
}

// searchColumns are the columns that GET /v1/orders?q= matches by prefix,
// with their values for o, in the order the statements write them.
func searchColumns(o *order.Order) [6]string {
	return [6]string{Fold(o.ID), Fold(o.Reference), Fold(o.OrderReference), Fold(o.Customer.CompanyName), foldOrg(o.Customer.CompanyID), Fold(o.Customer.Email)}
}

var searchNames = [6]string{"search_id", "search_reference", "search_order_reference", "search_company", "search_org", "search_email"}

// prefixEnd is the least string greater than every string that begins
// with p: a prefix is the range [p, prefixEnd(p)) of a column in code
// point order (SQLite's BINARY collation, PostgreSQL's "C").
func prefixEnd(p string) string { return p + string(utf8.MaxRune) }

// listQuery builds the statement of a merchant's listing: the conditions
// its filters add, their parameters, and its page, newest first by
// creation time, then ID, after a position.
type listQuery struct {
	alias string // of the listed table
	where strings.Builder
	args  []any
}

func newListQuery(alias, merchantID string) *listQuery {
	q := &listQuery{alias: alias, args: []any{merchantID}}
	q.where.WriteString(alias + ".merchant_id = $1")
	return q
}

// arg adds v as a parameter and returns its placeholder.
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// and adds a condition.
func (q *listQuery) and(cond string) { q.where.WriteString(" AND " + cond) }

// page is the statement's WHERE, ORDER BY and LIMIT: up to limit items
// after the position after (nil: from the newest).
func (q *listQuery) page(after *store.ListPosition, limit int) string {
	a := q.alias
	if after != nil {
		at := q.arg(after.CreatedAt.UnixMicro())
		q.and("(" + a + ".created_at < " + at + " OR " + a + ".created_at = " + at + " AND " + a + ".id < " + q.arg(after.ID) + ")")
	}
	return " WHERE " + q.where.String() + " ORDER BY " + a + ".created_at DESC, " + a + ".id DESC LIMIT " + q.arg(limit)
}

// Orders builds its statement from the filters given, so that each
// statement's plan uses the index of its filters (PostgreSQL plans a
// statement once for all its parameters); there are at most 2⁶ of them.
func (t *Tx) Orders(ctx context.Context, merchantID string, f store.OrderFilter) ([]*order.Order, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	q := newListQuery("o", merchantID)
	arg := q.arg
	with := ""
	if text := Fold(f.Query); text != "" {
		var ors []string
		for i, col := range searchNames {
			p := text
			if col == "search_org" {
				if p = foldOrg(text); p == "" {
					continue
				}
			}
			// The merchant in each term lets SQLite read each term's index.
			ors = append(ors, fmt.Sprintf("o.merchant_id = $1 AND o.%s >= %s AND o.%s < %s", col, arg(p), searchNames[i], arg(prefixEnd(p))))
		}
		// The matches are found first, through the search indexes, and
		// only then filtered and sorted: left to choose, SQLite would walk
		// every order newest first, reading each one's document to reach
		// the search columns stored after it.
		with = "WITH m AS MATERIALIZED (SELECT o.id FROM orders o WHERE " + strings.Join(ors, " OR ") + ") "
		q.and("o.id IN (SELECT id FROM m)")
	}
	if len(f.Statuses) > 0 {
		ps := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ps[i] = arg(s)
		}
		q.and("o.status IN (" + strings.Join(ps, ", ") + ")")
	}
	if f.Currency != "" {
		q.and("o.currency = " + arg(f.Currency))
	}
	if !f.From.IsZero() {
		q.and("o.created_at >= " + arg(f.From.UnixMicro()))
	}
	if !f.To.IsZero() {
		q.and("o.created_at < " + arg(f.To.UnixMicro()))
	}
	if f.Overdue {
		// As OverdueDocuments finds them, marked overdue or not yet.
		q.and(`EXISTS (SELECT 1 FROM documents d WHERE d.order_id = o.id AND d.payable > 0 AND d.due_at < ` + arg(f.Now.UnixMicro()) + `
			AND (SELECT COALESCE(SUM(p.amount), 0) FROM bank_payments p WHERE p.document_id = d.id) < d.payable)`)
	}
	query := with + `SELECT o.doc FROM orders o` + q.page(f.After, f.Limit)
	var orders []*order.Order
	err := t.c.Query(ctx, func(rows Scanner) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		o := new(order.Order)
		if err := unmarshal(doc, o); err != nil {
			return fmt.Errorf("decode order: %w", err)
		}
		orders = append(orders, o)
		return nil
	}, query, q.args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return orders, nil
}
