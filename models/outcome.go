package models

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
