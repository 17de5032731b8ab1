package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"maps"
	"slices"
	"strings"
)

// The reference page is rendered on the server from the parsed document,
// with html/template: no script, no external resource, one inline style
// sheet that the Content-Security-Policy names by its hash.

// ordered is a JSON object whose members keep their order.
type ordered[T any] []member[T]

type member[T any] struct {
	Key string
	Val T
}

func (o *ordered[T]) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("want an object, got %s", b)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%v: %w", t, err)
		}
		*o = append(*o, member[T]{t.(string), v})
	}
	return nil
}

// The parts of an OpenAPI document the page shows.
type (
	spec struct {
		Info struct {
			Title, Version, Summary, Description string
		}
		Tags []struct {
			Name, Description string
		}
		Security   []map[string][]string
		Paths      ordered[ordered[json.RawMessage]]
		Components struct {
			SecuritySchemes ordered[struct {
				Type, Scheme, Description string
				Flows                     ordered[struct {
					TokenURL string `json:"tokenUrl"`
					Scopes   ordered[string]
				}]
			}]
			Parameters map[string]*parameter
			Headers    map[string]*header
			Responses  map[string]*response
			Schemas    ordered[*schema]
		}
	}
	operation struct {
		OperationID string `json:"operationId"`
		Tags        []string
		Summary     string
		Description string
		Security    *[]map[string][]string
		Parameters  []*parameter
		RequestBody *struct {
			Required bool
			Content  ordered[mediaType]
		}
		Responses ordered[*response]
	}
	parameter struct {
		Ref         string `json:"$ref"`
		Name, In    string
		Required    bool
		Description string
		Schema      *schema
	}
	header struct {
		Ref         string `json:"$ref"`
		Description string
		Required    bool
		Schema      *schema
	}
	response struct {
		Ref         string `json:"$ref"`
		Description string
		Headers     ordered[*header]
		Content     ordered[mediaType]
	}
	mediaType struct {
		Schema  *schema
		Example json.RawMessage
	}
	schema struct {
		Ref                  string          `json:"$ref"`
		Type                 json.RawMessage // a name or a list of names
		Format               string
		Description          string
		Enum                 []any
		Required             []string
		Properties           ordered[*schema]
		AdditionalProperties json.RawMessage `json:"additionalProperties"`
		Items                *schema
		AllOf                []*schema `json:"allOf"`
		AnyOf                []*schema `json:"anyOf"`
		Minimum              *json.Number
		Maximum              *json.Number
		MinLength            *int `json:"minLength"`
		MaxLength            *int `json:"maxLength"`
		MaxItems             *int `json:"maxItems"`
		Pattern              string
		Default              any
		ReadOnly             bool `json:"readOnly"`
	}
)

// refName is the last segment of a $ref: the component's name.
func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

// methods are the path item members that are operations, in the order
// the page lists them.
var methods = []string{"get", "put", "post", "patch", "delete", "options", "head", "trace"}

// The page's view of the document.
type (
	pageView struct {
		Title, Version, Summary string
		Description             template.HTML
		Schemes                 []schemeView
		Tags                    []tagView
		Responses               []responseView // the common ones, by name
		Schemas                 []schemaView
		Style                   template.CSS
	}
	schemeView struct {
		Name, Kind  string
		Description template.HTML
	}
	tagView struct {
		Name        string
		Description template.HTML
		Ops         []opView
	}
	opView struct {
		ID, Method, Class, Path, Summary string
		Description                      template.HTML
		Auth                             template.HTML
		Params                           []paramView
		Body                             []contentView
		BodyRequired                     bool
		Responses                        []responseView
	}
	paramView struct {
		Name, In    string
		Required    bool
		Type        template.HTML
		Description template.HTML
	}
	contentView struct {
		Type    string
		Schema  template.HTML
		Example string
	}
	responseView struct {
		Status      string
		Description template.HTML
		Headers     []paramView
		Content     []contentView
	}
	schemaView struct {
		Name string
		Body template.HTML
	}
)

