package mailer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"github.com/kassa-pay/kassa/kassatest"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf/pdftest"
	"github.com/kassa-pay/kassa/invoice/ubl"
	"github.com/kassa-pay/kassa/mailer"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// queue issues invoice n for merchant ac_1, numbers it and queues its
// mail, as the API does; edits change the order and the settings first.
func queue(t *testing.T, st store.Store, n int64, edits ...func(*order.Order, *invoice.Settings)) *store.Mail {
	t.Helper()
	o := &order.Order{
		ID: "or_1", MerchantID: "ac_1", Currency: "SEK", OrderReference: "ABC12345",
		Customer: order.Customer{CompanyName: "Köpare AB", Email: "ap@buyer.example", InvoiceChannel: order.InvoiceChannel{Type: "email", Details: "copy@buyer.example"}},
		Captured: []order.Chunk{{LedgerID: "in_c", Lines: []order.Line{{Reference: "A", Description: "Chair", Quantity: 1, VAT: 2500, TotalAmount: 12500, TotalVATAmount: 2500}}}},
	}
	settings := invoice.Settings{Seller: invoice.Party{Name: "Säljare AB", Country: "SE"}}
	for _, edit := range edits {
		edit(o, &settings)
	}
	ocr, _ := invoice.NewOCR("77" + string(rune('0'+n)))
	d, err := invoice.Issue(o, invoice.Need{Kind: invoice.KindInvoice, LedgerID: "in_c"}, invoice.Params{
		ID: "doc_" + string(rune('0'+n)), Reference: ocr, Settings: settings,
		AccessToken: "tok" + string(rune('0'+n)), Now: t0,
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.SealToken(kassatest.KEK())
	d.LedgerID += string(rune('0' + n))
	m := &store.Mail{
		ID: "mail_" + d.ID, MerchantID: "ac_1", DocumentID: d.ID, MessageID: d.ID + "@kassa.test",
		To: []string{d.Buyer.Email}, Subject: "Invoice", NextAt: t0, CreatedAt: t0,
	}
	if d.CopyTo != "" {
		m.Cc = []string{d.CopyTo}
	}
	ctx := context.Background()
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.CreateDocument(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		docs, err := tx.NumberDocuments(ctx, 10)
		if err != nil {
			return err
		}
		if len(docs) != 1 || docs[0].ID != d.ID {
			return errors.New("the invoice was not numbered")
		}
		return tx.EnqueueMails(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func backends(t *testing.T, test func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		test(t, st)
	})
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.Open(t)) })
}

func newSender(st store.Store, srv *kassatest.SMTP, c *kassatest.Clock) *mailer.Sender {
	return &mailer.Sender{
		Store: st, Clock: c, Log: slog.New(slog.DiscardHandler), PublicURL: "https://kassa.test", KEK: kassatest.KEK(),
		SMTP:  mailer.SMTP{Host: "127.0.0.1", Port: srv.Port(), TLS: "none", From: "invoices@kassa.test"},
		Lease: time.Minute,
	}
}

// parsed is a received message taken apart.
type parsed struct {
	messageID, subject, text string
	from                     *mail.Address // the From header
	pdf, xml                 []byte        // the attachments
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{messageID: msg.Header.Get("Message-Id"), subject: msg.Header.Get("Subject")}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From %q: %v", msg.Header.Get("From"), err)
	}
	p.from = from[0]
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err == nil && mt == "text/plain" {
		b, err := io.ReadAll(qp(msg.Header.Get("Content-Transfer-Encoding"), msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		p.text = string(b)
		return p
	}
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatal(err)
		}
		ct := part.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.text = string(b)
		case strings.HasPrefix(ct, "application/pdf"), strings.HasPrefix(ct, "application/xml"):
			if part.Header.Get("Content-Transfer-Encoding") == "base64" {
				b, err = decodeBase64(b)
				if err != nil {
					t.Fatal(err)
				}
			}
			if strings.HasPrefix(ct, "application/pdf") {
				p.pdf = b
			} else {
				p.xml = b
			}
		}
	}
	return p
}

