package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The payment module (/v1/payment-module): payment collections, the
// provider sessions that pay them, and the payments authorized sessions
// become, with their captures, refunds and cancellation. Amounts are
// integer minor units.

const modulePath = "/v1/payment-module"

// Collection is what a cart or an order must be paid.
type Collection struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchantId"`
	Currency   string `json:"currency"`
	Amount     int64  `json:"amount"`
	// Status is not_paid, awaiting, partially_authorized, authorized,
	// completed or canceled.
	Status           string          `json:"status"`
	Metadata         json.RawMessage `json:"metadata,omitempty"`
	AuthorizedAmount int64           `json:"authorizedAmount"`
	CapturedAmount   int64           `json:"capturedAmount"`
	RefundedAmount   int64           `json:"refundedAmount"`
	CompletedAt      *time.Time      `json:"completedAt,omitempty"`
	CreatedAt        time.Time       `json:"createdAt"`
	UpdatedAt        time.Time       `json:"updatedAt"`
	Version          int64           `json:"version"`
}

// CollectionDetails is a collection with its sessions and payments.
type CollectionDetails struct {
	Collection
	Sessions []ModuleSession `json:"sessions"`
	Payments []Payment       `json:"payments"`
}

// ModuleSession is one provider's attempt to pay a collection.
type ModuleSession struct {
	ID           string `json:"id"`
	MerchantID   string `json:"merchantId"`
	CollectionID string `json:"collectionId"`
	ProviderID   string `json:"providerId"`
	Currency     string `json:"currency"`
	Amount       int64  `json:"amount"`
	// Status is pending, requires_more, pending_authorization,
	// authorized, error or canceled.
	Status       string          `json:"status"`
	Data         json.RawMessage `json:"data"` // the provider's
	Context      json.RawMessage `json:"context,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	ProviderRef  string          `json:"providerRef,omitempty"` // the provider's ID of it
	Revision     int64           `json:"revision,omitempty"`
	PaymentID    string          `json:"paymentId,omitempty"`
	Failure      string          `json:"failure,omitempty"` // the provider's last error
	Void         *Movement       `json:"void,omitempty"`    // an authorization the collection could not take, canceled
	InFlight     *ProviderCall   `json:"inFlight,omitempty"`
	AuthorizedAt *time.Time      `json:"authorizedAt,omitempty"`
	CreatedAt    time.Time       `json:"createdAt"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	Version      int64           `json:"version"`
}

// ProviderCall is a provider call under way for a session.
type ProviderCall struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"` // authorize or update
	Until time.Time `json:"until"`
}

