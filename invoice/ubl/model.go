package ubl

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/kassa-pay/kassa/money"
)

// The UBL 2.1 namespaces. Elements are written with the cac: and cbc:
// prefixes the Peppol examples use, declared once on the root.
const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// Peppol BIS Billing 3.0's specification (BT-24) and business process
// (BT-23) identifiers.
const (
	CustomizationID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
	ProfileID       = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
)

// Type codes (UNTDID 1001) of the documents Kassa issues.
const (
	TypeInvoice    = "380" // commercial invoice
	TypePrepayment = "386" // prepayment invoice: Kassa's advance invoice
	TypeCreditNote = "381"
)

// Document is a UBL Invoice or CreditNote with the parts of the EN 16931
// model Kassa fills. Field order is the schemas' sequence. Exactly one of
// InvoiceTypeCode and CreditNoteTypeCode is set, and with it the lines of
// that kind.
type Document struct {
	XMLName            xml.Name
	NS                 string         `xml:"xmlns,attr"`
	NSCAC              string         `xml:"xmlns:cac,attr"`
	NSCBC              string         `xml:"xmlns:cbc,attr"`
	CustomizationID    string         `xml:"cbc:CustomizationID,omitempty"`
	ProfileID          string         `xml:"cbc:ProfileID,omitempty"`
	ID                 string         `xml:"cbc:ID,omitempty"`
	IssueDate          string         `xml:"cbc:IssueDate,omitempty"`
	DueDate            string         `xml:"cbc:DueDate,omitempty"`
	InvoiceTypeCode    string         `xml:"cbc:InvoiceTypeCode,omitempty"`
	CreditNoteTypeCode string         `xml:"cbc:CreditNoteTypeCode,omitempty"`
	Notes              []string       `xml:"cbc:Note"`
	CurrencyCode       string         `xml:"cbc:DocumentCurrencyCode,omitempty"`
	BuyerReference     string         `xml:"cbc:BuyerReference,omitempty"`
	OrderReference     *IDRef         `xml:"cac:OrderReference"`
	BillingReferences  []BillingRef   `xml:"cac:BillingReference"`
	Supplier           PartyWrap      `xml:"cac:AccountingSupplierParty"`
	Customer           PartyWrap      `xml:"cac:AccountingCustomerParty"`
	Delivery           *Delivery      `xml:"cac:Delivery"`
	PaymentMeans       []PaymentMeans `xml:"cac:PaymentMeans"`
	PaymentTerms       *Note          `xml:"cac:PaymentTerms"`
	TaxTotals          []TaxTotal     `xml:"cac:TaxTotal"`
	Totals             MonetaryTotal  `xml:"cac:LegalMonetaryTotal"`
	InvoiceLines       []Line         `xml:"cac:InvoiceLine"`
	CreditNoteLines    []Line         `xml:"cac:CreditNoteLine"`
}

// CreditNote reports whether d is a credit note.
func (d *Document) CreditNote() bool { return d.XMLName.Local == "CreditNote" }

// Lines are the document's lines, whichever kind they are.
func (d *Document) Lines() []Line {
	if d.CreditNote() {
		return d.CreditNoteLines
	}
	return d.InvoiceLines
}

