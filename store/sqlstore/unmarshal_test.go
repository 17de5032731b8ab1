package sqlstore

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

// storedDocs are documents as Kassa stores them, each with a new value of
// the type it decodes into.
var storedDocs = []struct {
	file string
	zero func() any
}{
	{"testdata/order.json", func() any { return new(order.Order) }},
	{"testdata/session.json", func() any { return new(session.Session) }},
	{"testdata/document.json", func() any { return new(invoice.Document) }},
	{"testdata/token.json", func() any { return new(session.Token) }},
}

// FuzzUnmarshalAsEncodingJSON checks that unmarshal decodes whatever it is
// given as encoding/json does: the same value, or an error from both. Its
// seeds are stored documents of each kind.
func FuzzUnmarshalAsEncodingJSON(f *testing.F) {
	for i, d := range storedDocs {
		b, err := os.ReadFile(d.file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(i, string(b))
	}
	f.Fuzz(func(t *testing.T, kind int, doc string) {
		if kind < 0 || kind >= len(storedDocs) {
			return
		}
		want, got := storedDocs[kind].zero(), storedDocs[kind].zero()
		wantErr := json.Unmarshal([]byte(doc), want)
		gotErr := unmarshal(doc, got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("encoding/json: %v; unmarshal: %v", wantErr, gotErr)
		}
		if wantErr == nil && !reflect.DeepEqual(want, got) {
			t.Errorf("unmarshal decoded %+v, encoding/json %+v", got, want)
		}
	})
}

// TestUnmarshalSeeds checks the fuzz test's seeds decode into something,
// so that they are no empty documents.
func TestUnmarshalSeeds(t *testing.T) {
	for _, d := range storedDocs {
		b, err := os.ReadFile(d.file)
		if err != nil {
			t.Fatal(err)
		}
		v := d.zero()
		if err := unmarshal(string(b), v); err != nil {
			t.Fatalf("%s: %v", d.file, err)
		}
		if reflect.ValueOf(v).Elem().IsZero() {
			t.Errorf("%s decoded to a zero value", d.file)
		}
	}
}

// BenchmarkUnmarshalOrder decodes a stored order with encoding/json and
// with unmarshal.
func BenchmarkUnmarshalOrder(b *testing.B) {
	doc, err := os.ReadFile("testdata/order.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o order.Order
			if err := json.Unmarshal(doc, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o order.Order
			if err := unmarshal(string(doc), &o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
