package user

import (
	"slices"

	"github.com/kassa-pay/kassa"
)

// Role is what a user may do in their merchant's dashboard.
type Role string

// The roles, from the most to the least able.
const (
	// Owner may do everything, including naming other owners.
	Owner Role = "owner"
	// Admin may do everything but name or remove owners.
	Admin Role = "admin"
	// Finance works with orders and money: captures, refunds, cancels,
	// payments and invoices; no users, keys or settings.
	Finance Role = "finance"
	// Support reads: orders, payments, the audit log. It changes nothing.
	Support Role = "support"
)

// Roles lists the roles, from the most to the least able.
var Roles = []Role{Owner, Admin, Finance, Support}

// ParseRole checks a role's name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", kassa.Invalid("role", "role must be one of owner, admin, finance, support; got %q", kassa.Clip(s, 32))
}

// Action is something a dashboard user may be allowed to do.
type Action string

// The actions the roles are asked about.
const (
	ViewOrders     Action = "view orders" // orders, payments, documents
	ViewAudit      Action = "view audit log"
	Capture        Action = "capture"
	Refund         Action = "refund"
	Cancel         Action = "cancel"
	EditOrders     Action = "edit orders" // lines, references, acknowledging
	RecordPayments Action = "record payments"
	ManageUsers    Action = "manage users" // invite, change roles, remove (not owners)
	ManageOwners   Action = "manage owners"
	ManageAPIKeys  Action = "manage api keys"
	ManageSettings Action = "manage settings" // credit policy, invoice settings, endpoints
)

// grants is who may do what: the one table Can reads.
var grants = map[Action][]Role{
	ViewOrders:     {Owner, Admin, Finance, Support},
	ViewAudit:      {Owner, Admin, Finance, Support},
	Capture:        {Owner, Admin, Finance},
	Refund:         {Owner, Admin, Finance},
	Cancel:         {Owner, Admin, Finance},
	EditOrders:     {Owner, Admin, Finance},
	RecordPayments: {Owner, Admin, Finance},
	ManageUsers:    {Owner, Admin},
	ManageOwners:   {Owner},
	ManageAPIKeys:  {Owner, Admin},
	ManageSettings: {Owner, Admin},
}

// Can says whether the role may do a. An unknown role or action may do
// nothing.
func (r Role) Can(a Action) bool { return slices.Contains(grants[a], r) }

// Permit is Can as the error a use case returns: EForbidden when the
// role may not do a.
func (r Role) Permit(a Action) error {
	if r.Can(a) {
		return nil
	}
	return kassa.Errorf(kassa.EForbidden, "the %s role may not %s", r, a)
}

// MayGrant says whether a user of role r may give a user role to: an
// owner any role, another user who manages users any but owner.
func (r Role) MayGrant(to Role) bool {
	if to == Owner {
		return r.Can(ManageOwners)
	}
	return r.Can(ManageUsers)
}
