package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeDemoShop: kassa serve in sandbox mode serves the demo shop for
// its sandbox merchant, whose sessions open in the buyer's dialog.
func TestServeDemoShop(t *testing.T) {
	base, out, stop := startServe(t, t.TempDir())
	defer stop()
	if !strings.Contains(out.String(), base+"/demo/shop") {
		t.Errorf("serve does not point to the demo shop:\n%s", out)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	if page := get("/demo/shop"); !strings.Contains(page, `id="ledyer-payments" src="/bootstrap.js"`) {
		t.Errorf("demo shop does not load the SDK:\n%s", page)
	}
	resp, err := http.Post(base+"/demo/shop/session", "application/json", strings.NewReader(`{"quantity":2}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ SessionID string }
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || !strings.HasPrefix(s.SessionID, "ps_") {
		t.Fatalf("demo session = %d %+v, %v", resp.StatusCode, s, err)
	}
	if dialog := get("/payments/dialog/" + s.SessionID); !strings.Contains(dialog, "SEK 12,998.00") || !strings.Contains(dialog, "Sandbox merchant") {
		t.Errorf("dialog of the demo session lacks its total or merchant:\n%s", dialog)
	}
}
