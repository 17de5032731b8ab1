package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/store"
)

// InvoiceSettings reads the settings document and, from the counter, the
// first number of the series, in one statement.
func (t *Tx) InvoiceSettings(ctx context.Context, merchantID string) (*invoice.Settings, error) {
	var (
		doc   string
		first int64
	)
	if err := t.c.QueryRow(ctx, []any{&doc, &first}, `SELECT `+invoiceSettingsColumns, merchantID); err != nil {
		return nil, fmt.Errorf("read invoice settings: %w", err)
	}
	return decodeInvoiceSettings(doc, first)
}

// invoiceSettingsColumns read merchant $1's invoice settings document
// ('{}' when it has none) and its series' first number (0 until set).
const invoiceSettingsColumns = `COALESCE((SELECT doc FROM invoice_settings WHERE merchant_id = $1), '{}'),
		COALESCE((SELECT first FROM document_counters WHERE merchant_id = $1), 0)`

func decodeInvoiceSettings(doc string, first int64) (*invoice.Settings, error) {
	var s invoice.Settings
	if err := unmarshal(doc, &s); err != nil {
		return nil, fmt.Errorf("decode invoice settings: %w", err)
	}
	s.FirstNumber = first
	return &s, nil
}

// IssueBasis reads the settings and the merchant's name in one statement,
// and the order's documents in a second sent with it.
func (t *Tx) IssueBasis(ctx context.Context, merchantID, orderID string) (*store.IssueBasis, error) {
	var (
		doc   string
		first int64
		name  *string // NULL: no such merchant
		b     store.IssueBasis
	)
	qs := []Query{{
		SQL:  `SELECT ` + invoiceSettingsColumns + `, (SELECT name FROM merchants WHERE id = $1)`,
		Args: []any{merchantID},
		Scan: func(rows Scanner) error { return rows.Scan(&doc, &first, &name) },
	}}
	if orderID != "" {
		b.Documents = []*invoice.Document{}
		qs = append(qs, Query{
			SQL:  selectOrderDocuments,
			Args: []any{orderID, merchantID},
			Scan: documentScanner(&b.Documents),
		})
	}
	if err := t.c.Queries(ctx, qs...); err != nil {
		return nil, fmt.Errorf("read invoice settings and documents: %w", err)
	}
	if name == nil {
		return nil, kassa.Errorf(kassa.ENotFound, "merchant %s not found", merchantID)
	}
	settings, err := decodeInvoiceSettings(doc, first)
	if err != nil {
		return nil, err
	}
	b.Settings, b.MerchantName = settings, *name
	return &b, nil
}

// PutInvoiceSettings stores the settings document without the logo's
// bytes and the first number (the logo table and the counter hold them).
func (t *Tx) PutInvoiceSettings(ctx context.Context, merchantID string, s *invoice.Settings) error {
	if len(s.Logo) > 0 {
		_, err := t.c.Exec(ctx, `INSERT INTO invoice_logos (sha256, image) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`,
			s.LogoSHA256, s.Logo)
		if err != nil {
			return t.writeErr(err, "invoice logo")
		}
	}
	stored := *s
	stored.Logo, stored.FirstNumber = nil, 0
	doc, err := json.Marshal(&stored)
	if err != nil {
		return fmt.Errorf("encode invoice settings: %w", err)
	}
	_, err = t.c.Exec(ctx, `INSERT INTO invoice_settings (merchant_id, doc) VALUES ($1, $2)
		ON CONFLICT (merchant_id) DO UPDATE SET doc = excluded.doc`, merchantID, string(doc))
	return t.writeErr(err, "invoice settings")
}

func (t *Tx) InvoiceLogo(ctx context.Context, sha256 string) ([]byte, error) {
	var image []byte
	if err := t.c.QueryRow(ctx, []any{&image}, `SELECT image FROM invoice_logos WHERE sha256 = $1`, sha256); err != nil {
		return nil, readErr(err, "invoice logo "+sha256)
	}
	return image, nil
}

