package provider

import (
	"context"

	"github.com/kassa-pay/kassa/invoice/sie"
	"github.com/kassa-pay/kassa/store"
)

// ExportRequest asks for the accounting export of a period: its first
// and last days (YYYY-MM-DD, inclusive) and the rates, in kronor, of the
// other currencies its documents and payments are in ("EUR:11.4520").
type ExportRequest struct {
	From, To string
	Rates    []string
}

// ExportFile is an export: the file's name and its bytes.
type ExportFile struct {
	Name string
	Body []byte
}

// SIEExport writes the merchant's SIE 4I file of the documents issued
// and payments booked in the period (docs/accounting.md), booked to the
// account plan of its invoice settings. A period that is not one, a
// currency without a rate, or a VAT rate the plan has no accounts for is
// EInvalid.
func (s *Service) SIEExport(ctx context.Context, tx store.ReadTx, merchantID string, req ExportRequest) (*ExportFile, error) {
	from, to, err := sie.ParsePeriod(req.From, req.To)
	if err != nil {
		return nil, err
	}
	rates, err := sie.ParseRates(req.Rates)
	if err != nil {
		return nil, err
	}
	m, err := tx.Merchant(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	settings, err := tx.InvoiceSettings(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	end := to.AddDate(0, 0, 1) // the reads' periods end before their end
	docs, err := tx.DocumentsIssued(ctx, merchantID, from, end)
	if err != nil {
		return nil, err
	}
	booked, err := tx.PaymentsBooked(ctx, merchantID, from, end)
	if err != nil {
		return nil, err
	}
	payments := make([]sie.Payment, len(booked))
	for i, p := range booked {
		payments[i] = sie.Payment{ID: p.ID, Reference: p.Reference, Amount: p.Amount, Currency: p.Currency, DocumentID: p.DocumentID, Booked: p.BookedAt.UTC()}
	}
	if settings.Seller.Name == "" { // #FNAMN names the company in every file
		settings.Seller.Name = m.Name
	}
	e := &sie.Export{
		Program: "Kassa", Version: s.cfg.Version, Generated: s.clock.Now().UTC(),
		Seller: settings.Seller, From: from, To: to, Accounts: settings.Accounting.WithDefaults(), Rates: rates,
		Documents: docs, Payments: payments,
	}
	body, err := e.Write()
	if err != nil {
		return nil, err
	}
	return &ExportFile{Name: e.FileName(), Body: body}, nil
}
