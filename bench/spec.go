package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"flowlens/demo"
)

// anchor is the fixed end of the data set's time span. The service under
// test answers "now" = anchor, so LAST_90_DAYS always covers the same
// sessions, whatever day the bench runs.
var anchor = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// dataVersion changes whenever the way the data set is built changes
// (the plain schema of the original baseline included), so a database built
// by an older bench is rebuilt.
const dataVersion = "bench-data-v1"

// Roles of the tenants in the data set.
const (
	roleLarge   = "large"   // the largest customer: 1,000,000 sessions
	roleMedium  = "medium"  // a 100,000-session tenant (the first one is measured)
	roleSmall   = "small"   // 10,000 sessions: the cost curve's first point
	roleTree10  = "tree10"  // one tree with 10,000 sessions: memory check
	roleTree100 = "tree100" // one tree with 100,000 sessions: memory check
)

// tenantSpec is one tenant of the data set with its role.
type tenantSpec struct {
	Role    string
	Account demo.AccountSpec
}

// tenantSpecs returns the tenants of the full or the quick data set.
//
// Full: one large tenant (1,000,000 sessions over 95 days, 300 trees, 200
// engineers), nine tenants of 100,000 sessions, one of 10,000 (cost curve),
// and two single-tree tenants whose tree has 10,000 and 100,000 sessions
// (memory check). Quick: the same roles, a few thousand sessions each.
func tenantSpecs(quick bool) []tenantSpec {
	acct := func(i int, trees, engineers, sessions int) demo.AccountSpec {
		return demo.AccountSpec{Name: demo.AccountName(i), Trees: trees, Engineers: engineers, Sessions: sessions}
	}
	if quick {
		return []tenantSpec{
			{roleLarge, acct(0, 24, 16, 6000)},
			{roleMedium, acct(1, 12, 8, 3000)},
			{roleMedium, acct(2, 12, 8, 3000)},
			{roleSmall, acct(3, 8, 6, 1000)},
			{roleTree10, acct(4, 1, 4, 500)},
			{roleTree100, acct(5, 1, 6, 2500)},
		}
	}
	out := []tenantSpec{{roleLarge, acct(0, 300, 200, 1_000_000)}}
	for i := 1; i <= 9; i++ {
		out = append(out, tenantSpec{roleMedium, acct(i, 40, 30, 100_000)})
	}
	out = append(out,
		tenantSpec{roleSmall, acct(10, 40, 30, 10_000)},
		tenantSpec{roleTree10, acct(11, 1, 8, 10_000)},
		tenantSpec{roleTree100, acct(12, 1, 30, 100_000)},
	)
	return out
}

// dataSpec returns the generator's spec of the data set.
func dataSpec(quick bool) demo.Spec {
	spec := demo.Spec{Seed: 4, Anchor: anchor, Days: 95, Skew: demo.DefaultSkew}
	for _, t := range tenantSpecs(quick) {
		spec.Accounts = append(spec.Accounts, t.Account)
	}
	return spec
}

// specHash identifies a data set: the generator's spec and dataVersion.
func specHash(spec demo.Spec) string {
	b, err := json.Marshal(struct {
		Version string
		Spec    demo.Spec
	}{dataVersion, spec})
	if err != nil {
		panic(err) // plain values only
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
