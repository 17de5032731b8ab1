package provider

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// Lists of a merchant's orders, documents and payment sessions, as every
// interface reads them (the API's list routes, the dashboard's pages):
// one reading of their searches, filters and pages from query
// parameters, and reads that judge "overdue" and "expired" by the
// merchant's clock (a sandbox merchant's test clock). A page is ?limit=
// (1 to 100, DefaultPage when absent) and ?cursor=, opaque to clients:
// the base64 of the last item's time in unix microseconds and its key
// (docs/api-reference.md, Lists).

// DefaultPage is a list's page size when ?limit= is absent; MaxPage the
// largest a client may ask for.
const (
	DefaultPage = 50
	MaxPage     = 100
)

// MaxQuery bounds the search text of ?q=.
const MaxQuery = 100

// Cursor is the cursor of a list's item at t with key.
func Cursor(t time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "." + key))
}

// ParseCursor reads a cursor Cursor made; of names the list, for the
// error.
func ParseCursor(s, of string) (time.Time, string, error) {
	bad := kassa.Invalid("cursor", "cursor must be the nextCursor of a page of %s", of)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", bad
	}
	at, key, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || key == "" {
		return time.Time{}, "", bad
	}
	return time.UnixMicro(us).UTC(), key, nil
}

// PageLimit reads ?limit=: 1 to MaxPage, def when absent.
func PageLimit(q url.Values, def int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPage {
		return 0, kassa.Invalid("limit", "limit must be a number from 1 to %d", MaxPage)
	}
	return n, nil
}

// PageOf reads a page's ?limit= and ?cursor= for a list of orders,
// sessions or documents; of names the list, for the error.
func PageOf(q url.Values, of string) (int, *store.ListPosition, error) {
	limit, err := PageLimit(q, DefaultPage)
	if err != nil {
		return 0, nil, err
	}
	c := q.Get("cursor")
	if c == "" {
		return limit, nil, nil
	}
	at, id, err := ParseCursor(c, of)
	if err != nil {
		return 0, nil, err
	}
	return limit, &store.ListPosition{CreatedAt: at, ID: id}, nil
}

// OrderStatuses are the values of an orders list's status filter: the
// payment statuses an order can have.
var OrderStatuses = []string{order.StatusPaymentPending, order.StatusPaymentConfirmed, order.StatusOrderCaptured, order.StatusOrderRefunded, order.StatusOrderCancelled}

// OrderFilterOf reads an orders list's search and filters: q (a prefix
// of the order's ID, number, reference, company, organisation number or
// e-mail), status, currency, createdFrom, createdTo, overdue.
func OrderFilterOf(q url.Values) (store.OrderFilter, error) {
	f := store.OrderFilter{Query: strings.TrimSpace(q.Get("q"))}
	if len([]rune(f.Query)) > MaxQuery {
		return f, kassa.Invalid("q", "q is longer than %d characters", MaxQuery)
	}
	var err error
	if f.Statuses, err = listValues(q, "status", OrderStatuses); err != nil {
		return f, err
	}
	if c := q.Get("currency"); c != "" {
		cur, err := money.ParseCurrency(c)
		if err != nil {
			return f, err
		}
		f.Currency = string(cur)
	}
	if f.From, err = listDate(q, "createdFrom"); err != nil {
		return f, err
	}
	if f.To, err = listDate(q, "createdTo"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, kassa.Invalid("createdTo", "createdTo must be later than createdFrom")
	}
	if f.Overdue, err = listBool(q, "overdue"); err != nil {
		return f, err
	}
	return f, nil
}

// Orders lists the merchant's orders f matches, overdue judged by the
// merchant's clock.
func (s *Service) Orders(ctx context.Context, tx store.ReadTx, merchantID string, f store.OrderFilter) ([]*order.Order, error) {
	var err error
	if f.Now, err = s.NowOf(ctx, tx, merchantID); err != nil {
		return nil, err
	}
	return tx.Orders(ctx, merchantID, f)
}

// DocumentKinds are the values of a documents list's kind filter.
var DocumentKinds = []string{string(invoice.KindInvoice), string(invoice.KindAdvance), string(invoice.KindCreditNote)}

// DocumentFilterOf reads a documents list's filters: kind, overdue,
// unpaid.
func DocumentFilterOf(q url.Values) (store.DocumentFilter, error) {
	f := store.DocumentFilter{Kind: invoice.Kind(q.Get("kind"))}
	if f.Kind != "" && !slices.Contains(DocumentKinds, string(f.Kind)) {
		return f, kassa.Invalid("kind", "kind must be one of %s", strings.Join(DocumentKinds, ", "))
	}
	var err error
	if f.Overdue, err = listBool(q, "overdue"); err != nil {
		return f, err
	}
	if f.Unpaid, err = listBool(q, "unpaid"); err != nil {
		return f, err
	}
	return f, nil
}

// Documents lists the merchant's invoice documents f matches, overdue
// judged by the merchant's clock.
func (s *Service) Documents(ctx context.Context, tx store.ReadTx, merchantID string, f store.DocumentFilter) ([]store.ListedDocument, error) {
	var err error
	if f.Now, err = s.NowOf(ctx, tx, merchantID); err != nil {
		return nil, err
	}
	return tx.Documents(ctx, merchantID, f)
}

// SessionStates are the values of a payment sessions list's status
// filter: the states a session reads.
var SessionStates = []string{session.StateCreated, session.StateAwaitingSignatory, session.StateAuthorized, session.StateCancelled, session.StateExpired}

// SessionFilterOf reads a payment sessions list's filter: status.
func SessionFilterOf(q url.Values) (store.SessionFilter, error) {
	var (
		f   store.SessionFilter
		err error
	)
	f.States, err = listValues(q, "status", SessionStates)
	return f, err
}

// Sessions lists the merchant's payment sessions f matches, expiry
// judged by the merchant's clock, and that now, by which each listed
// session's state reads (session.Session.StateAt).
func (s *Service) Sessions(ctx context.Context, tx store.ReadTx, merchantID string, f store.SessionFilter) ([]*session.Session, time.Time, error) {
	var err error
	if f.Now, err = s.NowOf(ctx, tx, merchantID); err != nil {
		return nil, time.Time{}, err
	}
	ss, err := tx.Sessions(ctx, merchantID, f)
	return ss, f.Now, err
}

// listDate reads a date filter: an RFC 3339 time, or a date (YYYY-MM-DD),
// which is its midnight UTC.
func listDate(q url.Values, param string) (time.Time, error) {
	v := q.Get(param)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, kassa.Invalid(param, "%s must be a date (2026-03-04) or a time in RFC 3339 format (2026-03-04T10:00:00Z)", param)
}

// listBool reads a yes-or-no filter: true, false, or absent (false).
func listBool(q url.Values, param string) (bool, error) {
	switch q.Get(param) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, kassa.Invalid(param, "%s must be true or false", param)
}

// listValues reads a filter of one or more of the values allowed,
// comma-separated or repeated.
func listValues(q url.Values, param string, allowed []string) ([]string, error) {
	var vs []string
	for _, v := range q[param] {
		if v == "" { // as if absent, as the other filters take it
			continue
		}
		for s := range strings.SplitSeq(v, ",") {
			if !slices.Contains(allowed, s) {
				return nil, kassa.Invalid(param, "%s must be one or more of %s, separated by commas", param, strings.Join(allowed, ", "))
			}
			vs = append(vs, s)
		}
	}
	return vs, nil
}
