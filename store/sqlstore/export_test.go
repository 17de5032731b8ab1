package sqlstore

// ByID and SelectOrderDocuments are statements' conditions and text.
const (
	ByID                 = byID
	SelectOrderDocuments = selectOrderDocuments
)
