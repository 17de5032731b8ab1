// Package invoice builds the documents Kassa issues for an order: an
// invoice for each captured chunk, a credit note for each refund, and an
// advance invoice for what an advance-invoice order has left uncaptured.
// It does no I/O: references, access tokens and the time come in as
// parameters. A document is issued in the transaction that captures or
// refunds, and numbered after that commits (the store's NumberDocuments).
package invoice

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/seal"
)

// Kind is what a document is.
type Kind string

// Document kinds.
const (
	KindInvoice    Kind = "invoice"
	KindCreditNote Kind = "creditNote"
	KindAdvance    Kind = "advanceInvoice"
)

// Line is a document line. Amounts include VAT unless named otherwise; a
// credit note's are negative, since it reduces what the buyer owes.
type Line struct {
	Reference   string `json:"reference"`
	Description string `json:"description"`
	// Type is the order line's type: goods or services (Services).
	Type     string `json:"type,omitempty"`
	Quantity int64  `json:"quantity"`
	VAT      int64  `json:"vat"` // basis points
	// UnitPrice is the price of one unit excluding VAT, before Discount;
	// nil on documents issued before it was printed.
	UnitPrice *int64 `json:"unitPrice,omitempty"`
	// Discount is the line's discount excluding VAT, all units together.
	Discount int64 `json:"discount,omitempty"`
	Total    int64 `json:"total"`
	TotalVAT int64 `json:"totalVat"`
}

// Net is the line's amount excluding VAT: its taxable amount.
func (l Line) Net() int64 { return l.Total - l.TotalVAT }

// Services reports whether the line is a service rather than goods, as
// the VAT rules on cross-border supplies tell them apart: Ledyer's
// service and digital lines. Shipping, surcharges and discounts follow
// the goods they come with.
func (l Line) Services() bool { return l.Type == order.TypeService || l.Type == order.TypeDigital }

// RateSum is the VAT summary at one rate: Net + VAT = Total.
type RateSum struct {
	Rate  int64 `json:"rate"`
	Net   int64 `json:"net"`
	VAT   int64 `json:"vat"`
	Total int64 `json:"total"`
}

