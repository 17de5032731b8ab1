package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	validation "github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/api/openapi"
)

// The API's description (api/openapi/openapi.yaml) is held to what the
// server serves: every route it registers is described and every
// operation described is served; the document is valid OpenAPI 3.1; and
// the requests and responses of a broad flow, and the golden files,
// validate against it (docs/api-reference.md).

// spec is the served document, parsed as the tests read it.
type spec struct {
	Paths map[string]map[string]json.RawMessage `json:"paths"`
}

type specOp struct {
	OperationID string                 `json:"operationId"`
	Tags        []string               `json:"tags"`
	Security    *[]map[string][]string `json:"security"`
	Parameters  []struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
	} `json:"parameters"`
	Responses map[string]struct {
		Ref     string                     `json:"$ref"`
		Headers map[string]json.RawMessage `json:"headers"`
	} `json:"responses"`
}

// pathMethods are the members of a path item that are operations.
var pathMethods = []string{"get", "put", "post", "patch", "delete", "options", "head", "trace"}

func loadSpec(t *testing.T) (*openapi.Document, spec) {
	t.Helper()
	d, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := json.Unmarshal(d.JSON, &s); err != nil {
		t.Fatal(err)
	}
	return d, s
}

// operations are the document's operations by "METHOD path".
func (s spec) operations(t *testing.T) map[string]specOp {
	t.Helper()
	ops := map[string]specOp{}
	for path, item := range s.Paths {
		for m, raw := range item {
			if !slices.Contains(pathMethods, m) {
				continue
			}
			var op specOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, path, err)
			}
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return ops
}

var (
	specValidator     validator.Validator
	specValidatorErr  error
	specValidatorOnce sync.Once
)

// validatorFor is a validator of requests and responses against the
// document, built once: building it compiles every schema.
func validatorFor(t *testing.T) validator.Validator {
	t.Helper()
	specValidatorOnce.Do(func() {
		d, err := openapi.Load()
		if err != nil {
			specValidatorErr = err
			return
		}
		doc, err := libopenapi.NewDocument(d.JSON)
		if err != nil {
			specValidatorErr = err
			return
		}
		v, errs := validator.NewValidator(doc, validation.WithStrictMode(), validation.WithStrictIgnoredHeadersExtra(
			"Accept-Ranges", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Sec-Fetch-Site"),
			// Free-form JSON: metadata, a provider's data.
			validation.WithStrictIgnorePaths(
				"$.body.metadata.**", "$.body.**.metadata.**", "$.body.data.**", "$.body.**.data.**", "$.body.context.**", "$.body.**.context.**"))
		if len(errs) > 0 {
			specValidatorErr = fmt.Errorf("%v", errs)
			return
		}
		specValidator = v
	})
	if specValidatorErr != nil {
		t.Fatal(specValidatorErr)
	}
	return specValidator
}

// The document is valid OpenAPI 3.1, by the specification's own schema.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	ok, errs := validatorFor(t).ValidateDocument()
	if !ok {
		for _, e := range errs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("  at %s (%s): %s", f.FieldPath, f.KeywordLocation, f.Reason)
			}
		}
	}
}

// Every route the server serves, the buyer's pages' included, is in the
// document, and every operation in the document is served.
func TestOpenAPIRoutes(t *testing.T) {
	e := newEnv(t)
	_, s := loadSpec(t)
	described := s.operations(t)
	served := map[string]bool{}
	for _, p := range api.Patterns(e.srv) {
		served[p] = true
		if _, ok := described[p]; !ok {
			t.Errorf("%s is served but not in api/openapi/openapi.yaml", p)
		}
	}
	for op := range described {
		if !served[op] {
			t.Errorf("%s is in api/openapi/openapi.yaml but not served", op)
		}
	}
}

// The document keeps its own rules, so that each route's description
// says what the server does for every route alike: every operation has a
// unique operationId and a tag; every response names X-Request-Id; every
// authenticated route takes a read token for GET and a write token
// otherwise, and answers 401 and 429 (and 403 to a read token's
// mutation); every mutation of the API takes an Idempotency-Key.
func TestOpenAPIConventions(t *testing.T) {
	_, s := loadSpec(t)
	ids := map[string]string{}
	for name, op := range s.operations(t) {
		method, path, _ := strings.Cut(name, " ")
		if op.OperationID == "" || ids[op.OperationID] != "" {
			t.Errorf("%s: operationId %q is missing or also %s's", name, op.OperationID, ids[op.OperationID])
		}
		ids[op.OperationID] = name
		if len(op.Tags) != 1 {
			t.Errorf("%s: tags %v, want one", name, op.Tags)
		}
		for status, r := range op.Responses {
			if r.Ref == "" && r.Headers["X-Request-Id"] == nil {
				t.Errorf("%s %s: no X-Request-Id header", name, status)
			}
		}
		authenticated := strings.HasPrefix(path, "/v1/") && !strings.HasSuffix(path, "/webhooks")
		switch {
		case path == "/oauth/token":
			if op.Security == nil || len(*op.Security) != 1 || (*op.Security)[0]["clientCredentials"] == nil {
				t.Errorf("%s: security %v, want the client's credentials", name, op.Security)
			}
		case !authenticated && (op.Security == nil || len(*op.Security) > 0):
			t.Errorf("%s: takes no credentials but its security is %v", name, op.Security)
		case authenticated:
			scope := "write"
			if method == "GET" {
				scope = "read"
				if op.Security == nil {
					t.Errorf("%s: security is the default (write), want read", name)
				}
			}
			if op.Security != nil && !slices.Equal((*op.Security)[0]["oauth2"], []string{scope}) {
				t.Errorf("%s: security %v, want oauth2 %s", name, *op.Security, scope)
			}
			want := []string{"401", "429", "500"}
			if method != "GET" {
				want = append(want, "400", "403", "409", "413", "422")
			}
			for _, status := range want {
				if _, ok := op.Responses[status]; !ok {
					t.Errorf("%s: no %s response", name, status)
				}
			}
			hasKey := slices.ContainsFunc(op.Parameters, func(p struct {
				Ref  string `json:"$ref"`
				Name string `json:"name"`
			}) bool {
				return p.Ref == "#/components/parameters/Idempotency-Key"
			})
			if hasKey != (method != "GET") {
				t.Errorf("%s: takes an Idempotency-Key: %v", name, hasKey)
			}
		}
	}
}

