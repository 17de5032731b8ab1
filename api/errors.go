package api

import (
	"net/http"

	"github.com/kassa-pay/kassa/wire"
)

// writeError answers err (wire.WriteError).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	wire.WriteError(s.log, w, r, err)
}
