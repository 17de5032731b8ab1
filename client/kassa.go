package client

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Kassa's own endpoints, beside the Ledyer-compatible API.

// APIClient is one of the merchant's API clients. ClientSecret is
// answered once, by the call that creates or rotates it.
type APIClient struct {
	ClientID                string    `json:"clientId"`
	Name                    string    `json:"name"`
	Scope                   string    `json:"scope"` // read or write
	State                   string    `json:"state"` // active or revoked
	ClientSecret            string    `json:"clientSecret,omitempty"`
	CreatedAt               time.Time `json:"createdAt"`
	RotatedAt               time.Time `json:"rotatedAt,omitzero"`
	PreviousSecretExpiresAt time.Time `json:"previousSecretExpiresAt,omitzero"`
	RevokedAt               time.Time `json:"revokedAt,omitzero"`
}

// APIClientParams create an API client.
type APIClientParams struct {
	Name  string `json:"name"`
	Scope string `json:"scope"` // read (GET requests only) or write
}

// CreateAPIClient creates an API client of the merchant, with its secret.
func (c *Client) CreateAPIClient(ctx context.Context, p APIClientParams, opts ...CallOption) (*APIClient, error) {
	var a APIClient
	_, err := c.Do(ctx, http.MethodPost, "/v1/api-clients", p, &a, opts...)
	return &a, err
}

// ListAPIClients lists the merchant's API clients, without secrets.
func (c *Client) ListAPIClients(ctx context.Context) ([]APIClient, error) {
	var out struct {
		Data []APIClient `json:"data"`
	}
	_, err := c.Do(ctx, http.MethodGet, "/v1/api-clients", nil, &out)
	return out.Data, err
}

// RotateAPIClientParams rotate a client's secret. The previous secret
// keeps working for OverlapSeconds (nil: the server's default, 24 hours).
type RotateAPIClientParams struct {
	OverlapSeconds *int64 `json:"overlapSeconds,omitempty"`
}

// RotateAPIClient gives a client a new secret.
func (c *Client) RotateAPIClient(ctx context.Context, clientID string, p RotateAPIClientParams, opts ...CallOption) (*APIClient, error) {
	var a APIClient
	_, err := c.Do(ctx, http.MethodPost, "/v1/api-clients/"+escape(clientID)+"/rotate", p, &a, opts...)
	return &a, err
}

// RevokeAPIClient revokes a client: its tokens stop working at once.
func (c *Client) RevokeAPIClient(ctx context.Context, clientID string, opts ...CallOption) (*APIClient, error) {
	var a APIClient
	_, err := c.Do(ctx, http.MethodDelete, "/v1/api-clients/"+escape(clientID), nil, &a, opts...)
	return &a, err
}

// NotificationEndpoint is a URL the merchant's notifications are sent
// to. Secret, which signs them, is answered only by the calls that create
// it and rotate it.
type NotificationEndpoint struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"eventTypes"` // empty: every type
	// State is enabled or disabled: Kassa disables an endpoint that
	// answers 410 Gone or fails for days (DisabledReason), until it is
	// enabled again.
	State          string    `json:"state,omitempty"`
	DisabledAt     time.Time `json:"disabledAt,omitzero"`
	DisabledReason string    `json:"disabledReason,omitempty"`
	FailingSince   time.Time `json:"failingSince,omitzero"`
	// SecretRotatedAt is the last rotation; the secret it replaced signs
	// too until PreviousSecretExpiresAt.
	SecretRotatedAt         time.Time `json:"secretRotatedAt,omitzero"`
	PreviousSecretExpiresAt time.Time `json:"previousSecretExpiresAt,omitzero"`
	Secret                  string    `json:"secret,omitempty"`
	CreatedAt               time.Time `json:"createdAt"`
}

// NotificationEndpointParams create an endpoint.
type NotificationEndpointParams struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"eventTypes,omitempty"`
}

// CreateNotificationEndpoint registers an endpoint.
func (c *Client) CreateNotificationEndpoint(ctx context.Context, p NotificationEndpointParams, opts ...CallOption) (*NotificationEndpoint, error) {
	var e NotificationEndpoint
	_, err := c.Do(ctx, http.MethodPost, "/v1/notification-endpoints", p, &e, opts...)
	return &e, err
}

