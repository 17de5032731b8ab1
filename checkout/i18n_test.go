package checkout

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

// Every page renders in every language, in every state its template
// distinguishes, with no message missing.
func TestPagesInEveryLanguage(t *testing.T) {
	price := int64(254900)
	ps := &session.Session{
		ID: "ps_1", Currency: "SEK", Amount: 254900, VATAmount: 50980,
		Lines:    []order.Line{{Description: "Desk", Quantity: 1, UnitPrice: &price, TotalAmount: 254900}},
		Customer: &order.Customer{FirstName: "Karin", LastName: "Berg", Email: "k@b.example", CompanyName: "Bygg <AB>", CompanyID: "559311-3714"},
	}
	verified := *ps
	verified.Signatory = &session.Signatory{Name: "Sara", Email: "s@b.example", Verified: &order.Approval{Name: "Sara S"}}
	naming := *ps
	naming.Signatory = &session.Signatory{Name: "Sara", Email: "s@b.example"}
	advance := verified
	advance.PaymentMethod = order.AdvanceInvoice
	type render struct {
		name string
		data any
	}
	var renders []render
	for _, st := range []string{"open", "expired", "cancelled", "completed"} {
		for _, sig := range []bool{false, true} {
			renders = append(renders, render{"dialog.html", dialogPage{Session: ps, Merchant: "Shop", State: st, Signatories: sig}})
		}
	}
	for _, p := range []signPage{
		{Session: &naming, State: "awaitingSignatory", Verification: "emailCode"},
		{Session: &naming, State: "awaitingSignatory", Verification: "emailCode", CodeSent: true, AttemptsLeft: 1},
		{Session: &naming, State: "awaitingSignatory", Verification: "emailCode", CodeSent: true, AttemptsLeft: 4, Done: doneWrongCode},
		{Session: &naming, State: "awaitingSignatory", Verification: "testid"},
		{Session: &verified, State: "awaitingSignatory", Verification: "emailCode", Verified: true},
		{Session: &advance, State: "awaitingSignatory"},
		{Session: ps, State: "authorized", Done: "approve"},
		{Session: ps, State: "cancelled", Declined: true},
		{Session: ps, State: "cancelled"},
		{Session: ps, State: "expired"},
	} {
		p.Merchant = "Shop"
		renders = append(renders, render{"sign.html", p})
	}
	renders = append(renders, render{"demo.html", demoShopPage{Price: demoDeskPrice, Companies: []demoCompany{{"1", "one"}}, Langs: []demoLang{{Code: "sv", Name: "Svenska", Current: true}}}})
	english := map[int]string{}
	for _, l := range i18n.Langs {
		for i, r := range renders {
			var b strings.Builder
			if err := pages[l].ExecuteTemplate(&b, r.name, r.data); err != nil {
				t.Fatalf("%s %s: %v", l, r.name, err)
			}
			html := b.String()
			if strings.Contains(html, i18n.MissingMark) {
				t.Errorf("%s %s (#%d) lacks a message:\n%s", l, r.name, i, html)
			}
			if !strings.Contains(html, `<html lang="`+string(l)+`">`) {
				t.Errorf("%s %s does not say its language", l, r.name)
			}
			if strings.Contains(html, "Bygg <AB>") {
				t.Errorf("%s %s does not escape the company's name", l, r.name)
			}
			if l == i18n.English {
				english[i] = html
			} else if html == english[i] {
				t.Errorf("%s %s reads as the English one", l, r.name)
			}
		}
	}
	var b strings.Builder
	pages[i18n.Swedish].ExecuteTemplate(&b, "dialog.html", dialogPage{Session: ps, Merchant: "Shop", State: "open"})
	for _, want := range []string{"Betala mot faktura", "2\u00a0549,00\u00a0kr", `aria-busy="true"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the Swedish dialog lacks %q", want)
		}
	}
}

// The pages' scripts ask only for messages the catalogues have.
func TestScriptMessages(t *testing.T) {
	call := regexp.MustCompile(`\bt\("([A-Za-z]+)"`)
	for file, prefix := range map[string]string{"dialog.js": "js.", "demo.js": "demo.js."} {
		js, err := fs.ReadFile(assets, file)
		if err != nil {
			t.Fatal(err)
		}
		calls := call.FindAllStringSubmatch(string(js), -1)
		if len(calls) < 5 {
			t.Fatalf("%s: found %d messages, the pattern is out of date", file, len(calls))
		}
		have := i18n.In(i18n.English).Messages(prefix)
		for _, c := range calls {
			if _, ok := have[c[1]]; !ok {
				t.Errorf("%s asks for %s%s, which the catalogues lack", file, prefix, c[1])
			}
		}
	}
}
