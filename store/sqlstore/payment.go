package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/store"
)

// The payment module's records. Single-row reads lock the row in a
// read-write transaction (ForUpdate), so read-modify-writes of one record
// take turns; saves also compare versions, which catches a writer that
// read without the lock. Creates and saves go with the transaction's next
// statement or its commit (ExecLater), so a failed one fails the
// transaction there. Read-write transactions take the locks in one
// order — a session, then its payment, then their collection — so they do
// not deadlock; the one exception is deleting a collection (collection,
// then its sessions), where PostgreSQL breaks a deadlock by failing one.

func (t *Tx) PaymentCollection(ctx context.Context, merchantID, id string) (*payment.Collection, error) {
	var c payment.Collection
	if err := t.getDoc(ctx, &c, "payment collection "+id, `SELECT doc FROM payment_collections WHERE `+byID+t.c.ForUpdate(), id, merchantID); err != nil {
		return nil, err
	}
	return &c, nil
}

func (t *Tx) PaymentCollectionRecords(ctx context.Context, merchantID, id string) (*store.CollectionRecords, error) {
	return t.collectionRecords(ctx, "payment collection "+id, []any{id, merchantID}, "$1")
}

func (t *Tx) PaymentSessionRecords(ctx context.Context, merchantID, id string) (*payment.Session, *store.CollectionRecords, error) {
	return withRecords[payment.Session](ctx, t, "collection_sessions", "payment session "+id, merchantID, id)
}

func (t *Tx) PaymentRecords(ctx context.Context, merchantID, id string) (*payment.Payment, *store.CollectionRecords, error) {
	return withRecords[payment.Payment](ctx, t, "payments", "payment "+id, merchantID, id)
}