// render renders the reference page of s.
func render(s *spec) ([]byte, error) {
	v := pageView{
		Title: s.Info.Title, Version: s.Info.Version, Summary: s.Info.Summary,
		Description: prose(s.Info.Description), Style: template.CSS(pageStyle),
	}
	for _, m := range s.Components.SecuritySchemes {
		kind := m.Val.Type
		if m.Val.Scheme != "" {
			kind += " (" + m.Val.Scheme + ")"
		}
		desc := m.Val.Description
		for _, f := range m.Val.Flows {
			desc += "\n\nFlow `" + f.Key + "`, token URL `" + f.Val.TokenURL + "`; scopes:"
			for _, sc := range f.Val.Scopes {
				desc += " `" + sc.Key + "`: " + sc.Val
			}
		}
		v.Schemes = append(v.Schemes, schemeView{m.Key, kind, prose(desc)})
	}
	tags := map[string]*tagView{}
	for _, t := range s.Tags {
		v.Tags = append(v.Tags, tagView{Name: t.Name, Description: prose(t.Description)})
	}
	for i := range v.Tags {
		tags[v.Tags[i].Name] = &v.Tags[i]
	}
	for _, p := range s.Paths {
		var shared []*parameter
		if raw, ok := lookup(p.Val, "parameters"); ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Key, err)
			}
		}
		for _, method := range methods {
			raw, ok := lookup(p.Val, method)
			if !ok {
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, p.Key, err)
			}
			if len(op.Tags) == 0 || tags[op.Tags[0]] == nil {
				return nil, fmt.Errorf("%s %s: its tag is not among the document's tags", method, p.Key)
			}
			t := tags[op.Tags[0]]
			t.Ops = append(t.Ops, s.opView(method, p.Key, &op, append(slices.Clone(shared), op.Parameters...)))
		}
	}
	names := slices.Sorted(maps.Keys(s.Components.Responses))
	for _, n := range names {
		v.Responses = append(v.Responses, s.responseView(n, s.Components.Responses[n]))
	}
	for _, m := range s.Components.Schemas {
		v.Schemas = append(v.Schemas, schemaView{m.Key, schemaBody(m.Val)})
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func lookup(o ordered[json.RawMessage], key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Val, true
		}
	}
	return nil, false
}

func (s *spec) opView(method, path string, op *operation, params []*parameter) opView {
	v := opView{
		ID: op.OperationID, Method: strings.ToUpper(method), Class: method, Path: path, Summary: op.Summary,
		Description: prose(op.Description), Auth: s.auth(op),
	}
	for _, p := range params {
		if p.Ref != "" {
			p = s.Components.Parameters[refName(p.Ref)]
		}
		v.Params = append(v.Params, paramView{p.Name, p.In, p.Required, typeOf(p.Schema), prose(p.Description + constraints(p.Schema))})
	}
	if b := op.RequestBody; b != nil {
		v.BodyRequired = b.Required
		v.Body = contents(b.Content)
	}
	for _, r := range op.Responses {
		if ref := r.Val.Ref; ref != "" { // shown once, with the common responses
			n := html.EscapeString(refName(ref))
			v.Responses = append(v.Responses, responseView{Status: r.Key, Description: template.HTML(`<p>See <a href="#response-` + n + `">` + n + `</a>.</p>`)})
			continue
		}
		v.Responses = append(v.Responses, s.responseView(r.Key, r.Val))
	}
	return v
}

func (s *spec) responseView(status string, r *response) responseView {
	v := responseView{Status: status, Description: prose(r.Description), Content: contents(r.Content)}
	for _, h := range r.Headers {
		hv := h.Val
		if hv.Ref != "" {
			hv = s.Components.Headers[refName(hv.Ref)]
		}
		v.Headers = append(v.Headers, paramView{Name: h.Key, Required: hv.Required, Type: typeOf(hv.Schema), Description: prose(hv.Description)})
	}
	return v
}

// auth says what credentials an operation takes.
func (s *spec) auth(op *operation) template.HTML {
	reqs := s.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 {
		return "none"
	}
	var alts []string
	for _, req := range reqs {
		for name, scopes := range req {
			a := `<a href="#auth-` + html.EscapeString(name) + `">` + html.EscapeString(name) + `</a>`
			if len(scopes) > 0 {
				a += " (scope <code>" + html.EscapeString(strings.Join(scopes, ", ")) + "</code>)"
			}
			alts = append(alts, a)
		}
	}
	return template.HTML(strings.Join(alts, " or "))
}

func contents(c ordered[mediaType]) []contentView {
	var out []contentView
	for _, m := range c {
		cv := contentView{Type: m.Key}
		if m.Val.Schema != nil {
			cv.Schema = schemaBody(m.Val.Schema)
		}
		if len(m.Val.Example) > 0 {
			var b bytes.Buffer
			json.Indent(&b, m.Val.Example, "", "  ") // valid: it was decoded from the document
			cv.Example = b.String()
		}
		out = append(out, cv)
	}
	return out
}

