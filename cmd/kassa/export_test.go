package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/invoice/sie/sietest"
)

// kassa export sie writes the period's SIE 4I file, as GET
// /v1/exports/sie answers it, to standard output or --out; a period that
// is not one is a usage error.
func TestExportSIE(t *testing.T) {
	dir := t.TempDir()
	m := createMerchant(t, dir)["merchantId"]
	camt := filepath.Join(dir, "camt054.xml")
	if err := os.WriteFile(camt, []byte(camt054("12.00", "1234574", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"kassa", "payments", "import", "--data-dir", dir, "--merchant", m, camt}, noenv, nil, new(bytes.Buffer), t.Output()); err != nil {
		t.Fatal(err)
	}
	export := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"kassa", "export", "sie", "--data-dir", dir, "--merchant", m}, args...), noenv, nil, &out, t.Output())
		return out.String(), err
	}
	out, err := export("--from", "2026-03-01", "--to", "2026-03-31")
	if err != nil {
		t.Fatal(err)
	}
	f := sietest.Read(t, []byte(out))
	if len(f.Vers) != 1 || f.Vers[0].Text != "Inbetalning OCR 1234574, ej matchad" || f.Vers[0].Date != "20260305" {
		t.Fatalf("verifications %+v, want the unmatched payment's", f.Vers)
	}
	if diff := cmp.Diff(map[string]int64{"1930": 1200, "2890": -1200}, f.Totals()); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, `#FNAMN "Acme AB"`) || strings.Contains(out, "#ORGNR") { // the merchant's name, without invoice settings
		t.Errorf("the file does not name the merchant:\n%s", out)
	}

	file := filepath.Join(dir, "march.si")
	if msg, err := export("--from", "2026-03-01", "--to", "2026-03-31", "--out", file); err != nil || !strings.HasPrefix(msg, "wrote "+file) {
		t.Fatalf("--out: %v, %s", err, msg)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != out {
		t.Errorf("--out wrote other bytes than standard output: %v", err)
	}
	if fi, err := os.Stat(file); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("--out's file has mode %v, want 0600", fi.Mode().Perm())
	}

	for _, args := range [][]string{
		{"--from", "2026-03-01"},
		{"--from", "2026-03-31", "--to", "2026-03-01"},
		{"--from", "2026-03-01", "--to", "2026-03-31", "--rate", "EUR"},
	} {
		_, err := export(args...)
		if _, ok := errors.AsType[*usageError](err); !ok {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
