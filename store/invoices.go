package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
)

// InvoiceReader reads invoice documents, payments and the mail outbox.
type InvoiceReader interface {
	// InvoiceSettings returns the merchant's settings, the zero Settings
	// (which mean the defaults) when it has none.
	// InvoiceSettings carry the hash of their logo, not its bytes
	// (InvoiceLogo), and the first number of the merchant's series
	// (FirstNumber; 0 until one is chosen or a document numbered).
	InvoiceSettings(ctx context.Context, merchantID string) (*invoice.Settings, error)
	// IssueBasis reads what issuing an order's documents starts from, in
	// one round trip where the backend can: the merchant's invoice
	// settings as InvoiceSettings reads them, its name, and, unless
	// orderID is empty, the order's documents as OrderDocuments lists
	// them. A merchant that does not exist is ENotFound.
	IssueBasis(ctx context.Context, merchantID, orderID string) (*IssueBasis, error)
	// InvoiceLogo reads a logo by the SHA-256 of its bytes, ENotFound if
	// none has it.
	InvoiceLogo(ctx context.Context, sha256 string) ([]byte, error)
	// Document reads one of the merchant's documents, with the Logo it
	// names, as DocumentByToken does: they are read to be rendered.
	Document(ctx context.Context, merchantID, id string) (*invoice.Document, error)
	// DocumentByToken finds a document by its buyer access token, for any
	// merchant: the token is the credential. Documents read have their
	// SealedToken, never their AccessToken.
	DocumentByToken(ctx context.Context, token string) (*invoice.Document, error)
	// DocumentByPaymentReference finds the merchant's document with the
	// OCR reference ref.
	DocumentByPaymentReference(ctx context.Context, merchantID, ref string) (*invoice.Document, error)
	// OrderDocuments lists an order's documents in the order they were
	// issued.
	OrderDocuments(ctx context.Context, merchantID, orderID string) ([]*invoice.Document, error)
	// Documents lists up to f.Limit of the merchant's documents that match
	// f, newest first (by creation time, then by ID, the greater first),
	// each with what has been paid on it, as DocumentsIssued reads them.
	Documents(ctx context.Context, merchantID string, f DocumentFilter) ([]ListedDocument, error)
	// DocumentPaid is Σ of the payments matched to a document.
	DocumentPaid(ctx context.Context, documentID string) (int64, error)
	// BankPayments lists the merchant's payments received f matches,
	// newest first (by when Kassa recorded them, ties by ID).
	BankPayments(ctx context.Context, merchantID string, f BankPaymentFilter) ([]BankPayment, error)
	// BankPayment reads one of the merchant's payments received.
	BankPayment(ctx context.Context, merchantID, id string) (*BankPayment, error)
	// DocumentsIssued lists the merchant's documents issued at or after
	// from and before to, in the order they were issued, as Document reads
	// them but without their logo: the accounting export's.
	DocumentsIssued(ctx context.Context, merchantID string, from, to time.Time) ([]*invoice.Document, error)
	// PaymentsBooked lists the merchant's payments booked at or after from
	// and before to, matched or not, by booking time.
	PaymentsBooked(ctx context.Context, merchantID string, from, to time.Time) ([]BankPayment, error)
	// Mails lists the merchant's outbox, newest first: the sandbox mail log.
	Mails(ctx context.Context, merchantID string, limit int) ([]Mail, error)
	// OverdueDocuments lists up to limit numbered documents, the
	// merchant's or every merchant's when merchantID is empty, that ask
	// for a payment not fully made by a due date before now and are not
	// marked overdue yet, by due date.
	OverdueDocuments(ctx context.Context, merchantID string, now time.Time, limit int) ([]DocumentKey, error)
}

// IssueBasis is what issuing an order's documents starts from
// (InvoiceReader.IssueBasis).
type IssueBasis struct {
	Settings     *invoice.Settings
	MerchantName string
	// Documents are the order's documents, in the order they were issued;
	// nil when they were not asked for.
	Documents []*invoice.Document
}