// Marshal writes d as an XML document.
func (d *Document) Marshal() ([]byte, error) {
	b, err := xml.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

// IDRef is an element holding one cbc:ID.
type IDRef struct {
	ID string `xml:"cbc:ID,omitempty"`
}

// BillingRef is a preceding invoice reference (BG-3).
type BillingRef struct {
	Invoice InvoiceDocRef `xml:"cac:InvoiceDocumentReference"`
}

// InvoiceDocRef is the preceding invoice's number (BT-25) and issue date
// (BT-26).
type InvoiceDocRef struct {
	ID        string `xml:"cbc:ID,omitempty"`
	IssueDate string `xml:"cbc:IssueDate,omitempty"`
}

// PartyWrap is the AccountingSupplierParty or AccountingCustomerParty.
type PartyWrap struct {
	Party Party `xml:"cac:Party"`
}

// Party is the seller (BG-4) or the buyer (BG-7).
type Party struct {
	EndpointID *SchemeID    `xml:"cbc:EndpointID"`
	Name       *PartyName   `xml:"cac:PartyName"`
	Address    *Address     `xml:"cac:PostalAddress"`
	TaxSchemes []PartyTax   `xml:"cac:PartyTaxScheme"`
	Legal      *LegalEntity `xml:"cac:PartyLegalEntity"`
	Contact    *Contact     `xml:"cac:Contact"`
}

// TaxID is p's identifier under scheme ("VAT" or "TAX"), or "".
func (p *Party) TaxID(scheme string) string {
	for _, t := range p.TaxSchemes {
		if t.TaxScheme.ID == scheme {
			return t.CompanyID
		}
	}
	return ""
}

// SchemeID is an identifier with its scheme (an EAS or ICD code).
type SchemeID struct {
	SchemeID string `xml:"schemeID,attr,omitempty"`
	Value    string `xml:",chardata"`
}

// PartyName is a trading name.
type PartyName struct {
	Name string `xml:"cbc:Name,omitempty"`
}

// Address is a postal address; only the country is required.
type Address struct {
	Street     string   `xml:"cbc:StreetName,omitempty"`
	City       string   `xml:"cbc:CityName,omitempty"`
	PostalZone string   `xml:"cbc:PostalZone,omitempty"`
	Country    *Country `xml:"cac:Country"`
}

// Country holds an ISO 3166-1 alpha-2 code.
type Country struct {
	Code string `xml:"cbc:IdentificationCode,omitempty"`
}

// PartyTax is a party's VAT identifier (BT-31, BT-48) under the scheme
// "VAT", or the seller's tax registration (BT-32) under "TAX": for a
// Swedish seller its F-tax approval, "Godkänd för F-skatt".
type PartyTax struct {
	CompanyID string `xml:"cbc:CompanyID,omitempty"`
	TaxScheme IDRef  `xml:"cac:TaxScheme"`
}

// LegalEntity is a party's registered name and legal registration
// identifier.
type LegalEntity struct {
	Name      string    `xml:"cbc:RegistrationName,omitempty"`
	CompanyID *SchemeID `xml:"cbc:CompanyID"`
	Form      string    `xml:"cbc:CompanyLegalForm,omitempty"`
}

// Contact is a party's contact point.
type Contact struct {
	Name  string `xml:"cbc:Name,omitempty"`
	Email string `xml:"cbc:ElectronicMail,omitempty"`
}

// Delivery is the actual delivery date (BT-72) and where to (BG-15).
type Delivery struct {
	Date     string            `xml:"cbc:ActualDeliveryDate,omitempty"`
	Location *DeliveryLocation `xml:"cac:DeliveryLocation"`
}

// DeliveryLocation holds the deliver-to address.
type DeliveryLocation struct {
	Address *Address `xml:"cac:Address"`
}

// PaymentMeans is a payment instruction (BG-16).
type PaymentMeans struct {
	Code      string            `xml:"cbc:PaymentMeansCode,omitempty"`
	PaymentID string            `xml:"cbc:PaymentID,omitempty"`
	Account   *FinancialAccount `xml:"cac:PayeeFinancialAccount"`
}

// FinancialAccount is the payee's account (BT-84) and its institution
// (BT-86) or, for Swedish giro numbers, the giro scheme.
type FinancialAccount struct {
	ID     string `xml:"cbc:ID,omitempty"`
	Branch *IDRef `xml:"cac:FinancialInstitutionBranch"`
}

// Note is an element holding a cbc:Note.
type Note struct {
	Note string `xml:"cbc:Note,omitempty"`
}

// TaxTotal is the VAT total (BT-110) and its breakdown (BG-23).
type TaxTotal struct {
	Amount    Amount        `xml:"cbc:TaxAmount"`
	Subtotals []TaxSubtotal `xml:"cac:TaxSubtotal"`
}

// TaxSubtotal is one VAT category and rate.
type TaxSubtotal struct {
	Taxable  Amount      `xml:"cbc:TaxableAmount"`
	Amount   Amount      `xml:"cbc:TaxAmount"`
	Category TaxCategory `xml:"cac:TaxCategory"`
}

// TaxCategory is a VAT category code (UNCL5305), its rate and, for the
// categories without VAT, why.
type TaxCategory struct {
	ID              string   `xml:"cbc:ID,omitempty"`
	Percent         *Percent `xml:"cbc:Percent"`
	ExemptionCode   string   `xml:"cbc:TaxExemptionReasonCode,omitempty"`
	ExemptionReason string   `xml:"cbc:TaxExemptionReason,omitempty"`
	TaxScheme       IDRef    `xml:"cac:TaxScheme"`
}

// MonetaryTotal is the document totals (BG-22).
type MonetaryTotal struct {
	LineExtension Amount  `xml:"cbc:LineExtensionAmount"`
	TaxExclusive  Amount  `xml:"cbc:TaxExclusiveAmount"`
	TaxInclusive  Amount  `xml:"cbc:TaxInclusiveAmount"`
	Prepaid       *Amount `xml:"cbc:PrepaidAmount"`
	Payable       Amount  `xml:"cbc:PayableAmount"`
}

// Line is an invoice or credit note line (BG-25).
type Line struct {
	ID               string            `xml:"cbc:ID,omitempty"`
	InvoicedQuantity *Quantity         `xml:"cbc:InvoicedQuantity"`
	CreditedQuantity *Quantity         `xml:"cbc:CreditedQuantity"`
	LineExtension    Amount            `xml:"cbc:LineExtensionAmount"`
	Allowances       []AllowanceCharge `xml:"cac:AllowanceCharge"`
	Item             Item              `xml:"cac:Item"`
	Price            Price             `xml:"cac:Price"`
}

// Quantity is the line's quantity; nil when absent.
func (l *Line) Quantity() *Quantity {
	if l.CreditedQuantity != nil {
		return l.CreditedQuantity
	}
	return l.InvoicedQuantity
}

// Quantity is a quantity with its unit (UN/ECE Recommendation 20).
type Quantity struct {
	UnitCode string `xml:"unitCode,attr,omitempty"`
	Value    int64  `xml:",chardata"`
}

// AllowanceCharge is a line allowance (BG-27) or charge (BG-28).
type AllowanceCharge struct {
	ChargeIndicator string   `xml:"cbc:ChargeIndicator"`
	Reason          string   `xml:"cbc:AllowanceChargeReason,omitempty"`
	Percent         *Percent `xml:"cbc:MultiplierFactorNumeric"`
	Amount          Amount   `xml:"cbc:Amount"`
	Base            *Amount  `xml:"cbc:BaseAmount"`
}

// Item is what the line sells.
type Item struct {
	Name      string      `xml:"cbc:Name,omitempty"`
	SellersID *IDRef      `xml:"cac:SellersItemIdentification"`
	Category  TaxCategory `xml:"cac:ClassifiedTaxCategory"`
}

// Price is the item's net price (BT-146) for BaseQuantity units (BT-149).
type Price struct {
	Amount       Amount    `xml:"cbc:PriceAmount"`
	BaseQuantity *Quantity `xml:"cbc:BaseQuantity"`
}

// Amount is money in minor units of a currency, written as a plain
// decimal with the currency's digits and its currencyID.
type Amount struct {
	Currency money.Currency
	Minor    int64
}

// MarshalXML writes the amount as <name currencyID="SEK">12.50</name>.
func (a Amount) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if a.Currency != "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "currencyID"}, Value: string(a.Currency)})
	}
	return e.EncodeElement(money.Decimal(a.Minor, a.Currency), start)
}

// Percent is a rate in basis points, written as a percentage.
type Percent int64

// MarshalXML writes 2500 as 25 and 1250 as 12.5.
func (p Percent) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	s := strconv.FormatInt(int64(p)/100, 10)
	if f := int64(p) % 100; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", f), "0")
	}
	return e.EncodeElement(s, start)
}
