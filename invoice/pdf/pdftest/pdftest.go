// Package pdftest extracts the text of PDFs in tests, with pdftotext from
// poppler-utils.
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Text extracts a PDF's text, keeping the layout. It skips the test when
// pdftotext is missing, unless CI is set: CI installs it, so there a
// missing tool is a failure.
func Text(t testing.TB, b []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is missing; .ci/run installs poppler-utils")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
