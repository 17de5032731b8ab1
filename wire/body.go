package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/kassa-pay/kassa"
)

// ReadBody reads the whole (size-limited) body, which must be text (see
// CheckBody): every handler that reads a body reads it here.
func ReadBody(r *http.Request) ([]byte, error) {
	b, err := ReadBytes(r)
	if err != nil {
		return nil, err
	}
	if err := CheckBody(b); err != nil {
		return nil, err
	}
	return b, nil
}

// ReadBytes reads the whole (size-limited) body as it is, for the one
// body that may be in another character set than UTF-8: a bank file in
// ISO 8859-1 (BgMax), whose parser decodes it. The handler holds any
// other body to CheckBody.
func ReadBytes(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, kassa.Errorf(kassa.ETooLarge, "the request body is larger than the limit")
		}
		return nil, kassa.Errorf(kassa.EInvalid, "the request body could not be read")
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
	return decodeErr(json.Unmarshal(t, v), v)
}

// DecodeStrict unmarshals a JSON object into v, refusing members v does
// not have: for Kassa's own settings documents, where a misspelt member
// ignored would be a setting silently left out. Unlike Decode, it takes
// nothing else than one object.
func DecodeStrict(body []byte, v any) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return kassa.Errorf(kassa.EInvalid, "the request body must be a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(t))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name, _ = strconv.Unquote(name)
			return kassa.Invalid(name, "%q is not a member of this object", name)
		}
		return decodeErr(err, v)
	}
	if d.More() {
		return kassa.Errorf(kassa.EInvalid, "the request body must be one JSON object")
	}
	return nil
}

// DecodeOptional is DecodeStrict for a body that may be left out: an
// empty body, or the JSON text [] (what PHP clients send for "no data"),
// leaves v as it is.
func DecodeOptional(body []byte, v any) error {
	if t := bytes.TrimSpace(body); len(t) == 0 || string(t) == "[]" {
		return nil
	}
	return DecodeStrict(body, v)
}

// decodeErr is the answer to a body that did not decode into v: err names
// the member at fault when it can.
func decodeErr(err error, v any) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		f := member(e.Field, reflect.TypeOf(v))
		return kassa.Invalid(f, "%s must be a %s, not %s", f, jsonKind(e.Type.Kind().String()), e.Value)
	}
	if e, ok := errors.AsType[*kassa.Error](err); ok {
		return e
	}
	return kassa.Errorf(kassa.EInvalid, "the request body is not valid JSON: %v", err)
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

// member is the member a decoding error's field path names, as the
// client wrote it: encoding/json puts the Go name of an embedded struct
// of t in front of its members' ("Settings.creditLimits").
func member(field string, t reflect.Type) string {
	embedded := map[string]bool{}
	embeddedNames(t, embedded, map[reflect.Type]bool{})
	parts := strings.Split(field, ".")
	kept := parts[:0]
	for _, p := range parts {
		if !embedded[p] {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

// embeddedNames adds the names of the structs embedded anywhere in t.
func embeddedNames(t reflect.Type, names map[string]bool, seen map[reflect.Type]bool) {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for f := range t.Fields() {
		if f.Anonymous {
			names[f.Name] = true
		}
		embeddedNames(f.Type, names, seen)
	}
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
