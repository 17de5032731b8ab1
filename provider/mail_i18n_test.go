package provider_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/session"
)

// The signatory's e-mails and documents' subjects are written in the
// session's or the order's language, every message there.
func TestMailsInEveryLanguage(t *testing.T) {
	locales := map[i18n.Lang]string{i18n.English: "", i18n.Swedish: "sv-SE", i18n.Finnish: "fi-FI", i18n.Norwegian: "no-NO", i18n.Danish: "da-DK"}
	english := map[string]string{}
	for _, l := range i18n.Langs {
		ps := &session.Session{
			Locale: locales[l], Currency: "SEK", Amount: 254900, ExpiresAt: time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC),
			Customer:  &order.Customer{FirstName: "Karin", LastName: "Berg", Email: "k@b.example", CompanyName: "Bygg AB", CompanyID: "559311-3714"},
			Signatory: &session.Signatory{Name: "Sara"},
		}
		d := &invoice.Document{Kind: invoice.KindCreditNote, Number: 7, Seller: invoice.Party{Name: "Shop AB"}, Locale: locales[l]}
		sub1, body1 := provider.SigningMail(ps, "Shop", "https://kassa.test/sign")
		sub2, body2 := provider.CodeMail(ps, "123456")
		texts := map[string]string{"signing subject": sub1, "signing body": body1, "code subject": sub2, "code body": body2, "document subject": provider.SubjectOf(d)}
		for what, text := range texts {
			if strings.Contains(text, i18n.MissingMark) {
				t.Errorf("%s %s lacks a message: %s", l, what, text)
			}
			if l == i18n.English {
				english[what] = text
			} else if text == english[what] {
				t.Errorf("%s %s reads as the English one: %s", l, what, text)
			}
		}
		for _, want := range []string{"Karin Berg", "Bygg AB", "Shop", "https://kassa.test/sign", i18n.In(l).Money(254900, "SEK")} {
			if !strings.Contains(body1, want) {
				t.Errorf("%s signing mail lacks %q:\n%s", l, want, body1)
			}
		}
		if !strings.Contains(body2, "123456") || !strings.Contains(sub2, "123456") {
			t.Errorf("%s code mail lacks the code: %s\n%s", l, sub2, body2)
		}
	}
	if _, body := provider.SigningMail(&session.Session{Locale: "sv-SE", Currency: "SEK", Amount: 254900, Customer: &order.Customer{}, Signatory: &session.Signatory{Name: "Sara"}}, "Shop", ""); !strings.Contains(body, "Hej Sara,") || !strings.Contains(body, "Totalt: 2\u00a0549,00\u00a0kr") {
		t.Errorf("the Swedish signing mail:\n%s", body)
	}
}