// ListNotificationEndpoints lists the merchant's endpoints.
func (c *Client) ListNotificationEndpoints(ctx context.Context) ([]NotificationEndpoint, error) {
	var out struct {
		Data []NotificationEndpoint `json:"data"`
	}
	_, err := c.Do(ctx, http.MethodGet, "/v1/notification-endpoints", nil, &out)
	return out.Data, err
}

// RotateEndpointSecretParams rotate an endpoint's secret. The previous
// secret keeps signing for OverlapSeconds (nil: the server's default, 24
// hours).
type RotateEndpointSecretParams struct {
	OverlapSeconds *int64 `json:"overlapSeconds,omitempty"`
}

// RotateEndpointSecret gives an endpoint a new secret, answered with it;
// deliveries carry a signature with each secret until the old one
// expires.
func (c *Client) RotateEndpointSecret(ctx context.Context, id string, p RotateEndpointSecretParams, opts ...CallOption) (*NotificationEndpoint, error) {
	var e NotificationEndpoint
	_, err := c.Do(ctx, http.MethodPost, "/v1/notification-endpoints/"+escape(id)+"/rotate-secret", p, &e, opts...)
	return &e, err
}

// EnableNotificationEndpoint enables an endpoint Kassa disabled.
func (c *Client) EnableNotificationEndpoint(ctx context.Context, id string, opts ...CallOption) (*NotificationEndpoint, error) {
	var e NotificationEndpoint
	_, err := c.Do(ctx, http.MethodPost, "/v1/notification-endpoints/"+escape(id)+"/enable", nil, &e, opts...)
	return &e, err
}

// DeleteNotificationEndpoint removes an endpoint.
func (c *Client) DeleteNotificationEndpoint(ctx context.Context, id string, opts ...CallOption) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/notification-endpoints/"+escape(id), nil, nil, opts...)
	return err
}

// NotificationSigningSecret is the secret that signs deliveries to the
// merchant's session notification URLs.
func (c *Client) NotificationSigningSecret(ctx context.Context) (string, error) {
	var out struct {
		Secret string `json:"secret"`
	}
	_, err := c.Do(ctx, http.MethodGet, "/v1/notification-signing-secret", nil, &out)
	return out.Secret, err
}

