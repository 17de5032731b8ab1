// Package ubl writes Kassa's documents as Peppol BIS Billing 3.0
// e-invoices (UBL 2.1 Invoice and CreditNote) and checks them against the
// EN 16931 business rules and the Peppol rules that apply to what Kassa
// issues (Validate; docs/invoices.md lists them). It does no I/O.
package ubl

import (
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
)

// VAT category codes (UNCL5305) Kassa's lines take.
const (
	CategoryStandard    = "S"  // a rate above 0
	CategoryZero        = "Z"  // 0 % without an exemption
	CategoryExempt      = "E"  // exempt, for the reason the document states
	CategoryReverse     = "AE" // reverse charge: services between EU businesses
	CategoryIntraEU     = "K"  // intra-Community supply of goods
	CategoryExportGoods = "G"  // export of goods outside the EU
)

// unitCode is the unit of every quantity: "one" (UN/ECE Rec. 20 C62),
// since Kassa's order lines count units.
const unitCode = "C62"

// Build writes d as a Peppol BIS Billing 3.0 document: an Invoice for an
// invoice or advance invoice, a CreditNote for a credit note. A document
// that would break a rule is refused with kassa.EConflict naming the
// rules: what it lacks is in the merchant's settings or the order, not
// in the request.
func Build(d *invoice.Document) ([]byte, error) {
	doc := Model(d)
	if vs := Validate(doc); len(vs) > 0 {
		return nil, &kassa.Error{Code: kassa.EConflict, Message: fmt.Sprintf(
			"%s %d cannot be sent as a Peppol e-invoice: %s", strings.ToLower(invoice.Title(d.Kind)), d.Number, vs.Error())}
	}
	return doc.Marshal()
}

