// Package pdftest reads PDFs in tests with pdftotext and pdfimages from
// poppler-utils.
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// need skips the test when tool is missing, unless CI is set: CI installs
// it, so there a missing tool is a failure.
func need(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; .ci/run installs poppler-utils", tool)
		}
		t.Skipf("%s (poppler-utils) is not installed", tool)
	}
}

// Text extracts a PDF's text, keeping the layout.
func Text(t testing.TB, b []byte) string {
	t.Helper()
	need(t, "pdftotext")
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// Images counts the images a PDF shows; the soft mask of a transparent
// image, which pdfimages lists too, is part of its image.
func Images(t testing.TB, b []byte) int {
	t.Helper()
	need(t, "pdfimages")
	path := t.TempDir() + "/doc.pdf"
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfimages", "-list", path).Output()
	if err != nil {
		t.Fatalf("pdfimages: %v", err)
	}
	n := 0
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for _, line := range lines[min(2, len(lines)):] { // after the two header lines
		if f := bytes.Fields(line); len(f) > 2 && string(f[2]) == "image" {
			n++
		}
	}
	return n
}