// Document is an issued invoice, credit note or advance invoice. Once
// issued it never changes: a correction is a credit note.
type Document struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchantId"`
	OrderID    string `json:"orderId"`
	LedgerID   string `json:"ledgerId"` // the chunk it documents
	Kind       Kind   `json:"kind"`
	// Reference identifies the document from the moment it is issued: the
	// chunk's documentReference. It is an OCR number; the payment
	// reference, when the document asks for a payment, is made from it
	// (PaymentReferenceFor).
	Reference string `json:"reference"`
	// Number is the merchant's gap-free document number, 0 until the
	// document is numbered, shortly after it is issued.
	Number int64 `json:"number,omitempty"`
	// RefersTo is the ID of the credit note's invoice, or of the advance
	// invoice that paid a final invoice; Credits and PaidByAdvance are that
	// document's number, filled in when it is read.
	RefersTo  string         `json:"refersTo,omitempty"`
	Credits   int64          `json:"credits,omitempty"`
	IssueDate time.Time      `json:"issueDate"`
	DueDate   time.Time      `json:"dueDate"`
	Currency  money.Currency `json:"currency"`
	Seller    Party          `json:"seller"`
	Buyer     Party          `json:"buyer"`
	// FTax says the seller is approved for F-tax (Godkänd för F-skatt).
	FTax bool `json:"fTax,omitempty"`
	// DeliveryDate is the date of supply: the day the chunk was captured;
	// a credit note's is its invoice's. Zero on an advance invoice (the
	// goods are not delivered yet) and on documents issued before it was
	// printed.
	DeliveryDate time.Time `json:"deliveryDate,omitzero"`
	// How the buyer pays: bankgiro or plusgiro (SEK), and an IBAN with its
	// BIC, each set when the seller has one for the document's currency.
	Bankgiro string `json:"bankgiro,omitempty"`
	Plusgiro string `json:"plusgiro,omitempty"`
	IBAN     string `json:"iban,omitempty"`
	BIC      string `json:"bic,omitempty"`
	// ReferenceScheme is the scheme of PaymentReference (SchemeFor):
	// ReferenceOCR, ReferenceFinnish, ReferenceRF, ReferenceKID or
	// ReferenceFIK.
	ReferenceScheme string `json:"referenceScheme,omitempty"`
	// VATNotes are the statements the VAT rules require for the lines'
	// rates: the reverse charge, an exemption and its legal basis.
	VATNotes []string `json:"vatNotes,omitempty"`
	// InterestTerms states the interest on late payment under the
	// seller's country's law; empty on documents that ask for nothing.
	InterestTerms string `json:"interestTerms,omitempty"`
	// LogoSHA256 names the seller's logo printed on the document; Logo is
	// its image, filled in when the document is read for rendering.
	LogoSHA256 string `json:"logoSha256,omitempty"`
	Logo       []byte `json:"-"`
	// OrderReference and MerchantReference identify the order for both
	// sides.
	OrderReference    string    `json:"orderReference"`
	MerchantReference string    `json:"merchantReference,omitempty"`
	Lines             []Line    `json:"lines"`
	VAT               []RateSum `json:"vat"`
	Total             int64     `json:"total"`
	TotalVAT          int64     `json:"totalVat"`
	// PaymentReference is the reference the buyer pays with, in its
	// compact form (NormalizeReference), under ReferenceScheme; empty
	// when nothing is to be paid (credit notes, invoices an advance paid).
	PaymentReference string `json:"paymentReference,omitempty"`
	// PaidByAdvance is, on the final invoice of an advance-invoice order,
	// the number of the advance invoice that already paid it.
	PaidByAdvance int64 `json:"paidByAdvance,omitempty"`
	// CopyTo is the invoice channel's copy address, if any.
	CopyTo string `json:"copyTo,omitempty"`
	// BuyerGLN is the buyer's Peppol address, a GLN, when the order's
	// invoice channel is "edi": the buyer asked for e-invoices
	// (EInvoice).
	BuyerGLN string `json:"buyerGln,omitempty"`
	// AccessToken makes the buyer's unguessable link: 256 random bits, in
	// clear only in memory, from Issue on. It is never stored: the store
	// keeps its hash (TokenHash), to find the document by it, and
	// SealedToken.
	AccessToken string `json:"-"`
	// SealedToken is AccessToken sealed under the key-encryption key
	// (SealToken), as stored: the mails that link to the document open it
	// (BuyerPath).
	SealedToken string    `json:"-"`
	CreatedAt   time.Time `json:"createdAt"`
}

// TokenHash is what the store keeps of an access token to find its
// document by: its SHA-256, in hex. The token is 256 random bits, so a
// plain hash cannot be searched back to it.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// TokenContext binds a sealed access token to its document (seal.Key's
// context): it opens for no other.
func TokenContext(documentID string) string { return "document access token " + documentID }

// SealToken seals d's AccessToken into SealedToken under kek.
func (d *Document) SealToken(kek *seal.Key) {
	d.SealedToken = kek.Seal([]byte(d.AccessToken), TokenContext(d.ID))
}

// BuyerPath is the path of the buyer's unguessable link to the PDF, with
// the token kek opens from SealedToken.
func (d *Document) BuyerPath(kek *seal.Key) (string, error) {
	if kek == nil {
		return "", errors.New("invoice: no key-encryption key to open the link's token with")
	}
	token, err := kek.Open(d.SealedToken, TokenContext(d.ID))
	if err != nil {
		return "", fmt.Errorf("opening the link token of document %s: %w", d.ID, err)
	}
	return "/invoices/" + string(token), nil
}

// EInvoice reports whether the buyer asked for the document as an
// e-invoice (Peppol BIS Billing 3.0, package invoice/ubl) beside the PDF.
func (d *Document) EInvoice() bool { return d.BuyerGLN != "" }

