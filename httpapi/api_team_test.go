package httpapi

import (
	"testing"
)

// teamQuery asks for every field of TeamAnalytics; the window, time zone,
// engineer and limits come from variables.
const teamQuery = `query($period: Period, $from: Time, $to: Time, $tz: String = "UTC", $eng: UUID, $lf: Int = 10, $le: Int = 10) {
  teamAnalytics(period: $period, from: $from, to: $to, timeZone: $tz, engineerId: $eng) {
    window ` + windowSel + `
    summary ` + summarySel + `
    previousSummary ` + summarySel + `
    day: timeSeries ` + pointSel + `
    week: timeSeries(granularity: WEEK) ` + pointSel + `
    month: timeSeries(granularity: MONTH) ` + pointSel + `
    topFlows(limit: $lf) ` + topFlowSel + `
    topEngineers(limit: $le) ` + topEngSel + `
  }
}`

// scopesQuery lists top flows under three scopes in one request.
const scopesQuery = `{
  w: teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { topFlows ` + topFlowSel + ` topEngineers ` + topEngSel + ` }
  late: teamAnalytics(from: "2026-03-29T00:00:00Z", to: "2026-04-01T00:00:00Z") { topFlows ` + topFlowSel + ` }
  emile: teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z", engineerId: "` + uEmile + `") { topFlows ` + topFlowSel + ` }
}`

