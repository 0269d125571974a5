package bench

// The statements of the original service, written against schema plain
// (search_path) as it issued them: every statement joins sessions to trees
// and filters on the tree's account. The median statement also computes the
// 90th percentile (the same sort), so that its numbers can be compared with
// today's summary.
const (
	origFrom     = "FROM sessions s JOIN trees t ON t.id = s.tree_id WHERE "
	origDuration = "EXTRACT(EPOCH FROM (s.completed_at - s.started_at)) / 60"
)

// origWhere returns the scope's conditions and arguments, from $1: the
// account is the tree's, as the original service filtered it.
func origWhere(sc scope) (string, []any) { return scopeWhere(sc, "t.account_id") }

// origSummarySQL are the five summary statements, by purpose.
var origSummarySQL = struct{ Total, Completed, Percentiles, Engineers, Outcomes string }{
	Total:     "SELECT count(*) " + origFrom + "%s",
	Completed: "SELECT count(*) " + origFrom + "%s AND s.completed_at IS NOT NULL",
	Percentiles: "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY " + origDuration + "), " +
		"percentile_cont(0.9) WITHIN GROUP (ORDER BY " + origDuration + ") " + origFrom + "%s AND s.completed_at IS NOT NULL",
	Engineers: "SELECT count(DISTINCT s.user_id) " + origFrom + "%s",
	Outcomes:  "SELECT s.outcome, count(*) " + origFrom + "%s AND s.completed_at IS NOT NULL AND s.outcome IS NOT NULL GROUP BY s.outcome",
}

// origSeriesSQL is the daily series, grouped by the start's date (the
// connection's time zone is UTC).
const origSeriesSQL = "SELECT s.started_at::date::text, count(*), " +
	"count(*) FILTER (WHERE s.outcome = 'resolved'), count(*) FILTER (WHERE s.outcome = 'escalated'), " +
	"count(*) FILTER (WHERE s.outcome = 'workaround'), count(*) FILTER (WHERE s.outcome = 'unresolved') " +
	origFrom + "%s GROUP BY 1 ORDER BY 1"

// origTopFlowsSQL and origTopEngineersSQL rank trees and users with each
// one's median duration; $N is the limit.
const (
	origTopFlowsSQL = "SELECT t.id::text, t.name, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY " + origDuration + ") " +
		origFrom + "%s GROUP BY t.id, t.name ORDER BY count(*) DESC, t.name COLLATE \"C\", t.id LIMIT $%d"
	origTopEngineersSQL = "SELECT u.id::text, coalesce(nullif(u.name, ''), 'Unknown'), count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY " + origDuration + ") " +
		"FROM sessions s JOIN trees t ON t.id = s.tree_id JOIN users u ON u.id = s.user_id WHERE %s " +
		"GROUP BY u.id ORDER BY count(*) DESC, coalesce(nullif(u.name, ''), 'Unknown') COLLATE \"C\", u.id LIMIT $%d"
	// One statement per listed tree or user.
	origTreeCompletedSQL = "SELECT count(*) " + origFrom + "%s AND s.completed_at IS NOT NULL AND s.tree_id = $%d"
	origUserCompletedSQL = "SELECT count(*) " + origFrom + "%s AND s.completed_at IS NOT NULL AND s.user_id = $%d"
)

// Flow analytics statements besides the summary and the series.
const (
	origTreeSQL      = "SELECT id::text, name, tree_structure::text FROM trees WHERE id = $1 AND account_id = $2"
	origRatingsWhere = "FROM session_ratings r JOIN trees t ON t.id = r.tree_id WHERE t.account_id = $1 AND r.tree_id = $2"
	origCsatSQL      = "SELECT r.rating, count(*) " + origRatingsWhere + " AND r.created_at >= $3 AND r.created_at < $4 GROUP BY r.rating"
	origDecisionsSQL = "SELECT s.decisions, s.completed_at IS NOT NULL " + origFrom + "%s"
	origCommentsSQL  = "SELECT r.rating, r.comment, r.created_at " + origRatingsWhere +
		" AND r.comment IS NOT NULL AND r.comment <> '' ORDER BY r.created_at DESC, r.id LIMIT $3"
	// origVotesSQL is added to the original flow sequence: the issue's
	// list has no statement for the step ratings, which stepFeedback needs.
	origVotesSQL = "SELECT r.node_id, count(*) FILTER (WHERE r.helpful), count(*) FILTER (WHERE NOT r.helpful) " +
		"FROM step_ratings r JOIN trees t ON t.id = r.tree_id WHERE t.account_id = $1 AND r.tree_id = $2 " +
		"AND r.created_at >= $3 AND r.created_at < $4 GROUP BY r.node_id"
)
