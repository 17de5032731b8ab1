package store

import "context"

// SecretWriter reads and rewrites the secrets the store keeps sealed, of
// every merchant, for the key-encryption key's management: provider's
// LoadSigner seals what a database from before sealing holds in clear,
// and Rewrap re-seals everything under a new key.
type SecretWriter interface {
	// EndpointSecrets lists every notification endpoint's secrets as
	// stored, by endpoint ID.
	EndpointSecrets(ctx context.Context) ([]EndpointSecret, error)
	// PutEndpointSecrets replaces endpoints' stored secrets, the current
	// and the previous one both.
	PutEndpointSecrets(ctx context.Context, ss []EndpointSecret) error
	// DocumentTokens lists, by document ID, up to limit documents' buyer
	// tokens as stored, of the documents whose ID sorts after after.
	DocumentTokens(ctx context.Context, after string, limit int) ([]DocumentToken, error)
	// PutDocumentTokens replaces documents' stored tokens with their hash
	// and sealed token, and forgets a token kept in clear.
	PutDocumentTokens(ctx context.Context, ts []DocumentToken) error
	// MailBodies lists, by mail ID, up to limit message mails' sealed
	// bodies (Mail.Body), of the mails whose ID sorts after after.
	MailBodies(ctx context.Context, after string, limit int) ([]StoredSecret, error)
	// PutMailBodies replaces message mails' sealed bodies.
	PutMailBodies(ctx context.Context, ss []StoredSecret) error
}

// StoredSecret is a secret as stored, and the ID of what it belongs to.
type StoredSecret struct{ ID, Value string }

// EndpointSecret is a notification endpoint's secrets as stored: its
// secret, and the one its last rotation replaced ("" if it was never
// rotated; notify.Endpoint.PreviousSecret).
type EndpointSecret struct{ ID, Secret, Previous string }

// DocumentToken is a document's buyer token as stored: its hash
// (invoice.TokenHash), to find the document by, and the token sealed
// (invoice.Document.SealedToken); or, for a document issued before
// tokens were sealed, until Kassa first starts with a key, the token in
// Clear and neither of them.
type DocumentToken struct {
	DocumentID   string
	Hash, Sealed string
	Clear        string
}
