package models

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Outcome is how a session ended, as the main application stores it in
// sessions.outcome. Other values and NULL occur too; they count as no
// outcome.
type Outcome string

// The four outcomes that the analytics count, one figure each.
const (
	OutcomeResolved   Outcome = "resolved"
	OutcomeEscalated  Outcome = "escalated"
	OutcomeWorkaround Outcome = "workaround"
	OutcomeUnresolved Outcome = "unresolved"
)

// Outcomes returns the four outcomes in the order of the API's
// OutcomeBreakdown and TimeSeriesPoint fields.
func Outcomes() [4]Outcome {
	return [4]Outcome{OutcomeResolved, OutcomeEscalated, OutcomeWorkaround, OutcomeUnresolved}
}

// Valid reports whether o is one of the four outcomes.
func (o Outcome) Valid() bool {
	for _, x := range Outcomes() {
		if o == x {
			return true
		}
	}
	return false
}

// OutcomeOf returns the outcome of a stored word, or nil when the word is
// not exactly one of the four (other words, other case, NULL).
func OutcomeOf(stored *string) *Outcome {
	if stored == nil || !Outcome(*stored).Valid() {
		return nil
	}
	o := Outcome(*stored)
	return &o
}

// UnmarshalGQL reads the GraphQL enum value (RESOLVED, …: the stored word
// in upper case).
func (o *Outcome) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if ok && s == strings.ToUpper(s) && Outcome(strings.ToLower(s)).Valid() {
		*o = Outcome(strings.ToLower(s))
		return nil
	}
	return fmt.Errorf("%v is not an outcome; use RESOLVED, ESCALATED, WORKAROUND or UNRESOLVED", v)
}

// MarshalGQL writes the GraphQL enum value: the stored word in upper case.
func (o Outcome) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(strings.ToUpper(string(o))))
}
