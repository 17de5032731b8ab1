package mailer

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/store"
)

// A document's e-mail is written in the document's language, a
// reminder's too, with every message there.
func TestBodyInEveryLanguage(t *testing.T) {
	s := &Sender{PublicURL: "https://kassa.test/", KEK: kassatest.KEK()}
	english := map[bool]string{}
	for _, l := range i18n.Langs {
		d := &invoice.Document{
			ID: "doc_1", Kind: invoice.KindInvoice, Number: 3, Currency: "SEK", Total: 254900, OrderReference: "ABC",
			Seller: invoice.Party{Name: "Shop AB"}, DueDate: time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC),
			PaymentReference: "7713", Bankgiro: "5555-5555", AccessToken: "tok", Locale: string(l),
		}
		d.SealToken(kassatest.KEK())
		for _, reminder := range []bool{false, true} {
			body, err := s.body(&store.Mail{Reminder: reminder}, d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(body, i18n.MissingMark) {
				t.Errorf("%s body lacks a message:\n%s", l, body)
			}
			p := i18n.In(l)
			for _, want := range []string{p.Amount(254900, "SEK"), p.Date(d.DueDate), "7713", "5555-5555", "https://kassa.test/invoices/tok"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s body lacks %q:\n%s", l, want, body)
				}
			}
			if l == i18n.English {
				english[reminder] = body
			} else if body == english[reminder] {
				t.Errorf("%s body reads as the English one", l)
			}
		}
	}
	d := &invoice.Document{ID: "doc_2", Kind: invoice.KindInvoice, Number: 3, Currency: "EUR", Total: 254900, DueDate: time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC), PaymentReference: "RF18", AccessToken: "t", Locale: "fi-FI"}
	d.SealToken(kassatest.KEK())
	if body, _ := s.body(&store.Mail{}, d); !strings.Contains(body, "Maksettava: 2\u00a0549,00 EUR viimeistään 23.12.2026") || !strings.Contains(body, "Viitenumero: RF18") {
		t.Errorf("the Finnish mail:\n%s", body)
	}
}
