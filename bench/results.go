package bench

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// answer is the data of one dashboard, whichever computed it: the service
// (decoded from its GraphQL response), the original baseline or the floor.
// Fields a query does not ask for stay zero.
type answer struct {
	Flow               *flowRef      `json:"flow,omitempty"`
	Summary            *summary      `json:"summary,omitempty"`
	PreviousSummary    *summary      `json:"previousSummary,omitempty"`
	TimeSeries         []point       `json:"timeSeries,omitempty"`
	TopFlows           []top         `json:"topFlows,omitempty"`
	TopEngineers       []top         `json:"topEngineers,omitempty"`
	AvgCsat            *float64      `json:"avgCsat,omitempty"`
	TotalRatings       int           `json:"totalRatings,omitempty"`
	RatingDistribution []ratingCount `json:"ratingDistribution,omitempty"`
	StepFeedback       []step        `json:"stepFeedback,omitempty"`
	RecentComments     []comment     `json:"recentComments,omitempty"`
	// The flow-path fields, which only the flow-path requests ask for.
	Transitions []transition `json:"transitions,omitempty"`
	ExitNodes   []exitNode   `json:"exitNodes,omitempty"`
	Funnel      []funnelStep `json:"funnel,omitempty"`
}

// transition is a Transition of the API.
type transition struct {
	FromNodeID string  `json:"fromNodeId"`
	ToNodeID   string  `json:"toNodeId"`
	Count      int     `json:"count"`
	Share      float64 `json:"share"`
}

// exitNode is an ExitNode of the API.
type exitNode struct {
	NodeID   string `json:"nodeId"`
	Sessions int    `json:"sessions"`
}

// funnelStep is a FunnelStep of the API.
type funnelStep struct {
	NodeID         string  `json:"nodeId"`
	Sessions       int     `json:"sessions"`
	ConversionRate float64 `json:"conversionRate"`
}

// flowRef is flowAnalytics.flow.
type flowRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// summary is the Summary type of the API.
type summary struct {
	TotalSessions         int      `json:"totalSessions"`
	CompletedSessions     int      `json:"completedSessions"`
	CompletionRate        float64  `json:"completionRate"`
	MedianDurationMinutes float64  `json:"medianDurationMinutes"`
	P90DurationMinutes    float64  `json:"p90DurationMinutes"`
	ActiveEngineers       int      `json:"activeEngineers"`
	OutcomeBreakdown      outcomes `json:"outcomeBreakdown"`
}

// outcomes is the OutcomeBreakdown type.
type outcomes struct {
	Resolved   int `json:"resolved"`
	Escalated  int `json:"escalated"`
	Workaround int `json:"workaround"`
	Unresolved int `json:"unresolved"`
}

// point is a TimeSeriesPoint.
type point struct {
	Date       string `json:"date"`
	Sessions   int    `json:"sessions"`
	Resolved   int    `json:"resolved"`
	Escalated  int    `json:"escalated"`
	Workaround int    `json:"workaround"`
	Unresolved int    `json:"unresolved"`
}

// top is a TopFlow or TopEngineer (the queries alias treeId and userId as id).
type top struct {
	ID                    string  `json:"id"`
	Name                  string  `json:"name"`
	Sessions              int     `json:"sessions"`
	CompletionRate        float64 `json:"completionRate"`
	MedianDurationMinutes float64 `json:"medianDurationMinutes"`
}

// ratingCount is a RatingCount.
type ratingCount struct {
	Rating int `json:"rating"`
	Count  int `json:"count"`
}

// step is a StepFeedback.
type step struct {
	NodeID       string  `json:"nodeId"`
	NodeTitle    string  `json:"nodeTitle"`
	HelpfulYes   int     `json:"helpfulYes"`
	HelpfulNo    int     `json:"helpfulNo"`
	HelpfulRate  float64 `json:"helpfulRate"`
	VisitCount   int     `json:"visitCount"`
	DropoffCount int     `json:"dropoffCount"`
	DropoffRate  float64 `json:"dropoffRate"`
}

// comment is a FlowComment; CreatedAt as the API writes it (RFC 3339, UTC).
type comment struct {
	Rating    int    `json:"rating"`
	Comment   string `json:"comment"`
	CreatedAt string `json:"createdAt"`
}

// without returns a copy of a without the fields a baseline does not
// compute (the original service had no previous summary).
func (a answer) without(previous bool) answer {
	if previous {
		a.PreviousSummary = nil
	}
	return a
}

// sameAnswer returns nil when got equals want, else an error showing the
// first field that differs.
func sameAnswer(what string, want, got answer) error {
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
func (a *answer) normalized() answer {
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
