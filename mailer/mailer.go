// Package mailer delivers the invoice e-mails queued in the store's mail
// outbox over SMTP. A mail is queued in the transaction that issues its
// document, so it exists exactly when the document does; the sender claims
// due mails with a lease, sends them and marks them sent. A crash between
// sending and marking sends the mail again after the lease, with the same
// Message-ID: delivery is at least once, and duplicates are recognisable.
package mailer

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf"
	"github.com/kassa-pay/kassa/invoice/ubl"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/store"
	mail "github.com/wneessen/go-mail"
)

// SMTP says how to reach the mail server.
type SMTP struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	// TLS is "starttls" (required), "opportunistic" or "none".
	TLS  string
	From string
}

// Sender sends the outbox's due mails.
type Sender struct {
	Store store.Store
	Clock kassa.Clock
	Log   *slog.Logger
	SMTP  SMTP
	// PublicURL is the base of the buyer's link in each mail.
	PublicURL string
	// KEK opens each document's link token, which is stored sealed under
	// it (invoice.Document.BuyerPath).
	KEK *seal.Key
	// Lease is how long a claimed mail is left to its claimer before
	// another sender may take it: longer than one SMTP delivery takes.
	Lease time.Duration
	// MaxAttempts ends the retries; the mail stays in the log with its
	// last error.
	MaxAttempts int
	// Batch is how many mails one round claims.
	Batch int
}

// Defaults for a Sender's zero fields.
const (
	DefaultLease       = 5 * time.Minute
	DefaultMaxAttempts = 12
	DefaultBatch       = 20
)