// withRecords reads the row of table with the ID, locked in a read-write
// transaction, and then its collection's records (collectionRecords).
func withRecords[T any](ctx context.Context, t *Tx, table, what, merchantID, id string) (*T, *store.CollectionRecords, error) {
	var found []*T
	r, err := t.collectionRecords(ctx, "the collection of "+what, []any{id, merchantID},
		`(SELECT collection_id FROM `+table+` WHERE `+byID+`)`, Query{
			SQL:  `SELECT doc FROM ` + table + ` WHERE ` + byID + t.c.ForUpdate(),
			Args: []any{id, merchantID},
			Scan: docScanner(&found, what),
		})
	if len(found) == 0 && (err == nil || kassa.ErrorCode(err) == kassa.ENotFound) {
		return nil, nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	if err != nil {
		return nil, nil, err
	}
	return found[0], r, nil
}

// collectionRecords reads, after the queries in first, the records of
// the collection that of names (an SQL expression of args: $1, and the
// merchant, $2), locking the collection first. One round trip: separate
// statements, not a join, so each reads after the locks before it are
// granted, as separate reads would.
func (t *Tx) collectionRecords(ctx context.Context, what string, args []any, of string, first ...Query) (*store.CollectionRecords, error) {
	var (
		doc string
		r   store.CollectionRecords
	)
	qs := append(first, Query{
		SQL:  `SELECT doc FROM payment_collections WHERE id = ` + of + ` AND merchant_id || '' = $2` + t.c.ForUpdate(),
		Args: args,
		Scan: func(rows Scanner) error { return rows.Scan(&doc) },
	}, Query{
		SQL:  sessionsOf(of),
		Args: args,
		Scan: docScanner(&r.Sessions, "sessions of "+what),
	}, Query{
		SQL:  paymentsOf(of),
		Args: args,
		Scan: docScanner(&r.Payments, "payments of "+what),
	})
	if err := t.c.Queries(ctx, qs...); err != nil {
		return nil, readErr(err, what)
	}
	if doc == "" {
		return nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	r.Collection = new(payment.Collection)
	if err := unmarshal(doc, r.Collection); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	return &r, nil
}

func (t *Tx) PaymentCollections(ctx context.Context, merchantID string, f store.CollectionFilter) ([]*payment.Collection, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	q := newListQuery("c", merchantID)
	if len(f.Statuses) > 0 {
		ps := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ps[i] = q.arg(s)
		}
		q.and("c.status IN (" + strings.Join(ps, ", ") + ")")
	}
	if f.Currency != "" {
		q.and("c.currency = " + q.arg(f.Currency))
	}
	query := `SELECT c.doc FROM payment_collections c` + q.page(f.After, f.Limit)
	return queryDocs[payment.Collection](ctx, t, "payment collections", query, q.args...)
}

func (t *Tx) PaymentSession(ctx context.Context, merchantID, id string) (*payment.Session, error) {
	var s payment.Session
	if err := t.getDoc(ctx, &s, "payment session "+id, `SELECT doc FROM collection_sessions WHERE `+byID+t.c.ForUpdate(), id, merchantID); err != nil {
		return nil, err
	}
	s.Stored = s.Version
	return &s, nil
}

func (t *Tx) PaymentSessionByRef(ctx context.Context, providerID, ref string) (*payment.Session, error) {
	what := "payment session with reference " + ref
	if ref == "" {
		return nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	var s payment.Session
	if err := t.getDoc(ctx, &s, what, `SELECT doc FROM collection_sessions WHERE provider_id = $1 AND provider_ref = $2`, providerID, ref); err != nil {
		return nil, err
	}
	s.Stored = s.Version
	return &s, nil
}

// sessionsOf and paymentsOf list, oldest first, the sessions and
// payments of the collection that of names: an SQL expression of $1,
// with the merchant as $2.
func sessionsOf(of string) string {
	return `SELECT doc FROM collection_sessions WHERE collection_id = ` + of + ` AND merchant_id = $2 ORDER BY created_at, id`
}

func paymentsOf(of string) string {
	return `SELECT doc FROM payments WHERE collection_id = ` + of + ` AND merchant_id = $2 ORDER BY created_at, id`
}

func (t *Tx) PaymentSessionsOf(ctx context.Context, merchantID, collectionID string) ([]*payment.Session, error) {
	return queryDocs[payment.Session](ctx, t, "sessions of "+collectionID, sessionsOf("$1"), collectionID, merchantID)
}

func (t *Tx) Payment(ctx context.Context, merchantID, id string) (*payment.Payment, error) {
	var p payment.Payment
	if err := t.getDoc(ctx, &p, "payment "+id, `SELECT doc FROM payments WHERE `+byID+t.c.ForUpdate(), id, merchantID); err != nil {
		return nil, err
	}
	p.Stored = p.Version
	return &p, nil
}

func (t *Tx) PaymentsOf(ctx context.Context, merchantID, collectionID string) ([]*payment.Payment, error) {
	return queryDocs[payment.Payment](ctx, t, "payments of "+collectionID, paymentsOf("$1"), collectionID, merchantID)
}

// queryDocs decodes the doc column of every row query returns.
func queryDocs[T any](ctx context.Context, t *Tx, what, query string, args ...any) ([]*T, error) {
	var out []*T
	if err := t.c.Query(ctx, docScanner(&out, what), query, args...); err != nil {
		return nil, readErr(err, what)
	}
	return out, nil
}

// docScanner decodes each row's doc column and appends it to out.
func docScanner[T any](out *[]*T, what string) func(Scanner) error {
	return func(rows Scanner) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		v := new(T)
		if err := unmarshal(doc, v); err != nil {
			return fmt.Errorf("decode %s: %w", what, err)
		}
		switch r := any(v).(type) {
		case *payment.Session:
			r.Stored = r.Version
		case *payment.Payment:
			r.Stored = r.Version
		}
		*out = append(*out, v)
		return nil
	}
}

func (t *Tx) ProviderEvent(ctx context.Context, providerID, eventID string) (*store.ProviderEvent, error) {
	// FOR UPDATE cannot lock a row that does not exist yet; the name can.
	// Provider IDs hold no spaces, so the joined text names one event.
	if err := t.c.Lock(ctx, "provider event "+providerID+" "+eventID); err != nil {
		return nil, err
	}
	e := store.ProviderEvent{ProviderID: providerID, EventID: eventID}
	var received, processed, claimed int64
	err := t.c.QueryRow(ctx, []any{&e.MerchantID, &e.Status, &e.Action, &e.Body, &received, &processed, &claimed},
		`SELECT merchant_id, status, action, body, received_at, processed_at, claimed_until FROM provider_events WHERE provider_id = $1 AND event_id = $2`+t.c.ForUpdate(),
		providerID, eventID)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(err, "provider event")
	}
	e.ReceivedAt = fromMicros(received)
	if processed != 0 {
		e.ProcessedAt = fromMicros(processed)
	}
	if claimed != 0 {
		e.ClaimedUntil = fromMicros(claimed)
	}
	return &e, nil
}

