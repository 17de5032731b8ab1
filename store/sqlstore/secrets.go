package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/kassa-pay/kassa/store"
)

func (t *Tx) EndpointSecrets(ctx context.Context) ([]store.EndpointSecret, error) {
	var ss []store.EndpointSecret
	err := t.c.Query(ctx, func(rows Scanner) error {
		var s store.EndpointSecret
		err := rows.Scan(&s.ID, &s.Secret, &s.Previous)
		ss = append(ss, s)
		return err
	}, `SELECT id, secret, previous_secret FROM notification_endpoints ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list endpoint secrets: %w", err)
	}
	return ss, nil
}

func (t *Tx) PutEndpointSecrets(ctx context.Context, ss []store.EndpointSecret) error {
	args := make([][]any, len(ss))
	for i, s := range ss {
		args[i] = []any{s.Secret, s.Previous, s.ID}
	}
	return t.writeErr(t.c.ExecEach(ctx, `UPDATE notification_endpoints SET secret = $1, previous_secret = $2 WHERE id = $3`, args), "endpoint secrets")
}

func (t *Tx) DocumentTokens(ctx context.Context, after string, limit int) ([]store.DocumentToken, error) {
	if limit <= 0 {
		return nil, nil
	}
	var ts []store.DocumentToken
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			d                   store.DocumentToken
			hash, sealed, clear sql.NullString
		)
		err := rows.Scan(&d.DocumentID, &hash, &sealed, &clear)
		d.Hash, d.Sealed, d.Clear = hash.String, sealed.String, clear.String
		ts = append(ts, d)
		return err
	}, `SELECT document_id, hash, sealed, clear FROM document_tokens WHERE document_id > $1 ORDER BY document_id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list document tokens: %w", err)
	}
	return ts, nil
}

func (t *Tx) PutDocumentTokens(ctx context.Context, ts []store.DocumentToken) error {
	args := make([][]any, len(ts))
	for i, d := range ts {
		args[i] = []any{d.Hash, d.Sealed, d.DocumentID}
	}
	return t.writeErr(t.c.ExecEach(ctx, `UPDATE document_tokens SET hash = $1, sealed = $2, clear = NULL WHERE document_id = $3`, args), "document tokens")
}

func (t *Tx) MailBodies(ctx context.Context, after string, limit int) ([]store.StoredSecret, error) {
	if limit <= 0 {
		return nil, nil
	}
	var ss []store.StoredSecret
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			id, doc string
			env     mailEnvelope
		)
		if err := rows.Scan(&id, &doc); err != nil {
			return err
		}
		if err := unmarshal(doc, &env); err != nil {
			return fmt.Errorf("decode mail %s: %w", id, err)
		}
		ss = append(ss, store.StoredSecret{ID: id, Value: env.Body})
		return nil
	}, `SELECT id, doc FROM mail_outbox WHERE document_id = '' AND id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list mail bodies: %w", err)
	}
	return ss, nil
}

// PutMailBodies rewrites each mail's envelope with its new body: the
// body lives in the envelope's JSON, which both databases store as text.
func (t *Tx) PutMailBodies(ctx context.Context, ss []store.StoredSecret) error {
	for _, s := range ss {
		var doc string
		err := t.c.Query(ctx, func(rows Scanner) error { return rows.Scan(&doc) }, `SELECT doc FROM mail_outbox WHERE id = $1`, s.ID)
		if err != nil {
			return fmt.Errorf("read mail %s: %w", s.ID, err)
		}
		var env mailEnvelope
		if err := unmarshal(doc, &env); err != nil {
			return fmt.Errorf("decode mail %s: %w", s.ID, err)
		}
		env.Body = s.Value
		b, err := json.Marshal(env)
		if err != nil {
			return fmt.Errorf("encode mail %s: %w", s.ID, err)
		}
		if _, err := t.c.Exec(ctx, `UPDATE mail_outbox SET doc = $1 WHERE id = $2`, string(b), s.ID); err != nil {
			return t.writeErr(err, "mail bodies")
		}
	}
	return nil
}

func (t *Tx) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if err := t.c.Lock(ctx, "signing keys"); err != nil {
		return nil, err
	}
	var ks []store.SigningKey
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			k       store.SigningKey
			created int64
		)
		err := rows.Scan(&k.ID, &k.Sealed, &created)
		k.CreatedAt = fromMicros(created)
		ks = append(ks, k)
		return err
	}, `SELECT id, sealed, created_at FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return ks, nil
}

func (t *Tx) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := t.c.Exec(ctx, `INSERT INTO signing_keys (id, sealed, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at`, k.ID, k.Sealed, k.CreatedAt.UnixMicro())
	return t.writeErr(err, "signing key "+k.ID)
}

func (t *Tx) DeleteSigningKey(ctx context.Context, id string) error {
	_, err := t.c.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)
	return t.writeErr(err, "signing key "+id)
}
