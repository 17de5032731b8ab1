package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// issueDocuments issues the documents the change from prev to next calls
// for, in the transaction that makes the change: each invoice and credit
// note is stored with its reference and linked from its chunk on next, or
// nothing of it is. It is numbered, and its e-mail queued, after the
// transaction commits (NumberDocuments): the merchant's number counter is
// not held while a capture commits.
func (s *Service) issueDocuments(ctx context.Context, tx store.Tx, prev, next *order.Order, env order.Env) error {
	needs := invoice.Needed(prev, next)
	if len(needs) == 0 {
		return nil
	}
	kek, err := s.kek()
	if err != nil {
		return err
	}
	// The order's documents are read only when an invoice refers to the
	// advance invoice or a credit note to the invoice it credits.
	var ofOrder string
	if next.PaymentMethod == order.AdvanceInvoice || slices.ContainsFunc(needs, func(n invoice.Need) bool { return n.Kind == invoice.KindCreditNote }) {
		ofOrder = next.ID
	}
	basis, err := tx.IssueBasis(ctx, next.MerchantID, ofOrder)
	if err != nil {
		return err
	}
	settings, docs := basis.Settings, basis.Documents
	if settings.Seller.Name == "" { // the documents are the merchant's, whatever its settings lack
		settings.Seller.Name = basis.MerchantName
	}
	var advance *invoice.Document
	if next.PaymentMethod == order.AdvanceInvoice {
		if advance, err = orderDocument(next, docs, invoice.KindAdvance, ""); err != nil {
			return err
		}
	}
	for _, need := range needs {
		id := env.IDs.New(kassa.PrefixDocument)
		p := invoice.Params{ID: id, Reference: invoice.ReferenceFor(id), Settings: *settings, AccessToken: randomToken(), Now: env.Now}
		var credited *invoice.Document
		if need.Kind == invoice.KindCreditNote {
			refund := chunkByLedger(next.Refunded, need.LedgerID)
			if credited, err = orderDocument(next, docs, invoice.KindInvoice, refund.CapturedLedgerID); err != nil {
				return err
			}
		}
		d, err := invoice.Issue(next, need, p, credited, advance)
		if err != nil {
			return err
		}
		if missing := d.Missing(); s.cfg.Live && len(missing) > 0 {
			return &kassa.Error{Code: kassa.EConflict, Err: errIncompleteDocument, Message: fmt.Sprintf(
				"live mode issues no %s that lacks what the law asks of it: %s. "+
					"PUT /v1/invoice-settings sets the seller's details; the buyer's come with the order",
				strings.ToLower(invoice.Title(d.Kind)), strings.Join(missing, "; "))}
		}
		d.SealToken(kek)
		if err := tx.CreateDocument(ctx, d); err != nil {
			return err
		}
		docs = append(docs, d) // as the order's documents now are
		if need.Kind == invoice.KindAdvance {
			advance = d
		}
		c := chunkByLedger(next.Captured, need.LedgerID)
		if c == nil {
			c = chunkByLedger(next.Refunded, need.LedgerID)
		}
		if c != nil { // nil for an advance invoice: it documents the uncaptured lines
			c.DocumentReference, c.DocumentURL = d.Reference, s.DocumentURL(d)
		}
	}
	return nil
}

// errIncompleteDocument is behind the conflict of an order change whose
// document live mode will not issue, so the jobs can tell it from others.
var errIncompleteDocument = errors.New("the document would be incomplete")

// numberBatch bounds the documents one numbering transaction takes.
const numberBatch = 500

// NumberDocuments numbers the documents issued and not yet numbered, of
// every merchant, and queues each one's e-mail, in transactions of up to
// numberBatch documents, until none is left; it returns how many it
// numbered. Each merchant's documents get its next consecutive numbers in
// the order they were issued. Any Kassa process may run it at any time:
// concurrent runs take turns on the documents and on the counters.
func (s *Service) NumberDocuments(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.store.Update(ctx, func(tx store.Tx) error {
			docs, err := tx.NumberDocuments(ctx, numberBatch)
			if err != nil {
				return err
			}
			n = len(docs)
			var mails []*store.Mail
			env := s.Env()
			for _, d := range docs {
				if m := s.mailOf(d, env, false); m != nil {
					mails = append(mails, m)
				}
				if err := s.jobChanged(ctx, tx, jobNumber, d.MerchantID, d.ID); err != nil {
					return err
				}
			}
			return tx.EnqueueMails(ctx, mails...)
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < numberBatch {
			return total, nil
		}
	}
}

// documentIssued signals Issued; a signal already pending covers this
// one too.
func (s *Service) documentIssued() {
	select {
	case s.issued <- struct{}{}:
	default:
	}
}

// orderDocument finds order o's document of kind for ledgerID ("" for any
// ledger) among docs, o's documents; a missing one is nil for an advance
// invoice, which orders converted before Kassa issued documents do not
// have.
func orderDocument(o *order.Order, docs []*invoice.Document, kind invoice.Kind, ledgerID string) (*invoice.Document, error) {
	for _, d := range docs {
		if d.Kind == kind && (ledgerID == "" || d.LedgerID == ledgerID) {
			return d, nil
		}
	}
	if kind == invoice.KindAdvance {
		return nil, nil
	}
	return nil, kassa.Errorf(kassa.EConflict, "order %s has no %s for %s, so it cannot be credited", o.ID, kind, ledgerID)
}

// chunkByLedger returns the chunk of cs with ledgerID, pointing into cs.
func chunkByLedger(cs []order.Chunk, ledgerID string) *order.Chunk {
	for i := range cs {
		if cs[i].LedgerID == ledgerID {
			return &cs[i]
		}
	}
	return nil
}

// DocumentURL is where the merchant fetches a document's PDF.
func (s *Service) DocumentURL(d *invoice.Document) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/v1/documents/" + d.ID
}