// validating is an HTTP transport that validates every request it sends
// and every response it gets against the document, and counts the
// operations it saw.
type validating struct {
	t    *testing.T
	v    validator.Validator
	next http.RoundTripper

	mu   sync.Mutex
	seen map[string]int // "METHOD path-pattern status"
}

// invalid is the header by which a test marks a request it makes invalid
// on purpose: only its response is validated. The transport removes it.
const invalid = "X-Test-Invalid-Request"

// invalidRequest is the header that marks a request invalid on purpose.
var invalidRequest = map[string]string{invalid: "true"}

func (vt *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	onlyResponse := req.Header.Get(invalid) != ""
	req.Header.Del(invalid)
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := vt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))

	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	checked := *resp
	checked.Body = io.NopCloser(bytes.NewReader(b))
	what := fmt.Sprintf("%s %s = %d", req.Method, req.URL.Path, resp.StatusCode)
	validate := vt.v.ValidateHttpRequestResponse
	if onlyResponse {
		validate = vt.v.ValidateHttpResponse
	}
	if ok, errs := validate(check, &checked); !ok {
		for _, e := range errs {
			if e.ValidationType == verrors.StrictValidationType && req.URL.Path == "/openapi.json" {
				continue // the document itself, which TestOpenAPIDocumentIsValid checks
			}
			var detail []string
			for _, f := range e.SchemaValidationErrors {
				detail = append(detail, f.FieldPath+" ("+f.KeywordLocation+"): "+f.Reason)
			}
			vt.t.Errorf("%s: %s: %s %v\nrequest: %s\nresponse: %.2000s", what, e.Message, e.Reason, detail, body, b)
		}
	}
	if resp.Header.Get("X-Request-Id") == "" {
		vt.t.Errorf("%s: no X-Request-Id", what)
	}
	vt.mu.Lock()
	vt.seen[req.Method+" "+req.URL.Path+" "+fmt.Sprint(resp.StatusCode)]++
	vt.mu.Unlock()
	return resp, nil
}

// Each golden file validates against the response schema of the
// operation it pins, and every golden file is listed here.
func TestOpenAPIGoldenFiles(t *testing.T) {
	v := validatorFor(t)
	answers := map[string]struct{ method, path string }{
		"order_created.json":      {"GET", "/v1/orders/or_1"},
		"order_refunded.json":     {"POST", "/v1/orders/or_1/partialrefund/in_1"},
		"paymentstatus.json":      {"GET", "/v1/orders/or_1/paymentstatus"},
		"session_authorized.json": {"GET", "/v1/payment-sessions/ps_1"},
		"payment_collection.json": {"GET", "/v1/payment-module/collections/pay_col_1"},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		a, ok := answers[name]
		if !ok {
			t.Errorf("testdata/%s: which operation answers it? Add it to this test", name)
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(a.method, a.path, nil)
		resp := &http.Response{
			StatusCode: http.StatusOK, Request: req, Body: io.NopCloser(bytes.NewReader(body)),
			Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_1"}},
		}
		if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range errs {
				t.Errorf("testdata/%s: %s: %s", name, e.Message, e.Reason)
			}
		}
	}
}

// The reference page and the document are served in live mode as in the
// sandbox, without credentials; the page names every operation and runs
// under a Content-Security-Policy that allows nothing but its own style
// sheet; both are cacheable and revalidated by their ETag.
func TestOpenAPIReferencePage(t *testing.T) {
	e := newEnv(t, live())
	_, s := loadSpec(t)
	resp, page := e.page("/docs/api")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs/api = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for op, o := range s.operations(t) {
		if !strings.Contains(page, `id="`+o.OperationID+`"`) {
			t.Errorf("the page does not show %s (%s)", o.OperationID, op)
		}
	}
	for _, want := range []string{"Orders", "Payment module", "Checkout", "invalid_request", "Idempotency-Key", `id="schema-Order"`, "totalOrderAmount"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not mention %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "https://cdn") {
		t.Errorf("the page loads something from elsewhere, or runs a script")
	}
	style := page[strings.Index(page, "<style>")+len("<style>") : strings.Index(page, "</style>")]
	sum := sha256.Sum256([]byte(style))
	want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	if got := resp.Header.Get("Content-Security-Policy"); got != want {
		t.Errorf("Content-Security-Policy = %q, want %q", got, want)
	}

	for _, path := range []string{"/docs/api", "/openapi.json"} {
		resp, body := e.page(path)
		tag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || tag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
			t.Errorf("%s = %d, ETag %q, Cache-Control %q", path, resp.StatusCode, tag, resp.Header.Get("Cache-Control"))
		}
		if path == "/openapi.json" && !json.Valid([]byte(body)) {
			t.Errorf("/openapi.json is not JSON")
		}
		r := e.must(http.StatusNotModified, request{method: "GET", path: path, header: map[string]string{"If-None-Match": tag}})
		if len(r.body) != 0 {
			t.Errorf("%s: 304 with a body", path)
		}
	}
}
