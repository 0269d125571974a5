package httpapi

import (
	"testing"
)

// TestAPITimeSeriesTimeZones checks calendar buckets in Europe/Berlin
// across the 2026-03-29 change to summer time (at 01:00 UTC) and in
// Asia/Kolkata (+05:30), with zero-filled gaps and windows that end exactly
// on a bucket boundary (no bucket after it).
func TestAPITimeSeriesTimeZones(t *testing.T) {
	e := newEnv(t, apiEnv)
	const team = `query($from: Time!, $to: Time!, $tz: String!, $g: Granularity!) {
	  teamAnalytics(from: $from, to: $to, timeZone: $tz) { window ` + windowSel + ` timeSeries(granularity: $g) ` + pointSel + ` } }`
	cases := []struct {
		name          string
		from, to, tz  string
		granularity   string
		want          string
		viewer, query string // empty: team admin Zeta, teamAnalytics
		field         string
	}{
		// Berlin days [Mar 28 00:00 CET, Mar 31 00:00 CEST) =
		// [03-27T23:00Z, 03-30T22:00Z): three buckets, the window ends on a
		// local midnight. Mar 28: nothing (e at 23:30Z is already Mar 29
		// 00:30 CET). Mar 29 (23 hours, [03-28T23:00Z, 03-29T22:00Z)): e,
		// f (01:30 CET, workaround), h (23:59:59 CEST). Mar 30: g (00:30
		// CEST, gave_up: no outcome field). In UTC f, h, g would share Mar 29.
		{name: "Berlin days across DST", from: "2026-03-27T23:00:00Z", to: "2026-03-30T22:00:00Z", tz: "Europe/Berlin", granularity: "DAY",
			want: series([]string{"2026-03-28", "2026-03-29", "2026-03-30"},
				pt{"2026-03-29", 3, 0, 0, 1, 0}, pt{"2026-03-30", 1, 0, 0, 0, 0})},
		// Berlin weeks over W ([Sun Mar 1 01:00 CET, Wed Apr 1 02:00
		// CEST)): 02-23: a; 03-02: b; 03-09: k, c, d, i (Sunday 13:00);
		// 03-16: none; 03-23: l, e, f, h; 03-30: g (Mon 00:30 CEST), j
		// (Apr 1 00:30 CEST).
		{name: "Berlin weeks", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z", tz: "Europe/Berlin", granularity: "WEEK",
			want: series(dates("2026-02-23", 6, 7),
				pt{"2026-02-23", 1, 1, 0, 0, 0}, pt{"2026-03-02", 1, 0, 1, 0, 0},
				pt{"2026-03-09", 4, 2, 0, 0, 1}, pt{"2026-03-23", 4, 0, 1, 1, 0},
				pt{"2026-03-30", 2, 1, 0, 0, 0})},
		// Berlin months over W: the window's last instant is Apr 1 01:59
		// CEST, so April is a bucket: j alone (resolved); March the other 11
		// (resolved a, c, k; escalated b, l; workaround f; unresolved i).
		{name: "Berlin months", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z", tz: "Europe/Berlin", granularity: "MONTH",
			want: series([]string{"2026-03-01", "2026-04-01"},
				pt{"2026-03-01", 11, 3, 2, 1, 1}, pt{"2026-04-01", 1, 1, 0, 0, 0})},
		// Kolkata days [03-10T00:00Z, 03-12T00:00Z) = [Mar 10 05:30, Mar 12
		// 05:30) IST: buckets Mar 10, 11, 12. c (18:15Z = 23:45 IST,
		// resolved) on Mar 10, d (18:45Z = 00:15 IST) on Mar 11; x1 and x2
		// (cross-account, Mar 11 IST) nowhere; Mar 12 empty.
		{name: "Kolkata days", from: "2026-03-10T00:00:00Z", to: "2026-03-12T00:00:00Z", tz: "Asia/Kolkata", granularity: "DAY",
			want: series([]string{"2026-03-10", "2026-03-11", "2026-03-12"},
				pt{"2026-03-10", 1, 1, 0, 0, 0}, pt{"2026-03-11", 1, 0, 0, 0, 0})},
		// Kolkata month ending exactly on its boundary: [Mar 1 00:00, Apr 1
		// 00:00) IST = [02-28T18:30Z, 03-31T18:30Z): one bucket. It holds p1
		// (02-28T23:59:59.999999Z) and a…l except j (03-31T22:30Z): 12;
		// resolved p1, a, c, k; escalated b, l; workaround f; unresolved i.
		{name: "Kolkata month on a boundary", from: "2026-02-28T18:30:00Z", to: "2026-03-31T18:30:00Z", tz: "Asia/Kolkata", granularity: "MONTH",
			want: series([]string{"2026-03-01"}, pt{"2026-03-01", 12, 4, 2, 1, 1})},
		// UTC weeks ending on a Monday: [03-02, 03-16) has two buckets.
		// 03-02: b; 03-09: k, c, d, i.
		{name: "UTC weeks on a boundary", from: "2026-03-02T00:00:00Z", to: "2026-03-16T00:00:00Z", tz: "UTC", granularity: "WEEK",
			want: series([]string{"2026-03-02", "2026-03-09"},
				pt{"2026-03-02", 1, 0, 1, 0, 0}, pt{"2026-03-09", 4, 2, 0, 0, 1})},
		// Personal (Émile: c, d, j) and flow (T1: a, b, c, d, e) series in
		// Kolkata: the same two sessions c and d, x2 (Émile on B's tree)
		// and x1 (B's user on T1) excluded.
		{name: "personal Kolkata days", from: "2026-03-10T00:00:00Z", to: "2026-03-12T00:00:00Z", tz: "Asia/Kolkata", granularity: "DAY",
			viewer: uEmile, field: "myAnalytics", query: `query($from: Time!, $to: Time!, $tz: String!, $g: Granularity!) {
			  myAnalytics(from: $from, to: $to, timeZone: $tz) { window ` + windowSel + ` timeSeries(granularity: $g) ` + pointSel + ` } }`,
			want: series([]string{"2026-03-10", "2026-03-11", "2026-03-12"},
				pt{"2026-03-10", 1, 1, 0, 0, 0}, pt{"2026-03-11", 1, 0, 0, 0, 0})},
		{name: "flow Kolkata days", from: "2026-03-10T00:00:00Z", to: "2026-03-12T00:00:00Z", tz: "Asia/Kolkata", granularity: "DAY",
			viewer: uEmile, field: "flowAnalytics", query: `query($from: Time!, $to: Time!, $tz: String!, $g: Granularity!) {
			  flowAnalytics(treeId: "` + tCheckout + `", from: $from, to: $to, timeZone: $tz) { window ` + windowSel + ` timeSeries(granularity: $g) ` + pointSel + ` } }`,
			want: series([]string{"2026-03-10", "2026-03-11", "2026-03-12"},
				pt{"2026-03-10", 1, 1, 0, 0, 0}, pt{"2026-03-11", 1, 0, 0, 0, 0})},
		// T1 in Berlin days across DST: only e (Mar 29 00:30 CET).
		{name: "flow Berlin days", from: "2026-03-27T23:00:00Z", to: "2026-03-30T22:00:00Z", tz: "Europe/Berlin", granularity: "DAY",
			viewer: uEmile, field: "flowAnalytics", query: `query($from: Time!, $to: Time!, $tz: String!, $g: Granularity!) {
			  flowAnalytics(treeId: "` + tCheckout + `", from: $from, to: $to, timeZone: $tz) { window ` + windowSel + ` timeSeries(granularity: $g) ` + pointSel + ` } }`,
			want: series([]string{"2026-03-28", "2026-03-29", "2026-03-30"}, pt{"2026-03-29", 1, 0, 0, 0, 0})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			viewer, query, field := uZeta, team, "teamAnalytics"
			if c.viewer != "" {
				viewer, query, field = c.viewer, c.query, c.field
			}
			d := e.ok(t, viewer, query, map[string]any{"from": c.from, "to": c.to, "tz": c.tz, "g": c.granularity})
			assertJSON(t, d, `{"`+field+`":{"window":{"from":"`+c.from+`","to":"`+c.to+`","timeZone":"`+c.tz+`"},"timeSeries":`+c.want+`}}`)
		})
	}
}

