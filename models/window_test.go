package models

import (
	"strings"
	"testing"
	"time"
)

// TestWindowRange: a window and its previous window must lie between
// EarliestTime and LatestTime; the bounds themselves are allowed, and the
// error names the argument that put the window out of range.
func TestWindowRange(t *testing.T) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, c := range []struct {
		from, to string
		arg      string // "": valid
	}{
		{"", "0001-01-01T00:00:00Z", "to"},                       // 30 days before year 1
		{"", "0002-01-31T00:00:00Z", "to"},                       // from 0002-01-01, previous from 0001-12-02
		{"", "0002-03-02T00:00:00Z", ""},                         // previous window 0002-01-01 to 0002-01-31
		{"0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z", "from"}, // year 1
		{"0002-01-01T00:00:00Z", "0002-01-02T00:00:00Z", "from"}, // previous window 0001-12-31
		{"0002-01-02T00:00:00Z", "0002-01-03T00:00:00Z", ""},     // previous window from EarliestTime
		{"9998-12-31T00:00:00Z", "9999-01-01T00:00:00Z", ""},     // to = LatestTime
		{"9998-12-31T00:00:00Z", "9999-01-01T00:00:01Z", "to"},
		{"9999-12-31T00:00:00Z", "9999-12-31T23:00:00-05:00", "to"}, // 10000-01-01T04:00Z
	} {
		args := WindowArgs{TimeZone: "UTC", To: at(c.to)}
		if c.from != "" {
			args.From = at(c.from)
		}
		_, err := NewWindow(args, now)
		switch {
		case c.arg == "" && err != nil:
			t.Errorf("%s – %s: %v", c.from, c.to, err)
		case c.arg != "":
			e, ok := AsError(err)
			if !ok || e.Code != CodeBadUserInput || !strings.HasPrefix(e.Message, c.arg+": ") || !strings.Contains(e.Message, "out of range") {
				t.Errorf("%s – %s: want BAD_USER_INPUT naming %s, got %v", c.from, c.to, c.arg, err)
			}
		}
	}
	// A clock out of range names the period, which then is the only argument.
	if _, err := NewWindow(WindowArgs{TimeZone: "UTC"}, time.Date(1, 1, 5, 0, 0, 0, 0, time.UTC)); err == nil || !strings.HasPrefix(err.Error(), "period: ") {
		t.Errorf("a clock in year 1: %v", err)
	}
}

// TestWindowWholeMicroseconds: stored times are whole microseconds, so a
// bound inside a microsecond moves to the next one: the window then holds
// exactly the stored instants of [from, to).
func TestWindowWholeMicroseconds(t *testing.T) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 500, time.UTC) // the clock inside a microsecond
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, c := range []struct {
		from, to         *time.Time
		wantFrom, wantTo string
	}{
		// 00:00:00.000000 lies in [x, 00:00:00.0000005): to becomes .000001.
		{at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00.0000005Z"), "2026-03-01T00:00:00Z", "2026-04-01T00:00:00.000001Z"},
		// .000000 is before from .0000005, .000001 is not.
		{at("2026-03-01T00:00:00.0000005Z"), at("2026-04-01T00:00:00Z"), "2026-03-01T00:00:00.000001Z", "2026-04-01T00:00:00Z"},
		// Whole microseconds stay as they are.
		{at("2026-03-01T00:00:00.000001Z"), at("2026-04-01T00:00:00.999999Z"), "2026-03-01T00:00:00.000001Z", "2026-04-01T00:00:00.999999Z"},
		// The default to, now, moves too: the instant now itself is in the window.
		{at("2026-03-01T00:00:00Z"), nil, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00.000001Z"},
		// 366 days and half a microsecond, 366 days once whole.
		{at("2025-03-30T23:59:59.9999995Z"), at("2026-03-31T00:00:00Z"), "2025-03-31T00:00:00Z", "2026-03-31T00:00:00Z"},
	} {
		w, err := NewWindow(WindowArgs{TimeZone: "UTC", From: c.from, To: c.to}, now)
		if err != nil {
			t.Fatalf("%v – %v: %v", c.from, c.to, err)
		}
		if got := w.From.Format(time.RFC3339Nano); got != c.wantFrom {
			t.Errorf("from %v: %s, want %s", c.from, got, c.wantFrom)
		}
		if got := w.To.Format(time.RFC3339Nano); got != c.wantTo {
			t.Errorf("to %v: %s, want %s", c.to, got, c.wantTo)
		}
	}
	// Half a microsecond apart inside one microsecond: no stored instant.
	if _, err := NewWindow(WindowArgs{TimeZone: "UTC", From: at("2026-03-01T00:00:00.0000001Z"), To: at("2026-03-01T00:00:00.0000009Z")}, now); err == nil || !strings.Contains(err.Error(), "from") {
		t.Errorf("a window inside one microsecond: %v, want an error naming from", err)
	}
}
