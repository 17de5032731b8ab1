package provider

import (
	"context"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store"
)

// Message is an e-mail of the provider's that is not a document's: a
// signatory's link or code, a notice to a merchant. Its body may hold a
// secret, so the outbox keeps it sealed until the mail sender opens it.
type Message struct {
	MerchantID string
	To         string
	Subject    string
	Body       string // plain text
}

// QueueMessage queues m in the mail outbox, in tx: it is sent only if tx
// commits, as soon as the mail sender next looks (mailer.Sender).
func (s *Service) QueueMessage(ctx context.Context, tx store.Tx, m Message) error {
	kek, err := s.kek()
	if err != nil {
		return err
	}
	now, id := s.clock.Now(), s.ids.New(kassa.PrefixMail)
	return tx.EnqueueMails(ctx, &store.Mail{
		ID: id, MerchantID: m.MerchantID, MessageID: id + "@" + s.mailDomain(),
		To: []string{m.To}, Subject: m.Subject, Body: kek.Seal([]byte(m.Body), store.MailBodyContext(id)),
		NextAt: now, CreatedAt: now,
	})
}