// Payment is an authorized session's money, with its captures, refunds
// and cancellation.
type Payment struct {
	ID           string `json:"id"`
	MerchantID   string `json:"merchantId"`
	CollectionID string `json:"collectionId"`
	SessionID    string `json:"sessionId"`
	ProviderID   string `json:"providerId"`
	Currency     string `json:"currency"`
	Amount       int64  `json:"amount"` // authorized
	// Status is authorized, partially_captured, captured or canceled.
	Status     string          `json:"status"`
	Data       json.RawMessage `json:"data"`
	Captures   []Movement      `json:"captures"`
	Refunds    []Movement      `json:"refunds"`
	Cancels    []Movement      `json:"cancels"`
	CapturedAt *time.Time      `json:"capturedAt,omitempty"`
	CanceledAt *time.Time      `json:"canceledAt,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	Version    int64           `json:"version"`
}

// Movement is a capture, refund or cancellation sent to the provider.
type Movement struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"` // pending, succeeded or failed
	Amount      int64     `json:"amount"`
	Key         string    `json:"key,omitempty"`         // the Idempotency-Key of the request that made it
	ProviderRef string    `json:"providerRef,omitempty"` // the invoice's ledger ID, say
	Reason      string    `json:"reason,omitempty"`
	Note        string    `json:"note,omitempty"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	Attempts    int       `json:"attempts"`
	Failure     string    `json:"failure,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// PaymentProviders lists the IDs of the module's providers.
func (c *Client) PaymentProviders(ctx context.Context) ([]string, error) {
	var out struct {
		Providers []string `json:"providers"`
	}
	_, err := c.Do(ctx, http.MethodGet, modulePath+"/providers", nil, &out)
	return out.Providers, err
}

// CollectionParams create a collection.
type CollectionParams struct {
	Currency string          `json:"currency"`
	Amount   int64           `json:"amount"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// CreateCollection creates a collection.
func (c *Client) CreateCollection(ctx context.Context, p CollectionParams, opts ...CallOption) (*Collection, error) {
	var out Collection
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/collections", p, &out, opts...)
	return &out, err
}

// CollectionListParams page through the collections, newest first;
// empty fields match all.
type CollectionListParams struct {
	Statuses []string // not_paid, awaiting, authorized, partially_authorized, completed, canceled
	Currency string
	Cursor   string // a page's NextCursor
	After    string // the last collection ID of the page before, for servers from before the cursor
	Limit    int    // 1 to 100; 0: 50
}

// CollectionPage is a page of collections, newest first.
type CollectionPage struct {
	Data       []Collection `json:"data"`
	NextCursor string       `json:"nextCursor,omitempty"` // none on the last page
	// Collections is Data again, as servers from before the cursor
	// answered.
	Collections []Collection `json:"collections"`
}

// ListCollectionPage reads a page of the merchant's collections.
func (c *Client) ListCollectionPage(ctx context.Context, p CollectionListParams) (*CollectionPage, error) {
	q := url.Values{}
	set(q, "status", strings.Join(p.Statuses, ","))
	set(q, "currency", p.Currency)
	set(q, "cursor", p.Cursor)
	set(q, "after", p.After)
	setInt(q, "limit", p.Limit)
	var page CollectionPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: modulePath + "/collections", query: q}, &page, nil)
	if page.Data == nil {
		page.Data = page.Collections
	}
	return &page, err
}

// ListCollections lists the merchant's collections: a page's.
func (c *Client) ListCollections(ctx context.Context, p CollectionListParams) ([]Collection, error) {
	page, err := c.ListCollectionPage(ctx, p)
	return page.Data, err
}

// GetCollection reads a collection with its sessions and payments.
func (c *Client) GetCollection(ctx context.Context, id string) (*CollectionDetails, error) {
	var out CollectionDetails
	_, err := c.Do(ctx, http.MethodGet, modulePath+"/collections/"+escape(id), nil, &out)
	return &out, err
}

// CollectionUpdate changes a collection: what is set.
type CollectionUpdate struct {
	Amount   *int64          `json:"amount,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// UpdateCollection changes a collection.
func (c *Client) UpdateCollection(ctx context.Context, id string, u CollectionUpdate, opts ...CallOption) (*Collection, error) {
	var out Collection
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/collections/"+escape(id), u, &out, opts...)
	return &out, err
}

// DeleteCollection deletes a collection nobody paid.
func (c *Client) DeleteCollection(ctx context.Context, id string, opts ...CallOption) error {
	_, err := c.Do(ctx, http.MethodDelete, modulePath+"/collections/"+escape(id), nil, nil, opts...)
	return err
}

// CancelCollection cancels a collection and its payments; none may be
// captured.
func (c *Client) CancelCollection(ctx context.Context, id string, opts ...CallOption) (*Collection, error) {
	var out Collection
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/collections/"+escape(id)+"/cancel", nil, &out, opts...)
	return &out, err
}

// ModuleSessionParams start a provider session for a collection.
type ModuleSessionParams struct {
	ProviderID string          `json:"providerId"`
	Currency   string          `json:"currency,omitempty"` // the collection's
	Amount     int64           `json:"amount,omitempty"`   // 0: the collection's amount
	Data       json.RawMessage `json:"data,omitempty"`     // for the provider
	Context    json.RawMessage `json:"context,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// CreateModuleSession starts a session with a provider.
func (c *Client) CreateModuleSession(ctx context.Context, collectionID string, p ModuleSessionParams, opts ...CallOption) (*ModuleSession, error) {
	var out ModuleSession
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/collections/"+escape(collectionID)+"/sessions", p, &out, opts...)
	return &out, err
}

// GetModuleSession reads a session.
func (c *Client) GetModuleSession(ctx context.Context, id string) (*ModuleSession, error) {
	var out ModuleSession
	_, err := c.Do(ctx, http.MethodGet, modulePath+"/sessions/"+escape(id), nil, &out)
	return &out, err
}

// ModuleSessionUpdate changes a session: what is set. Data members set
// to null are removed.
type ModuleSessionUpdate struct {
	Amount   *int64          `json:"amount,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
	Context  json.RawMessage `json:"context,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// UpdateModuleSession changes a session, and tells its provider.
func (c *Client) UpdateModuleSession(ctx context.Context, id string, u ModuleSessionUpdate, opts ...CallOption) (*ModuleSession, error) {
	var out ModuleSession
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/sessions/"+escape(id), u, &out, opts...)
	return &out, err
}

// DeleteModuleSession deletes a session not authorized.
func (c *Client) DeleteModuleSession(ctx context.Context, id string, opts ...CallOption) error {
	_, err := c.Do(ctx, http.MethodDelete, modulePath+"/sessions/"+escape(id), nil, nil, opts...)
	return err
}

// ModuleAuthorization is the outcome of authorizing a session: its
// payment, or (Payment nil) the session, whose status says what must
// happen first.
type ModuleAuthorization struct {
	Status  string         `json:"status"` // the session's
	Session *ModuleSession `json:"session"`
	Payment *Payment       `json:"payment,omitempty"`
}

// AuthorizeModuleSession authorizes a session at its provider, with data
// for it (the invoice provider's authorizationToken, say).
func (c *Client) AuthorizeModuleSession(ctx context.Context, id string, data map[string]any, opts ...CallOption) (*ModuleAuthorization, error) {
	var out ModuleAuthorization
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/sessions/"+escape(id)+"/authorize", map[string]any{"data": data}, &out, opts...)
	return &out, err
}

// SyncModuleSession asks the provider for a session's status, for when
// its webhook may have been lost.
func (c *Client) SyncModuleSession(ctx context.Context, id string, opts ...CallOption) (*ModuleAuthorization, error) {
	var out ModuleAuthorization
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/sessions/"+escape(id)+"/sync", nil, &out, opts...)
	return &out, err
}

// GetPayment reads a payment.
func (c *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	var out Payment
	_, err := c.Do(ctx, http.MethodGet, modulePath+"/payments/"+escape(id), nil, &out)
	return &out, err
}

// MovementParams capture, refund or cancel (part of) a payment. The
// call's Idempotency-Key is the movement's: retrying with it after an
// unknown outcome sends the provider the same request.
type MovementParams struct {
	Amount    int64  `json:"amount"`
	Reason    string `json:"reason,omitempty"` // refunds
	Note      string `json:"note,omitempty"`   // refunds
	CreatedBy string `json:"createdBy,omitempty"`
}

// CapturePayment captures Amount of a payment.
func (c *Client) CapturePayment(ctx context.Context, id string, p MovementParams, opts ...CallOption) (*Payment, error) {
	return c.movement(ctx, id, "capture", p, opts)
}

// RefundPayment refunds Amount of what a payment captured.
func (c *Client) RefundPayment(ctx context.Context, id string, p MovementParams, opts ...CallOption) (*Payment, error) {
	return c.movement(ctx, id, "refund", p, opts)
}

// CancelPayment cancels what is left of a payment's authorization.
func (c *Client) CancelPayment(ctx context.Context, id string, p MovementParams, opts ...CallOption) (*Payment, error) {
	return c.movement(ctx, id, "cancel", p, opts)
}

func (c *Client) movement(ctx context.Context, id, kind string, p MovementParams, opts []CallOption) (*Payment, error) {
	var out Payment
	_, err := c.Do(ctx, http.MethodPost, modulePath+"/payments/"+escape(id)+"/"+kind, p, &out, opts...)
	return &out, err
}
