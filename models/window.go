package models

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxWindow is the longest window a query may ask for.
const maxWindow = 366 * 24 * time.Hour

// EarliestTime and LatestTime bound the instants a window may cover, its
// previous window (previousSummary) included. PostgreSQL has no year 0,
// and instants before year 1 or after 9999 have no RFC 3339 form, so the
// statements of a window, whose calendar buckets reach up to a week and a
// time zone's offset beyond it, must stay within years 1 to 9999: these
// bounds keep a year's margin on either side.
var (
	EarliestTime = time.Date(2, time.January, 1, 0, 0, 0, 0, time.UTC)
	LatestTime   = time.Date(9999, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// Period is a preset window length ending now (or at `to`).
type Period string

// Preset periods of the API.
const (
	PeriodLast7Days  Period = "LAST_7_DAYS"
	PeriodLast30Days Period = "LAST_30_DAYS"
	PeriodLast90Days Period = "LAST_90_DAYS"
)

// Duration returns the period's length, N × 24 h, or false for an unknown period.
func (p Period) Duration() (time.Duration, bool) {
	switch p {
	case PeriodLast7Days:
		return 7 * 24 * time.Hour, true
	case PeriodLast30Days:
		return 30 * 24 * time.Hour, true
	case PeriodLast90Days:
		return 90 * 24 * time.Hour, true
	}
	return 0, false
}

// UnmarshalGQL reads the enum value of a GraphQL argument.
func (p *Period) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("period must be one of LAST_7_DAYS, LAST_30_DAYS, LAST_90_DAYS")
	}
	if _, ok := Period(s).Duration(); !ok {
		return fmt.Errorf("%q is not a period; use LAST_7_DAYS, LAST_30_DAYS or LAST_90_DAYS", s)
	}
	*p = Period(s)
	return nil
}

// MarshalGQL writes the enum value.
func (p Period) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(p))) }

// Granularity is the size of time-series buckets.
type Granularity string

// Bucket sizes of the API.
const (
	GranularityDay   Granularity = "DAY"
	GranularityWeek  Granularity = "WEEK"
	GranularityMonth Granularity = "MONTH"
)

// Unit returns the PostgreSQL date_trunc unit of the granularity.
func (g Granularity) Unit() (string, bool) {
	switch g {
	case GranularityDay:
		return "day", true
	case GranularityWeek:
		return "week", true
	case GranularityMonth:
		return "month", true
	}
	return "", false
}

// UnmarshalGQL reads the enum value of a GraphQL argument.
func (g *Granularity) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("granularity must be one of DAY, WEEK, MONTH")
	}
	if _, ok := Granularity(s).Unit(); !ok {
		return fmt.Errorf("%q is not a granularity; use DAY, WEEK or MONTH", s)
	}
	*g = Granularity(s)
	return nil
}

// MarshalGQL writes the enum value.
func (g Granularity) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(g))) }

// Window is the half-open interval [From, To) of session start times that an
// answer covers, and the time zone of its calendar buckets.
type Window struct {
	From     time.Time
	To       time.Time
	TimeZone string
	Location *time.Location
}

// WindowArgs are the window arguments of an analytics query as the client
// sent them.
type WindowArgs struct {
	Period   Period
	From     *time.Time
	To       *time.Time
	TimeZone string
}

