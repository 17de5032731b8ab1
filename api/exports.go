package api

import (
	"net/http"

	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
)

// handleSIEExport answers the merchant's accounting export of a period
// as an SIE 4I file, to download (docs/accounting.md): code page 437,
// which SIE 4 requires, is IANA's IBM437.
func (s *Server) handleSIEExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := provider.ExportRequest{From: q.Get("from"), To: q.Get("to"), Rates: q["rate"]}
	f, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) (*provider.ExportFile, error) {
		return s.app.SIEExport(r.Context(), tx, principal(r).MerchantID, req)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=IBM437")
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.Name+`"`)
	w.Header().Set("Cache-Control", "no-store") // payments matched later change a period's file
	w.Write(f.Body)
	return nil
}