// Notification is a notification of the merchant: its payload, and in
// GetNotification its deliveries.
type Notification struct {
	ID        string `json:"id"`        // nt_…, the webhook-id of its deliveries
	EventType string `json:"eventType"` // com.ledyer.order.create, …
	OrderID   string `json:"orderId,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
	Status    string `json:"status"` // pending, delivered or failed
	// Payload is the body every destination is sent.
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  time.Time       `json:"createdAt"`
	Deliveries []Delivery      `json:"deliveries,omitempty"`
}

// Delivery is a notification on its way to one destination.
type Delivery struct {
	ID            string            `json:"id"`
	EndpointID    string            `json:"endpointId,omitempty"` // none: the session's notification URL
	URL           string            `json:"url"`
	Status        string            `json:"status"` // pending, delivered or failed
	Attempts      []DeliveryAttempt `json:"attempts"`
	NextAttemptAt *time.Time        `json:"nextAttemptAt,omitempty"`
}

// DeliveryAttempt is one try to deliver.
type DeliveryAttempt struct {
	At           time.Time `json:"at"`
	StatusCode   int       `json:"statusCode,omitempty"`
	LatencyMS    float64   `json:"latencyMs"`
	ResponseBody string    `json:"responseBody,omitempty"` // its first KiB
	Error        string    `json:"error,omitempty"`
}

// NotificationListParams filter the list; empty fields match all.
type NotificationListParams struct {
	OrderID, SessionID string
	EventType          string // a notification type
	Status             string // pending, delivered or failed
	Cursor             string // a page's NextCursor
	Limit              int    // 1 to 100; 0: 50
}

// NotificationPage is a page of notifications, newest first.
type NotificationPage struct {
	Data       []Notification `json:"data"`
	NextCursor string         `json:"nextCursor,omitempty"` // none on the last page
}

// ListNotificationPage reads a page of the merchant's notifications.
func (c *Client) ListNotificationPage(ctx context.Context, p NotificationListParams) (*NotificationPage, error) {
	q := url.Values{}
	set(q, "orderId", p.OrderID)
	set(q, "sessionId", p.SessionID)
	set(q, "eventType", p.EventType)
	set(q, "status", p.Status)
	set(q, "cursor", p.Cursor)
	setInt(q, "limit", p.Limit)
	var page NotificationPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/notifications", query: q}, &page, nil)
	return &page, err
}

// ListNotifications lists the merchant's notifications, newest first:
// the first page, or the page after p.Cursor.
func (c *Client) ListNotifications(ctx context.Context, p NotificationListParams) ([]Notification, error) {
	page, err := c.ListNotificationPage(ctx, p)
	return page.Data, err
}

// GetNotification reads a notification with its deliveries.
func (c *Client) GetNotification(ctx context.Context, id string) (*Notification, error) {
	var n Notification
	_, err := c.Do(ctx, http.MethodGet, "/v1/notifications/"+escape(id), nil, &n)
	return &n, err
}

// RedeliverNotification sends a notification again to its destinations.
func (c *Client) RedeliverNotification(ctx context.Context, id string, opts ...CallOption) (*Notification, error) {
	var n Notification
	_, err := c.Do(ctx, http.MethodPost, "/v1/notifications/"+escape(id)+"/redeliver", nil, &n, opts...)
	return &n, err
}

// Document is an invoice document of an order: an invoice, a credit note
// or an advance invoice.
type Document struct {
	ID                string `json:"id"`
	Kind              string `json:"kind"`
	DocumentReference string `json:"documentReference"`
	Number            int64  `json:"number,omitempty"` // 0 until numbered, moments after issue
	DocumentURL       string `json:"documentUrl"`
	LedgerID          string `json:"ledgerId"`
	Credits           string `json:"credits,omitempty"` // a credit note's invoice number
	IssueDate         string `json:"issueDate"`         // 2006-01-02
	DueDate           string `json:"dueDate"`
	Currency          string `json:"currency"`
	TotalAmount       Money  `json:"totalAmount"`
	TotalVATAmount    Money  `json:"totalVatAmount"`
	PaymentReference  string `json:"paymentReference,omitempty"` // the reference to pay with
	// PaymentReferenceScheme is PaymentReference's scheme: ocr, fi, rf,
	// kid or fik.
	PaymentReferenceScheme string `json:"paymentReferenceScheme,omitempty"`
	PayableAmount          Money  `json:"payableAmount"`
	PaidAmount             Money  `json:"paidAmount"`
}

// OrderDocuments lists an order's documents with what was paid on each.
func (c *Client) OrderDocuments(ctx context.Context, orderID string) ([]Document, error) {
	var out struct {
		Documents []Document `json:"documents"`
	}
	_, err := c.Do(ctx, http.MethodGet, orderPath(orderID, "documents"), nil, &out)
	return out.Documents, err
}

// DocumentPDF is a document's PDF.
func (c *Client) DocumentPDF(ctx context.Context, documentID string) ([]byte, error) {
	var b []byte
	_, err := c.Do(ctx, http.MethodGet, "/v1/documents/"+escape(documentID), nil, &b)
	return b, err
}

// DocumentUBL is a document as a Peppol BIS Billing 3.0 e-invoice: its
// UBL 2.1 Invoice or CreditNote XML.
func (c *Client) DocumentUBL(ctx context.Context, documentID string) ([]byte, error) {
	var b []byte
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/documents/" + escape(documentID), accept: "application/xml"}, &b, nil)
	return b, err
}

// InvoiceSettings are the merchant's invoicing choices.
type InvoiceSettings struct {
	Seller       Party  `json:"seller"`
	FTax         bool   `json:"fTax,omitempty"` // approved for F-tax (Godkänd för F-skatt)
	PaymentTerms int    `json:"paymentTerms"`   // days; 0 sends the default, 30
	Bankgiro     string `json:"bankgiro"`
	Plusgiro     string `json:"plusgiro,omitempty"`
	// Accounts are the IBAN accounts buyers pay to, per currency (and
	// buyer country).
	Accounts         []Account `json:"accounts,omitempty"`
	VATExemptionNote string    `json:"vatExemptionNote,omitempty"`
	// FirstNumber is where the number series starts, settable until the
	// first document is numbered.
	FirstNumber int64 `json:"firstNumber,omitempty"`
	// Logo is a PNG or JPEG to print on documents (sent, never read
	// back); LogoSHA256 names the stored one, and sent alone keeps it.
	Logo       []byte `json:"logo,omitempty"`
	LogoSHA256 string `json:"logoSha256,omitempty"`
	// Accounting is the account plan of the accounting export (ExportSIE).
	Accounting *Accounting `json:"accounting,omitempty"`
}

// Accounting is the account plan of the accounting export: 4-digit
// account numbers, each one left empty the Swedish BAS chart's (1510
// receivables, 1930 bank, 2420 advances, 2890 unmatched payments, 3740
// rounding, 3108/3308 goods and services to other EU countries,
// 3105/3305 outside the EU, 3004 exempt sales).
type Accounting struct {
	Receivable        string         `json:"receivable,omitempty"`
	Bank              string         `json:"bank,omitempty"`
	Advances          string         `json:"advances,omitempty"`
	UnmatchedPayments string         `json:"unmatchedPayments,omitempty"`
	Rounding          string         `json:"rounding,omitempty"`
	Rates             []RateAccounts `json:"rates,omitempty"` // rates left out keep 3001/2611, 3002/2621, 3003/2631
	EUGoods           string         `json:"euGoods,omitempty"`
	EUServices        string         `json:"euServices,omitempty"`
	ExportGoods       string         `json:"exportGoods,omitempty"`
	ExportServices    string         `json:"exportServices,omitempty"`
	Exempt            string         `json:"exempt,omitempty"`
	Series            string         `json:"series,omitempty"`          // the verification series, A by default
	FiscalYearStart   int            `json:"fiscalYearStart,omitempty"` // a month, January by default
}

// RateAccounts are the sales and output VAT accounts of a VAT rate in
// basis points.
type RateAccounts struct {
	Rate  int64  `json:"rate"`
	Sales string `json:"sales"`
	VAT   string `json:"vat"`
}

// SIEExportParams name the period of an accounting export: its first and
// last days, YYYY-MM-DD, and the rates (kronor for one unit, "11.4520")
// of the currencies other than SEK its documents and payments are in.
type SIEExportParams struct {
	From, To string
	Rates    map[string]string
}

// ExportSIE is the merchant's accounting export of a period: an SIE 4I
// file in code page 437, as served, for a bookkeeping program to import.
func (c *Client) ExportSIE(ctx context.Context, p SIEExportParams) ([]byte, error) {
	q := url.Values{"from": {p.From}, "to": {p.To}}
	for _, cur := range slices.Sorted(maps.Keys(p.Rates)) {
		q.Add("rate", cur+":"+p.Rates[cur])
	}
	var b []byte
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/exports/sie", query: q}, &b, nil)
	return b, err
}

// Account is a bank account the seller is paid to in a currency.
type Account struct {
	Currency string `json:"currency"`
	Country  string `json:"country,omitempty"` // for buyers in this country; empty: every other
	IBAN     string `json:"iban"`
	BIC      string `json:"bic"`
}

// Party is the seller block printed on documents.
type Party struct {
	Name             string `json:"name"`
	OrgNo            string `json:"orgNo"`
	VATID            string `json:"vatId"`
	StreetAddress    string `json:"streetAddress"`
	PostalCode       string `json:"postalCode"`
	City             string `json:"city"`
	Country          string `json:"country"`
	RegisteredOffice string `json:"registeredOffice,omitempty"`
	Attention        string `json:"attention,omitempty"`
	Email            string `json:"email,omitempty"`
	Phone            string `json:"phone,omitempty"`
	Reference1       string `json:"reference1,omitempty"`
	Reference2       string `json:"reference2,omitempty"`
}

// GetInvoiceSettings reads the merchant's invoice settings.
func (c *Client) GetInvoiceSettings(ctx context.Context) (*InvoiceSettings, error) {
	var s InvoiceSettings
	_, err := c.Do(ctx, http.MethodGet, "/v1/invoice-settings", nil, &s)
	return &s, err
}

// PutInvoiceSettings replaces them, for documents issued from then on.
func (c *Client) PutInvoiceSettings(ctx context.Context, s InvoiceSettings, opts ...CallOption) (*InvoiceSettings, error) {
	var out InvoiceSettings
	_, err := c.Do(ctx, http.MethodPut, "/v1/invoice-settings", s, &out, opts...)
	return &out, err
}

// Merchant is the merchant's account.
type Merchant struct {
	MerchantID string    `json:"merchantId"`
	Name       string    `json:"name"`
	StoreID    string    `json:"storeId"` // the default store
	Email      string    `json:"email"`   // where Kassa writes to the merchant; "" for nowhere
	CreatedAt  time.Time `json:"createdAt"`
}

// GetMerchant reads the merchant's account.
func (c *Client) GetMerchant(ctx context.Context) (*Merchant, error) {
	var m Merchant
	_, err := c.Do(ctx, http.MethodGet, "/v1/merchant", nil, &m)
	return &m, err
}

// SetMerchantEmail sets the merchant's contact address, where Kassa
// writes to it (when it disables an endpoint, say); "" for none.
func (c *Client) SetMerchantEmail(ctx context.Context, email string, opts ...CallOption) (*Merchant, error) {
	var m Merchant
	_, err := c.Do(ctx, http.MethodPatch, "/v1/merchant", map[string]string{"email": email}, &m, opts...)
	return &m, err
}

// BankPayment is a payment the bank reported.
type BankPayment struct {
	ID               string    `json:"id"`
	MerchantID       string    `json:"merchantId"`
	BankReference    string    `json:"bankReference"`
	PaymentReference string    `json:"paymentReference"`
	Amount           int64     `json:"amount"`
	Currency         string    `json:"currency"`
	DocumentID       string    `json:"documentId,omitempty"` // none while unmatched
	BookedAt         time.Time `json:"bookedAt"`
	CreatedAt        time.Time `json:"createdAt"`
}

// PaymentImport is what recording payments did.
type PaymentImport struct {
	Format   string           `json:"format,omitempty"` // the bank file's: camt.054 or bgmax
	Payments []AppliedPayment `json:"payments"`
	Skipped  []SkippedEntry   `json:"skipped"` // entries of the file that are not payments
}

// AppliedPayment is a payment recorded, and what it paid.
type AppliedPayment struct {
	BankPayment
	Outcome           string `json:"outcome"`
	OrderID           string `json:"orderId,omitempty"`
	DocumentReference string `json:"documentReference,omitempty"`
	OrderPaid         bool   `json:"orderPaid"` // it completed the order's payment
}

// SkippedEntry is an entry of a bank file that is not a payment.
type SkippedEntry struct {
	Location         string `json:"location"` // Ntfctn[1]/Ntry[2] (camt.054), line 9 (BgMax)
	BankReference    string `json:"bankReference,omitempty"`
	PaymentReference string `json:"paymentReference,omitempty"`
	Amount           int64  `json:"amount"`
	Currency         string `json:"currency"`
	Reason           string `json:"reason"`
	Message          string `json:"message"`
}

// ImportPayments records a bank file, camt.054 or BgMax: all of it, or
// nothing.
func (c *Client) ImportPayments(ctx context.Context, file []byte, opts ...CallOption) (*PaymentImport, error) {
	var out PaymentImport
	contentType := "application/xml"
	if bytes.HasPrefix(file, []byte("01BGMAX")) {
		contentType = "text/plain; charset=iso-8859-1" // as Bankgirot writes it
	}
	_, err := c.send(ctx, &request{method: http.MethodPost, path: "/v1/payments/import", body: file, contentType: contentType}, &out, opts)
	return &out, err
}

// ListBankPayments lists the merchant's payments, newest first; with
// unmatched, those awaiting manual matching.
func (c *Client) ListBankPayments(ctx context.Context, unmatched bool) ([]BankPayment, error) {
	q := url.Values{}
	if unmatched {
		q.Set("unmatched", "true")
	}
	var out struct {
		Payments []BankPayment `json:"payments"`
	}
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/payments", query: q}, &out, nil)
	return out.Payments, err
}

// MatchPayment matches a payment recorded unmatched to one of the
// merchant's documents by hand, with what an automatic match does: the
// document counts it paid, and its order is paid once its documents are.
// A payment matched already is a conflict; a document in another
// currency, or asking for no payment, is invalid.
func (c *Client) MatchPayment(ctx context.Context, paymentID, documentID string, opts ...CallOption) (*AppliedPayment, error) {
	var out AppliedPayment
	_, err := c.Do(ctx, http.MethodPost, "/v1/payments/"+escape(paymentID)+"/match", map[string]string{"documentId": documentID}, &out, opts...)
	return &out, err
}

// SandboxPaymentParams are a payment as the bank would report it.
type SandboxPaymentParams struct {
	PaymentReference string `json:"paymentReference"`
	Amount           int64  `json:"amount"`
	Currency         string `json:"currency"`
	BankReference    string `json:"bankReference,omitempty"` // none: a new one
}

// SandboxPayment records a payment as if the bank had reported it (the
// sandbox only).
func (c *Client) SandboxPayment(ctx context.Context, p SandboxPaymentParams, opts ...CallOption) (*PaymentImport, error) {
	var out PaymentImport
	_, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/payments", p, &out, opts...)
	return &out, err
}

// TestClock is a sandbox merchant's clock: its time, by which its
// sessions, tokens and orders expire and its other time-driven work falls
// due, and how far that runs ahead of the wall clock.
type TestClock struct {
	Now           time.Time `json:"now"`
	OffsetSeconds int64     `json:"offsetSeconds"`
}

// AdvanceTestClockParams move a test clock forward: by Seconds, or to To;
// exactly one of them.
type AdvanceTestClockParams struct {
	Seconds int64     `json:"seconds,omitempty"`
	To      time.Time `json:"to,omitzero"`
}

// GetTestClock reads the merchant's test clock (the sandbox only).
func (c *Client) GetTestClock(ctx context.Context) (*TestClock, error) {
	var out TestClock
	_, err := c.Do(ctx, http.MethodGet, "/v1/sandbox/test-clock", nil, &out)
	return &out, err
}

// AdvanceTestClock moves the merchant's test clock forward, never back
// (the sandbox only). When it returns, the work the new time made due is
// done: orders expired, became ready or were captured, their
// notifications queued.
func (c *Client) AdvanceTestClock(ctx context.Context, p AdvanceTestClockParams, opts ...CallOption) (*TestClock, error) {
	var out TestClock
	_, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/test-clock/advance", p, &out, opts...)
	return &out, err
}

// Mail is an e-mail Kassa sent, or will send, for the merchant.
type Mail struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"merchantId"`
	DocumentID string    `json:"documentId,omitempty"`
	MessageID  string    `json:"messageId"`
	To         []string  `json:"to"`
	Cc         []string  `json:"cc,omitempty"`
	Subject    string    `json:"subject"`
	Reminder   bool      `json:"reminder,omitempty"`
	Attempts   int       `json:"attempts"`
	NextAt     time.Time `json:"nextAt"` // zero once sent
	SentAt     time.Time `json:"sentAt"` // zero until sent
	LastError  string    `json:"lastError,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

// SandboxMails lists the merchant's e-mails, newest first (the sandbox
// only).
func (c *Client) SandboxMails(ctx context.Context) ([]Mail, error) {
	var out struct {
		Mails []Mail `json:"mails"`
	}
	_, err := c.Do(ctx, http.MethodGet, "/v1/sandbox/mails", nil, &out)
	return out.Mails, err
}

// AuditEvent is an entry of the merchant's audit log.
type AuditEvent struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"` // the route: POST /v1/orders/{orderId}/capture
	Target    string    `json:"target"`
	RequestID string    `json:"requestId"`
	Source    string    `json:"source"`
	Status    int       `json:"status,omitempty"`
	Outcome   string    `json:"outcome"`
	Replay    bool      `json:"replay,omitempty"`
}

