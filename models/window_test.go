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