// Model is d in the UBL model, unchecked. A credit note's amounts, which
// Kassa keeps negative, are positive in a CreditNote.
func Model(d *invoice.Document) *Document {
	cur := d.Currency
	amt := func(minor int64) Amount { return Amount{Currency: cur, Minor: minor} }
	sign := int64(1)
	doc := &Document{
		NS: nsInvoice, NSCAC: nsCAC, NSCBC: nsCBC, XMLName: xml.Name{Local: "Invoice"},
		CustomizationID: CustomizationID, ProfileID: ProfileID,
		ID: strconv.FormatInt(d.Number, 10), IssueDate: date(d.IssueDate), CurrencyCode: string(cur),
		BuyerReference: d.Buyer.Reference1,
		Supplier:       PartyWrap{seller(d)}, Customer: PartyWrap{buyer(d)},
	}
	if doc.BuyerReference == "" {
		doc.BuyerReference = d.OrderReference
	}
	switch d.Kind {
	case invoice.KindCreditNote:
		sign = -1
		doc.XMLName.Local, doc.NS, doc.CreditNoteTypeCode = "CreditNote", nsCreditNote, TypeCreditNote
		doc.BillingReferences = []BillingRef{{InvoiceDocRef{ID: strconv.FormatInt(d.Credits, 10)}}}
		// What a credit note's amount due means (BR-CO-25): the buyer is
		// owed it, and pays nothing.
		doc.PaymentTerms = &Note{fmt.Sprintf("Credits invoice %d: the amount is set off against it or refunded.", d.Credits)}
	case invoice.KindAdvance:
		doc.InvoiceTypeCode = TypePrepayment
	default:
		doc.InvoiceTypeCode = TypeInvoice
		if d.RefersTo != "" {
			doc.BillingReferences = []BillingRef{{InvoiceDocRef{ID: strconv.FormatInt(d.PaidByAdvance, 10)}}}
		}
	}
	if d.OrderReference != "" {
		doc.OrderReference = &IDRef{d.OrderReference}
	}
	var notes []string
	if d.PaidByAdvance != 0 {
		notes = append(notes, fmt.Sprintf("Paid by advance invoice %d.", d.PaidByAdvance))
	}
	if d.InterestTerms != "" {
		notes = append(notes, d.InterestTerms)
	}
	if len(notes) > 0 {
		doc.Notes = []string{strings.Join(notes, "\n")} // Peppol allows one note (PEPPOL-EN16931-R002)
	}

	type key struct {
		category string
		rate     int64
	}
	breakdown := map[key]*TaxSubtotal{}
	var lineTotal, vatTotal int64
	for i, l := range d.Lines {
		net, vat, discount := sign*l.Net(), sign*l.TotalVAT, sign*l.Discount
		cat := category(d, l)
		line := Line{
			ID: strconv.Itoa(i + 1), LineExtension: amt(net),
			Item: Item{Name: l.Description, Category: TaxCategory{ID: cat, Percent: ptr(Percent(l.VAT)), TaxScheme: IDRef{"VAT"}}},
		}
		if l.Reference != "" {
			line.Item.SellersID = &IDRef{l.Reference}
		}
		// The price times the quantity is the net amount before the
		// discount. Quantity carries the sign of a negative line, since a
		// price is never negative (BR-27); a price that does not divide
		// into whole minor units is given for all the units together
		// (BT-149), so the line adds up exactly (PEPPOL-EN16931-R120).
		qty, gross := l.Quantity, net+discount
		if gross < 0 {
			qty, gross = -qty, -gross
		}
		line.Price.Amount = amt(gross)
		if n := abs(qty); n != 0 && gross%n == 0 {
			line.Price.Amount = amt(gross / n)
		} else {
			line.Price.BaseQuantity = &Quantity{unitCode, n}
		}
		if doc.CreditNote() {
			line.CreditedQuantity = &Quantity{unitCode, qty}
		} else {
			line.InvoicedQuantity = &Quantity{unitCode, qty}
		}
		if discount != 0 {
			line.Allowances = []AllowanceCharge{{ChargeIndicator: "false", Reason: "Discount", Amount: amt(discount)}}
		}
		if doc.CreditNote() {
			doc.CreditNoteLines = append(doc.CreditNoteLines, line)
		} else {
			doc.InvoiceLines = append(doc.InvoiceLines, line)
		}
		k := key{cat, l.VAT}
		st := breakdown[k]
		if st == nil {
			st = &TaxSubtotal{Taxable: amt(0), Amount: amt(0), Category: TaxCategory{ID: cat, Percent: ptr(Percent(l.VAT)), TaxScheme: IDRef{"VAT"}}}
			st.Category.ExemptionCode, st.Category.ExemptionReason = exemption(d, cat)
			breakdown[k] = st
		}
		st.Taxable.Minor += net
		st.Amount.Minor += vat
		lineTotal += net
		vatTotal += vat
	}
	tt := TaxTotal{Amount: amt(vatTotal)}
	for _, k := range slices.SortedFunc(maps.Keys(breakdown), func(a, b key) int {
		if c := strings.Compare(a.category, b.category); c != 0 {
			return c
		}
		return int(a.rate - b.rate)
	}) {
		tt.Subtotals = append(tt.Subtotals, *breakdown[k])
	}
	doc.TaxTotals = []TaxTotal{tt}
	total := lineTotal + vatTotal
	doc.Totals = MonetaryTotal{LineExtension: amt(lineTotal), TaxExclusive: amt(lineTotal), TaxInclusive: amt(total), Payable: amt(total)}
	if d.PaidByAdvance != 0 {
		doc.Totals.Prepaid, doc.Totals.Payable = ptr(amt(total)), amt(0)
	}
	if !d.DeliveryDate.IsZero() || doc.hasCategory(CategoryIntraEU) {
		doc.Delivery = &Delivery{}
		if !d.DeliveryDate.IsZero() {
			doc.Delivery.Date = date(d.DeliveryDate)
		}
		if d.Buyer.Country != "" {
			doc.Delivery.Location = &DeliveryLocation{&Address{Country: &Country{d.Buyer.Country}}}
		}
	}
	if d.Payable() > 0 {
		doc.DueDate = date(d.DueDate)
		doc.PaymentMeans = paymentMeans(d)
		days := int(d.DueDate.Sub(d.IssueDate) / (24 * time.Hour))
		doc.PaymentTerms = &Note{fmt.Sprintf("Net %d days", days)}
	}
	return doc
}

// category is the VAT category of l, as the document's VAT notes explain
// its 0 % lines (invoice.Document.VATNotes): between businesses in two
// member states services are reverse charged and goods an intra-Community
// supply; goods leaving the EU are an export; services leaving it, and
// other 0 % lines with the seller's exemption note, are exempt; 0 % lines
// nothing explains (a discount, say) are zero rated.
func category(d *invoice.Document, l invoice.Line) string {
	export := invoice.InEU(d.Seller.Country) && d.Buyer.Country != "" && !invoice.InEU(d.Buyer.Country)
	switch {
	case l.VAT != 0:
		return CategoryStandard
	case d.IntraEU() && l.Services():
		return CategoryReverse
	case d.IntraEU():
		return CategoryIntraEU
	case export && !l.Services():
		return CategoryExportGoods
	case export || len(d.VATNotes) > 0:
		return CategoryExempt
	}
	return CategoryZero
}

// exemption is the exemption reason code (VATEX) and text of a category
// without VAT: the document's own notes, which state it in the seller's
// language and in English.
func exemption(d *invoice.Document, cat string) (code, reason string) {
	pick := func(words string) string {
		for _, n := range d.VATNotes {
			if strings.Contains(n, words) {
				return n
			}
		}
		return ""
	}
	switch cat {
	case CategoryReverse:
		return "VATEX-EU-AE", pick("Reverse charge")
	case CategoryIntraEU:
		return "VATEX-EU-IC", pick("Intra-Community supply")
	case CategoryExportGoods:
		return "VATEX-EU-G", pick("Export of goods")
	case CategoryExempt:
		return "", strings.Join(d.VATNotes, " ")
	}
	return "", ""
}

