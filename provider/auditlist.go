package provider

import (
	"net/url"
	"strconv"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/store"
)

// The audit log's listing as every interface reads it (GET
// /v1/audit-events, the dashboard's audit log): its filters, time range
// and pages from query parameters. A page's cursor is the position of its
// last event: its time and its sequence number.

// AuditCursor is the cursor of a listing's event e.
func AuditCursor(e audit.Event) string { return list.Cursor(e.At, strconv.FormatInt(e.Seq, 10)) }

// AuditFilterOf reads an audit listing's query: action, target, actor
// and outcome (each a whole value), from and to (RFC 3339), cursor and
// limit (list.DefaultPage when absent).
func AuditFilterOf(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Action: q.Get("action"), Target: q.Get("target"), Actor: q.Get("actor"), Outcome: q.Get("outcome"), Limit: list.DefaultPage}
	var err error
	if f.Limit, err = list.Limit(q, f.Limit); err != nil {
		return f, err
	}
	for _, b := range []struct {
		param string
		t     *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := q.Get(b.param)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, kassa.Invalid(b.param, "%s must be a time in RFC 3339 format, such as 2026-03-04T10:00:00Z", b.param)
		}
		*b.t = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, kassa.Invalid("to", "to must be later than from")
	}
	if c := q.Get("cursor"); c != "" {
		at, seq, err := list.ParseCursor(c, "audit events")
		if err != nil {
			return f, err
		}
		n, err := strconv.ParseInt(seq, 10, 64)
		if err != nil {
			return f, kassa.Invalid("cursor", "cursor must be the nextCursor of a page of audit events")
		}
		f.After = &store.AuditPosition{At: at, Seq: n}
	}
	return f, nil
}