// TestAPITimeSeriesBucketEdges places sessions a microsecond either side of
// local midnights: Asia/Kolkata (+05:30) and Asia/Kathmandu (+05:45), the
// 25-hour day when Europe/Berlin leaves summer time (2024-10-27 01:00 UTC),
// and Africa/Monrovia in 1971, whose offset (−00:44:30) is no whole quarter
// hour. These sessions (account A, tree T1, user Bob) are added to the
// fixture here; no other test's window reaches 2024 or 1971.
func TestAPITimeSeriesBucketEdges(t *testing.T) {
	e := newEnv(t, apiEnv)
	for _, s := range []struct{ at, outcome string }{
		{"2024-06-10T18:14:59.999999Z", ""},           // k1: IST 23:44:59.999999 Jun 10; NPT 23:59:59.999999 Jun 10
		{"2024-06-10T18:29:59.999999Z", "resolved"},   // k2: IST 23:59:59.999999 Jun 10; NPT 00:14:59.999999 Jun 11
		{"2024-06-10T18:30:00Z", "escalated"},         // k3: IST 00:00 Jun 11; NPT 00:15 Jun 11
		{"2024-10-26T22:30:00Z", "workaround"},        // g1: Berlin 00:30 CEST Oct 27
		{"2024-10-27T22:59:59.999999Z", "unresolved"}, // g2: Berlin 23:59:59.999999 CET Oct 27
		{"2024-10-27T23:00:00Z", ""},                  // g3: Berlin 00:00 CET Oct 28
		{"1971-06-01T23:59:00Z", ""},                  // m1: Monrovia 23:14:30 Jun 1
		{"1971-06-02T00:44:29.999999Z", "resolved"},   // m2: Monrovia 23:59:59.999999 Jun 1
		{"1971-06-02T00:44:30Z", "resolved"},          // m3: Monrovia 00:00 Jun 2
	} {
		if _, err := e.owner.Exec(`INSERT INTO sessions (tree_id, user_id, started_at, outcome) VALUES (?, ?, ?, nullif(?, ''))`,
			tCheckout, uBob, s.at, s.outcome); err != nil {
			t.Fatal(err)
		}
	}
	const q = `query($from: Time!, $to: Time!, $tz: String!) {
	  teamAnalytics(from: $from, to: $to, timeZone: $tz) { timeSeries ` + pointSel + ` } }`
	cases := []struct{ name, from, to, tz, want string }{
		// [Jun 10 05:30, Jun 12 05:30) IST: Jun 10 k1, k2 (resolved); Jun 11 k3.
		{"Kolkata", "2024-06-10T00:00:00Z", "2024-06-12T00:00:00Z", "Asia/Kolkata",
			series([]string{"2024-06-10", "2024-06-11", "2024-06-12"}, pt{"2024-06-10", 2, 1, 0, 0, 0}, pt{"2024-06-11", 1, 0, 1, 0, 0})},
		// Kathmandu: Jun 10 k1; Jun 11 k2, k3.
		{"Kathmandu", "2024-06-10T00:00:00Z", "2024-06-12T00:00:00Z", "Asia/Kathmandu",
			series([]string{"2024-06-10", "2024-06-11", "2024-06-12"}, pt{"2024-06-10", 1, 0, 0, 0, 0}, pt{"2024-06-11", 2, 1, 1, 0, 0})},
		// UTC: all three on Jun 10.
		{"UTC", "2024-06-10T00:00:00Z", "2024-06-12T00:00:00Z", "UTC",
			series([]string{"2024-06-10", "2024-06-11"}, pt{"2024-06-10", 3, 1, 1, 0, 0})},
		// [Oct 27 00:00 CEST, Oct 29 00:00 CET): Oct 27 (25 hours) g1, g2; Oct 28 g3.
		{"Berlin, end of summer time", "2024-10-26T22:00:00Z", "2024-10-28T23:00:00Z", "Europe/Berlin",
			series([]string{"2024-10-27", "2024-10-28"}, pt{"2024-10-27", 2, 0, 0, 1, 1}, pt{"2024-10-28", 1, 0, 0, 0, 0})},
		// [1971-05-31 23:15:30, 1971-06-02 23:15:30) Monrovia: May 31 empty;
		// Jun 1 m1, m2; Jun 2 m3.
		{"Monrovia 1971", "1971-06-01T00:00:00Z", "1971-06-03T00:00:00Z", "Africa/Monrovia",
			series([]string{"1971-05-31", "1971-06-01", "1971-06-02"}, pt{"1971-06-01", 2, 1, 0, 0, 0}, pt{"1971-06-02", 1, 1, 0, 0, 0})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.ok(t, uZeta, q, map[string]any{"from": c.from, "to": c.to, "tz": c.tz})
			assertJSON(t, d, `{"teamAnalytics":{"timeSeries":`+c.want+`}}`)
		})
	}
}
