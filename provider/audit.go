package provider

import (
	"context"

	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/store"
)

// Actor is who makes a change, and the request that carries it, as the
// audit log records them. It travels in the context: each adapter puts
// its own there (WithActor) before it runs use cases — the API the client
// a token was issued to, the buyer's pages audit.Buyer, the command line
// audit.Operator. The background jobs' passes name theirs in each event.
type Actor struct {
	// Name is the actor as audit.Event.Actor names it.
	Name string
	// RequestID is the ID of the HTTP request, if any; Source the
	// client's address (the connection's peer, or the client a trusted
	// proxy names).
	RequestID, Source string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the actor ctx carries; zero if none.
func ActorOf(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Acting returns ctx with its actor named name, the request kept.
func Acting(ctx context.Context, name string) context.Context {
	a := ActorOf(ctx)
	a.Name = name
	return WithActor(ctx, a)
}

// Record appends e to the audit log in tx, so that it commits with the
// change tx makes or not at all. The context's actor is e's unless e
// names one, and the context's request is e's; text
// taken from requests is clipped (audit.Clip); an empty outcome is OK.
// Record is for callers without a Service (the command line); the others
// use Service.Audit, which dates e by the service's clock.
func Record(ctx context.Context, tx store.Tx, e audit.Event) error {
	a := ActorOf(ctx)
	if e.Actor == "" {
		e.Actor = a.Name
	}
	e.RequestID, e.Source = a.RequestID, a.Source
	if e.Outcome == "" {
		e.Outcome = audit.OK
	}
	e.Actor, e.Target = audit.Clip(e.Actor), audit.Clip(e.Target)
	return tx.AppendAuditEvent(ctx, &e)
}

// Audit records e in tx as Record does, at the service's now.
func (s *Service) Audit(ctx context.Context, tx store.Tx, e audit.Event) error {
	e.At = s.clock.Now()
	return Record(ctx, tx, e)
}

// AuditAlone records e in a transaction of its own: the event of a change
// that failed or was refused (none of whose writes commit), made after
// the failure, or of a request that changed nothing. It is written even
// when ctx has ended (a client that went away). A failure to write it is
// logged: it does not change the answer to the caller.
func (s *Service) AuditAlone(ctx context.Context, e audit.Event) {
	ctx = context.WithoutCancel(ctx)
	if err := s.store.Update(ctx, func(tx store.Tx) error { return s.Audit(ctx, tx, e) }); err != nil {
		s.log.Error("writing an audit event failed", "action", e.Action, "target", e.Target, "outcome", e.Outcome, "err", err)
	}
}
