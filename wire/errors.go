package wire

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/kassa-pay/kassa"
)

// statusOf maps each error code to its one HTTP status.
var statusOf = map[string]int{
	kassa.EInvalid:             http.StatusBadRequest,
	kassa.ESessionCompleted:    http.StatusBadRequest,
	kassa.EUnauthorized:        http.StatusUnauthorized,
	kassa.EForbidden:           http.StatusForbidden,
	kassa.ERejected:            http.StatusPaymentRequired,
	kassa.ENotFound:            http.StatusNotFound,
	kassa.EConflict:            http.StatusConflict,
	kassa.EIdempotencyInFlight: http.StatusConflict,
	kassa.ETooLarge:            http.StatusRequestEntityTooLarge,
	kassa.ENotAcceptable:       http.StatusNotAcceptable,
	kassa.ERateLimited:         http.StatusTooManyRequests,
	kassa.EIdempotencyMismatch: http.StatusUnprocessableEntity,
	kassa.EInternal:            http.StatusInternalServerError,
}

// Status is the HTTP status of an error code.
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorView is one error as Kassa answers it.
type ErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

// ErrorBody is Ledyer's flat error shape: clients join each error's values
// into one message, so every value is a plain string. The request's ID
// stands beside the errors, not in them, where it would join the message;
// Ledyer's clients read only the errors (docs/observability.md).
type ErrorBody struct {
	Errors    []ErrorView `json:"errors"`
	RequestID string      `json:"requestId,omitempty"`
}

// RequestIDHeader is the header that carries a request's ID, in the
// request (the client's, when Kassa takes it) and in every response.
const RequestIDHeader = "X-Request-Id"

// RequestID is the ID of the request w answers: its X-Request-Id, set
// before any handler runs.
func RequestID(w http.ResponseWriter) string { return w.Header().Get(RequestIDHeader) }

// Public is the error a client may see: a kassa.Error as it is, and any
// other error (or an internal one) as a generic internal error, logged
// with its cause.
func Public(log *slog.Logger, r *http.Request, err error) *kassa.Error {
	e, ok := errors.AsType[*kassa.Error](err)
	if ok && e.Code != kassa.EInternal {
		return e
	}
	// The route, not the path, which may hold a credential (the signing
	// page's MAC); the context's request ID ties the line to the request's.
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil { // the client went away; nothing is wrong here
		log.InfoContext(r.Context(), "request abandoned by the client", "method", r.Method, "route", r.Pattern, "err", err)
	} else {
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "route", r.Pattern, "err", err)
	}
	return kassa.Errorf(kassa.EInternal, "Internal error; the request may be retried")
}

// WriteError is the single exit for failures: the error's status and
// body (see Public).
func WriteError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	e := Public(log, r, err)
	WriteErrors(w, Status(e.Code), ErrorView{Code: e.Code, Message: e.Message, Param: e.Param})
}

// WriteErrors answers errs with status in the error shape, with the
// request's ID.
func WriteErrors(w http.ResponseWriter, status int, errs ...ErrorView) {
	WriteJSON(w, status, ErrorBody{Errors: errs, RequestID: RequestID(w)})
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Views are plain structs; failing to encode one is a bug.
		http.Error(w, `{"errors":[{"code":"internal","message":"Internal error"}]}`, http.StatusInternalServerError)
		return
	}
	WriteRaw(w, status, b)
}

// WriteRaw answers body, JSON already encoded, with status.
func WriteRaw(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(body)
}

// Handler is an HTTP handler that returns its failure instead of writing
// it: Handle writes it, the one way failures are answered.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to net/http: a returned error is answered by
// WriteError, logged to log.
func Handle(log *slog.Logger, h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(log, w, r, err)
		}
	}
}