func (t *Tx) CreatePaymentCollection(ctx context.Context, c *payment.Collection) error {
	what := "payment collection " + c.ID
	doc, err := encode(c, what)
	if err != nil {
		return err
	}
	return t.writeLater(ctx, what, `INSERT INTO payment_collections (id, merchant_id, doc, version, created_at, updated_at, status, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.MerchantID, doc, c.Version, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro(), c.Status, string(c.Currency))
}

func (t *Tx) UpdatePaymentCollection(ctx context.Context, c *payment.Collection) error {
	what := "payment collection " + c.ID
	doc, err := encode(c, what)
	if err != nil {
		return err
	}
	return t.saveLater(ctx, what, `UPDATE payment_collections SET doc = $3, version = `+versionAfter("$6", "$4")+`, updated_at = $5, status = $7
		WHERE `+byID,
		c.ID, c.MerchantID, doc, c.Version, c.UpdatedAt.UnixMicro(), c.Version-1, c.Status)
}

func (t *Tx) DeletePaymentCollection(ctx context.Context, merchantID, id string) error {
	what := "payment collection " + id
	if _, err := t.PaymentCollection(ctx, merchantID, id); err != nil {
		return err // and, in a read-write transaction, locked
	}
	var payments int
	if err := t.c.QueryRow(ctx, []any{&payments}, `SELECT count(*) FROM payments WHERE collection_id = $1 AND merchant_id = $2`, id, merchantID); err != nil {
		return readErr(err, what)
	}
	if payments > 0 {
		return kassa.Errorf(kassa.EConflict, "%s has payments and cannot be deleted; cancel it instead", what)
	}
	if _, err := t.c.Exec(ctx, `DELETE FROM collection_sessions WHERE collection_id = $1 AND merchant_id = $2`, id, merchantID); err != nil {
		return t.writeErr(err, what)
	}
	n, err := t.c.Exec(ctx, `DELETE FROM payment_collections WHERE `+byID, id, merchantID)
	if err != nil {
		return t.writeErr(err, what)
	}
	return mustChange(n, what)
}

func (t *Tx) CreatePaymentSession(ctx context.Context, s *payment.Session) error {
	what := "payment session " + s.ID
	doc, err := encode(s, what)
	if err != nil {
		return err
	}
	t.saved("session "+s.ID, s.Version)
	return t.writeLater(ctx, what, `INSERT INTO collection_sessions
		(id, merchant_id, collection_id, provider_id, provider_ref, doc, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.ID, s.MerchantID, s.CollectionID, s.ProviderID, s.ProviderRef, doc, s.Version, s.CreatedAt.UnixMicro(), s.UpdatedAt.UnixMicro())
}

func (t *Tx) UpdatePaymentSession(ctx context.Context, s *payment.Session) error {
	what := "payment session " + s.ID
	doc, err := encode(s, what)
	if err != nil {
		return err
	}
	from := t.from("session "+s.ID, s.Stored, s.Version)
	return t.saveLater(ctx, what, `UPDATE collection_sessions SET provider_ref = $3, doc = $4, version = `+versionAfter("$7", "$5")+`, updated_at = $6
		WHERE `+byID,
		s.ID, s.MerchantID, s.ProviderRef, doc, s.Version, s.UpdatedAt.UnixMicro(), from)
}

func (t *Tx) DeletePaymentSession(ctx context.Context, merchantID, id string) error {
	what := "payment session " + id
	var payments int
	if err := t.c.QueryRow(ctx, []any{&payments}, `SELECT count(*) FROM payments WHERE session_id = $1`, id); err != nil {
		return readErr(err, what)
	}
	if payments > 0 {
		return kassa.Errorf(kassa.EConflict, "%s has a payment and cannot be deleted", what)
	}
	n, err := t.c.Exec(ctx, `DELETE FROM collection_sessions WHERE `+byID, id, merchantID)
	if err != nil {
		return t.writeErr(err, what)
	}
	return mustChange(n, what)
}

func (t *Tx) CreatePayment(ctx context.Context, p *payment.Payment) error {
	what := "payment " + p.ID
	if err := p.Check(); err != nil {
		return err
	}
	doc, err := encode(p, what)
	if err != nil {
		return err
	}
	t.saved("payment "+p.ID, p.Version)
	return t.writeLater(ctx, "payment for session "+p.SessionID, `INSERT INTO payments
		(id, merchant_id, collection_id, session_id, doc, amount, captured, capture_reserved, refunded, refund_reserved, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		p.ID, p.MerchantID, p.CollectionID, p.SessionID, doc, p.Amount,
		p.Captured(), p.Reserved(payment.KindCapture), p.Refunded(), p.Reserved(payment.KindRefund),
		p.Version, p.CreatedAt.UnixMicro(), p.UpdatedAt.UnixMicro())
}

func (t *Tx) UpdatePayment(ctx context.Context, p *payment.Payment) error {
	what := "payment " + p.ID
	if err := p.Check(); err != nil {
		return err
	}
	doc, err := encode(p, what)
	if err != nil {
		return err
	}
	from := t.from("payment "+p.ID, p.Stored, p.Version)
	return t.saveLater(ctx, what, `UPDATE payments
		SET doc = $3, captured = $4, capture_reserved = $5, refunded = $6, refund_reserved = $7, version = `+versionAfter("$10", "$8")+`, updated_at = $9
		WHERE `+byID,
		p.ID, p.MerchantID, doc, p.Captured(), p.Reserved(payment.KindCapture), p.Refunded(), p.Reserved(payment.KindRefund),
		p.Version, p.UpdatedAt.UnixMicro(), from)
}

func (t *Tx) PutProviderEvent(ctx context.Context, e *store.ProviderEvent) error {
	body := e.Body
	if body == nil {
		body = []byte{} // nil binds as NULL
	}
	_, err := t.c.Exec(ctx, `INSERT INTO provider_events (provider_id, event_id, merchant_id, status, action, body, received_at, processed_at, claimed_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (provider_id, event_id) DO UPDATE SET merchant_id = excluded.merchant_id, status = excluded.status,
			action = excluded.action, processed_at = excluded.processed_at, claimed_until = excluded.claimed_until`,
		e.ProviderID, e.EventID, e.MerchantID, e.Status, e.Action, body, e.ReceivedAt.UnixMicro(), microsOrZero(e.ProcessedAt), microsOrZero(e.ClaimedUntil))
	return t.writeErr(err, "provider event "+e.EventID)
}

// microsOrZero is t in unix microseconds, 0 for the zero time.
func microsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// saveLater runs a versioned update with ExecLater. Its check cannot
// read, so the update tells the three outcomes apart by itself: it
// matches the row by ID and merchant, and sets version with versionAfter,
// NULL unless the stored version is the one the caller read. No row
// changed is a missing row (ENotFound); version's NOT NULL failing the
// statement, which then writes nothing, is a newer row (ErrStale). The
// statements bind no other value that can be NULL.
func (t *Tx) saveLater(ctx context.Context, what, query string, args ...any) error {
	return t.c.ExecLater(ctx, func(n int64, err error) error {
		switch {
		case t.c.IsNullViolation(err):
			return &kassa.Error{Code: kassa.EConflict, Message: what + " was changed concurrently; retry", Err: store.ErrStale}
		case err != nil:
			return t.writeErr(err, what)
		}
		return mustChange(n, what)
	}, query, args...)
}

// from is the version a save of a record must find, and notes the
// version saved. A record that derives from one the transaction saved
// (its Version is later) must find that one; else the one it was read
// at (Stored), or, for a record no store gave, the one before its own.
// Should the save fail, so does the transaction, and its notes with it.
func (t *Tx) from(key string, stored, version int64) int64 {
	from := version - 1
	if v, ok := t.versions[key]; ok {
		if version > v {
			from = v
		}
	} else if stored != 0 {
		from = stored
	}
	t.saved(key, version)
	return from
}

// saved notes that the transaction saved version of the record key
// names.
func (t *Tx) saved(key string, version int64) {
	if t.versions == nil {
		t.versions = make(map[string]int64, 2)
	}
	t.versions[key] = version
}

// versionAfter is the new version of a saveLater: next where the stored
// version is old, else NULL. The CAST gives PostgreSQL the parameter's
// type, which a CASE with no ELSE does not.
func versionAfter(old, next string) string {
	return "CASE WHEN version = " + old + " THEN CAST(" + next + " AS BIGINT) END"
}

func encode(v any, what string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", what, err)
	}
	return string(b), nil
}
