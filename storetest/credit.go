package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
)

// testCreditPolicies: a merchant without a policy has none; each put
// stores the settings as the next version, 1 first; merchants' policies
// are their own. CreditStanding reads the policy CreditPolicy does.
func testCreditPolicies(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	get := func(merchantID string) *store.CreditPolicy {
		t.Helper()
		p := mustRead(f, func(tx store.ReadTx) (*store.CreditPolicy, error) { return tx.CreditPolicy(ctx, merchantID) })
		line := store.CreditLine{MerchantID: merchantID, CompanyID: "556677-8899", Currency: "SEK"}
		st := mustRead(f, func(tx store.ReadTx) (*store.CreditStanding, error) { return tx.CreditStanding(ctx, line, f.now, "") })
		if diff := cmp.Diff(p, st.Policy); diff != "" {
			t.Errorf("CreditStanding's policy mismatch (-CreditPolicy +CreditStanding):\n%s", diff)
		}
		return p
	}
	put := func(s risk.Settings) int64 {
		t.Helper()
		var v int64
		f.mustUpdate(func(tx store.Tx) (err error) { v, err = tx.PutCreditPolicy(ctx, m, s, f.now); return err })
		return v
	}
	if p := get(m); p != nil {
		t.Fatalf("CreditPolicy of a merchant without one = %+v, want nil", p)
	}
	first := risk.Settings{
		CreditLimits: map[money.Currency]int64{"SEK": 5_000_000, "EUR": 400_000}, SignatoryAbove: map[money.Currency]int64{"SEK": 1_000_000},
		Companies: []risk.CompanySettings{{CompanyID: "556677-8899", CreditLimits: map[money.Currency]int64{"SEK": 100}}, {CompanyID: "559311-3714", Blocked: true}},
		Blocklist: []string{"556000-0042"}, OrderEdits: risk.EditsRefuse, Provider: risk.ProviderCreditService,
	}
	if v := put(first); v != 1 {
		t.Errorf("first PutCreditPolicy = version %d, want 1", v)
	}
	want := &store.CreditPolicy{MerchantID: m, Version: 1, Settings: first, UpdatedAt: f.now}
	if diff := cmp.Diff(want, get(m)); diff != "" {
		t.Errorf("CreditPolicy after the first put (-want +got):\n%s", diff)
	}
	f.advance(time.Minute)
	second := risk.Settings{OrderEdits: risk.EditsCreditCheck, Provider: risk.ProviderRules}
	if v := put(second); v != 2 {
		t.Errorf("second PutCreditPolicy = version %d, want 2", v)
	}
	want = &store.CreditPolicy{MerchantID: m, Version: 2, Settings: second, UpdatedAt: f.now}
	if diff := cmp.Diff(want, get(m)); diff != "" {
		t.Errorf("CreditPolicy after the second put (-want +got):\n%s", diff)
	}
	if p := get(other); p != nil {
		t.Errorf("another merchant's CreditPolicy = %+v, want nil", p)
	}
}

