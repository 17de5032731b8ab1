package store

import (
	"context"
	"time"
)

// SecretWriter reads and rewrites the secrets the store keeps sealed, of
// every merchant, for the key-encryption key's management: provider's
// LoadSigner seals what a database from before sealing holds in clear,
// and Rewrap re-seals everything under a new key; and it stores the
// access-token signing keys that rotations make.
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
	// PutSigningKey stores an access-token signing key, or replaces the
	// one with its ID.
	PutSigningKey(ctx context.Context, k SigningKey) error
	// DeleteSigningKey removes the signing key id, if there is one.
	DeleteSigningKey(ctx context.Context, id string) error
}

// SigningKeyReader reads the access-token signing keys that rotations
// made (the first key, from before rotations, is the setting
// token_signing_key).
type SigningKeyReader interface {
	// SigningKeys lists them in the order they were made (by CreatedAt,
	// then ID). In a read-write transaction it locks them until the
	// transaction ends, so that rotations take turns.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
}

// SigningKey is an access-token signing key as stored: sealed under the
// key-encryption key, its ID and when it was made beside it
// (merchant.SigningKey is the key itself).
type SigningKey struct {
	ID        string
	Sealed    string
	CreatedAt time.Time
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
