package wire

import "github.com/kassa-pay/kassa/reconcile"

// BankFile reads a bank file sent over HTTP, camt.054 or BgMax (told
// apart by content, reconcile.Parse): the API's import and the
// dashboard's upload. BgMax is ISO 8859-1, which its parser decodes;
// anything else is held to the text rule (CheckBody). A malformed file
// is invalid, naming the element or the line.
func BankFile(b []byte) (*reconcile.File, error) {
	if !reconcile.IsBgMax(b) {
		if err := CheckBody(b); err != nil {
			return nil, err
		}
	}
	return reconcile.Parse(b)
}