// StartDocumentNumbers sets the counter so the series starts at first.
// The update's condition reads only the counter row, which the upsert
// holds locked: a numberer that moved the counter on in the meantime has
// committed by then (or rolled back), so the condition sees its work.
func (t *Tx) StartDocumentNumbers(ctx context.Context, merchantID string, first int64) error {
	n, err := t.c.Exec(ctx, `INSERT INTO document_counters (merchant_id, last, first) VALUES ($1, $2, $3)
		ON CONFLICT (merchant_id) DO UPDATE SET last = excluded.last, first = excluded.first
		WHERE document_counters.last < document_counters.first`, merchantID, first-1, first)
	if err != nil {
		return fmt.Errorf("start the document numbers: %w", err)
	}
	if n == 1 {
		return nil
	}
	var was, last int64
	if err := t.c.QueryRow(ctx, []any{&was, &last}, `SELECT first, last FROM document_counters WHERE merchant_id = $1`, merchantID); err != nil {
		return fmt.Errorf("read the document counter: %w", err)
	}
	if was == first {
		return nil
	}
	e := kassa.Errorf(kassa.EConflict,
		"the document number series began at %d and has reached %d: its first number can be chosen only before the first document is numbered", was, last)
	e.Param = "firstNumber"
	return e
}

func (t *Tx) CreateDocument(ctx context.Context, d *invoice.Document) error {
	what := "document " + d.ID
	if d.AccessToken == "" || d.SealedToken == "" {
		return kassa.Errorf(kassa.EInternal, "%s has no access token, or no sealed copy of it", what)
	}
	doc, err := json.Marshal(d) // without the token (invoice.Document)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	err = t.writeLater(ctx, what, `INSERT INTO documents
		(id, merchant_id, order_id, ledger_id, kind, reference, refers_to, payment_reference, payable, due_at, doc, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		d.ID, d.MerchantID, d.OrderID, d.LedgerID, string(d.Kind), d.Reference, nullable(d.RefersTo), nullable(d.PaymentReference),
		d.Payable(), d.DueDate.UnixMicro(), string(doc), d.CreatedAt.UnixMicro())
	if err != nil {
		return err
	}
	return t.writeLater(ctx, what, `INSERT INTO document_tokens (document_id, hash, sealed) VALUES ($1, $2, $3)`,
		d.ID, invoice.TokenHash(d.AccessToken), d.SealedToken)
}

// NumberDocuments locks the unnumbered rows it reads, so a second
// numberer waits, then finds them numbered and passes them by; each
// merchant's counter moves on by its count in one upsert, whose row stays
// locked to the end of the transaction on every backend. Merchants are
// taken in one order, so concurrent numberers cannot deadlock.
func (t *Tx) NumberDocuments(ctx context.Context, limit int) ([]*invoice.Document, error) {
	if limit <= 0 {
		return nil, nil
	}
	// No join: after a lock wait, a joined row would be as it was before.
	docs, err := t.queryDocuments(ctx, `SELECT d.doc, d.reference, 0, 0, '' FROM documents d
		WHERE d.number IS NULL ORDER BY d.seq LIMIT $1`+t.c.ForUpdate(), limit)
	if err != nil {
		return nil, err
	}
	byMerchant := map[string][]*invoice.Document{}
	for _, d := range docs {
		byMerchant[d.MerchantID] = append(byMerchant[d.MerchantID], d)
	}
	for _, m := range slices.Sorted(maps.Keys(byMerchant)) {
		ds := byMerchant[m]
		var last int64
		err := t.c.QueryRow(ctx, []any{&last}, `INSERT INTO document_counters (merchant_id, last) VALUES ($1, $2)
			ON CONFLICT (merchant_id) DO UPDATE SET last = document_counters.last + excluded.last
			RETURNING last`, m, int64(len(ds)))
		if err != nil {
			return nil, fmt.Errorf("allocate document numbers: %w", err)
		}
		args := make([][]any, len(ds))
		for i, d := range ds {
			d.Number = last - int64(len(ds)-1-i)
			args[i] = []any{d.Number, d.ID}
		}
		if err := t.c.ExecEach(ctx, `UPDATE documents SET number = $1 WHERE id = $2`, args); err != nil {
			return nil, fmt.Errorf("number documents: %w", err)
		}
	}
	return docs, nil
}

