package httpapi

import (
	"strings"
	"testing"
)

// TestAPIBadInput checks that every kind of bad argument gets null with one
// BAD_USER_INPUT error whose message names the argument and shows no
// internals, whether the value is written in the query or passed as a
// variable, on every query that takes it.
func TestAPIBadInput(t *testing.T) {
	e := newEnv(t, apiEnv)

	// The three analytics queries with their window arguments as variables.
	type query struct{ field, viewer, text string }
	queries := []query{
		{"teamAnalytics", uZeta, `query($period: Period, $from: Time, $to: Time, $timeZone: String = "UTC") {
			teamAnalytics(period: $period, from: $from, to: $to, timeZone: $timeZone) { summary { totalSessions } } }`},
		{"myAnalytics", uEmile, `query($period: Period, $from: Time, $to: Time, $timeZone: String = "UTC") {
			myAnalytics(period: $period, from: $from, to: $to, timeZone: $timeZone) { summary { totalSessions } } }`},
		{"flowAnalytics", uEmile, `query($period: Period, $from: Time, $to: Time, $timeZone: String = "UTC") {
			flowAnalytics(treeId: "` + tCheckout + `", period: $period, from: $from, to: $to, timeZone: $timeZone) { summary { totalSessions } } }`},
	}
	bad := []struct {
		name string
		vars map[string]any
		arg  string
	}{
		{"unknown time zone", map[string]any{"timeZone": "Mars/Olympus_Mons"}, "timeZone"},
		{"empty time zone", map[string]any{"timeZone": ""}, "timeZone"},
		{"Local time zone", map[string]any{"timeZone": "Local"}, "timeZone"},
		{"time zone path", map[string]any{"timeZone": "../../etc/passwd"}, "timeZone"},
		{"time zone with a . component", map[string]any{"timeZone": "Europe/./Berlin"}, "timeZone"},
		{"time zone ./UTC", map[string]any{"timeZone": "./UTC"}, "timeZone"},
		{"time zone with an empty component", map[string]any{"timeZone": "Europe//Berlin"}, "timeZone"},
		{"time zone localtime", map[string]any{"timeZone": "localtime"}, "timeZone"},
		{"time zone posixrules", map[string]any{"timeZone": "posixrules"}, "timeZone"},
		{"time zone right/", map[string]any{"timeZone": "right/Europe/Berlin"}, "timeZone"},
		{"time zone posix/", map[string]any{"timeZone": "posix/UTC"}, "timeZone"},
		{"time zone in lower case", map[string]any{"timeZone": "europe/berlin"}, "timeZone"},
		{"time zone offset", map[string]any{"timeZone": "+05:30"}, "timeZone"},
		{"from equals to", map[string]any{"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "from"},
		{"from after to", map[string]any{"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "from"},
		{"from now without to", map[string]any{"from": "2026-04-01T00:00:00Z"}, "from"},
		{"from in the future without to", map[string]any{"from": "2026-04-01T00:00:00.000001Z"}, "from"},
		{"window 1µs over 366 days", map[string]any{"from": "2025-03-30T23:59:59.999999Z", "to": "2026-04-01T00:00:00Z"}, "from"},
		{"window over 366 days, from alone", map[string]any{"from": "2025-01-01T00:00:00Z"}, "from"},
		{"malformed time", map[string]any{"from": "yesterday"}, "from"},
		{"date without time", map[string]any{"to": "2026-03-01"}, "to"},
		{"impossible month", map[string]any{"from": "2026-13-01T00:00:00Z"}, "from"},
		{"time a number", map[string]any{"to": 1767225600}, "to"},
		{"time a boolean", map[string]any{"to": true}, "to"},
		{"time an object", map[string]any{"from": map[string]any{"at": "2026-03-01T00:00:00Z"}}, "from"},
		{"time a list", map[string]any{"from": []any{"2026-03-01T00:00:00Z"}}, "from"},
		// Times PostgreSQL cannot take (no year 0) or that have no RFC 3339
		// form after year 9999, refused before any SQL.
		{"to in year 1", map[string]any{"to": "0001-01-01T00:00:00Z"}, "to"},
		{"window in year 1", map[string]any{"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z"}, "from"},
		{"window in year 0", map[string]any{"from": "0000-06-01T00:00:00Z", "to": "0000-06-02T00:00:00Z"}, "from"},
		{"previous window before year 2", map[string]any{"from": "0002-01-01T00:00:00Z", "to": "0002-01-02T00:00:00Z"}, "from"},
		{"to in year 10000 in UTC", map[string]any{"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:00:00-05:00"}, "to"},
	}
	for _, q := range queries {
		for _, b := range bad {
			t.Run(q.field+"/"+b.name, func(t *testing.T) {
				assertError(t, e.as(t, q.viewer, q.text, b.vars), q.field, "BAD_USER_INPUT", b.arg)
			})
		}
		// The same values written in the query text.
		for _, lit := range []struct{ args, arg string }{
			{`timeZone: "Mars/Olympus_Mons"`, "timeZone"},
			{`timeZone: ""`, "timeZone"},
			{`timeZone: "Local"`, "timeZone"},
			{`from: "2026-03-01T00:00:00Z", to: "2026-03-01T00:00:00Z"`, "from"},
			{`from: "2026-04-01T00:00:00.000001Z"`, "from"},
			{`from: "2025-03-30T23:59:59.999999Z", to: "2026-04-01T00:00:00Z"`, "from"},
			{`from: "yesterday"`, "from"},
			{`to: "0001-01-01T00:00:00Z"`, "to"},
			{`to: "2026-03-01"`, "to"},
			{`to: 1767225600`, "to"},
			{`to: 1.5`, "to"},
			{`from: {at: "2026-03-01T00:00:00Z"}`, "from"},
			{`from: ["2026-03-01T00:00:00Z"]`, "from"},
		} {
			text := strings.Replace(q.text, "timeZone: $timeZone", lit.args, 1)
			text = strings.Replace(text, `, $timeZone: String = "UTC"`, "", 1)
			for _, a := range []string{"from", "to"} {
				if strings.Contains(lit.args, a+":") {
					text = strings.Replace(text, ", "+a+": $"+a, "", 1)
					text = strings.Replace(text, ", $"+a+": Time", "", 1)
				}
			}
			t.Run(q.field+"/literal "+lit.args, func(t *testing.T) {
				assertError(t, e.as(t, q.viewer, text, nil), q.field, "BAD_USER_INPUT", lit.arg)
			})
		}
	}

	// IANA names of every shape are allowed.
	for _, tz := range []string{"UTC", "Etc/GMT-14", "Etc/GMT+12", "GMT+0", "America/Argentina/Buenos_Aires", "America/Port-au-Prince", "US/Pacific", "Asia/Kathmandu"} {
		for _, q := range queries {
			if res := e.as(t, q.viewer, q.text, map[string]any{"timeZone": tz}); len(res.Errors) > 0 {
				t.Errorf("%s: time zone %q was refused: %s", q.field, tz, res.Body)
			}
		}
	}

	// Exactly 366×24h is allowed (the boundary of the rule above).
	for _, q := range queries {
		res := e.as(t, q.viewer, q.text, map[string]any{"from": "2025-03-31T00:00:00Z", "to": "2026-04-01T00:00:00Z"})
		if len(res.Errors) > 0 {
			t.Errorf("%s: a window of exactly 366 days was refused: %s", q.field, res.Body)
		}
	}

	// Malformed ids, written in the query and as variables.
	ids := []struct {
		name, field, viewer, literal, variable, arg string
	}{
		{"treeId", "flowAnalytics", uEmile,
			`{ flowAnalytics(treeId: %s) { flow { id } } }`,
			`query($treeId: UUID!) { flowAnalytics(treeId: $treeId) { flow { id } } }`, "treeId"},
		{"treeId via another variable name", "flowAnalytics", uEmile,
			`{ flowAnalytics(treeId: %s) { flow { id } } }`,
			`query($x: UUID!) { flowAnalytics(treeId: $x) { flow { id } } }`, "treeId"},
		{"engineerId", "teamAnalytics", uZeta,
			`{ teamAnalytics(engineerId: %s) { summary { totalSessions } } }`,
			`query($engineerId: UUID) { teamAnalytics(engineerId: $engineerId) { summary { totalSessions } } }`, "engineerId"},
	}
	for _, id := range ids {
		for _, v := range []any{"not-a-uuid", "2a00000000000000000000000000000001", "{2a000000-0000-0000-0000-000000000001}", "2a000000-0000-0000-0000-00000000000g", "", 42, true, 1.5, map[string]any{"id": tCheckout}, []any{tCheckout}} {
			t.Run(id.name+"/variable", func(t *testing.T) {
				name := "treeId"
				switch {
				case strings.Contains(id.variable, "$x"):
					name = "x"
				case strings.Contains(id.variable, "$engineerId"):
					name = "engineerId"
				}
				assertError(t, e.as(t, id.viewer, id.variable, map[string]any{name: v}), id.field, "BAD_USER_INPUT", id.arg)
			})
			t.Run(id.name+"/literal", func(t *testing.T) {
				var lit string
				if s, ok := v.(string); ok {
					lit = quote(s)
				} else {
					lit = itoaAny(v)
				}
				text := strings.Replace(id.literal, "%s", lit, 1)
				assertError(t, e.as(t, id.viewer, text, nil), id.field, "BAD_USER_INPUT", id.arg)
			})
		}
	}

	// limit outside 1..100 on every list; 1 and 100 are allowed.
	lists := []struct{ field, viewer, text string }{
		{"teamAnalytics", uZeta, `query($limit: Int) { teamAnalytics { topFlows(limit: $limit) { name } } }`},
		{"teamAnalytics", uZeta, `query($limit: Int) { teamAnalytics { topEngineers(limit: $limit) { name } } }`},
		{"myAnalytics", uEmile, `query($limit: Int) { myAnalytics { topFlows(limit: $limit) { name } } }`},
		{"flowAnalytics", uEmile, `query($limit: Int) { flowAnalytics(treeId: "` + tCheckout + `") { recentComments(limit: $limit) { comment } } }`},
	}
	for _, l := range lists {
		for _, n := range []int{0, 101, -1, 1000000} {
			assertError(t, e.as(t, l.viewer, l.text, map[string]any{"limit": n}), l.field, "BAD_USER_INPUT", "limit")
			lit := strings.Replace(strings.Replace(l.text, "query($limit: Int) ", "", 1), "$limit", itoa(n), 1)
			assertError(t, e.as(t, l.viewer, lit, nil), l.field, "BAD_USER_INPUT", "limit")
		}
		for _, n := range []int{1, 100} {
			if res := e.as(t, l.viewer, l.text, map[string]any{"limit": n}); len(res.Errors) > 0 {
				t.Errorf("limit %d refused: %s", n, res.Body)
			}
		}
	}
}

// itoaAny writes a non-string test value as a GraphQL literal.
func itoaAny(v any) string {
	switch x := v.(type) {
	case int:
		return itoa(x)
	case float64:
		return ftoa(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case map[string]any:
		return `{id: "` + tCheckout + `"}`
	case []any:
		return `["` + tCheckout + `"]`
	}
	panic("itoaAny: unexpected value")
}