// Backoff is the wait after the attempt-th failed attempt: a minute,
// doubling to at most six hours.
func Backoff(attempt int) time.Duration {
	d := time.Minute
	for range min(attempt-1, 9) {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// SendDue claims the mails due now and tries each once. It returns how
// many were sent; a failed mail is rescheduled, not an error.
func (s *Sender) SendDue(ctx context.Context) (sent int, err error) {
	lease, batch, maxAttempts := s.Lease, s.Batch, s.MaxAttempts
	if lease <= 0 {
		lease = DefaultLease
	}
	if batch <= 0 {
		batch = DefaultBatch
	}
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	var mails []store.Mail
	err = s.Store.Update(ctx, func(tx store.Tx) (err error) {
		mails, err = tx.ClaimMails(ctx, s.Clock.Now(), lease, batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("claim mails: %w", err)
	}
	for _, m := range mails {
		sendErr := s.send(ctx, &m)
		now := s.Clock.Now()
		err := s.Store.Update(ctx, func(tx store.Tx) error {
			if sendErr == nil {
				return tx.MailSent(ctx, m.ID, now)
			}
			next := now.Add(Backoff(m.Attempts))
			if m.Attempts >= maxAttempts {
				next = time.Time{} // give up; the log keeps the reason
			}
			return tx.MailFailed(ctx, m.ID, next, kassa.Clip(sendErr.Error(), 500))
		})
		if sendErr != nil {
			s.Log.Warn("mail not sent", "mail", m.ID, "attempt", m.Attempts, "err", sendErr)
		} else {
			sent++
		}
		if err != nil {
			// The lease expires and the mail is tried again: at least once.
			return sent, fmt.Errorf("record mail %s: %w", m.ID, err)
		}
	}
	return sent, nil
}

// Run sends due mails every interval until ctx ends.
func (s *Sender) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("mail outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Sender) send(ctx context.Context, m *store.Mail) error {
	msg, err := s.message(ctx, m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// message builds the e-mail, with the same headers on every attempt: a
// document's with its text and the PDF attached, or a message with the
// body it was queued with.
func (s *Sender) message(ctx context.Context, m *store.Mail) (*mail.Msg, error) {
	msg := mail.NewMsg()
	var d *invoice.Document
	if m.DocumentID != "" {
		err := s.Store.View(ctx, func(tx store.ReadTx) (err error) {
			d, err = tx.Document(ctx, m.MerchantID, m.DocumentID)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if err := s.from(ctx, msg, m, d); err != nil {
		return nil, err
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, fmt.Errorf("copy recipients: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.CreatedAt)
	if m.DocumentID == "" {
		body, err := s.KEK.Open(m.Body, store.MailBodyContext(m.ID))
		if err != nil {
			return nil, fmt.Errorf("open the body of mail %s: %w", m.ID, err)
		}
		msg.SetBodyString(mail.TypeTextPlain, string(body))
		return msg, nil
	}
	b, err := pdf.Render(d)
	if err != nil {
		return nil, err
	}
	body, err := s.body(m, d)
	if err != nil {
		return nil, err
	}
	msg.SetBodyString(mail.TypeTextPlain, body)
	name := fmt.Sprintf("%s-%d.pdf", d.Kind, d.Number)
	if err := msg.AttachReader(name, bytes.NewReader(b), mail.WithFileContentType(mail.ContentType("application/pdf"))); err != nil {
		return nil, fmt.Errorf("attach %s: %w", name, err)
	}
	if d.EInvoice() {
		s.attachUBL(msg, m, d)
	}
	return msg, nil
}

// attachUBL attaches d's Peppol BIS Billing 3.0 XML for a buyer who asked
// for e-invoices. A document that cannot be one (the seller's settings
// lack what the rules ask) still goes out as its PDF: the buyer gets the
// invoice, and the log says what the e-invoice lacks.
func (s *Sender) attachUBL(msg *mail.Msg, m *store.Mail, d *invoice.Document) {
	x, err := ubl.Build(d)
	if err != nil {
		s.Log.Warn("mail sent without its e-invoice", "mail", m.ID, "document", d.ID, "err", err)
		return
	}
	name := fmt.Sprintf("%s-%d.xml", d.Kind, d.Number)
	if err := msg.AttachReader(name, bytes.NewReader(x), mail.WithFileContentType(mail.ContentType("application/xml"))); err != nil {
		s.Log.Warn("mail sent without its e-invoice", "mail", m.ID, "document", d.ID, "err", err)
	}
}

// from sets the sender: the From address Kassa sends with, under the
// seller's name, since the buyer deals with the merchant: a document's
// seller, or for a message the seller of the merchant's invoice settings,
// else the merchant's name.
func (s *Sender) from(ctx context.Context, msg *mail.Msg, m *store.Mail, d *invoice.Document) error {
	addr, err := netmail.ParseAddress(s.SMTP.From)
	if err != nil {
		return fmt.Errorf("from address %q: %w", s.SMTP.From, err)
	}
	name := ""
	if d != nil {
		name = d.Seller.Name
	} else {
		err := s.Store.View(ctx, func(tx store.ReadTx) error {
			settings, err := tx.InvoiceSettings(ctx, m.MerchantID)
			if err != nil {
				return err
			}
			if name = settings.Seller.Name; name != "" {
				return nil
			}
			mc, err := tx.Merchant(ctx, m.MerchantID)
			if kassa.ErrorCode(err) == kassa.ENotFound {
				return nil
			} else if err != nil {
				return err
			}
			name = mc.Name
			return nil
		})
		if err != nil {
			return fmt.Errorf("the sender's name of mail %s: %w", m.ID, err)
		}
	}
	if name == "" {
		name = addr.Name
	}
	if err := msg.FromFormat(name, addr.Address); err != nil {
		return fmt.Errorf("from address %q: %w", s.SMTP.From, err)
	}
	return nil
}

// body is a document's e-mail's text, in its language.
func (s *Sender) body(m *store.Mail, d *invoice.Document) (string, error) {
	link, err := d.BuyerPath(s.KEK)
	if err != nil {
		return "", err
	}
	p := i18n.For(d.Locale)
	var b strings.Builder
	if m.Reminder {
		b.WriteString(p.T("mail.doc.overdue", p.Date(d.DueDate)) + "\n\n")
	}
	b.WriteString(p.T("mail.doc.attached", invoice.TitleIn(p, d.Kind), d.Number, d.Seller.Name, d.OrderReference) + "\n\n")
	if d.Payable() > 0 {
		b.WriteString(p.T("mail.doc.toPay", p.Amount(d.Payable(), d.Currency), d.Currency, p.Date(d.DueDate)) + "\n")
		b.WriteString(invoice.ReferenceLabel(p, d) + ": " + invoice.PrintedReference(d) + "\n")
		if d.Bankgiro != "" {
			b.WriteString("Bankgiro: " + d.Bankgiro + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(p.T("mail.doc.online", strings.TrimRight(s.PublicURL, "/")+link) + "\n")
	return b.String(), nil
}

func (s *Sender) client() (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(s.SMTP.Port), mail.WithTimeout(30 * time.Second)}
	switch s.SMTP.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "", "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		return nil, kassa.Invalid("smtp-tls", "smtp TLS must be starttls, opportunistic or none, not %q", s.SMTP.TLS)
	}
	if s.SMTP.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.SMTP.Username), mail.WithPassword(s.SMTP.Password))
	}
	return mail.NewClient(s.SMTP.Host, opts...)
}
