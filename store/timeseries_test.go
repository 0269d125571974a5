package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

// The time series fixture: account A (tree S1, users Ann and Ben; tree S2),
// account B (tree SB, user Bo). Sessions of S1 by Ann unless said;
// outcomes count whether completed or not (t1 is not completed).
//
//	#    started_at (UTC)                 outcome
//	t1   2026-03-01 00:00:00              resolved (not completed)
//	t2   2026-03-01 23:59:59.999999 (Ben) escalated
//	t3   2026-03-03 12:00 (tree S2)       Resolved (not the word)
//	t4   2026-03-04 00:00                 workaround
//	x1   2026-03-02 12:00 (S1, Bo of B)   resolved   nowhere
//	b1   2026-03-02 12:00 (SB, Bo)        unresolved account B
//	t5   2026-03-28 22:59:59              unresolved Berlin: 03-28 23:59:59 CET
//	t6   2026-03-28 23:00:00              NULL       Berlin: 03-29 00:00 CET
//	t7   2026-03-29 21:59:00              resolved   Berlin: 03-29 23:59 CEST
//	t8   2026-03-29 22:00:00              escalated  Berlin: 03-30 00:00 CEST (Monday)
//	t9   2025-01-31 23:30                 resolved   Berlin: 02-01 00:30
//	t10  2025-02-28 23:30                 workaround Berlin: 03-01 00:30
//	t11  2025-03-01 00:00                 NULL
//	t12  2026-04-30 18:15                 resolved   Kathmandu (+05:45): 05-01 00:00
//	t13  2026-05-01 18:14:59.999999       NULL       Kathmandu: 05-01 23:59:59.999999
//	t14  2026-05-01 18:15                 escalated  Kathmandu: 05-02 00:00
//	t15  2026-05-02 18:15                 resolved   Kathmandu: 05-03 00:00
//	t16  1960-01-02 00:44:29              NULL       Monrovia (−00:44:30): 01-01 23:59:59
//	t17  1960-01-02 00:44:30              resolved   Monrovia: 01-02 00:00
//
// Europe/Berlin moves from +01 to +02 at 2026-03-29T01:00Z, so 03-29 lasts
// 23 hours there. Africa/Monrovia's offset of −00:44:30 (until 1972) is no
// whole number of quarter hours, so its buckets are computed per session.
var (
	tsA  = uuid.MustParse("a0000000-0000-4000-8000-0000000000a5")
	tsB  = uuid.MustParse("b0000000-0000-4000-8000-0000000000b5")
	tsS1 = uuid.MustParse("a5000000-0000-4000-8000-000000000001")
	tsS2 = uuid.MustParse("a5000000-0000-4000-8000-000000000002")
	tsSB = uuid.MustParse("b5000000-0000-4000-8000-000000000001")
	tsAn = uuid.MustParse("a6000000-0000-4000-8000-000000000001")
	tsBe = uuid.MustParse("a6000000-0000-4000-8000-000000000002")
	tsBo = uuid.MustParse("b6000000-0000-4000-8000-000000000001")
)

func seriesFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.accounts(tsA, tsB)
	f.users(user{id: tsAn, account: tsA, name: "Ann"}, user{id: tsBe, account: tsA, name: "Ben"},
		user{id: tsBo, account: tsB, name: "Bo"})
	f.trees(tree{tsS1, tsA, "S1"}, tree{tsS2, tsA, "S2"}, tree{tsSB, tsB, "SB"})
	done := minutes(1)
	f.sessions(
		session{tsS1, tsAn, "2026-03-01T00:00:00Z", 0, "resolved"},
		session{tsS1, tsBe, "2026-03-01T23:59:59.999999Z", done, "escalated"},
		session{tsS2, tsAn, "2026-03-03T12:00:00Z", done, "Resolved"},
		session{tsS1, tsAn, "2026-03-04T00:00:00Z", done, "workaround"},
		session{tsS1, tsBo, "2026-03-02T12:00:00Z", done, "resolved"},
		session{tsSB, tsBo, "2026-03-02T12:00:00Z", done, "unresolved"},
		session{tsS1, tsAn, "2026-03-28T22:59:59Z", done, "unresolved"},
		session{tsS1, tsAn, "2026-03-28T23:00:00Z", done, nil},
		session{tsS1, tsAn, "2026-03-29T21:59:00Z", done, "resolved"},
		session{tsS1, tsAn, "2026-03-29T22:00:00Z", done, "escalated"},
		session{tsS1, tsAn, "2025-01-31T23:30:00Z", done, "resolved"},
		session{tsS1, tsAn, "2025-02-28T23:30:00Z", done, "workaround"},
		session{tsS1, tsAn, "2025-03-01T00:00:00Z", done, nil},
		session{tsS1, tsAn, "2026-04-30T18:15:00Z", done, "resolved"},
		session{tsS1, tsAn, "2026-05-01T18:14:59.999999Z", done, nil},
		session{tsS1, tsAn, "2026-05-01T18:15:00Z", done, "escalated"},
		session{tsS1, tsAn, "2026-05-02T18:15:00Z", done, "resolved"},
		session{tsS1, tsAn, "1960-01-02T00:44:29Z", done, nil},
		session{tsS1, tsAn, "1960-01-02T00:44:30Z", done, "resolved"},
	)
	return f
}

