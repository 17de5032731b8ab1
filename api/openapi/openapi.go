// Package openapi is Kassa's description of its HTTP API: an OpenAPI 3.1
// document written by hand (openapi.yaml, embedded), served as JSON at
// GET /openapi.json and rendered as a reference page at GET /docs/api.
// The api package's tests hold it to what the server serves: every route
// is described, and every request and response of a broad flow validates
// against it (docs/api-reference.md).
package openapi

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var source []byte

// Document is the API description in the forms Kassa serves it.
type Document struct {
	// JSON is the document as JSON, members in the order the source has
	// them.
	JSON []byte
	// Page is the reference page rendered from it.
	Page []byte
	// CSP is the page's Content-Security-Policy: nothing but its own
	// inline style sheet.
	CSP string
}

// Load is the embedded document, parsed once.
var Load = sync.OnceValues(func() (*Document, error) { return parse(source) })

func parse(src []byte) (*Document, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, &root); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	d := &Document{JSON: out.Bytes()}
	var spec spec
	if err := json.Unmarshal(d.JSON, &spec); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	page, err := render(&spec)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(pageStyle))
	d.Page = page
	d.CSP = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return d, nil
}

// writeJSON writes a YAML node as JSON, keeping the order of mapping
// keys (a Go map would lose it, and the page lists things in the order
// the document gives them).
func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: want one document", n.Line)
		}
		return writeJSON(b, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, err := json.Marshal(n.Content[i].Value)
			if err != nil {
				return err
			}
			b.Write(k)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		if _, ok := v.(time.Time); ok { // YAML's timestamps are JSON's strings
			v = n.Value
		}
		j, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b.Write(j)
		return nil
	}
	return fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// etag is the entity tag of content.
func etag(content []byte) string {
	sum := sha256.Sum256(content)
	return strconv.Quote(hex.EncodeToString(sum[:16]))
}

// ServeJSON answers the document as JSON, cacheable and revalidated by
// its ETag.
func ServeJSON(w http.ResponseWriter, r *http.Request) error {
	d, err := Load()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Access-Control-Allow-Origin", "*") // client generators and API tools fetch it from other origins
	serve(w, r, d.JSON)
	return nil
}

// ServeReference answers the reference page.
func ServeReference(w http.ResponseWriter, r *http.Request) error {
	d, err := Load()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", d.CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	serve(w, r, d.Page)
	return nil
}

// serve answers content with its ETag; http.ServeContent answers a
// matching If-None-Match with 304.
func serve(w http.ResponseWriter, r *http.Request, content []byte) {
	w.Header().Set("ETag", etag(content))
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}
