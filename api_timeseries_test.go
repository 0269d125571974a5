package main

import (
	"testing"
)

// TestAPITimeSeriesTimeZones checks calendar buckets in Europe/Berlin
// across the 2026-03-29 change to summer time (at 01:00 UTC) and in
// Asia/Kolkata (+05:30), with zero-filled gaps and windows that end exactly
// on a bucket boundary (no bucket after it).
func TestAPITimeSeriesTimeZones(t *testing.T) {
	e := newAPIEnv(t)
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