// point writes a time series point as "date sessions/resolved/escalated/
// workaround/unresolved".
func point(p models.TimeSeriesPoint) string {
	return fmt.Sprintf("%s %d/%d/%d/%d/%d", p.Date.Format("2006-01-02"), p.Sessions, p.Resolved, p.Escalated, p.Workaround, p.Unresolved)
}

func TestTimeSeries(t *testing.T) {
	f := seriesFixture(t)
	day, week, month := models.GranularityDay, models.GranularityWeek, models.GranularityMonth
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			name     string
			account  uuid.UUID
			from, to string
			tz       string
			g        models.Granularity
			narrow   func(*models.Scope)
			want     string // points, "; " between them
		}{
			// [03-01, 03-04): buckets 03-01…03-03; the window ends on a bucket
			// boundary, so no 03-04 (t4 is outside). 03-01: t1 (resolved, not
			// completed) and t2; 03-02: x1 is nowhere; 03-03: t3, no word.
			{"UTC days", tsA, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z", "UTC", day, nil,
				"2026-03-01 2/1/1/0/0; 2026-03-02 0/0/0/0/0; 2026-03-03 1/0/0/0/0"},
			// 1µs more: the last instant is 03-04 00:00, so 03-04 is a bucket, with t4.
			{"UTC days, 1µs past the boundary", tsA, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00.000001Z", "UTC", day, nil,
				"2026-03-01 2/1/1/0/0; 2026-03-02 0/0/0/0/0; 2026-03-03 1/0/0/0/0; 2026-03-04 1/0/0/1/0"},
			// Mid-day edges: first instant 03-01 12:00 (t1 is before it), last
			// 03-03 11:59:59.999999 (so 03-03 is a bucket; t3 at the end is out).
			{"UTC days, mid-day edges", tsA, "2026-03-01T12:00:00Z", "2026-03-03T12:00:00Z", "UTC", day, nil,
				"2026-03-01 1/0/1/0/0; 2026-03-02 0/0/0/0/0; 2026-03-03 0/0/0/0/0"},
			{"UTC days, Ben", tsA, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z", "UTC", day,
				func(sc *models.Scope) { sc.UserID, sc.ByUser = tsBe, true },
				"2026-03-01 1/0/1/0/0; 2026-03-02 0/0/0/0/0; 2026-03-03 0/0/0/0/0"},
			{"UTC days, tree S2", tsA, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z", "UTC", day,
				func(sc *models.Scope) { sc.TreeID = tsS2 },
				"2026-03-01 0/0/0/0/0; 2026-03-02 0/0/0/0/0; 2026-03-03 1/0/0/0/0"},
			// B: b1 only (x1 is nowhere); an account without data: zeros, one
			// point per bucket all the same.
			{"UTC days, account B", tsB, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z", "UTC", day, nil,
				"2026-03-01 0/0/0/0/0; 2026-03-02 1/0/0/0/1; 2026-03-03 0/0/0/0/0"},
			{"UTC days, unknown account", uuid.New(), "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z", "UTC", day, nil,
				"2026-03-01 0/0/0/0/0; 2026-03-02 0/0/0/0/0; 2026-03-03 0/0/0/0/0"},
			// [Mon 03-02, Mon 03-16): weeks of 03-02 (t3, t4) and 03-09 (none).
			{"UTC weeks", tsA, "2026-03-02T00:00:00Z", "2026-03-16T00:00:00Z", "UTC", week, nil,
				"2026-03-02 2/0/0/1/0; 2026-03-09 0/0/0/0/0"},
			// Berlin [03-28 00:00 CET, 03-30 00:00 CEST) = [03-27T23:00Z,
			// 03-29T22:00Z): 03-28 holds t5; the 23-hour 03-29 holds t6 and t7;
			// t8 is at the end.
			{"Berlin days over the DST change", tsA, "2026-03-27T23:00:00Z", "2026-03-29T22:00:00Z", "Europe/Berlin", day, nil,
				"2026-03-28 1/0/0/0/1; 2026-03-29 2/1/0/0/0"},
			// The same instants in UTC: 03-27 (from 23:00) is empty; 03-28 holds
			// t5 and t6; 03-29 t7.
			{"UTC days, same window", tsA, "2026-03-27T23:00:00Z", "2026-03-29T22:00:00Z", "UTC", day, nil,
				"2026-03-27 0/0/0/0/0; 2026-03-28 2/0/0/0/1; 2026-03-29 1/1/0/0/0"},
			// Berlin weeks [Mon 03-23 00:00 CET, Mon 04-06 00:00 CEST): t5, t6,
			// t7 in the week of 03-23; t8 (Monday 00:00 CEST) in that of 03-30.
			{"Berlin weeks over the DST change", tsA, "2026-03-22T23:00:00Z", "2026-04-05T22:00:00Z", "Europe/Berlin", week, nil,
				"2026-03-23 3/1/0/0/1; 2026-03-30 1/0/1/0/0"},
			// In UTC the same window starts on Sunday 03-22 23:00 (week of
			// 03-16) and ends on Sunday 04-05 (week of 03-30); t5…t8 all fall
			// on 03-28 or 03-29, in the week of 03-23.
			{"UTC weeks, same window", tsA, "2026-03-22T23:00:00Z", "2026-04-05T22:00:00Z", "UTC", week, nil,
				"2026-03-16 0/0/0/0/0; 2026-03-23 4/1/1/0/1; 2026-03-30 0/0/0/0/0"},
			// [2025-01-15, 2025-03-10) UTC: t9 January, t10 February, t11 March.
			{"UTC months", tsA, "2025-01-15T00:00:00Z", "2025-03-10T00:00:00Z", "UTC", month, nil,
				"2025-01-01 1/1/0/0/0; 2025-02-01 1/0/0/1/0; 2025-03-01 1/0/0/0/0"},
			// In Berlin t9 is on 02-01 and t10 on 03-01; January stays, empty.
			{"Berlin months", tsA, "2025-01-15T00:00:00Z", "2025-03-10T00:00:00Z", "Europe/Berlin", month, nil,
				"2025-01-01 0/0/0/0/0; 2025-02-01 1/1/0/0/0; 2025-03-01 2/0/0/1/0"},
			// Kathmandu [05-01 00:00, 05-03 00:00) local = [04-30T18:15Z,
			// 05-02T18:15Z): 05-01 holds t12 (at the start) and t13; 05-02 t14;
			// t15 is at the end.
			{"Kathmandu days", tsA, "2026-04-30T18:15:00Z", "2026-05-02T18:15:00Z", "Asia/Kathmandu", day, nil,
				"2026-05-01 2/1/0/0/0; 2026-05-02 1/0/1/0/0"},
			// Monrovia [01-01 00:00, 01-03 00:00) local = [01-01T00:44:30Z,
			// 01-03T00:44:30Z): t16 on 01-01, t17 on 01-02 although both start
			// in the same UTC quarter hour.
			{"Monrovia days (offset not in quarter hours)", tsA, "1960-01-01T00:44:30Z", "1960-01-03T00:44:30Z", "Africa/Monrovia", day, nil,
				"1960-01-01 1/0/0/0/0; 1960-01-02 1/1/0/0/0"},
		} {
			sc := models.Scope{AccountID: c.account, Window: window(t, c.from, c.to, c.tz)}
			if c.narrow != nil {
				c.narrow(&sc)
			}
			points, err := st.TimeSeries(context.Background(), sc, c.g)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []string
			for _, p := range points {
				got = append(got, point(p))
			}
			if g := strings.Join(got, "; "); g != c.want {
				t.Errorf("%s %s:\n got %s\nwant %s", c.name, c.g, g, c.want)
			}
		}
	})
}

