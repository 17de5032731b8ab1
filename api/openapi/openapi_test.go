package openapi

import "testing"

// The YAML source becomes JSON with its members in the source's order,
// aliases expanded, and YAML's dates and numbers as JSON has them.
func TestWriteJSON(t *testing.T) {
	d, err := parse([]byte(`
openapi: 3.1.0
zeta: &z {b: 1, a: [x, 2.5, true, null]}
alpha: *z
when: 2026-03-04
'200': ok
`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "openapi": "3.1.0",
  "zeta": {
    "b": 1,
    "a": [
      "x",
      2.5,
      true,
      null
    ]
  },
  "alpha": {
    "b": 1,
    "a": [
      "x",
      2.5,
      true,
      null
    ]
  },
  "when": "2026-03-04",
  "200": "ok"
}`
	if string(d.JSON) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", d.JSON, want)
	}
}
