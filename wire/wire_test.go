package wire

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa"
)

func TestIntUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    Int
		wantErr bool
	}{
		{`100000`, Int{V: 100000, Set: true}, false},
		{`"100000"`, Int{V: 100000, Set: true}, false},
		{`" 42 "`, Int{V: 42, Set: true}, false},
		{`510000.0`, Int{V: 510000, Set: true}, false},
		{`2500.0`, Int{V: 2500, Set: true}, false},
		{`1666.6666666666667`, Int{V: 1667, Set: true, Rounded: true}, false},
		{`1666.5`, Int{V: 1667, Set: true, Rounded: true}, false},
		{`1666.4999`, Int{V: 1666, Set: true, Rounded: true}, false},
		{`-1666.5`, Int{V: -1667, Set: true, Rounded: true}, false},
		{`-0.4`, Int{V: 0, Set: true, Rounded: true}, false},
		{`"12.50"`, Int{V: 13, Set: true, Rounded: true}, false},
		{`1e3`, Int{V: 1000, Set: true}, false},
		{`1.5E+2`, Int{V: 150, Set: true}, false},
		{`15e-1`, Int{V: 2, Set: true, Rounded: true}, false},
		{`0.00`, Int{V: 0, Set: true}, false},
		{`null`, Int{}, false},
		{`"abc"`, Int{}, true},
		{`""`, Int{}, true},
		{`true`, Int{}, true},
		{`"1,5"`, Int{}, true},
		{`"0x10"`, Int{}, true},
		{`1e41`, Int{}, true},
		{`99999999999999999999`, Int{}, true},
		{`"NaN"`, Int{}, true},
		{`"."`, Int{}, true},
	}
	for _, tt := range tests {
		var got Int
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestStrUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    Str
		wantErr bool
	}{
		{`"SKU-1"`, "SKU-1", false},
		{`1334227`, "1334227", false},
		{`12.5`, "12.5", false},
		{`null`, "", false},
		{`true`, "true", false},
		{`{}`, "", true},
		{`[]`, "", true},
	}
	for _, tt := range tests {
		var got Str
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseDecimal checks parseDecimal against exact rational arithmetic:
// whatever it accepts it rounds half away from zero, and it never panics.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "1", "-1", "1.5", "-2.5", "1666.6666666666667", "1e3", "15e-1", "+7", "0.0000", "999999999999999999", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, rounded, err := parseDecimal(s)
		if err != nil {
			return
		}
		r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
		if !ok {
			t.Fatalf("parseDecimal(%q) = %d, but it is not a number", s, v)
		}
		// Round half away from zero: sign(r) × floor(|r| + 1/2).
		abs := new(big.Rat).Abs(r)
		abs.Add(abs, big.NewRat(1, 2))
		want := new(big.Int).Quo(abs.Num(), abs.Denom())
		if r.Sign() < 0 {
			want.Neg(want)
		}
		if !want.IsInt64() || want.Int64() != v {
			t.Fatalf("parseDecimal(%q) = %d, want %s", s, v, want)
		}
		if rounded != !r.IsInt() {
			t.Fatalf("parseDecimal(%q) rounded = %v, want %v", s, rounded, !r.IsInt())
		}
	})
}

func TestCheckBody(t *testing.T) {
	tests := []struct {
		body  string
		ok    bool
		param string
	}{
		{`{"reference":"Åsa ✓"}`, true, ""},
		{`{"reference":"a\\u0000b"}`, true, ""}, // an escaped backslash, then text
		{`{"reference":"\u0001 \ud800"}`, true, ""},
		{"<Ref>caf\xc3\xa9</Ref>", true, ""},
		{`{"reference":"a\u0000b"}`, false, "reference"},
		{`{"reference":"a\\\u0000b"}`, false, "reference"},
		{"{\"customer\":{\"companyId\":\"55\xff\"}}", false, "customer.companyId"},
		{`{"orderLines":[{"id":"1"},{"reference":7,"description":"\u0000"}]}`, false, "orderLines[1].description"},
		{`{"metadata":{"a":[1,{"b":"ok"}],"c":["x","\u0000"]}}`, false, "metadata.c[1]"},
		{`{"metadata":{"k\u0000":1}}`, false, "metadata"},
		{`["\u0000"]`, false, "[0]"},
		{"{\"a\":1,\"b\":\"\x00\"}", false, ""}, // raw NUL is not JSON
		{"<Ref>\xff</Ref>", false, ""},
		{`"\u0000"`, false, ""},
	}
	for _, tc := range tests {
		err := CheckBody([]byte(tc.body))
		if tc.ok {
			if err != nil {
				t.Errorf("%q: %v, want nil", tc.body, err)
			}
			continue
		}
		e, isKassa := err.(*kassa.Error)
		if !isKassa || e.Code != kassa.EInvalid || e.Param != tc.param {
			t.Errorf("%q: %#v, want %s naming %q", tc.body, err, kassa.EInvalid, tc.param)
		}
	}
}

// DecodeStrict takes one JSON object with known members only, and its
// errors name the member as the client wrote it, also inside an embedded
// struct.
func TestDecodeStrict(t *testing.T) {
	type inner struct {
		Limits map[string]int64 `json:"creditLimits"`
		List   []struct {
			ID string `json:"companyId"`
		} `json:"companies"`
	}
	type doc struct {
		inner
		Terms *int `json:"paymentTerms"`
	}
	for _, tc := range []struct {
		body, param string
		ok          bool
	}{
		{`{"creditLimits":{"SEK":1},"companies":[{"companyId":"x"}],"paymentTerms":3}`, "", true},
		{` {} `, "", true},
		{`{"creditLimit":1}`, "creditLimit", false},
		{`{"companies":[{"id":"x"}]}`, "id", false},
		{`{"creditLimits":{"SEK":"x"}}`, "creditLimits", false},
		{`{"companies":[{"companyId":1}]}`, "companies.companyId", false},
		{`{"paymentTerms":"soon"}`, "paymentTerms", false},
		{``, "", false}, {`null`, "", false}, {`[]`, "", false}, {`"x"`, "", false}, {`{}{}`, "", false}, {`{`, "", false},
	} {
		var d doc
		err := DecodeStrict([]byte(tc.body), &d)
		e, isKassa := err.(*kassa.Error)
		switch {
		case tc.ok && err != nil:
			t.Errorf("DecodeStrict(%s) = %v, want nil", tc.body, err)
		case !tc.ok && (!isKassa || e.Code != kassa.EInvalid || e.Param != tc.param):
			t.Errorf("DecodeStrict(%s) = %#v, want invalid_request naming %q", tc.body, err, tc.param)
		}
	}
}

// DecodeOptional is DecodeStrict, but takes no body at all too.
func TestDecodeOptional(t *testing.T) {
	type in struct {
		Overlap *int `json:"overlapSeconds"`
	}
	for _, body := range []string{``, ` `, `[]`, `{}`, `{"overlapSeconds":5}`} {
		var v in
		if err := DecodeOptional([]byte(body), &v); err != nil {
			t.Errorf("DecodeOptional(%q) = %v, want nil", body, err)
		}
		if (v.Overlap != nil) != (body == `{"overlapSeconds":5}`) {
			t.Errorf("DecodeOptional(%q) decoded %+v", body, v)
		}
	}
	for _, body := range []string{`null`, `[1]`, `"x"`, `{"overlap":5}`, `{`, `{}{}`} {
		var v in
		if err := DecodeOptional([]byte(body), &v); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("DecodeOptional(%q) = %v, want invalid_request", body, err)
		}
	}
}
