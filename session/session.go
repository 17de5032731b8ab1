// Package session holds payment sessions and authorization tokens: the
// buyer-side half of a purchase, before it becomes an order. It does no
// I/O; operations return the next session or a *kassa.Error and never
// modify their input.
package session

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
)

// Session states. A session that expires before it completes reads
// "expired"; the stored state never says so.
const (
	StateCreated           = "created"
	StateAwaitingSignatory = "awaitingSignatory"
	StateAuthorized        = "authorized"
	StateCancelled         = "cancelled"
	StateExpired           = "expired"
)

// Lifetime is how long a session, and any token it issued, stays usable.
const Lifetime = 7 * 24 * time.Hour

const (
	maxReference    = 50
	maxURL          = 2048
	maxMetadata     = 16 << 10
	defaultSecurity = 200
)

// Session is a payment session.
type Session struct {
	ID         string          `json:"id"`
	MerchantID string          `json:"merchantId"`
	StoreID    string          `json:"storeId"`
	State      string          `json:"state"`
	Currency   money.Currency  `json:"currency"`
	Country    string          `json:"country"`
	Locale     string          `json:"locale"`
	Reference  string          `json:"reference"`
	Lines      []order.Line    `json:"orderLines"`
	Amount     int64           `json:"totalOrderAmount"`
	VATAmount  int64           `json:"totalOrderVatAmount"`
	Settings   Settings        `json:"settings"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`

	// Set by authorization.
	Customer *order.Customer `json:"customer,omitempty"`
	RiskTags []string        `json:"riskTags,omitempty"`
	Forced   bool            `json:"forced,omitempty"`
	// PaymentMethod is what the buyer chose in the dialog: order.Invoice
	// (also when empty) or order.AdvanceInvoice.
	PaymentMethod string `json:"paymentMethod,omitempty"`
	Token         string `json:"authorizationToken,omitempty"` // the token that is current
	// SignatoryRequested says the session once waited for a signatory;
	// its order's notifications then carry the session's reference.
	SignatoryRequested bool `json:"signatoryRequested,omitempty"`
	// Signatory is the person the buyer named to approve the purchase,
	// in live mode (signatory.go).
	Signatory *Signatory `json:"signatory,omitempty"`
	// Approval is who approved the purchase, once a signatory did; the
	// order's authorize event carries it.
	Approval *order.Approval `json:"approval,omitempty"`
	OrderID  string          `json:"orderId,omitempty"`
	Events   []Event         `json:"events,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Settings are the merchant's session settings.
type Settings struct {
	SecurityLevel   int64  `json:"securityLevel"`
	ConfirmationURL string `json:"confirmationUrl"`
	NotificationURL string `json:"notificationUrl"`
}

// StateAt is the state as the API reports it at now.
func (s *Session) StateAt(now time.Time) string {
	if s.OrderID == "" && s.State != StateCancelled && !now.Before(s.ExpiresAt) {
		return StateExpired
	}
	return s.State
}

// Params are the fields of a create or update request. On update nil
// fields stay as they are; Lines, when given, replace all lines.
type Params struct {
	Currency, Country, Locale, Reference *string
	StoreID                              *string
	Lines                                []order.Line
	Totals                               order.Totals
	Settings                             *Settings
	Metadata                             json.RawMessage
}

// New creates a session for merchantID.
func New(env order.Env, merchantID string, p Params) (*Session, error) {
	if p.Currency == nil {
		return nil, kassa.Invalid("currency", "currency is required")
	}
	if p.Lines == nil {
		return nil, kassa.Invalid("orderLines", "orderLines is required")
	}
	s := &Session{
		ID:         env.IDs.New(kassa.PrefixSession),
		MerchantID: merchantID,
		State:      StateCreated,
		Settings:   Settings{SecurityLevel: defaultSecurity},
		CreatedAt:  env.Now,
		ExpiresAt:  env.Now.Add(Lifetime),
	}
	if err := s.apply(p); err != nil {
		return nil, err
	}
	s.UpdatedAt = env.Now
	return s, nil
}

// Update changes an open session. A completed session answers Ledyer's
// 40061, which clients look for to send the buyer on to the confirmation.
func (s *Session) Update(env order.Env, p Params) (*Session, error) {
	if err := s.open(env.Now); err != nil {
		return nil, err
	}
	if s.State == StateAwaitingSignatory {
		return nil, kassa.Errorf(kassa.EConflict, "session %s is awaiting a signatory and cannot change", s.ID)
	}
	n := s.clone()
	if err := n.apply(p); err != nil {
		return nil, err
	}
	n.UpdatedAt = env.Now
	return n, nil
}

// open says why a session can no longer change, or nil.
func (s *Session) open(now time.Time) error {
	switch s.StateAt(now) {
	case StateAuthorized:
		return kassa.Errorf(kassa.ESessionCompleted, "Session is completed")
	case StateCancelled:
		return kassa.Errorf(kassa.EConflict, "session %s is cancelled", s.ID)
	case StateExpired:
		return kassa.Errorf(kassa.EConflict, "session %s has expired", s.ID)
	}
	return nil
}

func (s *Session) apply(p Params) error {
	if p.Currency != nil {
		c, err := money.ParseCurrency(*p.Currency)
		if err != nil {
			return err
		}
		s.Currency = c
	}
	if p.Country != nil {
		c := strings.ToUpper(strings.TrimSpace(*p.Country))
		if c != "" && !isAlpha2(c) {
			return kassa.Invalid("country", "country %q is not an ISO 3166 alpha-2 code", *p.Country)
		}
		s.Country = c
	}
	if p.Locale != nil {
		l, err := NormalizeLocale(*p.Locale)
		if err != nil {
			return err
		}
		s.Locale = l
	}
	if p.Reference != nil {
		if len(*p.Reference) > maxReference {
			return kassa.Invalid("reference", "reference is longer than %d characters", maxReference)
		}
		s.Reference = *p.Reference
	}
	if p.StoreID != nil {
		s.StoreID = *p.StoreID
	}
	if p.Lines != nil {
		if err := order.ValidateLines(p.Lines, "orderLines"); err != nil {
			return err
		}
		s.Lines = slices.Clone(p.Lines)
	}
	if err := order.CheckTotals(s.Lines, p.Totals); err != nil {
		return err
	}
	if p.Totals.Amount <= 0 {
		return kassa.Invalid("totalOrderAmount", "totalOrderAmount must be positive")
	}
	s.Amount, s.VATAmount = p.Totals.Amount, p.Totals.VATAmount
	if p.Settings != nil {
		st := *p.Settings
		if len(st.ConfirmationURL) > maxURL || len(st.NotificationURL) > maxURL {
			return kassa.Invalid("settings.urls", "URLs must be at most %d characters", maxURL)
		}
		if st.SecurityLevel == 0 {
			st.SecurityLevel = s.Settings.SecurityLevel
		}
		s.Settings = st
	}
	if p.Metadata != nil {
		m, err := checkMetadata(p.Metadata)
		if err != nil {
			return err
		}
		s.Metadata = m
	}
	return nil
}

// checkMetadata accepts a JSON object or null, within a size limit.
func checkMetadata(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > maxMetadata {
		return nil, kassa.Invalid("metadata", "metadata is larger than %d bytes", maxMetadata)
	}
	t := strings.TrimSpace(string(raw))
	if t == "null" {
		return nil, nil
	}
	if !strings.HasPrefix(t, "{") {
		return nil, kassa.Invalid("metadata", "metadata must be a JSON object")
	}
	return slices.Clone(raw), nil
}

// Authorize applies a risk decision for customer. Approval issues a new
// authorization token, superseding any unused one (the buyer closed the
// dialog and authorized again); a signatory requirement parks the session
// until Sign; a rejection leaves it open for another attempt.
func (s *Session) Authorize(env order.Env, c order.Customer, d risk.Decision) (*Session, *Token, error) {
	if s.OrderID != "" {
		return nil, nil, kassa.Errorf(kassa.ESessionCompleted, "Session is completed")
	}
	switch s.StateAt(env.Now) {
	case StateCancelled, StateExpired:
		return nil, nil, s.open(env.Now)
	case StateAwaitingSignatory:
		return nil, nil, kassa.Errorf(kassa.EConflict, "session %s is awaiting a signatory; cancel it to start over", s.ID)
	}
	if s.Assessments() >= MaxAssessments {
		return nil, nil, kassa.Errorf(kassa.EConflict, "too many attempts on session %s; start a new checkout", s.ID)
	}
	if d.Outcome == risk.Rejected {
		return nil, nil, kassa.Errorf(kassa.ERejected, "Invoice payment was declined: %s", d.Reason)
	}
	n := s.clone()
	n.Customer = &c
	n.RiskTags = slices.Clone(d.Tags)
	n.Forced = d.Forced
	n.UpdatedAt = env.Now
	if d.Outcome == risk.Signatory {
		n.State = StateAwaitingSignatory
		n.SignatoryRequested = true
		n.Token = ""
		n.record(assessment(env.Now, d), Event{Type: EventAuthorizationPending, CreatedAt: env.Now})
		return n, nil, nil
	}
	tok := n.issue(env)
	n.record(assessment(env.Now, d), Event{Type: EventAuthorizationCreate, Token: tok.Token, CreatedAt: env.Now})
	return n, tok, nil
}

// Sign completes a signatory's approval, a, and issues the token.
func (s *Session) Sign(env order.Env, a order.Approval) (*Session, *Token, error) {
	if s.StateAt(env.Now) != StateAwaitingSignatory {
		return nil, nil, kassa.Errorf(kassa.EConflict, "session %s is not awaiting a signatory", s.ID)
	}
	n := s.clone()
	n.UpdatedAt = env.Now
	n.Approval = &a
	tok := n.issue(env)
	n.record(Event{Type: EventAuthorizationCreate, Token: tok.Token, Signatory: &a, CreatedAt: env.Now})
	return n, tok, nil
}

// Decline records a signatory's refusal, by a, and cancels the session.
func (s *Session) Decline(env order.Env, a order.Approval) (*Session, error) {
	n, err := s.Cancel(env)
	if err != nil {
		return nil, err
	}
	e := &n.Events[len(n.Events)-1]
	e.Type, e.Signatory = EventAuthorizationDeclined, &a
	return n, nil
}

func (n *Session) issue(env order.Env) *Token {
	n.State = StateAuthorized
	t := &Token{
		Token:      env.IDs.New(kassa.PrefixAuthorization),
		MerchantID: n.MerchantID,
		SessionID:  n.ID,
		State:      TokenActive,
		CreatedAt:  env.Now,
		ExpiresAt:  n.ExpiresAt,
	}
	n.Token = t.Token
	return t
}

// Cancel cancels a session awaiting a signatory, the only kind that can be
// cancelled.
func (s *Session) Cancel(env order.Env) (*Session, error) {
	if s.StateAt(env.Now) != StateAwaitingSignatory {
		return nil, kassa.Errorf(kassa.EConflict, "only a session awaiting a signatory can be cancelled; this one is %s", s.StateAt(env.Now))
	}
	n := s.clone()
	n.State = StateCancelled
	n.UpdatedAt = env.Now
	n.record(Event{Type: EventCancelled, CreatedAt: env.Now})
	return n, nil
}

// Reopen returns an authorized session whose unused token was cancelled to
// its open state, so the merchant can update it and authorize again.
func (s *Session) Reopen(env order.Env, token string) *Session {
	if s.Token != token || s.OrderID != "" {
		return s
	}
	n := s.clone()
	n.State = StateCreated
	n.Token = ""
	n.UpdatedAt = env.Now
	return n
}

func (s *Session) clone() *Session {
	c := *s
	c.Lines = slices.Clone(s.Lines)
	c.Metadata = slices.Clone(s.Metadata)
	c.RiskTags = slices.Clone(s.RiskTags)
	c.Events = slices.Clone(s.Events)
	if s.Customer != nil {
		cu := *s.Customer
		c.Customer = &cu
	}
	return &c
}

var alpha2 = regexp.MustCompile(`^[A-Z]{2}$`)

func isAlpha2(s string) bool { return alpha2.MatchString(s) }

// NormalizeLocale accepts sv-SE, sv_SE, SV-se and fi-fi alike and returns
// the BCP 47 form (sv-SE); a bare language (sv) is kept as it is.
func NormalizeLocale(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	lang, region, hasRegion := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	lang = strings.ToLower(lang)
	if len(lang) < 2 || len(lang) > 3 || !isLetters(lang) {
		return "", kassa.Invalid("locale", "locale %q is not a language tag such as sv-SE", s)
	}
	if !hasRegion {
		return lang, nil
	}
	region = strings.ToUpper(region)
	if !isAlpha2(region) {
		return "", kassa.Invalid("locale", "locale %q is not a language tag such as sv-SE", s)
	}
	return lang + "-" + region, nil
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
