package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// StepFeedback returns, for sc's tree, one entry per node id seen in a
// counted decision of the window's sessions (an object whose node_id is a
// non-empty string; other entries and non-array decisions are skipped):
// visits, drop-offs (sessions not completed whose last array entry is a
// counted decision at the node) and the step ratings created in the window,
// with the node's title from the tree structure; highest rounded drop-off
// rate first, then node id in byte order. One statement: the statistics
// come back as a JSON array beside the tree structure's text, whose titles
// are read by models.NodeTitles without loading any session into memory.
//
// The statistics come from the rollups (rollupSteps).
func (s *Store) StepFeedback(ctx context.Context, sc models.Scope) ([]models.StepFeedback, error) {
	if !flowRollups(s, sc) {
		return s.Reference().StepFeedback(ctx, sc)
	}
	var row stepRow
	if err := s.rollupSteps(ctx, sc, &row); err != nil {
		return nil, fmt.Errorf("step feedback: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	return row.steps()
}

// stepRow is the row of a step statistics statement: the tree structure's
// text and the statistics as a JSON array.
type stepRow struct {
	Structure *string `bun:"structure"`
	Stats     string  `bun:"stats"`
}

// StepFeedback computes Store.StepFeedback from the raw rows, in one
// statement.
func (r Reference) StepFeedback(ctx context.Context, sc models.Scope) ([]models.StepFeedback, error) {
	var row stepRow
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		// The array's length is taken once per session, in a
		// materialized CTE: inlined, it would be evaluated (and a large
		// array decompressed) once per entry, quadratic in the entries.
		decided := sessions(db, sc).
			ColumnExpr("s.completed_at, s.decisions").
			ColumnExpr("jsonb_array_length(s.decisions) AS entries").
			Where("jsonb_typeof(s.decisions) = 'array'")
		visits := db.NewSelect().
			TableExpr("decided AS d").
			Join("CROSS JOIN LATERAL jsonb_array_elements(d.decisions) WITH ORDINALITY AS e(step, ord)").
			Where("jsonb_typeof(e.step) = 'object'").
			Where("jsonb_typeof(e.step -> 'node_id') = 'string'").
			Where("e.step ->> 'node_id' <> ''").
			ColumnExpr("e.step ->> 'node_id' AS node_id").
			ColumnExpr("count(*) AS visit_count").
			ColumnExpr("count(*) FILTER (WHERE d.completed_at IS NULL AND e.ord = d.entries) AS dropoff_count").
			GroupExpr("1")
		votes := inWindow(treeRatings(db, "step_ratings", sc), sc).
			ColumnExpr("r.node_id").
			ColumnExpr("count(*) FILTER (WHERE r.helpful) AS helpful_yes").
			ColumnExpr("count(*) FILTER (WHERE NOT r.helpful) AS helpful_no").
			GroupExpr("r.node_id")
		stats := db.NewSelect().
			TableExpr("visits AS v").
			Join("LEFT JOIN votes AS h ON h.node_id = v.node_id").
			ColumnExpr("v.node_id, v.visit_count, v.dropoff_count").
			ColumnExpr("coalesce(h.helpful_yes, 0) AS helpful_yes, coalesce(h.helpful_no, 0) AS helpful_no").
			OrderExpr(`round(v.dropoff_count::numeric / v.visit_count, 3) DESC, v.node_id COLLATE "C"`)

		return db.NewSelect().
			WithQuery(bun.NewWithQuery("decided", decided).Materialized()).
			With("visits", visits).
			With("votes", votes).
			With("stats", stats).
			TableExpr("trees AS t").
			Where("t.id = ?", sc.TreeID).
			Where("t.account_id = ?", sc.AccountID).
			ColumnExpr("t.tree_structure::text AS structure").
			ColumnExpr("(SELECT coalesce(json_agg(x), '[]')::text FROM stats AS x) AS stats").
			Scan(ctx, &row)
	})
	if err != nil {
		return nil, fmt.Errorf("step feedback: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	return row.steps()
}

// steps decodes the statistics and names the nodes from the structure.
func (row *stepRow) steps() ([]models.StepFeedback, error) {
	var steps []models.StepFeedback
	if err := json.Unmarshal([]byte(row.Stats), &steps); err != nil {
		return nil, fmt.Errorf("step feedback: decode statistics: %w", err)
	}
	ids := make(map[string]bool, len(steps))
	for _, st := range steps {
		ids[st.NodeID] = true
	}
	var structure []byte
	if row.Structure != nil {
		structure = []byte(*row.Structure)
	}
	titles := models.NodeTitles(structure, ids)
	for i := range steps {
		st := &steps[i]
		st.NodeTitle = titles.Title(st.NodeID)
		st.HelpfulRate = models.Ratio(st.HelpfulYes, st.HelpfulYes+st.HelpfulNo, 3)
		st.DropoffRate = models.Ratio(st.DropoffCount, st.VisitCount, 3)
	}
	return steps, nil
}
