package httpapi

import (
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

// The query string of GET /export/sessions.csv, spelled as the GraphQL
// arguments (API.md, "CSV export"): view (team, my or flow), treeId
// (required with flow: the flow; otherwise the filter's), period, from,
// to, timeZone, engineerId (with team: teamAnalytics's argument; otherwise
// the filter's), the filter's other criteria by their names (outcomes
// repeated, in the stored lower-case words; completed=true|false) and
// orderBy. Every mistake is BAD_USER_INPUT naming the parameter, and so is
// a parameter the export does not know or one given twice (but outcomes).

// Export views.
const (
	viewTeam = "team"
	viewMy   = "my"
	viewFlow = "flow"
)

// exportParams are the checked parameters of one export.
type exportParams struct {
	view   string
	window models.WindowArgs
	// treeID is the flow of view=flow.
	treeID uuid.UUID
	// engineerID is teamAnalytics's engineerId (view=team).
	engineerID *uuid.UUID
	filter     models.SessionFilter
	order      models.SessionOrder
}

// exportParamNames are the parameters the export reads.
var exportParamNames = map[string]bool{
	"view": true, "treeId": true, "period": true, "from": true, "to": true, "timeZone": true, "engineerId": true,
	"outcomes": true, "completed": true, "visitedNode": true, "droppedOffAt": true,
	"minDurationMinutes": true, "maxDurationMinutes": true, "maxCsat": true, "orderBy": true,
}

// parseExportParams reads and checks the query string q.
func parseExportParams(q url.Values) (*exportParams, error) {
	for name, vs := range q {
		if !exportParamNames[name] {
			return nil, models.BadInput(models.Clip(name), "is not a parameter of the sessions export")
		}
		if len(vs) > 1 && name != "outcomes" {
			return nil, models.BadInput(name, "is given %d times; give it once", len(vs))
		}
	}
	p := &exportParams{order: models.OrderNewest, window: models.WindowArgs{TimeZone: "UTC"}}
	switch p.view = q.Get("view"); p.view {
	case viewTeam, viewMy, viewFlow:
	case "":
		return nil, models.BadInput("view", "is required: team, my or flow")
	default:
		return nil, models.BadInput("view", "%q is not a view; use team, my or flow", models.Clip(p.view))
	}
	var err error
	if q.Has("period") {
		period := models.Period(q.Get("period"))
		if _, ok := period.Duration(); !ok {
			return nil, models.BadInput("period", "%q is not a period; use LAST_7_DAYS, LAST_30_DAYS or LAST_90_DAYS", models.Clip(string(period)))
		}
		p.window.Period = period
	}
	if p.window.From, err = timeParam(q, "from"); err != nil {
		return nil, err
	}
	if p.window.To, err = timeParam(q, "to"); err != nil {
		return nil, err
	}
	if q.Has("timeZone") {
		p.window.TimeZone = q.Get("timeZone")
	}
	tree, err := uuidParam(q, "treeId")
	if err != nil {
		return nil, err
	}
	engineer, err := uuidParam(q, "engineerId")
	if err != nil {
		return nil, err
	}
	switch p.view {
	case viewFlow:
		if tree == nil {
			return nil, models.BadInput("treeId", "is required with view=flow")
		}
		p.treeID = *tree
		p.filter.EngineerID = engineer
	case viewTeam:
		p.engineerID = engineer
		p.filter.TreeID = tree
	default:
		p.filter.TreeID, p.filter.EngineerID = tree, engineer
	}
	if q.Has("outcomes") {
		p.filter.Outcomes = []models.Outcome{}
		for _, word := range q["outcomes"] {
			o := models.OutcomeOf(&word)
			if o == nil {
				return nil, models.BadInput("outcomes", "%q is not an outcome; use resolved, escalated, workaround or unresolved", models.Clip(word))
			}
			p.filter.Outcomes = append(p.filter.Outcomes, *o)
		}
	}
	if q.Has("completed") {
		switch v := q.Get("completed"); v {
		case "true", "false":
			b := v == "true"
			p.filter.Completed = &b
		default:
			return nil, models.BadInput("completed", "%q is not true or false", models.Clip(v))
		}
	}
	if q.Has("visitedNode") {
		v := q.Get("visitedNode")
		p.filter.VisitedNode = &v
	}
	if q.Has("droppedOffAt") {
		v := q.Get("droppedOffAt")
		p.filter.DroppedOffAt = &v
	}
	if p.filter.MinDurationMinutes, err = floatParam(q, "minDurationMinutes"); err != nil {
		return nil, err
	}
	if p.filter.MaxDurationMinutes, err = floatParam(q, "maxDurationMinutes"); err != nil {
		return nil, err
	}
	if q.Has("maxCsat") {
		n, err := strconv.Atoi(q.Get("maxCsat"))
		if err != nil {
			return nil, models.BadInput("maxCsat", "%q is not an integer", models.Clip(q.Get("maxCsat")))
		}
		p.filter.MaxCsat = &n
	}
	if err := p.filter.Validate(); err != nil {
		return nil, err
	}
	if q.Has("orderBy") {
		p.order = models.SessionOrder(q.Get("orderBy"))
		if !p.order.Valid() {
			return nil, models.BadInput("orderBy", "%q is not an order; use NEWEST, OLDEST or LONGEST", models.Clip(string(p.order)))
		}
	}
	return p, nil
}

// timeParam reads an RFC 3339 instant.
func timeParam(q url.Values, name string) (*time.Time, error) {
	if !q.Has(name) {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, q.Get(name))
	if err != nil {
		return nil, models.BadInput(name, "%q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", models.Clip(q.Get(name)))
	}
	return &t, nil
}

// uuidParam reads a UUID in canonical form.
func uuidParam(q url.Values, name string) (*uuid.UUID, error) {
	if !q.Has(name) {
		return nil, nil
	}
	s := q.Get(name)
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return nil, models.BadInput(name, "%q is not a valid UUID", models.Clip(s))
	}
	return &id, nil
}

// floatParam reads a finite number.
func floatParam(q url.Values, name string) (*float64, error) {
	if !q.Has(name) {
		return nil, nil
	}
	f, err := strconv.ParseFloat(q.Get(name), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, models.BadInput(name, "%q is not a finite number", models.Clip(q.Get(name)))
	}
	return &f, nil
}
