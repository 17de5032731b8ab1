package kassa

import "unicode/utf8"

// Clip shortens s to at most n bytes without splitting a character, for
// text a database column or a log line bounds.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