// AuditEventListParams filter the audit log; empty fields match all.
type AuditEventListParams struct {
	Action, Target, Actor, Outcome string
	From, To                       time.Time
	Cursor                         string // a page's NextCursor
	Limit                          int    // 1 to 100; 0: 50
}

// AuditEventPage is a page of the audit log, newest first.
type AuditEventPage struct {
	Data       []AuditEvent `json:"data"`
	NextCursor string       `json:"nextCursor,omitempty"` // none on the last page
}

// ListAuditEvents reads a page of the merchant's audit log.
func (c *Client) ListAuditEvents(ctx context.Context, p AuditEventListParams) (*AuditEventPage, error) {
	q := url.Values{}
	set(q, "action", p.Action)
	set(q, "target", p.Target)
	set(q, "actor", p.Actor)
	set(q, "outcome", p.Outcome)
	set(q, "cursor", p.Cursor)
	setInt(q, "limit", p.Limit)
	for name, t := range map[string]time.Time{"from": p.From, "to": p.To} {
		if !t.IsZero() {
			q.Set(name, t.Format(time.RFC3339Nano))
		}
	}
	var page AuditEventPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/audit-events", query: q}, &page, nil)
	return &page, err
}

// CreditPolicy is the merchant's credit policy. Amounts are minor units
// by currency code.
type CreditPolicy struct {
	CreditLimits   map[string]int64 `json:"creditLimits"`   // per buyer company
	SignatoryAbove map[string]int64 `json:"signatoryAbove"` // amounts above need a signatory
	Companies      []CompanyCredit  `json:"companies"`
	Blocklist      []string         `json:"blocklist"`
	// OrderEditAboveAuthorized is creditCheck or refuse.
	OrderEditAboveAuthorized string `json:"orderEditAboveAuthorized"`
	// DecisionProvider is rules or creditService.
	DecisionProvider string `json:"decisionProvider"`
	// PaymentTerms is the invoice payment term in days: nil leaves it as
	// it is.
	PaymentTerms *int `json:"paymentTerms"`
	// Version and UpdatedAt are answered, and ignored when set.
	Version   int64      `json:"version"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

// CompanyCredit sets one company apart: a limit of its own, or blocked.
type CompanyCredit struct {
	CompanyID    string           `json:"companyId"`
	CreditLimits map[string]int64 `json:"creditLimits,omitempty"`
	Blocked      bool             `json:"blocked,omitempty"`
}

// GetCreditPolicy reads the merchant's credit policy (the defaults, if it
// has set none).
func (c *Client) GetCreditPolicy(ctx context.Context) (*CreditPolicy, error) {
	var p CreditPolicy
	_, err := c.Do(ctx, http.MethodGet, "/v1/credit-policy", nil, &p)
	return &p, err
}

// PutCreditPolicy replaces the merchant's credit policy.
func (c *Client) PutCreditPolicy(ctx context.Context, p CreditPolicy, opts ...CallOption) (*CreditPolicy, error) {
	var out CreditPolicy
	_, err := c.Do(ctx, http.MethodPut, "/v1/credit-policy", p, &out, opts...)
	return &out, err
}

// CreditDecision is a recorded credit decision: an authorization's or an
// order edit's.
type CreditDecision struct {
	ID             string    `json:"id"`
	MerchantID     string    `json:"merchantId"`
	Kind           string    `json:"kind"` // authorization or orderEdit
	SessionID      string    `json:"sessionId"`
	OrderID        string    `json:"orderId,omitempty"`
	CompanyID      string    `json:"companyId"`
	Currency       string    `json:"currency"`
	Amount         int64     `json:"amount"`
	Exposure       int64     `json:"exposure"` // the company's other open exposure
	CreditLimit    int64     `json:"creditLimit"`
	SignatoryAbove int64     `json:"signatoryAbove"`
	PolicyVersion  int64     `json:"policyVersion"`
	Sandbox        bool      `json:"sandbox"`
	Provider       string    `json:"provider"`
	Outcome        string    `json:"outcome"` // approved, signatory or rejected
	Rule           string    `json:"rule"`
	Reason         string    `json:"reason,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
}

// CreditDecisionListParams filter the decisions; empty fields match all.
type CreditDecisionListParams struct {
	CompanyID string
	Outcome   string // approved, signatory or rejected
	Cursor    string // a page's NextCursor
	Limit     int    // 1 to 100; 0: 50
}

// CreditDecisionPage is a page of credit decisions, newest first.
type CreditDecisionPage struct {
	Data       []CreditDecision `json:"data"`
	NextCursor string           `json:"nextCursor,omitempty"`
}

// ListCreditDecisions reads a page of the merchant's credit decisions.
func (c *Client) ListCreditDecisions(ctx context.Context, p CreditDecisionListParams) (*CreditDecisionPage, error) {
	q := url.Values{}
	set(q, "companyId", p.CompanyID)
	set(q, "outcome", p.Outcome)
	set(q, "cursor", p.Cursor)
	setInt(q, "limit", p.Limit)
	var page CreditDecisionPage
	_, err := c.send(ctx, &request{method: http.MethodGet, path: "/v1/credit-decisions", query: q}, &page, nil)
	return &page, err
}

func set(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}

func setInt(q url.Values, name string, n int) {
	if n != 0 {
		q.Set(name, strconv.Itoa(n))
	}
}