// selectDocuments reads documents d, each with the number of the one it
// refers to, r, and its sealed token, t.
const selectDocuments = `SELECT ` + documentColumns + ` ` + documentsJoined

// selectOrderDocuments reads order $1's documents, of merchant $2, in the
// order they were issued. The merchant is compared as an expression so
// that documents_order is the index used, as in byID.
const selectOrderDocuments = selectDocuments + ` WHERE d.order_id = $1 AND d.merchant_id || '' = $2 ORDER BY d.seq`

const (
	documentColumns = `d.doc, d.reference, COALESCE(d.number, 0), COALESCE(r.number, 0), COALESCE(t.sealed, '')`
	documentsJoined = `FROM documents d LEFT JOIN documents r ON r.id = d.refers_to LEFT JOIN document_tokens t ON t.document_id = d.id`
)

// queryDocuments reads the documents a query with selectDocuments'
// columns finds.
func (t *Tx) queryDocuments(ctx context.Context, query string, args ...any) ([]*invoice.Document, error) {
	var docs []*invoice.Document
	if err := t.c.Query(ctx, documentScanner(&docs), query, args...); err != nil {
		return nil, fmt.Errorf("read documents: %w", err)
	}
	return docs, nil
}

// documentScanner appends each row of selectDocuments' columns to out.
func documentScanner(out *[]*invoice.Document) func(Scanner) error {
	return func(rows Scanner) error {
		d, err := scanDocument(rows)
		if err != nil {
			return err
		}
		*out = append(*out, d)
		return nil
	}
}

// scanDocument reads a row of selectDocuments' columns, then into extra
// the columns a query adds after them.
func scanDocument(rows Scanner, extra ...any) (*invoice.Document, error) {
	var (
		doc                string
		d                  = new(invoice.Document)
		number, refersToNo int64
	)
	if err := rows.Scan(append([]any{&doc, &d.Reference, &number, &refersToNo, &d.SealedToken}, extra...)...); err != nil {
		return nil, err
	}
	reference := d.Reference // documents issued before 0006 have it only in the column
	if err := unmarshal(doc, d); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	d.Reference, d.Number = reference, number
	if d.RefersTo != "" {
		if d.Kind == invoice.KindCreditNote {
			d.Credits = refersToNo
		} else {
			d.PaidByAdvance = refersToNo
		}
	}
	return d, nil
}

// documentPaid is Σ of the payments matched to document d.
const documentPaid = `(SELECT COALESCE(SUM(p.amount), 0) FROM bank_payments p WHERE p.document_id = d.id)`