// mailOf is a document's e-mail, or its overdue reminder, for the
// buyer's address with the invoice channel's copy address; nil when the
// buyer has neither.
func (s *Service) mailOf(d *invoice.Document, env order.Env, reminder bool) *store.Mail {
	if d.Buyer.Email == "" && d.CopyTo == "" {
		return nil
	}
	m := &store.Mail{
		ID: env.IDs.New(kassa.PrefixMail), MerchantID: d.MerchantID, DocumentID: d.ID,
		MessageID: d.ID + "@" + s.mailDomain(),
		Subject:   subjectOf(d), NextAt: env.Now, CreatedAt: env.Now, Reminder: reminder,
	}
	if reminder {
		m.MessageID = d.ID + ".reminder@" + s.mailDomain()
		m.Subject = i18n.For(d.Locale).T("mail.doc.reminder", m.Subject)
	}
	if d.Buyer.Email != "" {
		m.To = []string{d.Buyer.Email}
	}
	if d.CopyTo != "" && d.CopyTo != d.Buyer.Email {
		if m.To == nil {
			m.To = []string{d.CopyTo}
		} else {
			m.Cc = []string{d.CopyTo}
		}
	}
	return m
}

func (s *Service) mailDomain() string {
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "kassa.invalid"
}

// subjectOf is a document mail's subject, in the seller's name: the
// buyer deals with the merchant, not with Kassa.
func subjectOf(d *invoice.Document) string {
	p := i18n.For(d.Locale)
	if d.Seller.Name == "" { // documents issued before the merchant's name was the default
		return fmt.Sprintf("%s %d", invoice.TitleIn(p, d.Kind), d.Number)
	}
	return p.T("mail.doc.subject", invoice.TitleIn(p, d.Kind), d.Number, d.Seller.Name)
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand docs)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NumberedDocument reads a document with get; one fetched in the moment
// between its issue and its numbering is numbered first, since its PDF
// shows the number.
func (s *Service) NumberedDocument(ctx context.Context, get func(tx store.ReadTx) (*invoice.Document, error)) (*invoice.Document, error) {
	d, err := View(ctx, s, get)
	if err != nil || d.Number != 0 {
		return d, err
	}
	if _, err := s.NumberDocuments(ctx); err != nil {
		return nil, err
	}
	return View(ctx, s, get)
}

// PutInvoiceSettings replaces the merchant's invoice settings; they apply
// to documents issued from then on. Settings that name their logo by its
// hash alone keep that logo; a FirstNumber starts the number series there,
// which only works until the first document is numbered (EConflict after,
// unless it is where the series began).
func (s *Service) PutInvoiceSettings(ctx context.Context, tx store.Tx, merchantID string, settings *invoice.Settings) error {
	if err := settings.Validate(); err != nil {
		return err
	}
	if settings.Logo == nil && settings.LogoSHA256 != "" {
		if _, err := tx.InvoiceLogo(ctx, settings.LogoSHA256); kassa.ErrorCode(err) == kassa.ENotFound {
			return kassa.Invalid("logoSha256", "logoSha256 names no stored logo; send the image as logo")
		} else if err != nil {
			return err
		}
	}
	if err := tx.PutInvoiceSettings(ctx, merchantID, settings); err != nil {
		return err
	}
	if settings.FirstNumber > 0 {
		return tx.StartDocumentNumbers(ctx, merchantID, settings.FirstNumber)
	}
	return nil
}

// InvoiceSettings reads the merchant's settings as the API shows them:
// with the logo's image and the series' first number (1 by default).
func (s *Service) InvoiceSettings(ctx context.Context, tx store.ReadTx, merchantID string) (*invoice.Settings, error) {
	settings, err := tx.InvoiceSettings(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	if settings.LogoSHA256 != "" {
		if settings.Logo, err = tx.InvoiceLogo(ctx, settings.LogoSHA256); err != nil {
			return nil, err
		}
	}
	settings.PaymentTerms = settings.Terms()
	settings.FirstNumber = max(settings.FirstNumber, 1)
	return settings, nil
}
