package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/kassa-pay/kassa"
)

// ReadBody reads the whole (size-limited) body, which must be text (see
// CheckBody): every handler that reads a body reads it here.
func ReadBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, kassa.Errorf(kassa.ETooLarge, "the request body is larger than the limit")
		}
		return nil, kassa.Errorf(kassa.EInvalid, "the request body could not be read")
	}
	if err := CheckBody(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Decode unmarshals a JSON body into v. An empty body and the JSON text []
// (what PHP clients send for "no data") both leave v as it is.
func Decode(body []byte, v any) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || string(t) == "[]" {
		return nil
	}
	if err := json.Unmarshal(t, v); err != nil {
		if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return kassa.Invalid(e.Field, "%s must be a %s, not %s", e.Field, jsonKind(e.Type.Kind().String()), e.Value)
		}
		if e, ok := errors.AsType[*kassa.Error](err); ok {
			return e
		}
		return kassa.Errorf(kassa.EInvalid, "the request body is not valid JSON: %v", err)
	}
	return nil
}

// ReadJSON reads the body (ReadBody) and decodes it into v (Decode); it
// returns the body, which idempotency fingerprints.
func ReadJSON(r *http.Request, v any) ([]byte, error) {
	b, err := ReadBody(r)
	if err != nil {
		return nil, err
	}
	return b, Decode(b, v)
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	case "string":
		return "string"
	}
	return "number"
}