// Documents builds its statement from the filters given, as Orders does.
func (t *Tx) Documents(ctx context.Context, merchantID string, f store.DocumentFilter) ([]store.ListedDocument, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	q := newListQuery("d", merchantID)
	if f.Kind != "" {
		q.and("d.kind = " + q.arg(string(f.Kind)))
	}
	if f.Unpaid || f.Overdue {
		q.and("d.payable > 0 AND " + documentPaid + " < d.payable")
	}
	if f.Overdue {
		q.and("d.due_at < " + q.arg(f.Now.UnixMicro()))
	}
	if f.Search != "" {
		cond := "d.reference = " + q.arg(f.Search) + " OR d.payment_reference = " + q.arg(f.Search)
		if n, err := strconv.ParseInt(f.Search, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == f.Search {
			cond += " OR d.number = " + q.arg(n)
		}
		q.and("(" + cond + ")")
	}
	var docs []store.ListedDocument
	err := t.c.Query(ctx, func(rows Scanner) error {
		var paid int64
		d, err := scanDocument(rows, &paid)
		docs = append(docs, store.ListedDocument{Document: d, Paid: paid})
		return err
	}, `SELECT `+documentColumns+`, `+documentPaid+` `+documentsJoined+q.page(f.After, f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return docs, nil
}

// document reads the one document where selects, or ENotFound.
func (t *Tx) document(ctx context.Context, what, where string, args ...any) (*invoice.Document, error) {
	docs, err := t.queryDocuments(ctx, selectDocuments+` WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, kassa.Errorf(kassa.ENotFound, "%s not found", what)
	}
	return docs[0], nil
}

func (t *Tx) Document(ctx context.Context, merchantID, id string) (*invoice.Document, error) {
	d, err := t.document(ctx, "document "+id, `d.id = $1 AND d.merchant_id || '' = $2`, id, merchantID)
	return t.withLogo(ctx, d, err)
}

func (t *Tx) DocumentByToken(ctx context.Context, token string) (*invoice.Document, error) {
	d, err := t.document(ctx, "document", `t.hash = $1`, invoice.TokenHash(token))
	return t.withLogo(ctx, d, err)
}

// withLogo reads the logo a document read for rendering names.
func (t *Tx) withLogo(ctx context.Context, d *invoice.Document, err error) (*invoice.Document, error) {
	if err != nil || d.LogoSHA256 == "" {
		return d, err
	}
	d.Logo, err = t.InvoiceLogo(ctx, d.LogoSHA256)
	return d, err
}

func (t *Tx) DocumentByPaymentReference(ctx context.Context, merchantID, ref string) (*invoice.Document, error) {
	return t.document(ctx, "document with payment reference "+ref, `d.payment_reference = $1 AND d.merchant_id = $2`, ref, merchantID)
}

func (t *Tx) OrderDocuments(ctx context.Context, merchantID, orderID string) ([]*invoice.Document, error) {
	docs, err := t.queryDocuments(ctx, selectOrderDocuments, orderID, merchantID)
	if err != nil {
		return nil, fmt.Errorf("list documents of order %s: %w", orderID, err)
	}
	return docs, nil
}

func (t *Tx) DocumentsIssued(ctx context.Context, merchantID string, from, to time.Time) ([]*invoice.Document, error) {
	docs, err := t.queryDocuments(ctx, selectDocuments+`
		WHERE d.merchant_id = $1 AND d.created_at >= $2 AND d.created_at < $3 ORDER BY d.seq`, merchantID, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list documents issued: %w", err)
	}
	return docs, nil
}

func (t *Tx) DocumentPaid(ctx context.Context, documentID string) (int64, error) {
	var n int64
	if err := t.c.QueryRow(ctx, []any{&n}, `SELECT COALESCE(SUM(amount), 0) FROM bank_payments WHERE document_id = $1`, documentID); err != nil {
		return 0, fmt.Errorf("sum payments of %s: %w", documentID, err)
	}
	return n, nil
}

func (t *Tx) AddBankPayment(ctx context.Context, p *store.BankPayment) (bool, error) {
	n, err := t.c.Exec(ctx, `INSERT INTO bank_payments
		(id, merchant_id, bank_ref, reference, amount, currency, document_id, booked_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (merchant_id, bank_ref) DO NOTHING`,
		p.ID, p.MerchantID, p.BankRef, p.Reference, p.Amount, string(p.Currency), nullable(p.DocumentID),
		p.BookedAt.UnixMicro(), p.CreatedAt.UnixMicro())
	if err != nil {
		return false, t.writeErr(err, "payment "+p.ID)
	}
	return n == 1, nil
}

func (t *Tx) BankPayments(ctx context.Context, merchantID string, f store.BankPaymentFilter) ([]store.BankPayment, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	q := newListQuery("p", merchantID)
	if f.Unmatched {
		q.and("p.document_id IS NULL")
	}
	return t.queryPayments(ctx, selectPayments+` p`+q.page(f.After, f.Limit), q.args...)
}

func (t *Tx) BankPayment(ctx context.Context, merchantID, id string) (*store.BankPayment, error) {
	ps, err := t.queryPayments(ctx, selectPayments+` WHERE `+byID, id, merchantID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, kassa.Errorf(kassa.ENotFound, "payment %s not found", id)
	}
	return &ps[0], nil
}

// MatchBankPayment sets the document only where none is set: a second
// match, waiting on the first's row lock, finds it set and changes
// nothing.
func (t *Tx) MatchBankPayment(ctx context.Context, merchantID, id, documentID string) error {
	n, err := t.c.Exec(ctx, `UPDATE bank_payments SET document_id = $3 WHERE `+byID+` AND document_id IS NULL`,
		id, merchantID, documentID)
	if err != nil {
		return fmt.Errorf("match payment %s: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	if _, err := t.BankPayment(ctx, merchantID, id); err != nil {
		return err
	}
	return kassa.Errorf(kassa.EConflict, "payment %s is already matched to a document", id)
}

func (t *Tx) PaymentsBooked(ctx context.Context, merchantID string, from, to time.Time) ([]store.BankPayment, error) {
	return t.queryPayments(ctx, selectPayments+` WHERE merchant_id = $1 AND booked_at >= $2 AND booked_at < $3
		ORDER BY booked_at, created_at, id`, merchantID, from.UnixMicro(), to.UnixMicro())
}

const selectPayments = `SELECT id, merchant_id, bank_ref, reference, amount, currency, COALESCE(document_id, ''), booked_at, created_at
	FROM bank_payments`

// queryPayments reads the payments a query with selectPayments' columns
// finds.
func (t *Tx) queryPayments(ctx context.Context, q string, args ...any) ([]store.BankPayment, error) {
	var ps []store.BankPayment
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			p               store.BankPayment
			currency        string
			booked, created int64
		)
		if err := rows.Scan(&p.ID, &p.MerchantID, &p.BankRef, &p.Reference, &p.Amount, &currency, &p.DocumentID, &booked, &created); err != nil {
			return err
		}
		p.Currency, p.BookedAt, p.CreatedAt = money.Currency(currency), fromMicros(booked), fromMicros(created)
		ps = append(ps, p)
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	return ps, nil
}

// mailEnvelope is what the outbox row's doc holds.
type mailEnvelope struct {
	MessageID string   `json:"messageId"`
	To        []string `json:"to"`
	Cc        []string `json:"cc,omitempty"`
	Subject   string   `json:"subject"`
	Reminder  bool     `json:"reminder,omitempty"`
	Body      string   `json:"body,omitempty"` // sealed
}

func (t *Tx) EnqueueMails(ctx context.Context, ms ...*store.Mail) error {
	args := make([][]any, len(ms))
	for i, m := range ms {
		doc, err := json.Marshal(mailEnvelope{MessageID: m.MessageID, To: m.To, Cc: m.Cc, Subject: m.Subject, Reminder: m.Reminder, Body: m.Body})
		if err != nil {
			return fmt.Errorf("encode mail %s: %w", m.ID, err)
		}
		args[i] = []any{m.ID, m.MerchantID, m.DocumentID, string(doc), m.NextAt.UnixMicro(), m.CreatedAt.UnixMicro()}
	}
	err := t.c.ExecEach(ctx, `INSERT INTO mail_outbox (id, merchant_id, document_id, doc, attempts, next_at, last_error, created_at)
		VALUES ($1, $2, $3, $4, 0, $5, '', $6)`, args)
	return t.writeErr(err, "mail")
}

const mailColumns = `id, merchant_id, document_id, doc, attempts, COALESCE(next_at, 0), COALESCE(sent_at, 0), last_error, created_at`

func (t *Tx) queryMails(ctx context.Context, q string, args ...any) ([]store.Mail, error) {
	var ms []store.Mail
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			m                   store.Mail
			doc                 string
			next, sent, created int64
			env                 mailEnvelope
		)
		if err := rows.Scan(&m.ID, &m.MerchantID, &m.DocumentID, &doc, &m.Attempts, &next, &sent, &m.LastError, &created); err != nil {
			return err
		}
		if err := unmarshal(doc, &env); err != nil {
			return fmt.Errorf("decode mail %s: %w", m.ID, err)
		}
		m.MessageID, m.To, m.Cc, m.Subject, m.Reminder, m.Body = env.MessageID, env.To, env.Cc, env.Subject, env.Reminder, env.Body
		m.CreatedAt = fromMicros(created)
		if next != 0 {
			m.NextAt = fromMicros(next)
		}
		if sent != 0 {
			m.SentAt = fromMicros(sent)
		}
		ms = append(ms, m)
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list mails: %w", err)
	}
	return ms, nil
}

func (t *Tx) Mails(ctx context.Context, merchantID string, limit int) ([]store.Mail, error) {
	if limit <= 0 {
		return nil, nil
	}
	return t.queryMails(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE merchant_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, merchantID, limit)
}

// ClaimMails locks the due rows it reads: a second claimer waits, then
// sees their new next_at and passes them by.
func (t *Tx) ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Mail, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := t.queryMails(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2`+t.c.ForUpdate(), now.UnixMicro(), limit)
	if err != nil {
		return nil, err
	}
	next := now.Add(lease)
	for i := range ms {
		if _, err := t.c.Exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, next_at = $2 WHERE id = $1`, ms[i].ID, next.UnixMicro()); err != nil {
			return nil, fmt.Errorf("claim mail %s: %w", ms[i].ID, err)
		}
		ms[i].Attempts++
		ms[i].NextAt = next
	}
	return ms, nil
}

func (t *Tx) MailSent(ctx context.Context, id string, at time.Time) error {
	n, err := t.c.Exec(ctx, `UPDATE mail_outbox SET next_at = NULL, sent_at = $2, last_error = '' WHERE id = $1`, id, at.UnixMicro())
	if err != nil {
		return fmt.Errorf("mark mail %s sent: %w", id, err)
	}
	return mustChange(n, "mail "+id)
}

func (t *Tx) MailFailed(ctx context.Context, id string, next time.Time, reason string) error {
	var nextAt any // NULL: no further attempt
	if !next.IsZero() {
		nextAt = next.UnixMicro()
	}
	n, err := t.c.Exec(ctx, `UPDATE mail_outbox SET next_at = $2, last_error = $3 WHERE id = $1 AND sent_at IS NULL`, id, nextAt, reason)
	if err != nil {
		return fmt.Errorf("record failure of mail %s: %w", id, err)
	}
	return mustChange(n, "unsent mail "+id)
}

// nullable stores "" as NULL, for columns where absent must not clash
// with a unique index or must read as IS NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// OverdueDocuments finds documents still asking for payment after their
// due date that have not been marked overdue yet.
func (t *Tx) OverdueDocuments(ctx context.Context, merchantID string, now time.Time, limit int) ([]store.DocumentKey, error) {
	if limit <= 0 {
		return nil, nil
	}
	query, args := ofMerchant(`SELECT d.merchant_id, d.id FROM documents d
		WHERE d.payable > 0 AND d.due_at < $1 AND d.number IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM document_overdue o WHERE o.document_id = d.id)
		AND (SELECT COALESCE(SUM(p.amount), 0) FROM bank_payments p WHERE p.document_id = d.id) < d.payable`,
		"ORDER BY d.due_at, d.id", merchantID, now.UnixMicro(), limit)
	var keys []store.DocumentKey
	err := t.c.Query(ctx, func(rows Scanner) error {
		var k store.DocumentKey
		if err := rows.Scan(&k.MerchantID, &k.DocumentID); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list overdue documents: %w", err)
	}
	return keys, nil
}

func (t *Tx) MarkOverdue(ctx context.Context, k store.DocumentKey, at time.Time) (bool, error) {
	n, err := t.c.Exec(ctx, `INSERT INTO document_overdue (document_id, merchant_id, marked_at) VALUES ($1, $2, $3)
		ON CONFLICT (document_id) DO NOTHING`, k.DocumentID, k.MerchantID, at.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("mark %s overdue: %w", k.DocumentID, err)
	}
	return n == 1, nil
}
