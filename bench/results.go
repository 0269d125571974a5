package bench

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Answer is the data of one dashboard, whichever computed it: the service
// (decoded from its GraphQL response), the original baseline or the floor.
// Fields a query does not ask for stay zero.
type Answer struct {
	Flow               *FlowRef      `json:"flow,omitempty"`
	Summary            *Summary      `json:"summary,omitempty"`
	PreviousSummary    *Summary      `json:"previousSummary,omitempty"`
	TimeSeries         []Point       `json:"timeSeries,omitempty"`
	TopFlows           []Top         `json:"topFlows,omitempty"`
	TopEngineers       []Top         `json:"topEngineers,omitempty"`
	AvgCsat            *float64      `json:"avgCsat,omitempty"`
	TotalRatings       int           `json:"totalRatings,omitempty"`
	RatingDistribution []RatingCount `json:"ratingDistribution,omitempty"`
	StepFeedback       []Step        `json:"stepFeedback,omitempty"`
	RecentComments     []Comment     `json:"recentComments,omitempty"`
	// The flow-path fields, which only the flow-path requests ask for.
	Transitions []Transition `json:"transitions,omitempty"`
	ExitNodes   []ExitNode   `json:"exitNodes,omitempty"`
	Funnel      []FunnelStep `json:"funnel,omitempty"`
}

// Transition is a Transition of the API.
type Transition struct {
	FromNodeID string  `json:"fromNodeId"`
	ToNodeID   string  `json:"toNodeId"`
	Count      int     `json:"count"`
	Share      float64 `json:"share"`
}

// ExitNode is an ExitNode of the API.
type ExitNode struct {
	NodeID   string `json:"nodeId"`
	Sessions int    `json:"sessions"`
}

// FunnelStep is a FunnelStep of the API.
type FunnelStep struct {
	NodeID         string  `json:"nodeId"`
	Sessions       int     `json:"sessions"`
	ConversionRate float64 `json:"conversionRate"`
}

// FlowRef is flowAnalytics.flow.
type FlowRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Summary is the Summary type of the API.
type Summary struct {
	TotalSessions         int      `json:"totalSessions"`
	CompletedSessions     int      `json:"completedSessions"`
	CompletionRate        float64  `json:"completionRate"`
	MedianDurationMinutes float64  `json:"medianDurationMinutes"`
	P90DurationMinutes    float64  `json:"p90DurationMinutes"`
	ActiveEngineers       int      `json:"activeEngineers"`
	OutcomeBreakdown      Outcomes `json:"outcomeBreakdown"`
}

// Outcomes is the OutcomeBreakdown type.
type Outcomes struct {
	Resolved   int `json:"resolved"`
	Escalated  int `json:"escalated"`
	Workaround int `json:"workaround"`
	Unresolved int `json:"unresolved"`
}

// Point is a TimeSeriesPoint.
type Point struct {
	Date       string `json:"date"`
	Sessions   int    `json:"sessions"`
	Resolved   int    `json:"resolved"`
	Escalated  int    `json:"escalated"`
	Workaround int    `json:"workaround"`
	Unresolved int    `json:"unresolved"`
}

// Top is a TopFlow or TopEngineer (the queries alias treeId and userId as id).
type Top struct {
	ID                    string  `json:"id"`
	Name                  string  `json:"name"`
	Sessions              int     `json:"sessions"`
	CompletionRate        float64 `json:"completionRate"`
	MedianDurationMinutes float64 `json:"medianDurationMinutes"`
}

// RatingCount is a RatingCount.
type RatingCount struct {
	Rating int `json:"rating"`
	Count  int `json:"count"`
}

// Step is a StepFeedback.
type Step struct {
	NodeID       string  `json:"nodeId"`
	NodeTitle    string  `json:"nodeTitle"`
	HelpfulYes   int     `json:"helpfulYes"`
	HelpfulNo    int     `json:"helpfulNo"`
	HelpfulRate  float64 `json:"helpfulRate"`
	VisitCount   int     `json:"visitCount"`
	DropoffCount int     `json:"dropoffCount"`
	DropoffRate  float64 `json:"dropoffRate"`
}

// Comment is a FlowComment; CreatedAt as the API writes it (RFC 3339, UTC).
type Comment struct {
	Rating    int    `json:"rating"`
	Comment   string `json:"comment"`
	CreatedAt string `json:"createdAt"`
}

// without returns a copy of a without the fields a baseline does not
// compute (the original service had no previous summary).
func (a Answer) without(previous bool) Answer {
	if previous {
		a.PreviousSummary = nil
	}
	return a
}

// sameAnswer returns nil when got equals want, else an error showing the
// first field that differs.
func sameAnswer(what string, want, got Answer) error {
	if reflect.DeepEqual(want, got) {
		return nil
	}
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := 0; i < wv.NumField(); i++ {
		if !reflect.DeepEqual(wv.Field(i).Interface(), gv.Field(i).Interface()) {
			w, _ := json.Marshal(wv.Field(i).Interface())
			g, _ := json.Marshal(gv.Field(i).Interface())
			return fmt.Errorf("%s: %s differs from the service's:\n  service: %s\n  %s: %s",
				what, wv.Type().Field(i).Name, clip(w), what, clip(g))
		}
	}
	return fmt.Errorf("%s differs from the service's", what)
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// normalized returns a with empty lists as nil, so that an empty list and
// an absent one compare equal.
func (a *Answer) normalized() Answer {
	c := *a
	if len(c.TimeSeries) == 0 {
		c.TimeSeries = nil
	}
	if len(c.TopFlows) == 0 {
		c.TopFlows = nil
	}
	if len(c.TopEngineers) == 0 {
		c.TopEngineers = nil
	}
	if len(c.RatingDistribution) == 0 {
		c.RatingDistribution = nil
	}
	if len(c.StepFeedback) == 0 {
		c.StepFeedback = nil
	}
	if len(c.RecentComments) == 0 {
		c.RecentComments = nil
	}
	return c
}