// InvoiceWriter issues documents, records payments and queues mail.
type InvoiceWriter interface {
	// PutInvoiceSettings stores the settings, and their Logo (if any)
	// under its LogoSHA256; it ignores FirstNumber (StartDocumentNumbers).
	PutInvoiceSettings(ctx context.Context, merchantID string, s *invoice.Settings) error
	// StartDocumentNumbers makes first the merchant's next document number,
	// if none of its documents is numbered yet; once one is, it is
	// EConflict unless first is where the series began.
	StartDocumentNumbers(ctx context.Context, merchantID string, first int64) error
	// CreateDocument stores an issued document, not numbered yet, with
	// its AccessToken's hash and its SealedToken, never the token itself.
	// Documents are never changed or deleted, except that NumberDocuments
	// numbers each once.
	CreateDocument(ctx context.Context, d *invoice.Document) error
	// NumberDocuments numbers up to limit documents, of every merchant,
	// that have no number yet, in the order they were issued (of those
	// committed by then), and returns them with their numbers; not with
	// the numbers of the documents they refer to (Credits, PaidByAdvance)
	// nor their SealedToken, which reading them gives. Each merchant's get its next consecutive
	// numbers, 1 first. Its counter stays locked until the transaction
	// ends, so concurrent numberers take turns, and a rolled-back
	// transaction's numbers are given again: no gaps, no duplicates.
	NumberDocuments(ctx context.Context, limit int) ([]*invoice.Document, error)
	// AddBankPayment records a payment unless the merchant already has one
	// with its BankRef; added says which.
	AddBankPayment(ctx context.Context, p *BankPayment) (added bool, err error)
	// MatchBankPayment matches the merchant's unmatched payment to the
	// document documentID (which the caller has checked is the
	// merchant's): EConflict if it is matched already, to any document,
	// so of two concurrent matches of one payment exactly one succeeds.
	MatchBankPayment(ctx context.Context, merchantID, id, documentID string) error
	// EnqueueMails queues mails, all or none.
	EnqueueMails(ctx context.Context, ms ...*Mail) error
	// ClaimMails takes up to limit unsent mails due at or before now, and
	// pushes each one's next attempt lease later and counts the attempt:
	// another process does not claim them while this one sends.
	ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Mail, error)
	// MailSent marks a mail sent; MailFailed records why an attempt
	// failed and when to try again, never when next is zero.
	MailSent(ctx context.Context, id string, at time.Time) error
	MailFailed(ctx context.Context, id string, next time.Time, reason string) error
	// MarkOverdue marks a document overdue; marked is false when it already
	// was, so of several processes exactly one sends the reminder.
	MarkOverdue(ctx context.Context, k DocumentKey, at time.Time) (marked bool, err error)
}

// DocumentFilter selects a merchant's documents; empty fields match all.
type DocumentFilter struct {
	Kind invoice.Kind
	// Unpaid matches the documents that ask for a payment not fully made;
	// Overdue those of them whose due date is before Now, numbered or not,
	// marked overdue or not.
	Unpaid, Overdue bool
	Now             time.Time
	// Search matches the documents whose reference or payment reference
	// is it, exactly, or whose number it is, written in decimal.
	Search string
	// After continues a listing: only the documents that come after this
	// position in the listing's order. Nil starts at the newest.
	After *ListPosition
	Limit int
}

// ListedDocument is a document in a listing, with Σ of the payments
// matched to it.
type ListedDocument struct {
	*invoice.Document
	Paid int64
}

// DocumentKey names a document.
type DocumentKey struct{ MerchantID, DocumentID string }

// BankPayment is money received for an invoice document (not the payment
// module's payment.Payment), matched to a document by its payment
// reference or left unmatched for manual matching.
// BankPaymentFilter is what a list of payments received holds.
type BankPaymentFilter struct {
	// Unmatched holds only those no document matched, awaiting matching
	// by hand.
	Unmatched bool
	// After continues a listing after this position; nil starts at the
	// newest.
	After *ListPosition
	Limit int
}

type BankPayment struct {
	ID         string         `json:"id"`
	MerchantID string         `json:"merchantId"`
	BankRef    string         `json:"bankReference"`
	Reference  string         `json:"paymentReference"`
	Amount     int64          `json:"amount"`
	Currency   money.Currency `json:"currency"`
	DocumentID string         `json:"documentId,omitempty"` // "" while unmatched
	BookedAt   time.Time      `json:"bookedAt"`
	CreatedAt  time.Time      `json:"createdAt"`
}

// Mail is one queued e-mail: a document's, or a message with a text body
// of its own (DocumentID empty). MessageID is fixed when the mail is
// queued, so a resend after a crash is recognisably the same message.
type Mail struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchantId"`
	DocumentID string `json:"documentId,omitempty"`
	// Body is a message's text, sealed under the key-encryption key
	// (context MailBodyContext): it may hold a link or a code that are
	// secrets. Empty for a document's mail, whose body the sender renders.
	Body      string    `json:"-"`
	MessageID string    `json:"messageId"`
	To        []string  `json:"to"`
	Cc        []string  `json:"cc,omitempty"`
	Subject   string    `json:"subject"`
	Reminder  bool      `json:"reminder,omitempty"` // an overdue reminder, not the document's first mail
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"nextAt"` // zero once sent
	SentAt    time.Time `json:"sentAt"` // zero until sent
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// MailBodyContext is the seal context of a message mail's body.
func MailBodyContext(mailID string) string { return "mail body " + mailID }
