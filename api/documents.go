package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/store"
)

// ocrDigits is the random part of a payment reference: with the length
// and check digits it makes a 16-digit OCR number. References are unique
// across all merchants (one bank account receives every payment), and a
// clash of 10^14 random values fails the request rather than reuse one.
const ocrDigits = 14

// issueDocuments issues the documents the change from prev to next calls
// for, in the transaction that makes the change: each invoice and credit
// note is numbered, stored, linked from its chunk on next and queued for
// e-mail, or nothing of it is.
func (s *Server) issueDocuments(ctx context.Context, tx store.Tx, prev, next *order.Order, env order.Env) error {
	needs := invoice.Needed(prev, next)
	if len(needs) == 0 {
		return nil
	}
	settings, err := tx.InvoiceSettings(ctx, next.MerchantID)
	if err != nil {
		return err
	}
	var advance *invoice.Document
	if next.PaymentMethod == order.AdvanceInvoice {
		advance, err = s.orderDocument(ctx, tx, next, invoice.KindAdvance, "")
		if err != nil {
			return err
		}
	}
	for _, need := range needs {
		n, err := tx.NextDocumentNumber(ctx, next.MerchantID)
		if err != nil {
			return err
		}
		p := invoice.Params{ID: env.IDs.New(kassa.PrefixDocument), Number: n, Settings: *settings, AccessToken: randomToken(), Now: env.Now}
		if need.Kind != invoice.KindCreditNote {
			if p.PaymentReference, err = invoice.NewOCR(randomDigits(ocrDigits)); err != nil {
				return err
			}
		}
		var credited *invoice.Document
		if need.Kind == invoice.KindCreditNote {
			refund := chunkByLedger(next.Refunded, need.LedgerID)
			if credited, err = s.orderDocument(ctx, tx, next, invoice.KindInvoice, refund.CapturedLedgerID); err != nil {
				return err
			}
		}
		d, err := invoice.Issue(next, need, p, credited, advance)
		if err != nil {
			return err
		}
		if err := tx.CreateDocument(ctx, d); err != nil {
			return err
		}
		if need.Kind == invoice.KindAdvance {
			advance = d
		}
		c := chunkByLedger(next.Captured, need.LedgerID)
		if c == nil {
			c = chunkByLedger(next.Refunded, need.LedgerID)
		}
		if c != nil { // nil for an advance invoice: it documents the uncaptured lines
			c.DocumentReference, c.DocumentURL = d.Reference(), s.documentURL(d)
		}
		if err := s.queueMail(ctx, tx, d, env, false); err != nil {
			return err
		}
	}
	return nil
}

// orderDocument finds the order's document of kind for ledgerID ("" for
// any ledger); a missing one is nil for an advance invoice, which orders
// converted before Kassa issued documents do not have.
func (s *Server) orderDocument(ctx context.Context, tx store.Tx, o *order.Order, kind invoice.Kind, ledgerID string) (*invoice.Document, error) {
	docs, err := tx.OrderDocuments(ctx, o.MerchantID, o.ID)
	if err != nil {
		return nil, err
	}
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

// documentURL is where the merchant fetches a document's PDF.
func (s *Server) documentURL(d *invoice.Document) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/v1/documents/" + d.ID
}

// queueMail puts a document's e-mail, or its overdue reminder, in the
// outbox, for the buyer's address with the invoice channel's copy address,
// when the buyer has one.
func (s *Server) queueMail(ctx context.Context, tx store.Tx, d *invoice.Document, env order.Env, reminder bool) error {
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
		m.Subject = "Reminder: " + m.Subject
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
	return tx.EnqueueMail(ctx, m)
}

func (s *Server) mailDomain() string {
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "kassa.invalid"
}

func subjectOf(d *invoice.Document) string {
	seller := d.Seller.Name
	if seller == "" {
		seller = "Kassa"
	}
	return fmt.Sprintf("%s %d from %s", invoice.Title(d.Kind), d.Number, seller)
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand docs)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// randomDigits is n uniformly random decimal digits, the first non-zero
// so every reference has the same length.
func randomDigits(n int) string {
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n-1)), nil)
	span := new(big.Int).Sub(new(big.Int).Mul(lo, big.NewInt(10)), lo)
	v, _ := rand.Int(rand.Reader, span) // never fails with crypto/rand's reader
	return v.Add(v, lo).String()
}
