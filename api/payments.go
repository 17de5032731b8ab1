package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// sandboxPaymentIn records one payment as if the bank had reported it.
type sandboxPaymentIn struct {
	PaymentReference wire.Str `json:"paymentReference"`
	Amount           wire.Int `json:"amount"` // minor units
	Currency         wire.Str `json:"currency"`
	BankReference    wire.Str `json:"bankReference"`
}

func (s *Server) handleSandboxPayment(w http.ResponseWriter, r *http.Request) error {
	var in sandboxPaymentIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	if !in.Amount.Set || in.Amount.V <= 0 || in.Amount.V > money.MaxAmount {
		return kassa.Invalid("amount", "amount must be a positive number of minor units")
	}
	cur, err := money.ParseCurrency(string(in.Currency))
	if err != nil {
		return err
	}
	bankRef := string(in.BankReference)
	if bankRef == "" {
		bankRef = s.app.IDs().New("sandbox_") // each call is a new payment
	}
	for param, ref := range map[string]string{"bankReference": bankRef, "paymentReference": string(in.PaymentReference)} {
		if len(ref) > 200 {
			return kassa.Invalid(param, "%s is at most 200 characters", param)
		}
	}
	entry := reconcile.Entry{BankRef: bankRef, Reference: strings.ReplaceAll(string(in.PaymentReference), " ", ""), Amount: in.Amount.V, Currency: cur, BookedAt: s.app.Now()}
	return s.recordPayments(w, r, body, &reconcile.File{Payments: []reconcile.Entry{entry}})
}

// handlePaymentsImport applies a bank file, camt.054 or BgMax (told
// apart by content): all of it, or with a malformed file nothing. The
// answer names the format and has each payment's outcome and the entries
// that are not payments (skipped), with the reason.
func (s *Server) handlePaymentsImport(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBytes(r)
	if err != nil {
		return err
	}
	f, err := wire.BankFile(body)
	if err != nil {
		return err
	}
	return s.recordPayments(w, r, body, f)
}

func (s *Server) recordPayments(w http.ResponseWriter, r *http.Request, body []byte, f *reconcile.File) error {
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		res, err := s.app.RecordPayments(ctx, tx, principal(r).MerchantID, f)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, res, nil
	})
}

// matchIn matches a payment to a document.
type matchIn struct {
	DocumentID wire.Str `json:"documentId"`
}

// handlePaymentMatch matches an unmatched payment to one of the
// merchant's documents by hand (provider.Service.MatchPayment, which the
// dashboard's form calls too). The answer is the payment's outcome, as an
// import's.
func (s *Server) handlePaymentMatch(w http.ResponseWriter, r *http.Request) error {
	var in matchIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	if in.DocumentID == "" {
		return kassa.Invalid("documentId", "documentId is required: the ID of the document the payment pays")
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		a, err := s.app.MatchPayment(ctx, tx, principal(r).MerchantID, r.PathValue("paymentId"), string(in.DocumentID))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, a, nil
	})
}

// handlePayments lists the merchant's payments, newest first;
// ?unmatched=true lists those awaiting manual matching.
func (s *Server) handlePayments(w http.ResponseWriter, r *http.Request) error {
	unmatched, err := list.Bool(r.URL.Query(), "unmatched")
	if err != nil {
		return err
	}
	ps, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]store.BankPayment, error) {
		return tx.BankPayments(r.Context(), principal(r).MerchantID, unmatched, 500)
	})
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []store.BankPayment{}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"payments": ps})
	return nil
}