// windowW are the variables of the main window W.
func windowW() map[string]any {
	return map[string]any{"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
}

func with(vars map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range vars {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// wTeam is the team dashboard of account A over W, worked out by hand.
//
// summary (a…l): total 12; completed a,b,d,f,g,i,j,k = 8 → 8/12 = 0.667.
// Durations (min) sorted: 1(b) 2(f) 4(j) 5(k) 8.5(g) 10(a) 30(i) 47(d);
// median: position 0.5×7 = 3.5 → (5+8.5)/2 = 6.75 → 6.8; p90: position
// 0.9×7 = 6.3 → 30 + 0.3×(47−30) = 35.1. Active: Zeta, alpha, Émile, Ivan
// (inactive, counts), Unknown, Bob = 6. Breakdown over completed only:
// resolved a,j,k = 3; escalated b = 1 (l not completed); workaround f = 1;
// unresolved i = 1; g (gave_up) and d (NULL) nowhere. x1 and x2 (trees and
// users of different accounts) and z1 (at W's end) are not counted.
//
// previousSummary over P: p1 (20m resolved), p2 (—), p3 (3m escalated);
// p4 is 1µs before P. Total 3, completed 2 → 0.667; median (3+20)/2 = 11.5;
// p90 3 + 0.9×17 = 18.3; active Zeta, alpha, Émile = 3.
//
// topFlows (sessions desc, name in byte order, id):
//
//	T1 Checkout 5 (a,b,c,d,e) completed a,b,d 3/5 = 0.6, median of 1,10,47 = 10
//	T3 Beta     2 (h,i)       completed i 1/2 = 0.5, median 30
//	T2 beta     2 (f,g)       2/2 = 1, median (2+8.5)/2 = 5.25 → 5.3
//	T4 Deep     1 (j)         1, 4
//	T5 Same …05 1 (k)         1, 5
//	T6 Same …06 1 (l)         0, 0
//
// topEngineers:
//
//	Zeta    3 (a,b,g) 3/3 = 1, median of 1,8.5,10 = 8.5
//	alpha   3 (f,h,k) 2/3 = 0.667, median (2+5)/2 = 3.5
//	Émile   3 (c,d,j) 2/3 = 0.667, median (4+47)/2 = 25.5
//	Bob     1 (l)     0, 0
//	Ivan    1 (e)     0, 0
//	Unknown 1 (i)     1, 30
const (
	wSummary     = `{"totalSessions":12,"completedSessions":8,"completionRate":0.667,"medianDurationMinutes":6.8,"p90DurationMinutes":35.1,"activeEngineers":6,"outcomeBreakdown":{"resolved":3,"escalated":1,"workaround":1,"unresolved":1}}`
	wPrevSummary = `{"totalSessions":3,"completedSessions":2,"completionRate":0.667,"medianDurationMinutes":11.5,"p90DurationMinutes":18.3,"activeEngineers":3,"outcomeBreakdown":{"resolved":1,"escalated":1,"workaround":0,"unresolved":0}}`
)

var (
	wTopFlows = []string{
		flowRow(tCheckout, "Checkout", 5, 0.6, 10),
		flowRow(tBetaUp, "Beta", 2, 0.5, 30),
		flowRow(tBetaLow, "beta", 2, 1, 5.3),
		flowRow(tDeep, "Deep", 1, 1, 4),
		flowRow(tSame5, "Same", 1, 1, 5),
		flowRow(tSame6, "Same", 1, 0, 0),
	}
	wTopEngineers = []string{
		engRow(uZeta, "Zeta", 3, 1, 8.5),
		engRow(uAlpha, "alpha", 3, 0.667, 3.5),
		engRow(uEmile, "Émile", 3, 0.667, 25.5),
		engRow(uBob, "Bob", 1, 0, 0),
		engRow(uIvan, "Ivan", 1, 0, 0),
		engRow(uNoName, "Unknown", 1, 1, 30),
	}
	// UTC days of W (31 buckets, none for April: W ends on a boundary).
	// 03-01 a(res); 03-02 b(esc); 03-09 k(res); 03-10 c(res, not completed:
	// counts), d(NULL); 03-15 i(unres); 03-23 l(esc); 03-28 e;
	// 03-29 f(work), h, g(gave_up).
	wDaysUTC = series(dates("2026-03-01", 31, 1),
		pt{"2026-03-01", 1, 1, 0, 0, 0}, pt{"2026-03-02", 1, 0, 1, 0, 0},
		pt{"2026-03-09", 1, 1, 0, 0, 0}, pt{"2026-03-10", 2, 1, 0, 0, 0},
		pt{"2026-03-15", 1, 0, 0, 0, 1}, pt{"2026-03-23", 1, 0, 1, 0, 0},
		pt{"2026-03-28", 1, 0, 0, 0, 0}, pt{"2026-03-29", 3, 0, 0, 1, 0},
		pt{"2026-03-31", 1, 1, 0, 0, 0})
	// ISO weeks (Mondays) from the week holding Sunday 03-01 (02-23) to the
	// week holding 03-31 (03-30): 6 buckets, 03-16 empty.
	// 02-23: a; 03-02: b; 03-09: k,c,d,i; 03-23: l,e,f,h,g; 03-30: j.
	wWeeksUTC = series(dates("2026-02-23", 6, 7),
		pt{"2026-02-23", 1, 1, 0, 0, 0}, pt{"2026-03-02", 1, 0, 1, 0, 0},
		pt{"2026-03-09", 4, 2, 0, 0, 1}, pt{"2026-03-23", 5, 0, 1, 1, 0},
		pt{"2026-03-30", 1, 1, 0, 0, 0})
	// One month: resolved a,c,j,k; escalated b,l; workaround f; unresolved i.
	wMonthUTC = series([]string{"2026-03-01"}, pt{"2026-03-01", 12, 4, 2, 1, 1})
)

func TestAPITeamAnalytics(t *testing.T) {
	e := newEnv(t, apiEnv)

	t.Run("team admin, window W, every field", func(t *testing.T) {
		d := e.ok(t, uZeta, teamQuery, windowW())
		assertJSON(t, d, `{"teamAnalytics":{
			"window":{"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z","timeZone":"UTC"},
			"summary":`+wSummary+`,
			"previousSummary":`+wPrevSummary+`,
			"day":`+wDaysUTC+`,
			"week":`+wWeeksUTC+`,
			"month":`+wMonthUTC+`,
			"topFlows":`+list(wTopFlows...)+`,
			"topEngineers":`+list(wTopEngineers...)+`}}`)
	})

	// The time zone decides the calendar buckets and nothing else.
	t.Run("time zone changes only the buckets", func(t *testing.T) {
		for _, tz := range []string{"Asia/Kolkata", "Europe/Berlin", "Pacific/Kiritimati"} {
			d := e.ok(t, uZeta, `query($tz: String!) { teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z", timeZone: $tz) {
				window `+windowSel+` summary `+summarySel+` previousSummary `+summarySel+` topFlows `+topFlowSel+` topEngineers `+topEngSel+` } }`,
				map[string]any{"tz": tz})
			assertJSON(t, d, `{"teamAnalytics":{
				"window":{"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z","timeZone":"`+tz+`"},
				"summary":`+wSummary+`,"previousSummary":`+wPrevSummary+`,
				"topFlows":`+list(wTopFlows...)+`,"topEngineers":`+list(wTopEngineers...)+`}}`)
		}
	})

	// Three lists of one request, each under its own scope: the completion
	// counts are loaded per scope. [03-29, 04-01): T2 f, g (2/2, median
	// 5.25 → 5.3), T3 h (0/1), T4 j (1/1, 4). Émile over W: T1 c, d (1/2,
	// 47), T4 j.
	t.Run("lists of several scopes in one request", func(t *testing.T) {
		d := e.ok(t, uZeta, scopesQuery, nil)
		assertJSON(t, d, `{
			"w":{"topFlows":`+list(wTopFlows...)+`,"topEngineers":`+list(wTopEngineers...)+`},
			"late":{"topFlows":`+list(flowRow(tBetaLow, "beta", 2, 1, 5.3), flowRow(tBetaUp, "Beta", 1, 0, 0), flowRow(tDeep, "Deep", 1, 1, 4))+`},
			"emile":{"topFlows":`+list(flowRow(tCheckout, "Checkout", 2, 0.5, 47), flowRow(tDeep, "Deep", 1, 1, 4))+`}}`)
	})

	t.Run("super admin may read the team", func(t *testing.T) {
		d := e.ok(t, uAlpha, `query { teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { summary `+summarySel+` } }`, nil)
		assertJSON(t, d, `{"teamAnalytics":{"summary":`+wSummary+`}}`)
	})

	t.Run("limits", func(t *testing.T) {
		d := e.ok(t, uZeta, teamQuery, with(windowW(), "lf", 1, "le", 1))
		assertJSON(t, pick(t, d, "teamAnalytics", "topFlows"), list(wTopFlows[0]))
		assertJSON(t, pick(t, d, "teamAnalytics", "topEngineers"), list(wTopEngineers[0]))
		d = e.ok(t, uZeta, teamQuery, with(windowW(), "lf", 5, "le", 5))
		assertJSON(t, pick(t, d, "teamAnalytics", "topFlows"), list(wTopFlows[:5]...))
		assertJSON(t, pick(t, d, "teamAnalytics", "topEngineers"), list(wTopEngineers[:5]...))
		d = e.ok(t, uZeta, teamQuery, with(windowW(), "lf", 100, "le", 100))
		assertJSON(t, pick(t, d, "teamAnalytics", "topFlows"), list(wTopFlows...))
		assertJSON(t, pick(t, d, "teamAnalytics", "topEngineers"), list(wTopEngineers...))
	})

	// engineerId = Émile: sessions c, d, j in every field. Completed d (47m),
	// j (4m): 2/3 = 0.667, median 25.5, p90 4 + 0.9×43 = 42.7; resolved j
	// (c is not completed). Previous: p3 (3m, escalated). Series: 03-10 c
	// (res), d; 03-31 j (res). Top flows: T1 c,d (1/2 = 0.5, median 47),
	// T4 j (1, 4).
	t.Run("engineerId of the account", func(t *testing.T) {
		d := e.ok(t, uZeta, teamQuery, with(windowW(), "eng", uEmile))
		assertJSON(t, d, `{"teamAnalytics":{
			"window":{"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z","timeZone":"UTC"},
			"summary":`+sum(3, 2, 0.667, 25.5, 42.7, 1, 1, 0, 0, 0)+`,
			"previousSummary":`+sum(1, 1, 1, 3, 3, 1, 0, 1, 0, 0)+`,
			"day":`+series(dates("2026-03-01", 31, 1), pt{"2026-03-10", 2, 1, 0, 0, 0}, pt{"2026-03-31", 1, 1, 0, 0, 0})+`,
			"week":`+series(dates("2026-02-23", 6, 7), pt{"2026-03-09", 2, 1, 0, 0, 0}, pt{"2026-03-30", 1, 1, 0, 0, 0})+`,
			"month":`+series([]string{"2026-03-01"}, pt{"2026-03-01", 3, 2, 0, 0, 0})+`,
			"topFlows":`+list(flowRow(tCheckout, "Checkout", 2, 0.5, 47), flowRow(tDeep, "Deep", 1, 1, 4))+`,
			"topEngineers":`+list(engRow(uEmile, "Émile", 3, 0.667, 25.5))+`}}`)
	})

	// Another account's engineer (who even has a session, x1, on A's tree
	// T1 in W) and an unknown id match nothing.
	for name, id := range map[string]string{"engineerId of account B": uZetaB, "unknown engineerId": "99999999-9999-4999-8999-999999999999"} {
		t.Run(name, func(t *testing.T) {
			d := e.ok(t, uZeta, teamQuery, with(windowW(), "eng", id))
			assertJSON(t, d, `{"teamAnalytics":{
				"window":{"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z","timeZone":"UTC"},
				"summary":`+zeroSummary+`,"previousSummary":`+zeroSummary+`,
				"day":`+series(dates("2026-03-01", 31, 1))+`,
				"week":`+series(dates("2026-02-23", 6, 7))+`,
				"month":`+series([]string{"2026-03-01"})+`,
				"topFlows":[],"topEngineers":[]}}`)
		})
	}

	// A window without sessions: [2025-06-01, 2025-06-03) — Sunday and
	// Monday, so the weeks are those of 2025-05-26 and 2025-06-02.
	t.Run("window without sessions", func(t *testing.T) {
		d := e.ok(t, uZeta, teamQuery, map[string]any{"from": "2025-06-01T00:00:00Z", "to": "2025-06-03T00:00:00Z"})
		assertJSON(t, d, `{"teamAnalytics":{
			"window":{"from":"2025-06-01T00:00:00Z","to":"2025-06-03T00:00:00Z","timeZone":"UTC"},
			"summary":`+zeroSummary+`,"previousSummary":`+zeroSummary+`,
			"day":`+series([]string{"2025-06-01", "2025-06-02"})+`,
			"week":`+series([]string{"2025-05-26", "2025-06-02"})+`,
			"month":`+series([]string{"2025-06-01"})+`,
			"topFlows":[],"topEngineers":[]}}`)
	})

	// Account B's admin sees B's sessions b1 (Bert, 7m, resolved) and b2
	// (Zeta of B, not completed) only: not x1 (B's user on A's tree) nor x2.
	t.Run("account B's admin", func(t *testing.T) {
		d := e.ok(t, uBert, `query { teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
			summary `+summarySel+` previousSummary `+summarySel+` topFlows `+topFlowSel+` topEngineers `+topEngSel+` } }`, nil)
		assertJSON(t, d, `{"teamAnalytics":{
			"summary":`+sum(2, 1, 0.5, 7, 7, 2, 1, 0, 0, 0)+`,"previousSummary":`+zeroSummary+`,
			"topFlows":`+list(flowRow(tB, "Beta flow", 2, 0.5, 7))+`,
			"topEngineers":`+list(engRow(uBert, "Bert", 1, 1, 7), engRow(uZetaB, "Zeta", 1, 0, 0))+`}}`)
	})

	t.Run("non-admins are forbidden", func(t *testing.T) {
		for _, id := range []string{uEmile, uNoName, uBob} {
			res := e.as(t, id, teamQuery, windowW())
			assertError(t, res, "teamAnalytics", "FORBIDDEN")
		}
	})
}

// TestAPIPresetWindows checks period, `to` alone, `from` alone and their
// precedence, with now pinned at 2026-04-01T00:00:00Z.
func TestAPIPresetWindows(t *testing.T) {
	e := newEnv(t, apiEnv)
	const q = `query($period: Period, $from: Time, $to: Time) {
	  teamAnalytics(period: $period, from: $from, to: $to) { window ` + windowSel + ` summary ` + summarySel + ` previousSummary ` + summarySel + ` } }`
	cases := []struct {
		name     string
		vars     map[string]any
		from, to string
		summary  string
		previous string
	}{
		// Default LAST_30_DAYS: [03-02, 04-01): b…l (11; a is on 03-01).
		// Completed b1 f2 j4 k5 g8.5 i30 d47 (7/11 = 0.636); median =
		// position 3 = 5; p90 = position 5.4 → 30 + 0.4×17 = 36.8. Active
		// Zeta, Émile, Ivan, alpha, Unknown, Bob = 6. Completed outcomes:
		// b esc, f work, i unres, j res, k res.
		// Previous [01-31, 03-02): p2, p1 (20m res), a (10m res): 3, 2,
		// 0.667, median 15, p90 10 + 0.9×10 = 19, active alpha, Zeta.
		{"default period", nil, "2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z",
			sum(11, 7, 0.636, 5, 36.8, 6, 2, 1, 1, 1), sum(3, 2, 0.667, 15, 19, 2, 2, 0, 0, 0)},
		// LAST_7_DAYS: [03-25, 04-01): e, f(2m work), h, g(8.5m), j(4m res):
		// 5, 3, 0.6, median 4, p90 position 1.8 → 4 + 0.8×4.5 = 7.6; active
		// Ivan, alpha, Zeta, Émile. Previous [03-18, 03-25): l (not completed).
		{"LAST_7_DAYS", map[string]any{"period": "LAST_7_DAYS"}, "2026-03-25T00:00:00Z", "2026-04-01T00:00:00Z",
			sum(5, 3, 0.6, 4, 7.6, 4, 1, 0, 1, 0), sum(1, 0, 0, 0, 0, 1, 0, 0, 0, 0)},
		// `to` alone: [03-08, 03-15): k(5m res), c, d(47m): 3, 2, 0.667,
		// median 26, p90 5 + 0.9×42 = 42.8, active alpha, Émile. Previous
		// [03-01, 03-08): a (10m res), b (1m esc): median 5.5, p90 1 + 0.9×9 = 9.1.
		{"to alone", map[string]any{"period": "LAST_7_DAYS", "to": "2026-03-15T00:00:00Z"}, "2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z",
			sum(3, 2, 0.667, 26, 42.8, 2, 1, 0, 0, 0), sum(2, 2, 1, 5.5, 9.1, 1, 1, 1, 0, 0)},
		// `from` alone (to = now), and `from` beating `period`: [03-29,
		// 04-01) with f, h, g, j: 4, 3, 0.75, median 4, p90 7.6, active
		// alpha, Zeta, Émile. Previous [03-26, 03-29): e (not completed).
		{"from alone", map[string]any{"from": "2026-03-29T02:00:00+02:00"}, "2026-03-29T00:00:00Z", "2026-04-01T00:00:00Z",
			sum(4, 3, 0.75, 4, 7.6, 3, 1, 0, 1, 0), sum(1, 0, 0, 0, 0, 1, 0, 0, 0, 0)},
		{"from beats period", map[string]any{"from": "2026-03-29T00:00:00Z", "period": "LAST_90_DAYS"}, "2026-03-29T00:00:00Z", "2026-04-01T00:00:00Z",
			sum(4, 3, 0.75, 4, 7.6, 3, 1, 0, 1, 0), sum(1, 0, 0, 0, 0, 1, 0, 0, 0, 0)},
		// A window wholly in the future is fine when `to` is given: nothing
		// in it nor in [04-30, 05-01).
		{"future window with to", map[string]any{"from": "2026-05-01T00:00:00Z", "to": "2026-05-02T00:00:00Z"}, "2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z",
			zeroSummary, zeroSummary},
		// Exactly 366×24h: [2025-03-31, 2026-04-01) holds 16 sessions of A
		// (a…l, p1…p4; l2 is a day earlier). Completed: a10 b1 d47 f2 g8.5
		// i30 j4 k5 p1 20 p3 3 p4 100 = 11 → 11/16 = 0.6875 → 0.688 (an
		// exact half); sorted 1 2 3 4 5 8.5 10 20 30 47 100: median position
		// 5 = 8.5, p90 position 9 = 47. Active 6.
		// Completed outcomes: res a j k p1 p4; esc b p3; work f; unres i.
		// Previous [2024-03-30, 2025-03-31): l2 (Bob, not completed).
		{"exactly 366 days", map[string]any{"from": "2025-03-31T00:00:00Z", "to": "2026-04-01T00:00:00Z"}, "2025-03-31T00:00:00Z", "2026-04-01T00:00:00Z",
			sum(16, 11, 0.688, 8.5, 47, 6, 5, 2, 1, 1), sum(1, 0, 0, 0, 0, 1, 0, 0, 0, 0)},
		// Bounds inside a microsecond: stored times are whole microseconds,
		// so [23:59:59.9999995, 00:00:00.0000005) holds exactly the stored
		// 00:00:00.000000, a (10m res, Zeta), and not p1 (23:59:59.999999);
		// the window shows as [03-01T00:00Z, 03-01T00:00:00.000001Z). Its
		// previous window, the microsecond before, holds p1 (20m res, Zeta).
		{"bounds inside a microsecond", map[string]any{"from": "2026-02-28T23:59:59.9999995Z", "to": "2026-03-01T00:00:00.0000005Z"}, "2026-03-01T00:00:00Z", "2026-03-01T00:00:00.000001Z",
			sum(1, 1, 1, 10, 10, 1, 1, 0, 0, 0), sum(1, 1, 1, 20, 20, 1, 1, 0, 0, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.ok(t, uZeta, q, c.vars)
			assertJSON(t, d, `{"teamAnalytics":{"window":{"from":"`+c.from+`","to":"`+c.to+`","timeZone":"UTC"},"summary":`+c.summary+`,"previousSummary":`+c.previous+`}}`)
		})
	}
}

// TestAPIEngineersShownAsUnknown pins how nameless engineers show and sort:
// a NULL name and an empty name both show as "Unknown" (the original
// service's `name or "Unknown"`), and so tie with a user really named
// "Unknown"; ties go by id. These users and sessions (2024-02-01, a day no
// other test reads) are added here.
func TestAPIEngineersShownAsUnknown(t *testing.T) {
	e := newEnv(t, apiEnv)
	const (
		uEmpty   = "1a000000-0000-0000-0000-00000000000e"
		uUnknown = "1a000000-0000-0000-0000-00000000000d"
	)
	if _, err := e.owner.Exec(`INSERT INTO users (id, account_id, name, is_active) VALUES (?, ?, '', true), (?, ?, 'Unknown', true)`,
		uEmpty, acctA, uUnknown, acctA); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{uEmpty, uUnknown, uNoName, uZeta} {
		if _, err := e.owner.Exec(`INSERT INTO sessions (tree_id, user_id, started_at) VALUES (?, ?, '2024-02-01T12:00:00Z')`, tCheckout, u); err != nil {
			t.Fatal(err)
		}
	}
	d := e.ok(t, uZeta, `{ teamAnalytics(from: "2024-02-01T00:00:00Z", to: "2024-02-02T00:00:00Z") { topEngineers `+topEngSel+` } }`, nil)
	assertJSON(t, d, `{"teamAnalytics":{"topEngineers":`+list(
		engRow(uNoName, "Unknown", 1, 0, 0), engRow(uUnknown, "Unknown", 1, 0, 0), engRow(uEmpty, "Unknown", 1, 0, 0),
		engRow(uZeta, "Zeta", 1, 0, 0))+`}}`)
}
