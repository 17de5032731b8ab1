package dashboard

// The settings section's forms of the credit policy and the invoice
// settings: what PUT /v1/credit-policy and PUT /v1/invoice-settings set,
// through the same use cases, which check it all before writing anything.

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

const (
	creditPath  = settingsPath + "/credit"
	invoicePath = settingsPath + "/invoice"
)

// creditForm is the credit policy as its form shows and takes it.
type creditForm struct {
	CreditLimits, SignatoryAbove, Blocklist string
	OrderEdits, Provider, PaymentTerms      string
	Companies                               int // set through the API, kept as they are
	Version                                 int64
	UpdatedAt                               *time.Time
	CanManage                               bool
}

// amountLines shows amounts by currency as the form's lines: "SEK
// 50000.00".
func amountLines(m map[money.Currency]int64) string {
	var b strings.Builder
	for _, c := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(string(c) + " " + money.Decimal(m[c], c) + "\n")
	}
	return b.String()
}

// parseAmountLines reads the form's lines of amounts by currency, in
// the currency's main unit ("SEK 50 000.00"), as minor units; a line it
// cannot read is invalid, named by field.
func parseAmountLines(field, label, text string) (map[money.Currency]int64, error) {
	out := map[money.Currency]int64{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		bad := kassa.Invalid(field, "%s, line %d: write a currency code and an amount, such as SEK 50000.00.", label, i+1)
		code, amount, ok := strings.Cut(line, " ")
		if !ok {
			return nil, bad
		}
		c, err := money.ParseCurrency(code)
		if err != nil {
			return nil, bad
		}
		minor, ok := parseMajor(amount, c.Digits())
		if !ok {
			return nil, bad
		}
		if _, dup := out[c]; dup {
			return nil, kassa.Invalid(field, "%s names %s twice.", label, c)
		}
		out[c] = minor
	}
	return out, nil
}

// parseMajor reads a non-negative amount in main units with at most
// digits decimals ("50 000.5", "50000,50") as minor units.
func parseMajor(s string, digits int) (int64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "_", "").Replace(s)
	if !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || len(frac) > digits {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	return n, err == nil && n <= money.MaxAmount
}

func creditFormOf(p *provider.CreditPolicy) creditForm {
	f := creditForm{
		CreditLimits: amountLines(p.CreditLimits), SignatoryAbove: amountLines(p.SignatoryAbove),
		Blocklist: strings.Join(p.Blocklist, "\n"), OrderEdits: p.OrderEdits, Provider: p.Provider,
		Companies: len(p.Companies), Version: p.Version, UpdatedAt: p.UpdatedAt,
	}
	if p.PaymentTerms != nil {
		f.PaymentTerms = strconv.Itoa(*p.PaymentTerms)
	}
	return f
}

// creditFormFrom is the form as sent.
func creditFormFrom(r *http.Request) creditForm {
	v := func(k string) string { return r.PostFormValue(k) }
	return creditForm{CreditLimits: v("creditLimits"), SignatoryAbove: v("signatoryAbove"), Blocklist: v("blocklist"),
		OrderEdits: v("orderEdits"), Provider: v("provider"), PaymentTerms: strings.TrimSpace(v("paymentTerms"))}
}

// policy is the form's credit policy over cur, the one in force: the
// companies set through the API are kept.
func (f creditForm) policy(cur *provider.CreditPolicy) (provider.CreditPolicy, error) {
	in := provider.CreditPolicy{Settings: risk.Settings{Companies: cur.Companies, OrderEdits: f.OrderEdits, Provider: f.Provider}}
	var err error
	if in.CreditLimits, err = parseAmountLines("creditLimits", "Credit limits", f.CreditLimits); err != nil {
		return in, err
	}
	if in.SignatoryAbove, err = parseAmountLines("signatoryAbove", "Signatory thresholds", f.SignatoryAbove); err != nil {
		return in, err
	}
	in.Blocklist = []string{}
	for _, line := range strings.Split(f.Blocklist, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			in.Blocklist = append(in.Blocklist, line)
		}
	}
	if f.PaymentTerms != "" {
		n, err := strconv.Atoi(f.PaymentTerms)
		if err != nil {
			return in, kassa.Invalid("paymentTerms", "Payment terms must be a whole number of days.")
		}
		in.PaymentTerms = &n
	}
	return in, nil
}