// Each queued mail reaches the SMTP server once, to the buyer and the copy
// address, with its invoice attached; sending again sends nothing.
func TestSendOnce(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		srv, c := kassatest.StartSMTP(t), kassatest.NewClock(t0)
		m := queue(t, st, 1)
		s := newSender(st, srv, c)
		if n, err := s.SendDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("SendDue = %d, %v; want 1 sent", n, err)
		}
		c.Advance(24 * time.Hour)
		if n, err := s.SendDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("second SendDue = %d, %v; want nothing", n, err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("server received %d messages, want 1", len(msgs))
		}
		if msgs[0].From != "invoices@kassa.test" || strings.Join(msgs[0].To, ",") != "ap@buyer.example,copy@buyer.example" {
			t.Errorf("envelope from %q to %v", msgs[0].From, msgs[0].To)
		}
		p := parse(t, msgs[0].Data)
		if p.messageID != "<"+m.MessageID+">" {
			t.Errorf("Message-ID = %q, want <%s>", p.messageID, m.MessageID)
		}
		if p.from.Name != "Säljare AB" || p.from.Address != "invoices@kassa.test" { // the seller's name, never Kassa's
			t.Errorf("From = %q <%s>, want the seller's name", p.from.Name, p.from.Address)
		}
		if !strings.Contains(p.text, "https://kassa.test/invoices/tok1") || !strings.Contains(p.text, "Payment reference: 771") { // OCR, no bankgiro
			t.Errorf("body:\n%s", p.text)
		}
		if text := pdftest.Text(t, p.pdf); !strings.Contains(text, "Invoice") || !strings.Contains(text, "Köpare AB") {
			t.Errorf("attached PDF text:\n%s", text)
		}
		if p.xml != nil {
			t.Errorf("an e-mail buyer's mail carries an e-invoice:\n%s", p.xml)
		}
		var log []store.Mail
		st.View(t.Context(), func(tx store.ReadTx) (err error) { log, err = tx.Mails(t.Context(), "ac_1", 10); return err })
		if len(log) != 1 || log[0].SentAt.IsZero() || log[0].Attempts != 1 {
			t.Errorf("mail log = %+v", log)
		}
	})
}

// A buyer whose invoice channel is "edi" (a GLN) gets the invoice's
// Peppol BIS Billing 3.0 XML attached beside the PDF, addressed to that
// GLN.
func TestSendEInvoice(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		srv, c := kassatest.StartSMTP(t), kassatest.NewClock(t0)
		edi := func(o *order.Order, _ *invoice.Settings) {
			o.Customer.InvoiceChannel = order.InvoiceChannel{Type: "edi", Details: "7350053850019"}
		}
		queue(t, st, 2, edi) // the seller's settings lack what an e-invoice needs
		queue(t, st, 1, func(o *order.Order, s *invoice.Settings) {
			o.Customer.CompanyID, o.Customer.VATID = "559311-3714", "SE559311371401"
			o.Customer.InvoiceChannel = order.InvoiceChannel{Type: "edi", Details: "7350053850019"}
			o.Customer.BillingAddress = order.Address{CompanyName: "Köpare AB", StreetAddress: "Gatan 1", PostalCode: "111 22", City: "Stockholm", Country: "SE"}
			s.Seller = invoice.Party{Name: "Säljare AB", OrgNo: "556123-4567", VATID: "SE556123456701", StreetAddress: "Ringvägen 10",
				PostalCode: "118 60", City: "Stockholm", Country: "SE"}
			s.Bankgiro = "5050-1055"
		})
		if n, err := newSender(st, srv, c).SendDue(t.Context()); err != nil || n != 2 {
			t.Fatalf("SendDue = %d, %v; want 2 sent", n, err)
		}
		byID := map[string]parsed{}
		for _, m := range srv.Messages() {
			p := parse(t, m.Data)
			byID[p.messageID] = p
		}
		if p := byID["<doc_2@kassa.test>"]; p.pdf == nil || p.xml != nil {
			t.Errorf("a mail whose e-invoice cannot be built: PDF %d bytes, XML %d bytes; want the PDF alone", len(p.pdf), len(p.xml))
		}
		p := byID["<doc_1@kassa.test>"]
		if p.pdf == nil || !bytes.Contains(p.xml, []byte(ubl.CustomizationID)) ||
			!bytes.Contains(p.xml, []byte(`<cbc:EndpointID schemeID="0088">7350053850019</cbc:EndpointID>`)) {
			t.Errorf("attachments: PDF %d bytes, XML:\n%s", len(p.pdf), p.xml)
		}
	})
}

// qp decodes a top-level quoted-printable body; the multipart reader
// decodes its parts by itself.
func qp(encoding string, r io.Reader) io.Reader {
	if strings.EqualFold(encoding, "quoted-printable") {
		return quotedprintable.NewReader(r)
	}
	return r
}

