package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// RollupTables are the folded rollup tables (migration 0030), which a bulk
// load's VACUUM should cover like the tables they summarize.
var RollupTables = []string{"rollup_counts", "rollup_durations", "rollup_steps", "rollup_transitions", "rollup_ratings", "rollup_votes"}

// FoldRollups moves the delta rows that the triggers appended into the
// folded rollup tables (flowlens_rollups_fold, migration 0031) and returns
// how many it moved; 0 when another fold is running. Answers are the same
// before and after: folding only keeps the rows a request reads few. db
// must be the tables' owner.
func FoldRollups(ctx context.Context, db bun.IDB) (int64, error) {
	var n int64
	if err := db.NewRaw("SELECT flowlens_rollups_fold()").Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("fold rollups: %w", err)
	}
	return n, nil
}

// RebuildRollups recomputes every rollup from the raw rows in one
// transaction (flowlens_rollups_rebuild): writers of sessions and ratings
// wait until it commits; readers see the old rollups until then. Progress
// lines go to the writer set by NoticesTo. db must be the tables' owner.
func RebuildRollups(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT flowlens_rollups_rebuild()"); err != nil {
			return fmt.Errorf("rebuild rollups: %w", err)
		}
		return nil
	})
}

// VacuumRollups runs VACUUM (ANALYZE) over the folded rollup tables, one
// at a time, outside any transaction (VACUUM cannot run in one); readers
// and writers go on meanwhile. After RebuildRollups every row is new:
// until a vacuum marks their pages all-visible, the read functions' index
// scans visit the table for every row they read, and autovacuum would do
// the work under the first dashboards. db must be the tables' owner.
func VacuumRollups(ctx context.Context, db *bun.DB) error {
	for _, table := range RollupTables {
		if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE) "+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	return nil
}

// notices receives the progress notices of long maintenance statements
// (the rollups' backfill in `flowlens migrate`, `flowlens rollups
// rebuild`): PostgreSQL NOTICEs whose message starts with "rollups:".
var notices = struct {
	sync.Mutex
	w io.Writer
}{w: os.Stderr}

// NoticesTo sets where progress notices go (os.Stderr by default; nil
// drops them).
func NoticesTo(w io.Writer) {
	notices.Lock()
	notices.w = w
	notices.Unlock()
}

// printNotice is the connections' notice handler.
func printNotice(_ *pgconn.PgConn, n *pgconn.Notice) {
	if !strings.HasPrefix(n.Message, "rollups:") {
		return
	}
	notices.Lock()
	defer notices.Unlock()
	if notices.w != nil {
		fmt.Fprintln(notices.w, n.Message)
	}
}
