package payment

import (
	"encoding/json"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// SessionParams are a new session's fields.
type SessionParams struct {
	ProviderID string
	Currency   string // must be the collection's; "" means the collection's
	Amount     int64  // 0 means the collection's amount
	Data       json.RawMessage
	Context    json.RawMessage
	Metadata   json.RawMessage
}

// NewSession creates a pending session of collection c for a provider.
// The provider has not been told yet: Initiated records its answer.
func NewSession(env Env, c *Collection, p SessionParams) (*Session, error) {
	if err := c.open(); err != nil {
		return nil, err
	}
	if p.ProviderID == "" {
		return nil, kassa.Invalid("providerId", "providerId is required")
	}
	cur := c.Currency
	if p.Currency != "" {
		parsed, err := money.ParseCurrency(p.Currency)
		if err != nil {
			return nil, err
		}
		if parsed != c.Currency {
			return nil, kassa.Invalid("currency", "currency %s does not match the collection's %s", parsed, c.Currency)
		}
	}
	amount := p.Amount
	if amount == 0 {
		amount = c.Amount
	}
	if err := checkAmount("amount", amount); err != nil {
		return nil, err
	}
	if amount > c.Amount {
		return nil, kassa.Invalid("amount", "amount %d exceeds the collection's %d", amount, c.Amount)
	}
	s := &Session{
		ID: env.IDs.New(PrefixSession), MerchantID: c.MerchantID, CollectionID: c.ID,
		ProviderID: p.ProviderID, Currency: cur, Amount: amount, Status: SessionPending,
		CreatedAt: env.Now, UpdatedAt: env.Now, Version: 1,
	}
	var err error
	if s.Data, err = checkData("data", p.Data); err != nil {
		return nil, err
	}
	if s.Context, err = checkMetadata("context", p.Context); err != nil {
		return nil, err
	}
	if s.Metadata, err = checkMetadata("metadata", p.Metadata); err != nil {
		return nil, err
	}
	return s, nil
}

// checkData is checkMetadata for provider data, which is never null.
func checkData(param string, raw json.RawMessage) (json.RawMessage, error) {
	d, err := checkMetadata(param, raw)
	if d == nil && err == nil {
		d = json.RawMessage(`{}`)
	}
	return d, err
}

// ProviderResult is a provider's answer about a session.
type ProviderResult struct {
	Status string          // a Session* status; "" keeps the current one
	Data   json.RawMessage // replaces the session's data when non-nil
	Ref    string          // the provider's id for the session, when it says
}

// Initiated records the provider's answer to initiating the session, or
// failure, the error of a call that did not complete.
func (s *Session) Initiated(env Env, r ProviderResult, failure error) (*Session, error) {
	n := s.touched(env)
	if failure != nil {
		n.Status, n.Failure = SessionError, failure.Error()
		return n, nil
	}
	if err := n.answered(r); err != nil {
		return nil, err
	}
	return n, nil
}

// AwaitsProvider says the session's provider has not taken it yet: it was
// never told of the session (which is still as NewSession made it), or
// its answer was a failure that left no reference. Initiating such a
// session again, with the same idempotency key, is how a call that
// created it resumes.
func (s *Session) AwaitsProvider() bool {
	return s.Version == 1 || s.Status == SessionError && s.ProviderRef == ""
}

// answered applies a provider's answer about a session not yet authorized.
func (s *Session) answered(r ProviderResult) error {
	switch r.Status {
	case "", SessionPending, SessionRequiresMore, SessionError, SessionCanceled:
	default:
		return kassa.Errorf(kassa.EInternal, "provider %s answered session status %q before authorization", s.ProviderID, r.Status)
	}
	if r.Status != "" {
		s.Status = r.Status
	}
	if r.Data != nil {
		s.Data = r.Data
	}
	if r.Ref != "" {
		s.ProviderRef = r.Ref
	}
	s.Failure = ""
	return nil
}

// SessionUpdate changes a session before authorization; nil fields stay.
type SessionUpdate struct {
	Amount *int64
	// Data is merged into the session's data: the keys it names are set,
	// a key set to null is removed, and keys it does not name (those the
	// provider wrote, say) stay.
	Data     json.RawMessage
	Context  json.RawMessage
	Metadata json.RawMessage
}

// Update changes a session that is not authorized or canceled, within its
// collection's amount, with r, the provider's answer to being told of the
// change. The provider is told first, of the session Update returns for
// an empty r, and the change is recorded only once the provider has
// accepted it: a change the provider refuses never reaches the session,
// so the session always says what the provider last accepted.
func (s *Session) Update(env Env, c *Collection, u SessionUpdate, r ProviderResult) (*Session, error) {
	if err := s.authorizable(); err != nil {
		return nil, err
	}
	if err := c.open(); err != nil {
		return nil, err
	}
	n := s.touched(env)
	n.Revision++
	n.InFlight = nil
	var err error
	if u.Amount != nil {
		if err := checkAmount("amount", *u.Amount); err != nil {
			return nil, err
		}
		if *u.Amount > c.Amount {
			return nil, kassa.Invalid("amount", "amount %d exceeds the collection's %d", *u.Amount, c.Amount)
		}
		n.Amount = *u.Amount
	}
	if u.Data != nil {
		if n.Data, err = mergeData(s.Data, u.Data); err != nil {
			return nil, err
		}
	}
	if u.Context != nil {
		if n.Context, err = checkMetadata("context", u.Context); err != nil {
			return nil, err
		}
	}
	if u.Metadata != nil {
		if n.Metadata, err = checkMetadata("metadata", u.Metadata); err != nil {
			return nil, err
		}
	}
	if err := n.answered(r); err != nil {
		return nil, err
	}
	return n, nil
}

// mergeData is data with the keys of update set, or removed where update
// sets them to null. An update of null changes nothing.
func mergeData(data, update json.RawMessage) (json.RawMessage, error) {
	set, err := checkMetadata("data", update)
	if err != nil || set == nil {
		return data, err
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, kassa.Errorf(kassa.EInternal, "session data: %v", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(set, &keys); err != nil {
		return nil, kassa.Invalid("data", "data must be a JSON object")
	}
	for k, v := range keys {
		if string(v) == "null" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, kassa.Invalid("data", "data: %v", err)
	}
	if len(b) > maxMetadata {
		return nil, kassa.Invalid("data", "data is larger than %d bytes", maxMetadata)
	}
	return b, nil
}

// CheckDelete allows deleting a session that never became a payment,
// holds no authorization still being canceled at its provider (Void), and
// has no provider call under way at now (an authorization the provider
// may be giving would be left with no record).
func (s *Session) CheckDelete(now time.Time) error {
	if err := s.busy(now); err != nil {
		return err
	}
	switch {
	case s.Status == SessionAuthorized:
		return kassa.Errorf(kassa.EConflict, "payment session %s is authorized; cancel its payment instead", s.ID)
	case s.VoidPending():
		return kassa.Errorf(kassa.EConflict, "payment session %s has an authorization still being canceled at its provider; authorize the session again to retry the cancellation", s.ID)
	}
	return nil
}

// busy refuses while a provider call is under way for the session at now.
func (s *Session) busy(now time.Time) error {
	if s.InFlight == nil || !now.Before(s.InFlight.Until) {
		return nil
	}
	if s.InFlight.Kind == CallAuthorize {
		return kassa.Errorf(kassa.EConflict, "payment session %s is being authorized at its provider; retry when that has finished", s.ID)
	}
	return kassa.Errorf(kassa.EConflict, "payment session %s is being updated at its provider; retry when that has finished", s.ID)
}

// StartCall marks the session with a provider call of kind (CallAuthorize
// or CallUpdate) under way until until, named id, so that what the
// provider is sent is what is recorded: while it holds, the session is not
// updated or deleted, nor authorized during an update. Authorizations of
// the session join one under way (they ask the provider for the same
// authorization, with the same key), keeping its ID; a call finds its own
// mark, by id, when it is retried, and takes it again. Another call is
// refused with EConflict. A mark whose time has passed (its process died)
// is taken over.
func (s *Session) StartCall(env Env, kind, id string, until time.Time) (*Session, error) {
	cur := s.InFlight
	if cur != nil && cur.ID != id && !(kind == CallAuthorize && cur.Kind == CallAuthorize) {
		if err := s.busy(env.Now); err != nil {
			return nil, err
		}
	}
	n := s.touched(env)
	if cur != nil && kind == CallAuthorize && cur.Kind == CallAuthorize && env.Now.Before(cur.Until) {
		id, until = cur.ID, later(cur.Until, until)
	}
	n.InFlight = &Call{ID: id, Kind: kind, Until: until}
	return n, nil
}

// EndCall removes the mark of call id, which ended without a change to
// record (the provider refused it, say); another call's mark stays.
func (s *Session) EndCall(env Env, id string) *Session {
	if s.InFlight == nil || s.InFlight.ID != id {
		return s
	}
	n := s.touched(env)
	n.InFlight = nil
	return n
}

// Authorizable says whether authorizing may be attempted: any session
// not canceled. An authorized one answers with its payment instead.
func (s *Session) authorizable() error {
	switch s.Status {
	case SessionCanceled:
		if s.Failure != "" {
			return kassa.Errorf(kassa.EConflict, "payment session %s is canceled: %s", s.ID, s.Failure)
		}
		return kassa.Errorf(kassa.EConflict, "payment session %s is canceled", s.ID)
	case SessionAuthorized:
		return kassa.Errorf(kassa.EConflict, "payment session %s is authorized", s.ID)
	}
	return nil
}

// CheckAuthorize is authorizable for callers about to ask the provider;
// an authorized session is not an error there (its payment is the answer).
func (s *Session) CheckAuthorize() error {
	if s.Status == SessionAuthorized {
		return nil
	}
	return s.authorizable()
}

// WithData is the session with provider data merged in (keys of extra win),
// as when a webhook brings what the buyer's dialog returned. It changes a
// copy and leaves its version alone: s is a change being made (StartCall's).
func (s *Session) WithData(extra map[string]any) (*Session, error) {
	if len(extra) == 0 {
		return s, nil
	}
	m := map[string]any{}
	if err := json.Unmarshal(s.Data, &m); err != nil {
		return nil, kassa.Errorf(kassa.EInternal, "session %s data: %v", s.ID, err)
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	n := *s
	n.Data = b
	return &n, nil
}

// Authorized records the provider's answer to authorizing. On authorized
// or captured it returns the new payment too (captured: fully captured
// already, by the provider). Other answers are saved on the session, which
// can be authorized again later. An already authorized session keeps its
// payment: a concurrent authorization won, and its provider authorization
// is the one in use, so nothing is undone.
func (s *Session) Authorized(env Env, r ProviderResult) (*Session, *Payment, error) {
	if s.Status == SessionAuthorized {
		return s, nil, nil
	}
	if err := s.authorizable(); err != nil {
		return nil, nil, err
	}
	n := s.authorizeAnswered(env, r)
	n.Failure = ""
	switch r.Status {
	case SessionAuthorized, SessionCaptured:
	case SessionPending, SessionRequiresMore, SessionPendingAuthorization, SessionError, SessionCanceled:
		n.Status = r.Status
		return n, nil, nil
	default:
		return nil, nil, kassa.Errorf(kassa.EInternal, "provider %s answered unknown status %q", s.ProviderID, r.Status)
	}
	n.Status = SessionAuthorized
	n.AuthorizedAt = at(env.Now)
	p := &Payment{
		ID: env.IDs.New(PrefixPayment), MerchantID: s.MerchantID, CollectionID: s.CollectionID,
		SessionID: s.ID, ProviderID: s.ProviderID, Currency: s.Currency, Amount: s.Amount,
		Status: PaymentAuthorized, Data: n.Data, Captures: []Movement{}, Refunds: []Movement{}, Cancels: []Movement{},
		CreatedAt: env.Now, UpdatedAt: env.Now, Version: 1,
	}
	if r.Status == SessionCaptured {
		p.Captures = append(p.Captures, Movement{
			ID: env.IDs.New(PrefixCapture), Status: Succeeded, Amount: p.Amount,
			CreatedAt: env.Now, UpdatedAt: env.Now,
		})
		p.settle(env)
	}
	n.PaymentID = p.ID
	return n, p, nil
}

// authorizeAnswered is s after the provider's answer r to an
// authorization: no longer in flight, with the data and reference r
// carries.
func (s *Session) authorizeAnswered(env Env, r ProviderResult) *Session {
	n := s.touched(env)
	n.InFlight = nil
	if r.Data != nil {
		n.Data = r.Data
	}
	if r.Ref != "" {
		n.ProviderRef = r.Ref
	}
	return n
}

// Refused records an authorization the provider gave but the session's
// collection could not take (Collection.Admit refused it with reason):
// the session is canceled for good, and Void is the cancellation of the
// provider's authorization, pending until the provider confirms it.
func (s *Session) Refused(env Env, r ProviderResult, reason string) *Session {
	n := s.authorizeAnswered(env, r)
	n.Status, n.Failure = SessionCanceled, reason
	n.Void = &Movement{ID: env.IDs.New(PrefixCancel), Status: Pending, Attempts: 1, CreatedAt: n.UpdatedAt, UpdatedAt: n.UpdatedAt}
	return n
}

// VoidPending says the cancellation of a refused authorization has not
// been confirmed by the provider yet: it is to be sent (again).
func (s *Session) VoidPending() bool { return s.Void != nil && s.Void.Status == Pending }

// RetryVoid counts another attempt at a pending void.
func (s *Session) RetryVoid(env Env) *Session {
	n := s.touched(env)
	v := *s.Void
	v.Attempts++
	v.UpdatedAt = n.UpdatedAt
	n.Void = &v
	return n
}

// Voided records the provider's answer to the void; a void already
// settled stays as it is, and the session is returned unchanged.
func (s *Session) Voided(env Env, o Outcome) *Session {
	if !s.VoidPending() {
		return s
	}
	n := s.touched(env)
	v := *s.Void
	v.settle(n.UpdatedAt, o)
	n.Void = &v
	return n
}

// Failed records a provider call about the session that did not complete
// (the provider was unreachable, say); the status stays, so it can be
// retried.
func (s *Session) Failed(env Env, failure error) *Session {
	n := s.touched(env)
	n.Failure = failure.Error()
	n.InFlight = nil
	return n
}

// Event applies a provider's webhook status to a session still waiting
// for authorization; it returns s unchanged when there is nothing to do.
func (s *Session) Event(env Env, status string) *Session {
	if s.Status == SessionAuthorized || s.Status == SessionCanceled || s.Status == status {
		return s
	}
	n := s.touched(env)
	n.Status = status
	return n
}

func (s *Session) touched(env Env) *Session {
	n := *s
	n.UpdatedAt = later(s.UpdatedAt, env.Now)
	n.Version++
	return &n
}

// later keeps records' times in order when the wall clock steps back.
func later(prev, now time.Time) time.Time {
	if now.Before(prev) {
		return prev
	}
	return now
}