// NewWindow validates args and returns the window they mean at instant now.
// A preset period means [now - N×24h, now); `from` (and `to`, default now)
// give [from, to) and take precedence; `to` alone gives [to - period, to).
// Errors are BAD_USER_INPUT and name the argument.
func NewWindow(args WindowArgs, now time.Time) (Window, error) {
	loc, err := loadTimeZone(args.TimeZone)
	if err != nil {
		return Window{}, err
	}
	period := args.Period
	if period == "" {
		period = PeriodLast30Days
	}
	length, ok := period.Duration()
	if !ok {
		return Window{}, BadInput("period", "%q is not a period", string(period))
	}
	to := now
	if args.To != nil {
		to = *args.To
	}
	from := to.Add(-length)
	if args.From != nil {
		from = *args.From
	}
	// Stored times are whole microseconds, and so is what reaches SQL: an
	// instant inside a microsecond becomes the next one, which keeps
	// exactly the stored times the interval holds ([from, to) with from
	// 00:00:00.0000005 starts at .000001; to .0000005 still holds .000000).
	from, to = ceilMicrosecond(from.UTC()), ceilMicrosecond(to.UTC())
	if !from.Before(to) {
		if args.To == nil {
			return Window{}, BadInput("from", "must be before `to` (default now); got from=%s, to=%s",
				from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
		}
		return Window{}, BadInput("from", "must be before `to`; got from=%s, to=%s",
			from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	}
	if to.Sub(from) > maxWindow {
		return Window{}, BadInput("from", "the window from %s to %s is longer than 366 days",
			from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	}
	if prev := from.Add(-to.Sub(from)); prev.Before(EarliestTime) || to.After(LatestTime) {
		arg := "period" // the clock itself is out of range
		switch {
		case args.From != nil && prev.Before(EarliestTime):
			arg = "from"
		case args.To != nil:
			arg = "to"
		case args.From != nil:
			arg = "from"
		}
		return Window{}, BadInput(arg, "the window from %s to %s is out of range: it and the window before it (previousSummary) must lie between %s and %s",
			from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), EarliestTime.Format(time.RFC3339), LatestTime.Format(time.RFC3339))
	}
	return Window{From: from, To: to, TimeZone: args.TimeZone, Location: loc}, nil
}

// ceilMicrosecond returns t, or the next whole microsecond when t lies
// inside one.
func ceilMicrosecond(t time.Time) time.Time {
	if r := t.Truncate(time.Microsecond); r.Before(t) {
		return r.Add(time.Microsecond)
	}
	return t
}

// loadTimeZone returns the location of an IANA time zone name. Empty names,
// `Local` and names that are not in the IANA database are BAD_USER_INPUT
// errors naming the `timeZone` argument. Only names spelled as the IANA
// database spells them get as far as the zone files: `Area/Location`
// components that start with a letter (so no ".", "..", empty or hidden
// path components, which the zone files would resolve but PostgreSQL's AT
// TIME ZONE rejects), and not the files of a zoneinfo directory that are
// no zone names (localtime, the server's own zone like `Local`;
// posixrules; the posix/ and right/ trees).
func loadTimeZone(name string) (*time.Location, error) {
	if !ianaName(name) {
		return nil, BadInput("timeZone", "%q is not an IANA time zone name (for example Europe/Berlin or UTC)", Clip(name))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, BadInput("timeZone", "%q is not an IANA time zone name (for example Europe/Berlin or UTC)", Clip(name))
	}
	return loc, nil
}

// Clip shortens client input before an error message echoes it: at most
// 64 bytes, cut on a character boundary, with an ellipsis.
func Clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ianaName reports whether name is spelled like an IANA time zone name.
func ianaName(name string) bool {
	switch name {
	case "", "Local", "localtime", "posixrules":
		return false
	}
	if strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/") {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || !isLetter(part[0]) {
			return false
		}
		for i := 1; i < len(part); i++ {
			if c := part[i]; !isLetter(c) && !('0' <= c && c <= '9') && c != '_' && c != '-' && c != '+' {
				return false
			}
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Previous returns the window of the same length that ends where w starts.
func (w Window) Previous() Window {
	d := w.To.Sub(w.From)
	return Window{From: w.From.Add(-d), To: w.From, TimeZone: w.TimeZone, Location: w.Location}
}

// QuarterHourAligned reports whether every UTC offset of the window's time
// zone during the window is a whole number of quarter hours (true of every
// zone today; not of the local mean times of the 19th century). Then each
// calendar bucket boundary falls on a quarter hour of UTC, and sessions may
// be counted per UTC quarter hour before being assigned to local buckets.
func (w Window) QuarterHourAligned() bool {
	if w.Location == nil {
		return false
	}
	t := w.From.In(w.Location)
	for i := 0; i < 1000; i++ {
		if _, offset := t.Zone(); offset%900 != 0 {
			return false
		}
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(w.To) {
			return true
		}
		t = end
	}
	return false
}
