package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// docSection is one command's part of docs/operations.md: the flags and
// the variables its tables name.
type docSection struct{ flags, env []string }

// operationsDoc reads docs/operations.md: the table rows of each section
// headed "### `kassa …`", and every variable the page names anywhere.
func operationsDoc(t *testing.T) (sections map[string]*docSection, named []string) {
	t.Helper()
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	flagName, envName := regexp.MustCompile("`--([a-z-]+)`"), regexp.MustCompile(`KASSA_[A-Z_]+`)
	sections = map[string]*docSection{}
	var cur *docSection
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			cur = nil
			if name, ok := strings.CutPrefix(line, "### `kassa "); ok {
				cur = &docSection{}
				sections[strings.TrimSuffix(name, "`")] = cur
			}
		}
		for _, m := range envName.FindAllString(line, -1) {
			if !slices.Contains(named, m) {
				named = append(named, m)
			}
		}
		if cur == nil || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| flag |") {
			continue
		}
		cols := strings.Split(line, " | ")
		for _, m := range flagName.FindAllStringSubmatch(cols[0], -1) {
			cur.flags = append(cur.flags, m[1])
		}
		cur.env = append(cur.env, envName.FindAllString(line, -1)...)
	}
	return sections, named
}

// recorder is a getenv that remembers what it was asked.
type recorder struct {
	mu    sync.Mutex
	names []string
}

func (r *recorder) getenv(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names = append(r.names, name)
	return ""
}

// docs/operations.md names every flag of every command, and every
// variable the command reads, in the command's section, and no flag or
// variable kassa does not have; every variable kassa's source reads is on
// the page.
func TestOperationsDocument(t *testing.T) {
	sections, named := operationsDoc(t)
	source := sourceEnv(t)
	for _, cmd := range leaves(t) {
		name := strings.Join(cmd, " ")
		doc, ok := sections[name]
		if !ok {
			t.Errorf("docs/operations.md has no section for kassa %s", name)
			continue
		}
		delete(sections, name)
		var r recorder
		code, out, _ := runCLI(t, r.getenv, append(cmd, "--help")...)
		if code != 0 {
			t.Fatalf("kassa %s --help: exit %d", name, code)
		}
		var flags []string
		for _, m := range regexp.MustCompile(`(?m)^  --([a-z-]+)`).FindAllStringSubmatch(out, -1) {
			flags = append(flags, m[1])
		}
		slices.Sort(flags)
		slices.Sort(doc.flags)
		if !slices.Equal(flags, slices.Compact(doc.flags)) {
			t.Errorf("kassa %s: flags %v, but docs/operations.md lists %v", name, flags, doc.flags)
		}
		for _, v := range r.names {
			if strings.HasPrefix(v, "KASSA_") && !slices.Contains(doc.env, v) {
				t.Errorf("kassa %s reads %s, which its section of docs/operations.md does not name", name, v)
			}
		}
		for _, v := range doc.env {
			if !slices.Contains(source, v) {
				t.Errorf("docs/operations.md names %s for kassa %s, which kassa does not read", v, name)
			}
		}
	}
	for name := range sections {
		t.Errorf("docs/operations.md has a section for kassa %s, which is no command", name)
	}
	for _, v := range source {
		if !slices.Contains(named, v) {
			t.Errorf("kassa reads %s, which docs/operations.md does not name", v)
		}
	}

	// README.md's configuration names only serve's flags and kassa's variables.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	config, _, _ := strings.Cut(string(readme)[strings.Index(string(readme), "## Configuration"):], "\nAbuse limits")
	_, serveHelp, _ := runCLI(t, noenv, "serve", "--help")
	for _, m := range regexp.MustCompile("`--([a-z-]+)`").FindAllStringSubmatch(config, -1) {
		if !strings.Contains(serveHelp, "\n  --"+m[1]) {
			t.Errorf("README.md's configuration names --%s, which kassa serve does not have", m[1])
		}
	}
	for _, v := range regexp.MustCompile(`KASSA_[A-Z_]+`).FindAllString(config, -1) {
		if !slices.Contains(source, v) {
			t.Errorf("README.md's configuration names %s, which kassa does not read", v)
		}
	}
}