func (d *Document) hasCategory(cat string) bool {
	return slices.ContainsFunc(d.Lines(), func(l Line) bool { return l.Item.Category.ID == cat })
}

// fTax is how a Swedish seller states its F-tax approval, as its tax
// registration identifier (BT-32; Peppol's SE-R-005).
const fTax = "Godkänd för F-skatt"

func seller(d *invoice.Document) Party {
	s := d.Seller
	p := party(s, "")
	if s.RegisteredOffice != "" && p.Legal != nil {
		p.Legal.Form = "Säte " + s.RegisteredOffice
	}
	if d.FTax {
		p.TaxSchemes = append(p.TaxSchemes, PartyTax{CompanyID: fTax, TaxScheme: IDRef{"TAX"}})
	}
	return p
}

func buyer(d *invoice.Document) Party {
	p := party(d.Buyer, d.BuyerGLN)
	if d.Buyer.Attention != "" || d.Buyer.Email != "" {
		p.Contact = &Contact{Name: d.Buyer.Attention, Email: d.Buyer.Email}
	}
	return p
}

func party(s invoice.Party, gln string) Party {
	p := Party{EndpointID: endpoint(s, gln)}
	if s.Name != "" {
		p.Name = &PartyName{s.Name}
		p.Legal = &LegalEntity{Name: s.Name}
	}
	if s.OrgNo != "" && p.Legal != nil {
		p.Legal.CompanyID = &SchemeID{Value: s.OrgNo}
		if s.Country == "SE" {
			p.Legal.CompanyID = &SchemeID{"0007", digits(s.OrgNo)}
		}
	}
	if s.Country != "" || s.City != "" || s.StreetAddress != "" {
		p.Address = &Address{Street: s.StreetAddress, City: s.City, PostalZone: s.PostalCode}
		if s.Country != "" {
			p.Address.Country = &Country{s.Country}
		}
	}
	if s.VATID != "" {
		p.TaxSchemes = []PartyTax{{CompanyID: s.VATID, TaxScheme: IDRef{"VAT"}}}
	}
	return p
}

// vatSchemes are the Peppol electronic address schemes (EAS) of VAT
// numbers, by country, for parties of countries whose organisation
// numbers have none.
var vatSchemes = map[string]string{
	"AT": "9914", "DE": "9930", "EE": "9931", "ES": "9920", "FR": "9957", "GB": "9932", "HU": "9910",
	"IE": "9935", "LT": "9937", "LU": "9938", "LV": "9939", "NL": "9944", "PL": "9945", "PT": "9946",
	"RO": "9947", "SI": "9949", "SK": "9950",
}

// endpoint is a party's Peppol address: the GLN the buyer's invoice
// channel names, else its organisation number where its country's
// number is an address scheme (SE 0007, NO 0192, DK 0184, FI 0037), else
// its VAT number where that is one.
func endpoint(p invoice.Party, gln string) *SchemeID {
	if gln != "" {
		return &SchemeID{"0088", gln}
	}
	orgSchemes := map[string]string{"SE": "0007", "NO": "0192", "DK": "0184", "FI": "0037"}
	if s := orgSchemes[p.Country]; s != "" && p.OrgNo != "" {
		return &SchemeID{s, digits(p.OrgNo)}
	}
	if s := vatSchemes[p.Country]; s != "" && p.VATID != "" {
		return &SchemeID{s, p.VATID}
	}
	return nil
}

// paymentMeans are the ways d can be paid, each with its payment
// reference: a credit transfer to the IBAN (SEPA's code for euros), to
// the bankgiro or to the plusgiro.
func paymentMeans(d *invoice.Document) []PaymentMeans {
	var pm []PaymentMeans
	if d.IBAN != "" {
		code := "30"
		if d.Currency == "EUR" {
			code = "58"
		}
		a := &FinancialAccount{ID: d.IBAN}
		if d.BIC != "" {
			a.Branch = &IDRef{d.BIC}
		}
		pm = append(pm, PaymentMeans{Code: code, PaymentID: d.PaymentReference, Account: a})
	}
	for _, giro := range []struct{ number, scheme string }{{d.Bankgiro, "SE:BANKGIRO"}, {d.Plusgiro, "SE:PLUSGIRO"}} {
		if giro.number != "" {
			pm = append(pm, PaymentMeans{Code: "30", PaymentID: d.PaymentReference,
				Account: &FinancialAccount{ID: digits(giro.number), Branch: &IDRef{giro.scheme}}})
		}
	}
	return pm
}

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func ptr[T any](v T) *T { return &v }
