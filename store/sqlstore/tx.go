package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

var _ store.Tx = (*Tx)(nil)

// Tx is a store transaction over a backend's Conn. In a read-only
// transaction every write fails in the backend.
type Tx struct {
	c            Conn
	claimsLocked bool // this transaction holds claimsLock
	// orders holds the indexed columns of each order the transaction
	// read or updated, as its row holds them now: UpdateOrder sets
	// only those that change.
	orders map[string]orderIndexed
	// clocks holds the test clock offsets read ahead (PrefetchTestClock)
	// or set in the transaction.
	clocks map[string]time.Duration
	// versions holds the versions of payment sessions and payments the
	// transaction saved (from).
	versions map[string]int64
}

// NewTx returns the store transaction that runs on c.
func NewTx(c Conn) *Tx { return &Tx{c: c} }

// getDoc reads a JSON document column into v.
func (t *Tx) getDoc(ctx context.Context, v any, what, query string, args ...any) error {
	var doc string
	if err := t.c.QueryRow(ctx, []any{&doc}, query, args...); err != nil {
		return readErr(err, what)
	}
	if err := unmarshal(doc, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// mustChange turns a write that matched no row into ENotFound.
func mustChange(n int64, what string) error {
	if n == 0 {
		return kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	return nil
}

func (t *Tx) Merchant(ctx context.Context, id string) (*merchant.Merchant, error) {
	var (
		m       merchant.Merchant
		created int64
	)
	err := t.c.QueryRow(ctx, []any{&m.ID, &m.Name, &m.StoreID, &m.Email, &created},
		`SELECT id, name, store_id, email, created_at FROM merchants WHERE id = $1`, id)
	if err != nil {
		return nil, readErr(err, "merchant "+id)
	}
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

// CountMerchants locks the count, so a transaction that creates a merchant
// only when there is none is the only one to do so.
func (t *Tx) CountMerchants(ctx context.Context) (int, error) {
	if err := t.c.Lock(ctx, "merchants"); err != nil {
		return 0, err
	}
	var n int
	if err := t.c.QueryRow(ctx, []any{&n}, `SELECT count(*) FROM merchants`); err != nil {
		return 0, fmt.Errorf("count merchants: %w", err)
	}
	return n, nil
}

func (t *Tx) CreateMerchant(ctx context.Context, m *merchant.Merchant) error {
	_, err := t.c.Exec(ctx, `INSERT INTO merchants (id, name, store_id, email, created_at) VALUES ($1, $2, $3, $4, $5)`,
		m.ID, m.Name, m.StoreID, m.Email, m.CreatedAt.UnixMicro())
	return t.writeErr(err, "merchant "+m.ID)
}

func (t *Tx) SetMerchantEmail(ctx context.Context, id, email string) error {
	what := "merchant " + id
	n, err := t.c.Exec(ctx, `UPDATE merchants SET email = $2 WHERE id = $1`, id, email)
	if err != nil {
		return t.writeErr(err, what)
	}
	return mustChange(n, what)
}

// byID is the condition of a statement on one row of a table keyed by id
// ($1), of merchant $2. The merchant is compared as an expression, which
// no index serves, so that the primary key is the one index a database
// can use. On a table without statistics yet (a new database, before
// autovacuum's first ANALYZE) PostgreSQL may cost a merchant-leading list
// or search index, deduplicated to a page or two, below the primary key;
// the generic plan it keeps until they change then reads every row of the
// merchant to find one. Statements that find rows of such a table another
// way (an order's documents by the order, a collection through a
// subquery, a row through an alias or with other parameters) compare the
// merchant the same way; tables without a merchant-leading index need not.
const byID = `id = $1 AND merchant_id || '' = $2`

func (t *Tx) Order(ctx context.Context, merchantID, id string) (*order.Order, error) {
	what := "order " + id
	var (
		doc    string
		cols   orderIndexed
		events []order.Event
	)
	// Two statements in one round trip, not a join: the second reads the
	// events committed while the first waited for the row lock, which a
	// join's snapshot would miss. The indexed columns are read as stored,
	// not derived from doc: a row saved before a column's rule changed
	// holds what the old rule gave, and the next update must rewrite it.
	err := t.c.Queries(ctx, Query{
		SQL: `SELECT doc, ready_pending, ready_at, expire_at, status, search_reference, search_company, search_org, search_email
			FROM orders WHERE ` + byID + t.c.ForUpdate(),
		Args: []any{id, merchantID},
		Scan: func(rows Scanner) error {
			return rows.Scan(&doc, &cols.readyPending, &cols.readyAt, &cols.expireAt, &cols.status,
				&cols.search[1], &cols.search[3], &cols.search[4], &cols.search[5])
		},
	}, Query{
		SQL:  `SELECT id, type, ledger_id, amount, created_at FROM order_events WHERE order_id = $1 ORDER BY seq`,
		Args: []any{id},
		Scan: func(rows Scanner) error {
			var (
				e       order.Event
				created int64
			)
			if err := rows.Scan(&e.ID, &e.Type, &e.LedgerID, &e.Amount, &created); err != nil {
				return err
			}
			e.CreatedAt = fromMicros(created)
			events = append(events, e)
			return nil
		},
	})
	if err != nil {
		return nil, readErr(err, what)
	}
	if doc == "" {
		return nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	var o order.Order
	if err := unmarshal(doc, &o); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	o.Events = events
	t.remember(id, cols)
	return &o, nil
}

// remember notes what order id's indexed columns now hold.
func (t *Tx) remember(id string, cols orderIndexed) {
	if t.orders == nil {
		t.orders = make(map[string]orderIndexed, 1)
	}
	t.orders[id] = cols
}

// orderRow is an order as its row holds it: the document, and the columns
// that are queried or checked.
type orderRow struct {
	doc                            string
	createdAt, updatedAt           int64
	authorized, captured, refunded int64
	orderIndexed
}

// orderIndexed are the indexed columns of an order's row that an update
// may change, and the two of search that it never does (the ID and the
// order reference, which only CreateOrder writes).
type orderIndexed struct {
	readyPending, readyAt int64
	expireAt              *int64 // nil: no expiry to record
	status                string
	search                [6]string // searchColumns
}

func newOrderRow(o *order.Order) (orderRow, error) {
	doc, err := json.Marshal(o)
	if err != nil {
		return orderRow{}, fmt.Errorf("encode order %s: %w", o.ID, err)
	}
	r := orderRow{
		doc:        string(doc),
		createdAt:  o.CreatedAt.UnixMicro(),
		updatedAt:  o.UpdatedAt.UnixMicro(),
		authorized: o.AuthorizedAmount,
		captured:   o.CapturedAmount(),
		refunded:   o.RefundedAmount(),
		orderIndexed: orderIndexed{
			readyAt: o.ReadyAt.UnixMicro(),
			status:  o.PaymentStatus(),
			search:  searchColumns(o),
		},
	}
	if !o.Ready && o.Uncaptured != nil {
		r.readyPending = 1
	}
	if o.ExpiryDue() {
		at := o.ExpiresAt.UnixMicro()
		r.expireAt = &at
	}
	return r, nil
}

func (t *Tx) CreateOrder(ctx context.Context, o *order.Order) error {
	r, err := newOrderRow(o)
	if err != nil {
		return err
	}
	err = t.writeLater(ctx, "order "+o.ID, `INSERT INTO orders
		(id, merchant_id, session_id, doc, ready_pending, ready_at, authorized, captured, refunded, created_at, updated_at, expire_at,
		status, currency, search_id, search_reference, search_order_reference, search_company, search_org, search_email)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		o.ID, o.MerchantID, o.SessionID, r.doc, r.readyPending, r.readyAt, r.authorized, r.captured, r.refunded, r.createdAt, r.updatedAt, r.expireAt,
		r.status, string(o.Currency), r.search[0], r.search[1], r.search[2], r.search[3], r.search[4], r.search[5])
	if err != nil {
		return err
	}
	return t.insertEvents(ctx, o, o.Events)
}

func (t *Tx) UpdateOrder(ctx context.Context, o *order.Order, newEvents []order.Event) error {
	what := "order " + o.ID
	r, err := newOrderRow(o)
	if err != nil {
		return err
	}
	check := func(n int64, err error) error {
		if err != nil {
			return t.writeErr(err, what)
		}
		return mustChange(n, what)
	}
	// An order's ID, currency and order reference never change; the
	// other columns below may. SQLite rewrites an index's entry whenever
	// one of the index's columns is in the SET list, changed or not, each
	// entry a page of the WAL: so an indexed column is set only if its
	// value changed from what the row holds (all of them when the
	// transaction has not read the order), an index's columns together.
	// The statement's text is one of at most 2⁷, one per set of indexes
	// changed, its columns always in the same order.
	args := []any{o.ID, o.MerchantID, r.doc, r.authorized, r.captured, r.refunded, r.updatedAt}
	var cols strings.Builder
	cols.WriteString("doc = $3, authorized = $4, captured = $5, refunded = $6, updated_at = $7")
	set := func(col string, v any) {
		args = append(args, v)
		fmt.Fprintf(&cols, ", %s = $%d", col, len(args))
	}
	old, read := t.orders[o.ID]
	changed := func(differs bool) bool { return !read || differs }
	if changed(old.readyPending != r.readyPending || old.readyAt != r.readyAt) { // both in orders_due_ready
		set("ready_pending", r.readyPending)
		set("ready_at", r.readyAt)
	}
	if changed(!sameExpiry(old.expireAt, r.expireAt)) {
		set("expire_at", r.expireAt)
	}
	if changed(old.status != r.status) {
		set("status", r.status)
	}
	for _, i := range []int{1, 3, 4, 5} { // reference, company, org, email
		if changed(old.search[i] != r.search[i]) {
			set(searchNames[i], r.search[i])
		}
	}
	err = t.c.ExecLater(ctx, check, `UPDATE orders SET `+cols.String()+` WHERE `+byID, args...)
	if err != nil {
		return err
	}
	// Should the update fail, so does the transaction: the row then holds
	// what it is now remembered to.
	t.remember(o.ID, r.orderIndexed)
	return t.insertEvents(ctx, o, newEvents)
}

// sameExpiry reports whether a and b record the same expiry, or none.
func sameExpiry(a, b *int64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func (t *Tx) insertEvents(ctx context.Context, o *order.Order, events []order.Event) error {
	for _, e := range events {
		err := t.writeLater(ctx, "order event "+e.ID, `INSERT INTO order_events (id, order_id, merchant_id, type, ledger_id, amount, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.ID, o.ID, o.MerchantID, e.Type, e.LedgerID, e.Amount, e.CreatedAt.UnixMicro())
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) OrdersDueReady(ctx context.Context, merchantID string, due time.Time, limit int) ([]store.OrderKey, error) {
	keys, err := t.orderKeys(ctx, `SELECT merchant_id, id FROM orders
		WHERE ready_pending = 1 AND ready_at <= $1`, "ORDER BY ready_at, id", merchantID, due, limit)
	if err != nil {
		return nil, fmt.Errorf("list orders due ready: %w", err)
	}
	return keys, nil
}

func (t *Tx) OrdersDueExpiry(ctx context.Context, merchantID string, due time.Time, limit int) ([]store.OrderKey, error) {
	keys, err := t.orderKeys(ctx, `SELECT merchant_id, id FROM orders
		WHERE expire_at IS NOT NULL AND expire_at <= $1`, "ORDER BY expire_at, id", merchantID, due, limit)
	if err != nil {
		return nil, fmt.Errorf("list orders due expiry: %w", err)
	}
	return keys, nil
}

// orderKeys runs a read of due work, query (selecting merchant and
// order IDs, due at $1) narrowed to the merchant unless merchantID is
// empty, then order, up to limit rows.
func (t *Tx) orderKeys(ctx context.Context, query, order, merchantID string, due time.Time, limit int) ([]store.OrderKey, error) {
	if limit <= 0 {
		return nil, nil // SQLite reads a negative LIMIT as none at all
	}
	query, args := ofMerchant(query, order, merchantID, due.UnixMicro(), limit)
	var keys []store.OrderKey
	err := t.c.Query(ctx, func(rows Scanner) error {
		var k store.OrderKey
		if err := rows.Scan(&k.MerchantID, &k.OrderID); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}, query, args...)
	return keys, err
}

// ofMerchant completes a read of due work whose WHERE clause takes the
// due time as $1: narrowed to merchantID's rows unless it is empty (a
// statement of its own rather than an OR, so that each plan is simple),
// then order and a LIMIT.
func ofMerchant(query, order, merchantID string, due int64, limit int) (string, []any) {
	if merchantID == "" {
		return query + " " + order + " LIMIT $2", []any{due, limit}
	}
	return query + " AND merchant_id = $3 " + order + " LIMIT $2", []any{due, limit, merchantID}
}

func (t *Tx) Session(ctx context.Context, merchantID, id string) (*session.Session, error) {
	var s session.Session
	if err := t.getDoc(ctx, &s, "session "+id, `SELECT doc FROM payment_sessions WHERE `+byID+t.c.ForUpdate(), id, merchantID); err != nil {
		return nil, err
	}
	return &s, nil
}

func (t *Tx) CreateSession(ctx context.Context, s *session.Session) error {
	what := "session " + s.ID
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	return t.writeLater(ctx, what, `INSERT INTO payment_sessions (id, merchant_id, doc, created_at, updated_at, state, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, s.MerchantID, string(doc), s.CreatedAt.UnixMicro(), s.UpdatedAt.UnixMicro(), s.State, sessionExpiry(s))
}

func (t *Tx) UpdateSession(ctx context.Context, s *session.Session) error {
	what := "session " + s.ID
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	return t.c.ExecLater(ctx, func(n int64, err error) error {
		if err != nil {
			return t.writeErr(err, what)
		}
		return mustChange(n, what)
	}, `UPDATE payment_sessions SET doc = $3, updated_at = $4, state = $5, expires_at = $6 WHERE `+byID,
		s.ID, s.MerchantID, string(doc), s.UpdatedAt.UnixMicro(), s.State, sessionExpiry(s))
}

func (t *Tx) Token(ctx context.Context, merchantID, token string) (*session.Token, error) {
	var tok session.Token
	if err := t.getDoc(ctx, &tok, "authorization token", `SELECT doc FROM authorization_tokens WHERE token = $1 AND merchant_id = $2`+t.c.ForUpdate(), token, merchantID); err != nil {
		return nil, err
	}
	return &tok, nil
}

// PutToken inserts or replaces a token, but never one of another
// merchant: that would be a write across tenants, so it is a conflict.
func (t *Tx) PutToken(ctx context.Context, tok *session.Token) error {
	const what = "authorization token"
	doc, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	return t.upsertLater(ctx, what, what+" belongs to another merchant", `INSERT INTO authorization_tokens (token, merchant_id, session_id, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token) DO UPDATE SET session_id = excluded.session_id, doc = excluded.doc
		WHERE authorization_tokens.merchant_id = excluded.merchant_id`,
		tok.Token, tok.MerchantID, tok.SessionID, string(doc))
}

func (t *Tx) IdempotencyRecord(ctx context.Context, merchantID, key string) (*store.IdempotencyRecord, error) {
	if err := t.c.ClaimKey(ctx, merchantID, key); err != nil {
		return nil, err
	}
	r := store.IdempotencyRecord{MerchantID: merchantID, Key: key}
	var created int64
	err := t.c.QueryRow(ctx, []any{&r.Fingerprint, &r.Status, &r.Body, &created},
		`SELECT fingerprint, status, body, created_at FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`, merchantID, key)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	if _, claim := errors.AsType[*kassa.Error](err); claim {
		return nil, err // the claim's refusal, sent with the query
	}
	if err != nil {
		return nil, readErr(err, "idempotency record")
	}
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

// PutIdempotencyRecord inserts the record, or replaces the key's pending
// one: a record that has answered is never replaced.
func (t *Tx) PutIdempotencyRecord(ctx context.Context, r *store.IdempotencyRecord) error {
	const what = "idempotency record for this key"
	return t.upsertLater(ctx, what, what+" already exists", `INSERT INTO idempotency_keys (merchant_id, key, fingerprint, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (merchant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
			body = excluded.body, created_at = excluded.created_at
		WHERE idempotency_keys.status = 0`, // store.Pending
		r.MerchantID, r.Key, r.Fingerprint, r.Status, r.Body, r.CreatedAt.UnixMicro())
}

func (t *Tx) DeleteIdempotencyRecords(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	n, err := t.c.Exec(ctx, `DELETE FROM idempotency_keys WHERE (merchant_id, key) IN
		(SELECT merchant_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, before.UnixMicro(), limit)
	if err != nil {
		return 0, fmt.Errorf("delete idempotency records: %w", err)
	}
	return int(n), nil
}

// Setting locks the setting, present or not, so read-modify-writes of it
// take turns.
func (t *Tx) Setting(ctx context.Context, name string) ([]byte, error) {
	if err := t.c.Lock(ctx, "setting "+name); err != nil {
		return nil, err
	}
	var v []byte
	err := t.c.QueryRow(ctx, []any{&v}, `SELECT value FROM settings WHERE name = $1`, name)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(err, "setting "+name)
	}
	if v == nil {
		v = []byte{} // the driver scans an empty BLOB as nil, which means absent
	}
	return v, nil
}

func (t *Tx) PutSetting(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{} // nil binds as NULL; an empty value is still a value
	}
	_, err := t.c.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return t.writeErr(err, "setting "+name)
}