// typeOf is a one-line description of a schema's type, its named
// schemas linked to their section.
func typeOf(s *schema) template.HTML {
	switch {
	case s == nil:
		return "any"
	case s.Ref != "":
		n := html.EscapeString(refName(s.Ref))
		return template.HTML(`<a href="#schema-` + n + `">` + n + `</a>`)
	case len(s.AllOf) > 0:
		return join(s.AllOf, " and ")
	case len(s.AnyOf) > 0:
		return join(s.AnyOf, " or ")
	}
	var names []string
	if len(s.Type) > 0 && s.Type[0] == '[' {
		json.Unmarshal(s.Type, &names) // valid: it was decoded from the document
	} else if len(s.Type) > 0 {
		var n string
		json.Unmarshal(s.Type, &n)
		names = []string{n}
	}
	if len(names) == 0 {
		return "any"
	}
	var parts []string
	for _, n := range names {
		switch {
		case n == "array":
			parts = append(parts, "array of "+string(typeOf(s.Items)))
		case n == "object" && len(s.AdditionalProperties) > 0 && s.AdditionalProperties[0] == '{':
			var item schema
			json.Unmarshal(s.AdditionalProperties, &item)
			parts = append(parts, "map of "+string(typeOf(&item)))
		case s.Format != "":
			parts = append(parts, html.EscapeString(n+" ("+s.Format+")"))
		default:
			parts = append(parts, html.EscapeString(n))
		}
	}
	return template.HTML(strings.Join(parts, " or "))
}

func join(ss []*schema, sep string) template.HTML {
	var parts []string
	for _, s := range ss {
		parts = append(parts, string(typeOf(s)))
	}
	return template.HTML(strings.Join(parts, sep))
}

// constraints describes a schema's enum, bounds and default in words.
func constraints(s *schema) string {
	if s == nil {
		return ""
	}
	var cs []string
	if len(s.Enum) > 0 {
		var vs []string
		for _, e := range s.Enum {
			vs = append(vs, fmt.Sprintf("`%v`", e))
		}
		cs = append(cs, "One of "+strings.Join(vs, ", ")+".")
	}
	for _, b := range []struct {
		what string
		n    *json.Number
	}{{"Minimum", s.Minimum}, {"Maximum", s.Maximum}} {
		if b.n != nil {
			cs = append(cs, b.what+" "+b.n.String()+".")
		}
	}
	for _, b := range []struct {
		what string
		n    *int
	}{{"At least %d characters.", s.MinLength}, {"At most %d characters.", s.MaxLength}, {"At most %d items.", s.MaxItems}} {
		if b.n != nil {
			cs = append(cs, fmt.Sprintf(b.what, *b.n))
		}
	}
	if s.Pattern != "" {
		cs = append(cs, "Pattern `"+s.Pattern+"`.")
	}
	if s.Default != nil {
		cs = append(cs, fmt.Sprintf("Default `%v`.", s.Default))
	}
	if s.ReadOnly {
		cs = append(cs, "Read only: ignored when sent.")
	}
	if len(cs) == 0 {
		return ""
	}
	return "\n\n" + strings.Join(cs, " ")
}

// schemaBody is a schema as the page shows it: its type and description,
// and a table of its properties (those of its allOf parts too).
func schemaBody(s *schema) template.HTML {
	var b strings.Builder
	b.WriteString(`<p class="type">`)
	b.WriteString(string(typeOf(s)))
	b.WriteString("</p>")
	if d := s.Description + constraints(s); d != "" {
		b.WriteString(string(prose(d)))
	}
	var rows []string
	var props func(s *schema)
	props = func(s *schema) {
		for _, p := range s.AllOf {
			if p.Ref == "" {
				props(p)
			}
		}
		for _, p := range s.Properties {
			req := ""
			if slices.Contains(s.Required, p.Key) {
				req = ` <span class="req">required</span>`
			}
			detail := string(prose(p.Val.Description + constraints(p.Val)))
			if p.Val.Ref == "" && len(p.Val.Properties) > 0 {
				detail += string(schemaBody(&schema{Properties: p.Val.Properties, Required: p.Val.Required}))
			} else if p.Val.Items != nil && len(p.Val.Items.Properties) > 0 {
				detail += string(schemaBody(&schema{Properties: p.Val.Items.Properties, Required: p.Val.Items.Required}))
			}
			rows = append(rows, "<tr><td><code>"+html.EscapeString(p.Key)+"</code>"+req+"</td><td>"+string(typeOf(p.Val))+"</td><td>"+detail+"</td></tr>")
		}
	}
	props(s)
	if len(rows) > 0 {
		b.WriteString(`<table class="props"><thead><tr><th>member</th><th>type</th><th>description</th></tr></thead><tbody>`)
		b.WriteString(strings.Join(rows, ""))
		b.WriteString("</tbody></table>")
	}
	return template.HTML(b.String())
}

