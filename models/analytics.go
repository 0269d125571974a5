package models

import (
	"math"
	"time"

	"github.com/google/uuid"
)

// TeamAnalytics is the parent of the team dashboard's fields.
type TeamAnalytics struct{ Scope Scope }

// PersonalAnalytics is the parent of the personal dashboard's fields.
type PersonalAnalytics struct{ Scope Scope }

// FlowAnalytics is the parent of one flow's fields; Flow is known to belong
// to the scope's account.
type FlowAnalytics struct {
	Scope Scope
	Flow  Flow
}

// Flow is a tree (decision tree), shown to people as a flow.
type Flow struct {
	ID   uuid.UUID `bun:"id"`
	Name string    `bun:"name"`
}

// Summary holds the figures of a set of sessions.
type Summary struct {
	TotalSessions         int              `bun:"total_sessions"`
	CompletedSessions     int              `bun:"completed_sessions"`
	CompletionRate        float64          `bun:"completion_rate"`
	MedianDurationMinutes float64          `bun:"median_duration_minutes"`
	P90DurationMinutes    float64          `bun:"p90_duration_minutes"`
	ActiveEngineers       int              `bun:"active_engineers"`
	OutcomeBreakdown      OutcomeBreakdown `bun:"embed:"`
}

// OutcomeBreakdown counts completed sessions per outcome.
type OutcomeBreakdown struct {
	Resolved   int `bun:"resolved"`
	Escalated  int `bun:"escalated"`
	Workaround int `bun:"workaround"`
	Unresolved int `bun:"unresolved"`
}

// TimeSeriesPoint counts the sessions of one calendar bucket.
type TimeSeriesPoint struct {
	Date       time.Time `bun:"date"`
	Sessions   int       `bun:"sessions"`
	Resolved   int       `bun:"resolved"`
	Escalated  int       `bun:"escalated"`
	Workaround int       `bun:"workaround"`
	Unresolved int       `bun:"unresolved"`
}

// TopFlow is one of the busiest trees of a scope.
type TopFlow struct {
	TreeID                uuid.UUID `bun:"tree_id"`
	Name                  string    `bun:"name"`
	Sessions              int       `bun:"sessions"`
	MedianDurationMinutes float64   `bun:"median_duration_minutes"`
}

// TopEngineer is one of the busiest users of a scope.
type TopEngineer struct {
	UserID                uuid.UUID `bun:"user_id"`
	Name                  string    `bun:"name"`
	Sessions              int       `bun:"sessions"`
	MedianDurationMinutes float64   `bun:"median_duration_minutes"`
}

// RatingStats are the session-rating figures of a flow in a window.
type RatingStats struct {
	AvgCsat      *float64
	TotalRatings int
	// Distribution holds five entries, ratings 1 to 5.
	Distribution []RatingCount
}

// RatingCount is how many ratings gave one rating.
type RatingCount struct {
	Rating int `bun:"rating"`
	Count  int `bun:"count"`
}

// StepFeedback is what happened at one node of a flow.
type StepFeedback struct {
	NodeID       string  `json:"node_id"`
	NodeTitle    string  `json:"-"`
	HelpfulYes   int     `json:"helpful_yes"`
	HelpfulNo    int     `json:"helpful_no"`
	HelpfulRate  float64 `json:"-"`
	VisitCount   int     `json:"visit_count"`
	DropoffCount int     `json:"dropoff_count"`
	DropoffRate  float64 `json:"-"`
}

// FlowComment is an anonymous rating comment.
type FlowComment struct {
	Rating    int       `bun:"rating"`
	Comment   string    `bun:"comment"`
	CreatedAt time.Time `bun:"created_at"`
}

// Ratio returns n/d rounded half away from zero to the given decimal
// places, or 0 when d is 0.
func Ratio(n, d int, places int) float64 {
	if d == 0 {
		return 0
	}
	scale := math.Pow10(places)
	return math.Round(float64(n)*scale/float64(d)) / scale
}
