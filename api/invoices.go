package api

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/invoice/pdf"
	"github.com/kassa-pay/kassa/invoice/ubl"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// handleDocumentPDF serves a document of the caller's merchant: the
// chunk's documentUrl.
func (s *Server) handleDocumentPDF(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.NumberedDocument(r.Context(), func(tx store.ReadTx) (*invoice.Document, error) {
		return tx.Document(r.Context(), principal(r).MerchantID, r.PathValue("documentId"))
	})
	return writeDocument(w, r, d, err)
}

// handleBuyerPDF serves a document to whoever holds its access token: the
// link in the buyer's e-mail. The token is 256 random bits.
func (s *Server) handleBuyerPDF(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.NumberedDocument(r.Context(), func(tx store.ReadTx) (*invoice.Document, error) {
		return tx.DocumentByToken(r.Context(), r.PathValue("token"))
	})
	w.Header().Set("Referrer-Policy", "no-referrer") // keep the token out of other sites' logs
	return writeDocument(w, r, d, err)
}

// writeDocument answers d as the request asks (documentFormat): its PDF,
// or its Peppol BIS Billing 3.0 XML.
func writeDocument(w http.ResponseWriter, r *http.Request, d *invoice.Document, err error) error {
	w.Header().Add("Vary", "Accept")
	format, ferr := documentFormat(r)
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return err
	}
	var b []byte
	if format == "ubl" {
		b, err = ubl.Build(d)
		w.Header().Set("Content-Type", "application/xml")
	} else {
		b, err = pdf.Render(d)
		w.Header().Set("Content-Type", "application/pdf")
	}
	if err != nil {
		w.Header().Del("Content-Type")
		return err
	}
	ext := map[string]string{"ubl": "xml", "pdf": "pdf"}[format]
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%d.%s"`, d.Kind, d.Number, ext))
	w.Header().Set("Cache-Control", "private, max-age=3600") // documents never change
	w.Write(b)
	return nil
}

// documentFormat is how a document is asked for: "ubl" with
// ?format=ubl, or with an Accept that names application/xml (or
// text/xml) above what it gives the PDF; "pdf" with ?format=pdf, without
// an Accept, or with one that accepts application/pdf; else the request
// is refused, not_acceptable. A browser's Accept names application/xml
// beside text/html, so one that names text/html gets the PDF, as the
// buyer's link always has.
func documentFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "ubl", "pdf":
		return f, nil
	case "":
	default:
		return "", kassa.Invalid("format", "format must be pdf or ubl, not %q", f)
	}
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return "pdf", nil
	}
	var pdfQ, pdfWild, xmlQ float64 = -1, -1, 0
	html := false
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || !(q >= 0 && q <= 1) { // NaN too
				continue
			}
		}
		switch mt {
		case "application/pdf":
			pdfQ = max(pdfQ, q)
		case "application/*", "*/*":
			pdfWild = max(pdfWild, q)
		case "application/xml", "text/xml":
			xmlQ = max(xmlQ, q)
		case "text/html":
			html = html || q > 0
		}
	}
	if pdfQ < 0 { // a type named outranks the wildcards that cover it
		pdfQ = max(pdfWild, 0)
	}
	switch {
	case xmlQ > 0 && xmlQ > pdfQ && !html:
		return "ubl", nil
	case pdfQ > 0:
		return "pdf", nil
	case xmlQ > 0:
		return "ubl", nil
	}
	return "", kassa.Errorf(kassa.ENotAcceptable, "a document is served as application/pdf, or as a Peppol BIS Billing 3.0 e-invoice as application/xml; the Accept header names neither")
}

// documentView is a document as the API lists it.
type documentView struct {
	ID                string         `json:"id"`
	Kind              invoice.Kind   `json:"kind"`
	DocumentReference string         `json:"documentReference"`
	Number            int64          `json:"number,omitempty"` // absent until numbered, moments after issue
	DocumentURL       string         `json:"documentUrl"`
	LedgerID          string         `json:"ledgerId"`
	Credits           string         `json:"credits,omitempty"`
	IssueDate         string         `json:"issueDate"`
	DueDate           string         `json:"dueDate"`
	Currency          money.Currency `json:"currency"`
	TotalAmount       moneyView      `json:"totalAmount"`
	TotalVATAmount    moneyView      `json:"totalVatAmount"`
	PaymentReference  string         `json:"paymentReference,omitempty"`
	// PaymentReferenceScheme says which scheme PaymentReference is in.
	PaymentReferenceScheme string    `json:"paymentReferenceScheme,omitempty"`
	Payable                moneyView `json:"payableAmount"`
	PaidAmount             moneyView `json:"paidAmount"`
}

func (s *Server) documentOf(d *invoice.Document, paid int64) documentView {
	v := documentView{
		ID: d.ID, Kind: d.Kind, DocumentReference: d.Reference, Number: d.Number, DocumentURL: s.app.DocumentURL(d), LedgerID: d.LedgerID,
		IssueDate: d.IssueDate.Format(time.DateOnly), DueDate: d.DueDate.Format(time.DateOnly), Currency: d.Currency,
		TotalAmount: moneyOf(d.Total, d.Currency), TotalVATAmount: moneyOf(d.TotalVAT, d.Currency),
		PaymentReference: d.PaymentReference, PaymentReferenceScheme: d.ReferenceScheme, Payable: moneyOf(d.Payable(), d.Currency), PaidAmount: moneyOf(paid, d.Currency),
	}
	if d.Credits != 0 {
		v.Credits = strconv.FormatInt(d.Credits, 10)
	}
	return v
}

// handleOrderDocuments lists an order's documents with what has been
// paid on each.
func (s *Server) handleOrderDocuments(w http.ResponseWriter, r *http.Request) error {
	ctx, merchantID := r.Context(), principal(r).MerchantID
	views, err := provider.View(ctx, s.app, func(tx store.ReadTx) ([]documentView, error) {
		o, err := tx.Order(ctx, merchantID, r.PathValue("orderId"))
		if err != nil {
			return nil, err
		}
		docs, err := tx.OrderDocuments(ctx, merchantID, o.ID)
		if err != nil {
			return nil, err
		}
		views := []documentView{}
		for _, d := range docs {
			paid, err := tx.DocumentPaid(ctx, d.ID)
			if err != nil {
				return nil, err
			}
			views = append(views, s.documentOf(d, paid))
		}
		return views, nil
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"documents": views})
	return nil
}

func (s *Server) handleInvoiceSettingsGet(w http.ResponseWriter, r *http.Request) error {
	settings, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) (*invoice.Settings, error) {
		return s.app.InvoiceSettings(r.Context(), tx, principal(r).MerchantID)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, settings)
	return nil
}

// handleInvoiceSettingsPut replaces the merchant's invoice settings; they
// apply to documents issued from then on.
func (s *Server) handleInvoiceSettingsPut(w http.ResponseWriter, r *http.Request) error {
	var in invoice.Settings
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		if err := s.app.PutInvoiceSettings(ctx, tx, principal(r).MerchantID, &in); err != nil {
			return 0, nil, err
		}
		out, err := s.app.InvoiceSettings(ctx, tx, principal(r).MerchantID)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, out, nil
	})
}

// handleSandboxMails lists the merchant's invoice e-mails, newest first,
// queued and sent: what the buyer received.
func (s *Server) handleSandboxMails(w http.ResponseWriter, r *http.Request) error {
	mails, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]store.Mail, error) {
		return tx.Mails(r.Context(), principal(r).MerchantID, 100)
	})
	if err != nil {
		return err
	}
	if mails == nil {
		mails = []store.Mail{}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"mails": mails})
	return nil
}