// Payable is what the buyer is asked to pay: 0 for documents that ask for
// nothing.
func (d *Document) Payable() int64 {
	if d.PaymentReference == "" {
		return 0
	}
	return d.Total
}

// Params are what the caller decides for a new document.
type Params struct {
	ID          string
	Reference   string // an OCR number, unique among the merchant's documents
	Settings    Settings
	AccessToken string
	Now         time.Time
}

// Need is a document an order change calls for.
type Need struct {
	Kind     Kind
	LedgerID string
}

// Needed lists the documents that the change from prev to next calls for,
// in issue order: an invoice for each new captured
// chunk, a credit note for each new refund, an advance invoice when the
// order became an advance-invoice order.
func Needed(prev, next *order.Order) []Need {
	var needs []Need
	if prev.PaymentMethod != order.AdvanceInvoice && next.PaymentMethod == order.AdvanceInvoice && next.Uncaptured != nil {
		needs = append(needs, Need{KindAdvance, next.Uncaptured.LedgerID})
	}
	for _, c := range next.Captured[len(prev.Captured):] {
		needs = append(needs, Need{KindInvoice, c.LedgerID})
	}
	for _, c := range next.Refunded[len(prev.Refunded):] {
		needs = append(needs, Need{KindCreditNote, c.LedgerID})
	}
	return needs
}

// Issue builds the document need calls for on order o. credited is, for a
// credit note, the invoice of the chunk it credits; advance is, for an
// invoice of an advance-invoice order, its advance invoice.
func Issue(o *order.Order, need Need, p Params, credited, advance *Document) (*Document, error) {
	if !ValidOCR(p.Reference) {
		return nil, kassa.Errorf(kassa.EInternal, "document reference %q is not a valid OCR number", p.Reference)
	}
	day := p.Now.UTC().Truncate(24 * time.Hour)
	d := &Document{
		ID: p.ID, MerchantID: o.MerchantID, OrderID: o.ID, LedgerID: need.LedgerID, Kind: need.Kind,
		Reference: p.Reference, IssueDate: day, DueDate: day.AddDate(0, 0, p.Settings.Terms()),
		Currency: o.Currency, Seller: p.Settings.Seller, Buyer: buyerOf(&o.Customer), FTax: p.Settings.FTax,
		OrderReference: o.OrderReference, MerchantReference: o.Reference,
		AccessToken: p.AccessToken, CreatedAt: p.Now,
		LogoSHA256: p.Settings.LogoSHA256,
	}
	d.ReferenceScheme = SchemeFor(d.Seller.Country, d.Currency)
	d.PaymentReference = PaymentReferenceFor(d.ReferenceScheme, p.Reference)
	switch ch := o.Customer.InvoiceChannel; ch.Type {
	case "email":
		d.CopyTo = ch.Details
	case "edi":
		d.BuyerGLN = ch.Details
	}
	var lines []order.Line
	sign := int64(1)
	switch need.Kind {
	case KindAdvance:
		if o.Uncaptured == nil || o.Uncaptured.LedgerID != need.LedgerID {
			return nil, kassa.Errorf(kassa.EInternal, "order %s has no uncaptured chunk %s", o.ID, need.LedgerID)
		}
		lines = o.Uncaptured.Lines
	case KindInvoice:
		c := chunk(o.Captured, need.LedgerID)
		if c == nil {
			return nil, kassa.Errorf(kassa.EInternal, "order %s has no captured chunk %s", o.ID, need.LedgerID)
		}
		lines = c.Lines
		d.DeliveryDate = c.CreatedAt.UTC().Truncate(24 * time.Hour)
		if advance != nil {
			d.RefersTo, d.PaidByAdvance, d.PaymentReference, d.DueDate = advance.ID, advance.Number, "", day
		}
	case KindCreditNote:
		c := chunk(o.Refunded, need.LedgerID)
		if c == nil || credited == nil || credited.LedgerID != c.CapturedLedgerID {
			return nil, kassa.Errorf(kassa.EInternal, "order %s has no refund %s of a documented invoice", o.ID, need.LedgerID)
		}
		lines, sign = c.Lines, -1
		d.RefersTo, d.Credits, d.PaymentReference, d.DueDate = credited.ID, credited.Number, "", day
		d.DeliveryDate = credited.DeliveryDate
	default:
		return nil, kassa.Errorf(kassa.EInternal, "unknown document kind %q", need.Kind)
	}
	d.Lines = make([]Line, len(lines))
	for i, l := range lines {
		d.Lines[i] = lineOf(l, sign)
	}
	d.VAT, d.Total, d.TotalVAT = Summarize(d.Lines)
	d.VATNotes = vatNotes(d, p.Settings.VATExemptionNote)
	if d.PaymentReference != "" {
		if a := p.Settings.account(d.Currency, d.Buyer.Country); a != nil {
			d.IBAN, d.BIC = a.IBAN, a.BIC
		}
		if d.Currency == "SEK" {
			d.Bankgiro, d.Plusgiro = p.Settings.Bankgiro, p.Settings.Plusgiro
		}
		d.InterestTerms = interestTerms(d.Seller.Country)
	} else {
		d.ReferenceScheme = ""
	}
	return d, nil
}

