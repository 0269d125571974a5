package httpapi

import (
	"testing"
)

// myQuery asks for every field of PersonalAnalytics.
const myQuery = `query($period: Period, $from: Time, $to: Time, $tz: String = "UTC", $lf: Int = 10) {
  myAnalytics(period: $period, from: $from, to: $to, timeZone: $tz) {
    window ` + windowSel + `
    summary ` + summarySel + `
    previousSummary ` + summarySel + `
    timeSeries ` + pointSel + `
    topFlows(limit: $lf) ` + topFlowSel + `
  }
}`

func TestAPIMyAnalytics(t *testing.T) {
	e := newEnv(t, apiEnv)
	wWindow := `{"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z","timeZone":"UTC"}`

	cases := []struct {
		name, viewer string
		summary      string
		previous     string
		series       string
		topFlows     string
	}{
		// Émile over W: c (—, resolved), d (47m, NULL), j (4m, resolved);
		// x2 (Émile on B's tree) is in no account. 2/3 = 0.667, median
		// 25.5, p90 4 + 0.9×43 = 42.7, resolved 1 (j; c not completed).
		// Previous: p3 (3m, escalated). Days: 03-10 c, d; 03-31 j.
		// Top flows: T1 (c, d: 1/2, median 47), T4 (j: 1, 4).
		{"engineer Émile", uEmile,
			sum(3, 2, 0.667, 25.5, 42.7, 1, 1, 0, 0, 0),
			sum(1, 1, 1, 3, 3, 1, 0, 1, 0, 0),
			series(dates("2026-03-01", 31, 1), pt{"2026-03-10", 2, 1, 0, 0, 0}, pt{"2026-03-31", 1, 1, 0, 0, 0}),
			list(flowRow(tCheckout, "Checkout", 2, 0.5, 47), flowRow(tDeep, "Deep", 1, 1, 4))},
		// alpha (super admin) over W: f (2m, workaround), h (—), k (5m,
		// resolved): 2/3, median 3.5, p90 2 + 0.9×3 = 4.7. z1 (at W's end)
		// is out. Previous: p2 (—). Days: 03-09 k; 03-29 f, h. Top flows,
		// one session each, by name in byte order: "Beta" (T3: h, 0, 0) <
		// "Same" (T5: k, 1, 5) < "beta" (T2: f, 1, 2).
		{"super admin alpha", uAlpha,
			sum(3, 2, 0.667, 3.5, 4.7, 1, 1, 0, 1, 0),
			sum(1, 0, 0, 0, 0, 1, 0, 0, 0, 0),
			series(dates("2026-03-01", 31, 1), pt{"2026-03-09", 1, 1, 0, 0, 0}, pt{"2026-03-29", 2, 0, 0, 1, 0}),
			list(flowRow(tBetaUp, "Beta", 1, 0, 0), flowRow(tSame5, "Same", 1, 1, 5), flowRow(tBetaLow, "beta", 1, 1, 2))},
		// The user without a name: i (30m, unresolved) on T3. Nothing in P,
		// yet activeEngineers is 1 in myAnalytics, always.
		{"user without a name", uNoName,
			sum(1, 1, 1, 30, 30, 1, 0, 0, 0, 1),
			sum(0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
			series(dates("2026-03-01", 31, 1), pt{"2026-03-15", 1, 0, 0, 0, 1}),
			list(flowRow(tBetaUp, "Beta", 1, 1, 30))},
		// Zeta (team admin): a (10m res), b (1m esc), g (8.5m gave_up).
		// 3/3, median 8.5, p90 position 1.8 → 8.5 + 0.8×1.5 = 9.7. Previous:
		// p1 (20m resolved); p4 is 1µs before P. Top flows: T1 (a, b: 1,
		// median 5.5), T2 (g: 1, 8.5).
		{"team admin Zeta", uZeta,
			sum(3, 3, 1, 8.5, 9.7, 1, 1, 1, 0, 0),
			sum(1, 1, 1, 20, 20, 1, 1, 0, 0, 0),
			series(dates("2026-03-01", 31, 1), pt{"2026-03-01", 1, 1, 0, 0, 0}, pt{"2026-03-02", 1, 0, 1, 0, 0}, pt{"2026-03-29", 1, 0, 0, 0, 0}),
			list(flowRow(tCheckout, "Checkout", 2, 1, 5.5), flowRow(tBetaLow, "beta", 1, 1, 8.5))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.ok(t, c.viewer, myQuery, windowW())
			assertJSON(t, d, `{"myAnalytics":{"window":`+wWindow+`,"summary":`+c.summary+`,"previousSummary":`+c.previous+`,"timeSeries":`+c.series+`,"topFlows":`+c.topFlows+`}}`)
		})
	}

	t.Run("topFlows limit", func(t *testing.T) {
		d := e.ok(t, uEmile, myQuery, with(windowW(), "lf", 1))
		assertJSON(t, pick(t, d, "myAnalytics", "topFlows"), list(flowRow(tCheckout, "Checkout", 2, 0.5, 47)))
	})

	// No sessions: zeros and empty lists, but activeEngineers is 1.
	t.Run("window without sessions", func(t *testing.T) {
		d := e.ok(t, uEmile, myQuery, map[string]any{"from": "2025-06-01T00:00:00Z", "to": "2025-06-03T00:00:00Z", "tz": "Asia/Kolkata"})
		one := sum(0, 0, 0, 0, 0, 1, 0, 0, 0, 0)
		assertJSON(t, d, `{"myAnalytics":{"window":{"from":"2025-06-01T00:00:00Z","to":"2025-06-03T00:00:00Z","timeZone":"Asia/Kolkata"},
			"summary":`+one+`,"previousSummary":`+one+`,
			"timeSeries":`+series([]string{"2025-06-01", "2025-06-02", "2025-06-03"})+`,"topFlows":[]}}`)
	})

	t.Run("viewer", func(t *testing.T) {
		d := e.ok(t, uNoName, `{ viewer { id name accountId isTeamAdmin isSuperAdmin } }`, nil)
		assertJSON(t, d, `{"viewer":{"id":"`+uNoName+`","name":null,"accountId":"`+acctA+`","isTeamAdmin":false,"isSuperAdmin":false}}`)
		d = e.ok(t, uAlpha, `{ viewer { id name accountId isTeamAdmin isSuperAdmin } }`, nil)
		assertJSON(t, d, `{"viewer":{"id":"`+uAlpha+`","name":"alpha","accountId":"`+acctA+`","isTeamAdmin":false,"isSuperAdmin":true}}`)
		d = e.ok(t, uZeta, `{ viewer { id name accountId isTeamAdmin isSuperAdmin } }`, nil)
		assertJSON(t, d, `{"viewer":{"id":"`+uZeta+`","name":"Zeta","accountId":"`+acctA+`","isTeamAdmin":true,"isSuperAdmin":false}}`)
		d = e.ok(t, uBert, `{ viewer { id name accountId isTeamAdmin isSuperAdmin } }`, nil)
		assertJSON(t, d, `{"viewer":{"id":"`+uBert+`","name":"Bert","accountId":"`+acctB+`","isTeamAdmin":true,"isSuperAdmin":false}}`)
	})
}