// creditPage is the credit policy's page with the policy in force.
func (s *Server) creditPage(w http.ResponseWriter, r *http.Request) (page, *creditForm, error) {
	p, err := s.viewer(w, r, "Credit policy")
	f := &creditForm{}
	p.Data = f
	if err != nil {
		return p, f, err
	}
	ctx := r.Context()
	cur, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*provider.CreditPolicy, error) {
		return s.app.CreditPolicy(ctx, tx, p.User.MerchantID)
	})
	if err != nil {
		return p, f, err
	}
	*f = creditFormOf(cur)
	if f.CanManage = p.User.Role.Can(user.ManageSettings); f.CanManage {
		p.Once = newOnce()
	}
	return p, f, nil
}

func (s *Server) handleCredit(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.creditPage(w, r)
	if err != nil {
		s.fail(w, r, "settings-credit", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings-credit", p)
}

func (s *Server) handleCreditPut(w http.ResponseWriter, r *http.Request) {
	u, sent := current(r.Context()), creditFormFrom(r)
	err := s.act(w, r, &change{Need: user.ManageSettings, Target: u.MerchantID, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
		cur, err := s.app.CreditPolicy(ctx, tx, u.MerchantID)
		if err != nil {
			return "", "", err
		}
		in, err := sent.policy(cur)
		if err != nil {
			return "", "", err
		}
		if _, err := s.app.PutCreditPolicy(ctx, tx, u.MerchantID, in); err != nil {
			return "", "", err
		}
		return creditPath, "The credit policy is saved; it applies to credit decisions from now on.", nil
	}})
	if err != nil {
		p, f, perr := s.creditPage(w, r)
		if perr == nil {
			companies, version, updated := f.Companies, f.Version, f.UpdatedAt
			*f = sent // the form again as sent, to correct
			f.Companies, f.Version, f.UpdatedAt, f.CanManage = companies, version, updated, p.User.Role.Can(user.ManageSettings)
		}
		s.fail(w, r, "settings-credit", p, err)
	}
}

// invoiceForm is the invoice settings as their form shows and takes
// them; the accounts, the logo and the accounting plan are set through
// the API and kept as they are.
type invoiceForm struct {
	Seller                     invoice.Party
	FTax                       bool
	PaymentTerms, Bankgiro     string
	Plusgiro, VATExemptionNote string
	FirstNumber                string
	Accounts                   int
	Logo                       bool
	CanManage                  bool
}

func invoiceFormOf(st *invoice.Settings) invoiceForm {
	return invoiceForm{
		Seller: st.Seller, FTax: st.FTax, PaymentTerms: strconv.Itoa(st.PaymentTerms), Bankgiro: st.Bankgiro,
		Plusgiro: st.Plusgiro, VATExemptionNote: st.VATExemptionNote, FirstNumber: strconv.FormatInt(st.FirstNumber, 10),
		Accounts: len(st.Accounts), Logo: st.LogoSHA256 != "",
	}
}

// sellerFields are the seller block's form fields, by name.
var sellerFields = []struct {
	name, label string
	get         func(p *invoice.Party) *string
}{
	{"seller.name", "Company name", func(p *invoice.Party) *string { return &p.Name }},
	{"seller.orgNo", "Organisation number", func(p *invoice.Party) *string { return &p.OrgNo }},
	{"seller.vatId", "VAT number", func(p *invoice.Party) *string { return &p.VATID }},
	{"seller.streetAddress", "Street address", func(p *invoice.Party) *string { return &p.StreetAddress }},
	{"seller.postalCode", "Postal code", func(p *invoice.Party) *string { return &p.PostalCode }},
	{"seller.city", "City", func(p *invoice.Party) *string { return &p.City }},
	{"seller.country", "Country (two letters, such as SE)", func(p *invoice.Party) *string { return &p.Country }},
	{"seller.registeredOffice", "Registered office", func(p *invoice.Party) *string { return &p.RegisteredOffice }},
	{"seller.email", "E-mail", func(p *invoice.Party) *string { return &p.Email }},
	{"seller.phone", "Phone", func(p *invoice.Party) *string { return &p.Phone }},
}

// sellerField is a seller field as the template shows it.
type sellerField struct{ Name, ID, Label, Value string }

// SellerFields are f's seller fields, in the form's order.
func (f invoiceForm) SellerFields() []sellerField {
	out := make([]sellerField, len(sellerFields))
	for i, sf := range sellerFields {
		out[i] = sellerField{sf.name, strings.ReplaceAll(sf.name, ".", "-"), sf.label, *sf.get(&f.Seller)}
	}
	return out
}

func invoiceFormFrom(r *http.Request) invoiceForm {
	f := invoiceForm{FTax: r.PostFormValue("fTax") == "on"}
	for _, sf := range sellerFields {
		*sf.get(&f.Seller) = r.PostFormValue(sf.name)
	}
	f.PaymentTerms, f.Bankgiro, f.Plusgiro = strings.TrimSpace(r.PostFormValue("paymentTerms")), r.PostFormValue("bankgiro"), r.PostFormValue("plusgiro")
	f.VATExemptionNote, f.FirstNumber = strings.TrimSpace(r.PostFormValue("vatExemptionNote")), strings.TrimSpace(r.PostFormValue("firstNumber"))
	return f
}

// settings is the form's settings over cur, the ones in force.
func (f invoiceForm) settings(cur *invoice.Settings) (*invoice.Settings, error) {
	st := *cur
	st.Logo = nil // kept by its hash
	st.Seller, st.FTax, st.Bankgiro, st.Plusgiro, st.VATExemptionNote = f.Seller, f.FTax, strings.TrimSpace(f.Bankgiro), strings.TrimSpace(f.Plusgiro), f.VATExemptionNote
	terms, err := strconv.Atoi(f.PaymentTerms)
	if err != nil {
		return nil, kassa.Invalid("paymentTerms", "Payment terms must be a whole number of days.")
	}
	st.PaymentTerms = terms
	first, err := strconv.ParseInt(f.FirstNumber, 10, 64)
	if err != nil {
		return nil, kassa.Invalid("firstNumber", "The first invoice number must be a whole number.")
	}
	st.FirstNumber = 0 // the series as it is, unless the form changes its start
	if first != cur.FirstNumber {
		st.FirstNumber = first
	}
	return &st, nil
}

func (s *Server) invoicePage(w http.ResponseWriter, r *http.Request) (page, *invoiceForm, error) {
	p, err := s.viewer(w, r, "Invoice settings")
	f := &invoiceForm{}
	p.Data = f
	if err != nil {
		return p, f, err
	}
	ctx := r.Context()
	cur, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*invoice.Settings, error) {
		return s.app.InvoiceSettings(ctx, tx, p.User.MerchantID)
	})
	if err != nil {
		return p, f, err
	}
	*f = invoiceFormOf(cur)
	if f.CanManage = p.User.Role.Can(user.ManageSettings); f.CanManage {
		p.Once = newOnce()
	}
	return p, f, nil
}

func (s *Server) handleInvoice(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.invoicePage(w, r)
	if err != nil {
		s.fail(w, r, "settings-invoice", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings-invoice", p)
}

func (s *Server) handleInvoicePut(w http.ResponseWriter, r *http.Request) {
	u, sent := current(r.Context()), invoiceFormFrom(r)
	err := s.act(w, r, &change{Need: user.ManageSettings, Target: u.MerchantID, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
		cur, err := s.app.InvoiceSettings(ctx, tx, u.MerchantID)
		if err != nil {
			return "", "", err
		}
		st, err := sent.settings(cur)
		if err != nil {
			return "", "", err
		}
		if err := s.app.PutInvoiceSettings(ctx, tx, u.MerchantID, st); err != nil {
			return "", "", err
		}
		return invoicePath, "The invoice settings are saved; they apply to documents issued from now on.", nil
	}})
	if err != nil {
		p, f, perr := s.invoicePage(w, r)
		if perr == nil {
			accounts, logo := f.Accounts, f.Logo
			*f = sent
			f.Accounts, f.Logo, f.CanManage = accounts, logo, p.User.Role.Can(user.ManageSettings)
		}
		s.fail(w, r, "settings-invoice", p, err)
	}
}