// TestTimeSeriesZonePaths: the zones above take both ways of bucketing
// (per UTC quarter hour, and per session for Monrovia's old offset).
func TestTimeSeriesZonePaths(t *testing.T) {
	for _, c := range []struct {
		from, to, tz string
		aligned      bool
	}{
		{"2026-03-27T23:00:00Z", "2026-03-29T22:00:00Z", "Europe/Berlin", true},
		{"2026-04-30T18:15:00Z", "2026-05-02T18:15:00Z", "Asia/Kathmandu", true},
		{"1960-01-01T00:44:30Z", "1960-01-03T00:44:30Z", "Africa/Monrovia", false},
	} {
		if got := window(t, c.from, c.to, c.tz).QuarterHourAligned(); got != c.aligned {
			t.Errorf("%s [%s, %s): quarter-hour aligned %v, want %v", c.tz, c.from, c.to, got, c.aligned)
		}
	}
}

func TestTimeSeriesBadGranularity(t *testing.T) {
	f := newFixture(t)
	sc := models.Scope{AccountID: uuid.New(), Window: window(t, "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "UTC")}
	_, err := f.st.TimeSeries(context.Background(), sc, models.Granularity("HOUR"))
	var me *models.Error
	if !errors.As(err, &me) || me.Code != models.CodeBadUserInput || !strings.HasPrefix(me.Message, "granularity: ") {
		t.Errorf("granularity HOUR: %v; want BAD_USER_INPUT naming granularity", err)
	}
}
