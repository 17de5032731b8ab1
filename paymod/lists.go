package paymod

import (
	"net/url"

	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/store"
)

// CollectionStatuses are the values of a collections list's status
// filter.
var CollectionStatuses = []string{payment.NotPaid, payment.Awaiting, payment.Authorized, payment.PartiallyAuthorized, payment.Completed, payment.Canceled}

// CollectionFilterOf reads a collections list's filters and page, as
// GET /v1/payment-module/collections and the dashboard take them:
// status, currency, limit and cursor.
func CollectionFilterOf(q url.Values) (store.CollectionFilter, error) {
	var (
		f   store.CollectionFilter
		err error
	)
	if f.Statuses, err = list.Values(q, "status", CollectionStatuses); err != nil {
		return f, err
	}
	if f.Currency, err = list.Currency(q, "currency"); err != nil {
		return f, err
	}
	f.Limit, f.After, err = list.Page(q, "payment collections")
	return f, err
}
