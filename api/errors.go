package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/kassa-pay/kassa"
)

// statusOf maps each error code to its one HTTP status.
var statusOf = map[string]int{
	kassa.EInvalid:             http.StatusBadRequest,
	kassa.ESessionCompleted:    http.StatusBadRequest,
	kassa.EUnauthorized:        http.StatusUnauthorized,
	kassa.ERejected:            http.StatusPaymentRequired,
	kassa.ENotFound:            http.StatusNotFound,
	kassa.EConflict:            http.StatusConflict,
	kassa.EIdempotencyInFlight: http.StatusConflict,
	kassa.ETooLarge:            http.StatusRequestEntityTooLarge,
	kassa.ERateLimited:         http.StatusTooManyRequests,
	kassa.EIdempotencyMismatch: http.StatusUnprocessableEntity,
	kassa.EInternal:            http.StatusInternalServerError,
}

type errorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

// errorBody is Ledyer's flat error shape: clients join each error's values
// into one message, so every value is a plain string.
type errorBody struct {
	Errors []errorView `json:"errors"`
}

// writeError is the single exit for failures. Internal errors are logged
// with their cause and answered with a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errors.AsType[*kassa.Error](err)
	if !ok || e.Code == kassa.EInternal {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil { // the client went away; nothing is wrong here
			s.log.Info("request abandoned by the client", "method", r.Method, "path", r.URL.Path, "err", err)
		} else {
			s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		e = kassa.Errorf(kassa.EInternal, "Internal error; the request may be retried")
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, errorBody{[]errorView{{Code: e.Code, Message: e.Message, Param: e.Param}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Views are plain structs; failing to encode one is a bug.
		http.Error(w, `{"errors":[{"code":"internal","message":"Internal error"}]}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(body)
}