// lineOf is an order line as a document prints it, its amounts times
// sign. The unit price and discount excluding VAT are the order's
// (including VAT) less their VAT portion at the line's rate; without a
// unit price the order gives none, so it is what the units cost each.
func lineOf(l order.Line, sign int64) Line {
	unit := l.TotalAmount/l.Quantity + l.UnitDiscountAmount
	if l.UnitPrice != nil {
		unit = *l.UnitPrice
	}
	discount := l.UnitDiscountAmount * l.Quantity
	unitNet := sign * (unit - money.VATPortion(unit, l.VAT))
	return Line{
		Reference: l.Reference, Description: l.Description, Type: l.Type, Quantity: l.Quantity, VAT: l.VAT,
		UnitPrice: &unitNet, Discount: sign * (discount - money.VATPortion(discount, l.VAT)),
		Total: sign * l.TotalAmount, TotalVAT: sign * l.TotalVATAmount,
	}
}

// Summarize sums lines per VAT rate, lowest rate first, and in total. The
// rates' sums add up to the totals exactly: both are sums of the same
// integer line amounts.
func Summarize(lines []Line) (rates []RateSum, total, totalVAT int64) {
	by := map[int64]*RateSum{}
	for _, l := range lines {
		r := by[l.VAT]
		if r == nil {
			r = &RateSum{Rate: l.VAT}
			by[l.VAT] = r
		}
		r.Total += l.Total
		r.VAT += l.TotalVAT
		total += l.Total
		totalVAT += l.TotalVAT
	}
	for _, rate := range slices.Sorted(maps.Keys(by)) {
		r := by[rate]
		r.Net = r.Total - r.VAT
		rates = append(rates, *r)
	}
	return rates, total, totalVAT
}

func chunk(cs []order.Chunk, ledgerID string) *order.Chunk {
	for i := range cs {
		if cs[i].LedgerID == ledgerID {
			return &cs[i]
		}
	}
	return nil
}

func buyerOf(c *order.Customer) Party {
	a := c.BillingAddress
	name := a.CompanyName
	if name == "" {
		name = c.CompanyName
	}
	return Party{
		Name: name, OrgNo: c.CompanyID, VATID: c.VATID,
		StreetAddress: a.StreetAddress, PostalCode: a.PostalCode, City: a.City, Country: a.Country,
		Attention: a.AttentionName, Email: c.Email, Reference1: c.Reference1, Reference2: c.Reference2,
	}
}

// Title is how a kind is headed on the document and in its e-mail.
func Title(k Kind) string {
	switch k {
	case KindCreditNote:
		return "Credit note"
	case KindAdvance:
		return "Advance invoice"
	}
	return "Invoice"
}