// prose renders the document's descriptions: paragraphs separated by
// blank lines, `code` spans and **strong** text; everything else as text.
func prose(s string) template.HTML {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		b.WriteString("<p>")
		for i, part := range strings.Split(para, "`") {
			if i%2 == 1 {
				b.WriteString("<code>" + html.EscapeString(part) + "</code>")
				continue
			}
			for j, t := range strings.Split(part, "**") {
				if j%2 == 1 {
					b.WriteString("<strong>" + html.EscapeString(t) + "</strong>")
				} else {
					b.WriteString(html.EscapeString(t))
				}
			}
		}
		b.WriteString("</p>")
	}
	return template.HTML(b.String())
}

const pageStyle = `
body{font:15px/1.5 system-ui,sans-serif;color:#1a1a1a;margin:0 auto;max-width:72rem;padding:1rem 2rem}
h1{margin-bottom:0}h2{border-bottom:2px solid #1a1a1a;margin-top:3rem}
h3{margin:2rem 0 .5rem;font-size:1.1rem}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f4f4f4;padding:.75rem;overflow:auto}
.method{display:inline-block;min-width:4.5rem;font:bold 13px ui-monospace,monospace}
.get{color:#0b6e2a}.post{color:#0b4f9e}.put,.patch{color:#8a5a00}.delete{color:#a11}.options{color:#555}
.op{border-top:1px solid #ddd;padding-top:.5rem}.op p{margin:.4rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td table{font-size:14px}.req{color:#a11;font-size:12px}.type{margin:.25rem 0;font-style:italic}
nav ul{columns:2}nav li{list-style:none}.muted{color:#555}
`

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} reference</title>
<style>{{.Style}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="muted">Version {{.Version}}. {{.Summary}} The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
{{.Description}}
<nav>
<h2>Contents</h2>
<ul>
{{range .Tags}}<li><a href="#tag-{{.Name}}">{{.Name}}</a> ({{len .Ops}})</li>
{{end}}<li><a href="#credentials">Credentials</a></li>
<li><a href="#responses">Common responses</a></li>
<li><a href="#schemas">Schemas</a></li>
</ul>
</nav>
<h2 id="credentials">Credentials</h2>
{{range .Schemes}}<h3 id="auth-{{.Name}}">{{.Name}} <span class="muted">{{.Kind}}</span></h3>
{{.Description}}
{{end}}
{{range .Tags}}<section id="tag-{{.Name}}">
<h2>{{.Name}}</h2>
{{.Description}}
<ul>{{range .Ops}}<li><a href="#{{.ID}}"><span class="method {{.Class}}">{{.Method}}</span> <code>{{.Path}}</code></a> {{.Summary}}</li>{{end}}</ul>
{{range .Ops}}<div class="op" id="{{.ID}}">
<h3><span class="method {{.Class}}">{{.Method}}</span> <code>{{.Path}}</code></h3>
<p><strong>{{.Summary}}</strong> <span class="muted">operationId <code>{{.ID}}</code></span></p>
{{.Description}}
<p>Authentication: {{.Auth}}</p>
{{with .Params}}<h4>Parameters</h4>
<table><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .Body}}<h4>Request body{{if .BodyRequired}} <span class="req">required</span>{{end}}</h4>
{{range .Body}}<p><code>{{.Type}}</code></p>{{.Schema}}{{with .Example}}<p>Example:</p><pre>{{.}}</pre>{{end}}
{{end}}{{end}}
<h4>Responses</h4>
{{range .Responses}}<p><strong>{{.Status}}</strong></p>{{.Description}}
{{with .Headers}}<table><thead><tr><th>header</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}
{{range .Content}}<p><code>{{.Type}}</code></p>{{.Schema}}{{with .Example}}<p>Example:</p><pre>{{.}}</pre>{{end}}
{{end}}{{end}}
</div>
{{end}}</section>
{{end}}
<section id="responses">
<h2>Common responses</h2>
{{range .Responses}}<div class="op" id="response-{{.Status}}"><h3>{{.Status}}</h3>{{.Description}}
{{with .Headers}}<table><thead><tr><th>header</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}
{{range .Content}}<p><code>{{.Type}}</code></p>{{.Schema}}{{with .Example}}<p>Example:</p><pre>{{.}}</pre>{{end}}
{{end}}</div>
{{end}}</section>
<section id="schemas">
<h2>Schemas</h2>
{{range .Schemas}}<div class="op" id="schema-{{.Name}}"><h3>{{.Name}}</h3>{{.Body}}</div>
{{end}}</section>
</body>
</html>
`))