// A message mail is sent with the body it was queued with, opened with
// the key it was sealed under, and no attachment.
func TestSendMessage(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		srv, c := kassatest.StartSMTP(t), kassatest.NewClock(t0)
		const body = "Your code is 123456.\nIt expires in ten minutes."
		m := &store.Mail{
			ID: "mail_m1", MerchantID: "ac_1", MessageID: "mail_m1@kassa.test", To: []string{"signer@buyer.example"},
			Subject: "Your code", Body: kassatest.KEK().Seal([]byte(body), store.MailBodyContext("mail_m1")), NextAt: t0, CreatedAt: t0,
		}
		err := st.Update(t.Context(), func(tx store.Tx) error {
			if err := tx.PutInvoiceSettings(t.Context(), "ac_1", &invoice.Settings{Seller: invoice.Party{Name: "Säljare AB"}}); err != nil {
				return err
			}
			return tx.EnqueueMails(t.Context(), m)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := newSender(st, srv, c).SendDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("SendDue = %d, %v; want 1 sent", n, err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "signer@buyer.example" {
			t.Fatalf("received %+v", msgs)
		}
		p := parse(t, msgs[0].Data)
		if p.from.Name != "Säljare AB" {
			t.Errorf("From = %q <%s>, want the merchant's seller name", p.from.Name, p.from.Address)
		}

		// A merchant without invoice settings: its name.
		m2 := &store.Mail{
			ID: "mail_m2", MerchantID: "ac_2", MessageID: "mail_m2@kassa.test", To: []string{"signer@buyer.example"},
			Subject: "Your code", Body: kassatest.KEK().Seal([]byte(body), store.MailBodyContext("mail_m2")), NextAt: t0, CreatedAt: t0,
		}
		err = st.Update(t.Context(), func(tx store.Tx) error {
			if err := tx.CreateMerchant(t.Context(), &merchant.Merchant{ID: "ac_2", Name: "Handlaren AB", StoreID: "1", CreatedAt: t0}); err != nil {
				return err
			}
			return tx.EnqueueMails(t.Context(), m2)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := newSender(st, srv, c).SendDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("SendDue = %d, %v; want 1 sent", n, err)
		}
		if msgs := srv.Messages(); len(msgs) != 2 || parse(t, msgs[1].Data).from.Name != "Handlaren AB" {
			t.Errorf("the message of a merchant without invoice settings is not from its name")
		}
		if p.subject != "Your code" || strings.TrimSpace(strings.ReplaceAll(p.text, "\r\n", "\n")) != body || p.pdf != nil {
			t.Errorf("message: subject %q, text %q, pdf %d bytes", p.subject, p.text, len(p.pdf))
		}
	})
}

// A refused attempt is retried after the backoff, not before.
func TestRetryWithBackoff(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		srv, c := kassatest.StartSMTP(t), kassatest.NewClock(t0)
		srv.Reject(1)
		queue(t, st, 2)
		s := newSender(st, srv, c)
		if n, _ := s.SendDue(t.Context()); n != 0 {
			t.Fatalf("first attempt sent %d, want 0 (refused)", n)
		}
		c.Advance(mailer.Backoff(1) - time.Second)
		if n, _ := s.SendDue(t.Context()); n != 0 {
			t.Fatalf("attempt before the backoff sent %d", n)
		}
		c.Advance(time.Second)
		if n, err := s.SendDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("attempt after the backoff = %d, %v", n, err)
		}
		if got := len(srv.Messages()); got != 1 {
			t.Errorf("server received %d messages, want 1", got)
		}
	})
}

// crashTx fails the sender's mark-as-sent: a process that dies after the
// SMTP server accepted the mail and before it committed that.
type crashTx struct{ store.Tx }

func (crashTx) MailSent(context.Context, string, time.Time) error { return errors.New("crash") }

type crashStore struct{ store.Store }

func (s crashStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(crashTx{tx}) })
}

// A crash before sending (a claimed mail whose sender died) and a crash
// between sending and committing: the first mail is sent once after the
// lease, the second is sent again with the same Message-ID, never lost.
func TestCrash(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		srv, c := kassatest.StartSMTP(t), kassatest.NewClock(t0)
		queue(t, st, 3)
		// A process claims the mail and dies before it sends.
		st.Update(t.Context(), func(tx store.Tx) error { _, err := tx.ClaimMails(t.Context(), c.Now(), time.Minute, 10); return err })
		s := newSender(st, srv, c)
		if n, _ := s.SendDue(t.Context()); n != 0 {
			t.Fatalf("a mail leased to a dead sender was sent before its lease ended")
		}
		c.Advance(time.Minute)
		if n, err := s.SendDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("after the lease: %d, %v", n, err)
		}

		m := queue(t, st, 4)
		crashing := newSender(crashStore{st}, srv, c)
		if _, err := crashing.SendDue(t.Context()); err == nil {
			t.Fatal("the crashing sender reported no error")
		}
		c.Advance(time.Minute)
		if n, err := s.SendDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("resend after the crash: %d, %v", n, err)
		}
		c.Advance(time.Hour)
		if n, _ := s.SendDue(t.Context()); n != 0 {
			t.Fatalf("sent %d more after the mail was marked sent", n)
		}
		var ids []string
		for _, r := range srv.Messages() {
			ids = append(ids, parse(t, r.Data).messageID)
		}
		want := []string{"<doc_3@kassa.test>", "<" + m.MessageID + ">", "<" + m.MessageID + ">"}
		if strings.Join(ids, " ") != strings.Join(want, " ") {
			t.Errorf("Message-IDs received = %v, want %v", ids, want)
		}
	})
}

func decodeBase64(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 5: 16 * time.Minute, 9: 256 * time.Minute, 10: 6 * time.Hour, 50: 6 * time.Hour} {
		if got := mailer.Backoff(attempt); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}
