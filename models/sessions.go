package models

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// SessionOrder is the order of a sessions list; ties are broken by session
// id, ascending.
type SessionOrder string

// The orders of a sessions list.
const (
	// OrderNewest is started_at descending.
	OrderNewest SessionOrder = "NEWEST"
	// OrderOldest is started_at ascending.
	OrderOldest SessionOrder = "OLDEST"
	// OrderLongest is duration descending, sessions not completed after
	// all completed ones.
	OrderLongest SessionOrder = "LONGEST"
)

// Valid reports whether o is one of the three orders.
func (o SessionOrder) Valid() bool {
	return o == OrderNewest || o == OrderOldest || o == OrderLongest
}

// UnmarshalGQL reads the enum value of a GraphQL argument.
func (o *SessionOrder) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !SessionOrder(s).Valid() {
		return fmt.Errorf("%v is not a session order; use NEWEST, OLDEST or LONGEST", v)
	}
	*o = SessionOrder(s)
	return nil
}

// MarshalGQL writes the enum value.
func (o SessionOrder) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(o))) }

// SessionFilter narrows a sessions list; every criterion that is set must
// hold (API.md, "sessions"). Outcomes is nil when not given; an empty,
// non-nil Outcomes is given and matches nothing.
type SessionFilter struct {
	TreeID             *uuid.UUID
	EngineerID         *uuid.UUID
	Outcomes           []Outcome
	Completed          *bool
	VisitedNode        *string
	DroppedOffAt       *string
	MinDurationMinutes *float64
	MaxDurationMinutes *float64
	MaxCsat            *int
}

// Bounds of maxCsat.
const (
	MinCsat = 1
	MaxCsat = 5
)

// Validate checks the filter's values: maxCsat must be 1 to 5, durations
// finite. Errors are BAD_USER_INPUT naming the criterion.
func (f SessionFilter) Validate() error {
	if f.MaxCsat != nil && (*f.MaxCsat < MinCsat || *f.MaxCsat > MaxCsat) {
		return BadInput("maxCsat", "must be between %d and %d, got %d", MinCsat, MaxCsat, *f.MaxCsat)
	}
	for name, v := range map[string]*float64{"minDurationMinutes": f.MinDurationMinutes, "maxDurationMinutes": f.MaxDurationMinutes} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return BadInput(name, "must be a finite number")
		}
	}
	return nil
}

// SessionPosition is where a session sits in the order of a list: the
// order's key and the session id. Under LONGEST the key is Longest, the
// duration in microseconds, math.MinInt64 for a session not completed
// (after every completed one, negative durations included); otherwise it
// is StartedAt.
type SessionPosition struct {
	StartedAt time.Time
	Longest   int64
	ID        uuid.UUID
}

// Engineer is a user as a session shows it.
type Engineer struct {
	ID uuid.UUID
	// Name is the user's name, `Unknown` when the user has none.
	Name string
}

// SessionStep is a counted decision of a session with its node's title.
type SessionStep struct {
	NodeID    string
	NodeTitle string
}

// MaxSteps is the most steps a session lists (the largest `limit`).
const MaxSteps = 100

// Session is one listed session (API.md, "Session fields").
type Session struct {
	ID          uuid.UUID
	Flow        Flow
	Engineer    Engineer
	StartedAt   time.Time
	CompletedAt *time.Time
	// DurationMinutes is completed_at - started_at in minutes rounded to
	// one decimal, nil when not completed.
	DurationMinutes *float64
	// Outcome is set when the stored outcome is exactly one of the four words.
	Outcome *Outcome
	// Csat is the rating of the session's latest session rating.
	Csat *int
	// StepCount is the number of counted decisions.
	StepCount int
	// Steps are the first MaxSteps counted decisions with their titles,
	// when the query asked for them.
	Steps []SessionStep
	// LastNodeID is the node id of the last counted decision, if any.
	LastNodeID *string
	// Position is the session's place in the list's order.
	Position SessionPosition
}
