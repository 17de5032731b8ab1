package session

import (
	"slices"
	"time"

	"github.com/kassa-pay/kassa/risk"
)

// Session event types. The two authorization events carry Ledyer's
// notification names, so that notification delivery can map them as they
// are; an assessment is Kassa's own record of each risk decision.
const (
	EventAssessment            = "assessment"
	EventAuthorizationPending  = "com.ledyer.authorization.pending"
	EventAuthorizationCreate   = "com.ledyer.authorization.create"
	EventAuthorizationDeclined = "signatoryDeclined"
	EventCancelled             = "cancelled"
)

// Event is one entry of a session's history, only ever appended to.
type Event struct {
	Type      string    `json:"type"`
	Outcome   string    `json:"outcome,omitempty"` // of an assessment
	Tags      []string  `json:"tags,omitempty"`    // of an assessment
	Token     string    `json:"authorizationToken,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Assessed records a risk assessment that decided nothing yet: the one the
// buyer's dialog makes when it opens, to show what the buyer will get.
func (s *Session) Assessed(now time.Time, d risk.Decision) *Session {
	n := s.clone()
	n.record(assessment(now, d))
	n.UpdatedAt = now
	return n
}

func assessment(now time.Time, d risk.Decision) Event {
	return Event{Type: EventAssessment, Outcome: d.Outcome, Tags: slices.Clone(d.Tags), CreatedAt: now}
}

func (n *Session) record(events ...Event) {
	n.Events = append(slices.Clone(n.Events), events...)
}

// Assessments counts the session's risk assessments.
func (s *Session) Assessments() int {
	k := 0
	for _, e := range s.Events {
		if e.Type == EventAssessment {
			k++
		}
	}
	return k
}
