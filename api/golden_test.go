package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares JSON against testdata/name, indented.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: %v in %s", name, err, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./api -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// The order object through a typical life, pinned byte for byte.
func TestGoldenOrder(t *testing.T) {
	e := newEnv(t)
	discount := map[string]any{"type": "discount", "reference": "SUMMER", "description": "Summer discount", "quantity": 1,
		"unitPrice": 0, "unitDiscountAmount": 10000, "vat": 2500, "totalAmount": -10000, "totalVatAmount": -2000}
	c := cart(line("A", 2, 250000), line("SHIP", 1, 4900), discount)
	id := e.order(c)
	golden(t, "order_created.json", e.must(200, request{method: "GET", path: "/v1/orders/" + id}).body)

	e.clock.Advance(60e9)
	e.must(201, request{method: "POST", path: "/v1/orders/" + id + "/acknowledge"})
	e.clock.Advance(60e9)
	o := e.getOrder(id, nil)
	// Line A with the discount; the shipping stays uncaptured.
	d := withID(discount, o.Uncaptured.OrderLines[2].ID)
	pc := map[string]any{"orderLines": []any{withID(line("A", 2, 250000), o.Uncaptured.OrderLines[0].ID), d}, "totalCaptureAmount": 490000}
	e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/partialcapture", body: pc}).decode(t, &o)
	e.clock.Advance(60e9)
	refund := map[string]any{"orderLines": []any{map[string]any{"type": "physical", "reference": "A", "description": "Returned", "quantity": 1, "vat": 2500, "totalAmount": 250000, "totalVatAmount": 50000}}, "totalRefundAmount": 250000, "note": "One returned"}
	resp := e.must(200, request{method: "POST", path: "/v1/orders/" + id + "/partialrefund/" + o.Captured[0].LedgerID, body: refund})
	golden(t, "order_refunded.json", resp.body)

	var st json.RawMessage = e.must(200, request{method: "GET", path: "/v1/orders/" + id + "/paymentstatus"}).body
	golden(t, "paymentstatus.json", st)
}

func TestGoldenSession(t *testing.T) {
	e := newEnv(t)
	id := e.session(cart(line("A", 1, 10000)))
	e.authorize(id, buyer)
	golden(t, "session_authorized.json", e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).body)
}
