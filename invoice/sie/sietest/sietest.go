// Package sietest reads SIE 4 files back for the tests of the accounting
// export: a small reader that holds a file to the rules the writer
// promises (code page 437, CRLF lines, quoted texts, verifications of
// #TRANS rows within braces) and fails the test on anything else.
package sietest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/invoice/sie"
)

// File is a file read back: its other records as written (decoded), the
// accounts' names, and the verifications.
type File struct {
	Header   []string
	Accounts map[string]string
	Vers     []Ver
}

// Ver is a verification.
type Ver struct {
	Series, Number, Date, Text string
	Trans                      []Trans
}

// Trans is a #TRANS row: an account and an amount in öre.
type Trans struct {
	Account string
	Amount  int64
}

// Sum is Σ of v's rows: 0 when it balances.
func (v Ver) Sum() int64 {
	var n int64
	for _, t := range v.Trans {
		n += t.Amount
	}
	return n
}

// Totals sums the rows per account, leaving out accounts that sum to 0.
func (f *File) Totals() map[string]int64 {
	m := map[string]int64{}
	for _, v := range f.Vers {
		for _, t := range v.Trans {
			m[t.Account] += t.Amount
		}
	}
	for a, n := range m {
		if n == 0 {
			delete(m, a)
		}
	}
	return m
}

// DecodePC8 decodes code page 437.
func DecodePC8(b []byte) string {
	high := []rune(sie.CodePage437)
	var s strings.Builder
	for _, c := range b {
		if c < 0x80 {
			s.WriteByte(c)
		} else {
			s.WriteRune(high[c-0x80])
		}
	}
	return s.String()
}

// Read parses b, failing t on anything it does not expect.
func Read(t testing.TB, b []byte) *File {
	t.Helper()
	text := DecodePC8(b)
	if !strings.HasSuffix(text, "\r\n") {
		t.Fatalf("the file does not end with CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	f := &File{Accounts: map[string]string{}}
	var cur *Ver
	inBraces := false
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		fields := fieldsOf(t, strings.TrimLeft(l, " "))
		switch {
		case fields[0] == "{" && cur != nil && !inBraces:
			inBraces = true
		case fields[0] == "}" && inBraces:
			f.Vers = append(f.Vers, *cur)
			cur, inBraces = nil, false
		case fields[0] == "#TRANS" && inBraces:
			if len(fields) < 4 || fields[2] != "{}" {
				t.Fatalf("line %d: #TRANS with fields %q", i+1, fields)
			}
			cur.Trans = append(cur.Trans, Trans{fields[1], amount(t, fields[3])})
		case inBraces || cur != nil:
			t.Fatalf("line %d: %q inside a verification", i+1, l)
		case fields[0] == "#VER":
			if len(fields) != 5 || len(fields[3]) != 8 {
				t.Fatalf("line %d: #VER with fields %q", i+1, fields)
			}
			cur = &Ver{Series: fields[1], Number: fields[2], Date: fields[3], Text: fields[4]}
		case fields[0] == "#KONTO":
			if len(fields) != 3 || len(fields[1]) != 4 {
				t.Fatalf("line %d: #KONTO with fields %q", i+1, fields)
			}
			f.Accounts[fields[1]] = fields[2]
		case i == 0 && l != "#FLAGGA 0":
			t.Fatalf("the first line is %q, not #FLAGGA 0", l)
		default:
			f.Header = append(f.Header, l)
		}
	}
	if cur != nil {
		t.Fatalf("the file ends inside a verification")
	}
	return f
}

// fieldsOf splits a line into its fields: separated by spaces, a quoted
// field with \" inside it unquoted, {…} one field.
func fieldsOf(t testing.TB, l string) []string {
	t.Helper()
	var fields []string
	for l != "" {
		switch l[0] {
		case ' ':
			l = l[1:]
		case '"':
			var b strings.Builder
			i := 1
			for ; i < len(l) && l[i] != '"'; i++ {
				if l[i] == '\\' && i+1 < len(l) && l[i+1] == '"' {
					i++
				}
				b.WriteByte(l[i])
			}
			if i == len(l) {
				t.Fatalf("unterminated quote in %q", l)
			}
			fields = append(fields, b.String())
			l = l[i+1:]
		case '{':
			end := strings.IndexByte(l, '}')
			if end < 0 {
				fields = append(fields, l)
				return fields
			}
			fields = append(fields, l[:end+1])
			l = l[end+1:]
		default:
			end := strings.IndexByte(l, ' ')
			if end < 0 {
				end = len(l)
			}
			fields = append(fields, l[:end])
			l = l[end:]
		}
	}
	if len(fields) == 0 {
		t.Fatalf("an empty line")
	}
	return fields
}

// amount reads an amount with two decimals as öre.
func amount(t testing.TB, s string) int64 {
	t.Helper()
	whole, frac, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if !ok || len(frac) != 2 || err != nil {
		t.Fatalf("amount %q is not a decimal with 2 decimals", s)
	}
	return n
}