// testCreditDecisions: decisions list newest first, merchant-scoped,
// filtered by company and outcome, in pages that follow one another
// through Before; a Before of another merchant's is not found.
func testCreditDecisions(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	companies := []string{"556677-8899", "559311-3714"}
	outcomes := []string{risk.Approved, risk.Rejected, risk.Signatory}
	var all []store.CreditDecision // as recorded, oldest first
	for i := range 9 {
		d := store.CreditDecision{
			ID: f.ids.New(kassa.PrefixDecision), MerchantID: m, Kind: store.DecisionAuthorization, SessionID: fmt.Sprintf("ps_%d", i),
			CompanyID: companies[i%2], Currency: "SEK", Amount: int64(1000 + i), Exposure: int64(i), Limit: 100_000_000, SignatoryAbove: 25_000_000,
			PolicyVersion: int64(i % 3), Sandbox: i%2 == 0, Provider: risk.ProviderRules, Outcome: outcomes[i%3], Rule: risk.RuleWithinPolicy,
			CreatedAt: f.now,
		}
		if i == 4 {
			d.Kind, d.OrderID, d.Provider, d.Rule, d.Reason = store.DecisionOrderEdit, "or_4", risk.ProviderCreditService, "externalRule", "the service said no"
		}
		all = append(all, d)
		f.mustUpdate(func(tx store.Tx) error { return tx.AddCreditDecision(ctx, &d) })
		f.advance(time.Second)
	}
	// Another merchant's decision, recorded last, is never listed for m.
	f.mustUpdate(func(tx store.Tx) error {
		return tx.AddCreditDecision(ctx, &store.CreditDecision{ID: "cd_other", MerchantID: other, Kind: store.DecisionAuthorization, CompanyID: companies[0], Currency: "SEK", Outcome: risk.Approved, CreatedAt: f.now})
	})
	list := func(fl store.CreditDecisionFilter) ([]store.CreditDecision, error) {
		return read(f, func(tx store.ReadTx) ([]store.CreditDecision, error) { return tx.CreditDecisions(ctx, m, fl) })
	}
	newest := func(keep func(store.CreditDecision) bool) []store.CreditDecision {
		var out []store.CreditDecision
		for i := len(all) - 1; i >= 0; i-- {
			if keep(all[i]) {
				out = append(out, all[i])
			}
		}
		return out
	}
	every := func(store.CreditDecision) bool { return true }
	for _, tc := range []struct {
		name string
		f    store.CreditDecisionFilter
		want []store.CreditDecision
	}{
		{"all", store.CreditDecisionFilter{Limit: 100}, newest(every)},
		{"a company", store.CreditDecisionFilter{CompanyID: companies[1], Limit: 100}, newest(func(d store.CreditDecision) bool { return d.CompanyID == companies[1] })},
		{"an outcome", store.CreditDecisionFilter{Outcome: risk.Rejected, Limit: 100}, newest(func(d store.CreditDecision) bool { return d.Outcome == risk.Rejected })},
		{"both", store.CreditDecisionFilter{CompanyID: companies[0], Outcome: risk.Approved, Limit: 100}, newest(func(d store.CreditDecision) bool {
			return d.CompanyID == companies[0] && d.Outcome == risk.Approved
		})},
		{"a company without decisions", store.CreditDecisionFilter{CompanyID: "556000-9999", Limit: 100}, nil},
		{"limit 0", store.CreditDecisionFilter{}, nil},
	} {
		got, err := list(tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("CreditDecisions, %s (-want +got):\n%s", tc.name, diff)
		}
	}
	// Pages of 4 follow one another, with or without a filter.
	for _, fl := range []store.CreditDecisionFilter{{}, {CompanyID: companies[0]}} {
		var got []store.CreditDecision
		for page := 0; ; page++ {
			fl.Limit = 4
			ds, err := list(fl)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			got = append(got, ds...)
			if len(ds) < fl.Limit || page > 5 {
				break
			}
			fl.Before = ds[len(ds)-1].ID
		}
		want := newest(func(d store.CreditDecision) bool { return fl.CompanyID == "" || d.CompanyID == fl.CompanyID })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CreditDecisions in pages of 4, company %q (-want +got):\n%s", fl.CompanyID, diff)
		}
	}
	for _, before := range []string{"cd_other", "cd_nope"} {
		_, err := list(store.CreditDecisionFilter{Before: before, Limit: 10})
		wantCode(t, "CreditDecisions before "+before, err, kassa.ENotFound)
	}
}

// CreditDecisionsAppendOnly checks that the record of credit decisions
// refuses every change but appending, whatever writes to the database:
// exec runs SQL on the database of the store open returns, past the store.
func CreditDecisionsAppendOnly(t *testing.T, s store.Store, exec Exec) {
	ctx := context.Background()
	d := &store.CreditDecision{ID: "cd_1", MerchantID: "ac_1", Kind: store.DecisionAuthorization, SessionID: "ps_1", CompanyID: "556677-8899",
		Currency: "SEK", Amount: 100, Provider: risk.ProviderRules, Outcome: risk.Approved, Rule: risk.RuleWithinPolicy, CreatedAt: t0}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.AddCreditDecision(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	refused(t, exec, "credit_decisions is append-only",
		`UPDATE credit_decisions SET outcome = 'rejected' WHERE id = 'cd_1'`,
		`UPDATE credit_decisions SET amount = 1`,
		`DELETE FROM credit_decisions WHERE id = 'cd_1'`,
		`DELETE FROM credit_decisions`)
	var got []store.CreditDecision
	err := s.View(ctx, func(tx store.ReadTx) (err error) {
		got, err = tx.CreditDecisions(ctx, "ac_1", store.CreditDecisionFilter{Limit: 10})
		return err
	})
	if err != nil || len(got) != 1 || !cmp.Equal(got[0], *d) {
		t.Errorf("decisions after the refused changes = %+v, %v; want the one recorded, unchanged", got, err)
	}
}
