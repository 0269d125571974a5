package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// routeKey is the context key of a request's route.
type routeKey struct{}

// route is where one request reads: chosen at its first read, then the
// same for every read of the request, from the viewer's lookup to the
// last dataloader batch.
type route struct {
	reads *reads
	once  sync.Once
	// pos is the primary's WAL position at the choice; the replica has
	// replayed it.
	pos lsn
	// replica is where the request reads; nil: the primary.
	replica atomic.Pointer[replica]
}

// ForRequest returns ctx for one request: every read of the store under it
// goes to the same place, a replica that has replayed the primary's
// position as of the first read, or the primary. Without replicas it
// returns ctx itself, and reads run as they always do.
func (s *Store) ForRequest(ctx context.Context) context.Context {
	if s.reads == nil {
		return ctx
	}
	return context.WithValue(ctx, routeKey{}, &route{reads: s.reads})
}

// routeFrom returns the route of ctx, or nil.
func routeFrom(ctx context.Context) *route {
	rt, _ := ctx.Value(routeKey{}).(*route)
	return rt
}

// inTx runs fn as primaryTx does, where the request reads. A transaction
// that fails on the replica for a reason of the replica's own (its
// connection, a conflict with recovery, a replay position behind the
// request's) runs again on the primary, and so do the request's later
// ones: reads only, so running one again is safe.
func (rt *route) inTx(ctx context.Context, setting string, id uuid.UUID, tuning string, fn func(db bun.IDB) error) error {
	rt.once.Do(func() { rt.choose(ctx) })
	m := rt.reads.metrics
	if r := rt.replica.Load(); r != nil {
		err := replicaTx(ctx, r.db, setting, id, tuning, rt.pos, fn)
		if err == nil {
			m.ReplicaRead(r.name)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		retry, reason, leave := classify(err)
		if !retry {
			return err
		}
		// The request's other reads may fail at the same time: the first
		// one tells.
		if rt.replica.CompareAndSwap(r, nil) {
			if leave {
				rt.reads.fail(r)
			}
			m.ReplicaFallback(reason)
		}
	}
	m.ReplicaRead(TargetPrimary)
	return primaryTx(ctx, rt.reads.primary, setting, id, tuning, fn)
}

// choose picks where the request reads: the replicas in turn, starting
// with the next one, skipping those out of rotation (except the one check
// that is due), the first one that replays the primary's position within
// the wait; else the primary.
func (rt *route) choose(ctx context.Context) {
	rd := rt.reads
	start := time.Now()
	first := int(rd.next.Add(1)) % len(rd.replicas)
	deadline := start.Add(rd.wait)
	reason := FallbackNoReplica
	positioned := false
	for i := range rd.replicas {
		r := rd.replicas[(first+i)%len(rd.replicas)]
		ok, probe := r.claim(time.Now())
		if !ok {
			continue
		}
		if !positioned {
			pos, err := primaryPosition(ctx, rd.primary)
			if err != nil {
				r.release(probe)
				rd.metrics.ReplicaFallback(FallbackPrimaryPosition)
				return
			}
			rt.pos, positioned = pos, true
		}
		served, why := rd.await(ctx, r, rt.pos, deadline, probe)
		if served {
			rt.replica.Store(r)
			rd.metrics.ReplicaCheck(time.Since(start))
			return
		}
		if why == "" { // the request ended
			return
		}
		reason = why
	}
	if positioned {
		rd.metrics.ReplicaCheck(time.Since(start))
	}
	rd.metrics.ReplicaFallback(reason)
}

// replicaSettings is txSettings on a replica, with the check that its
// server is still a standby that has replayed the request's position, in
// the same statement. Transactions are READ COMMITTED, so every statement
// after this one takes a snapshot that holds all the position's commits.
func replicaSettings(tuning string) string {
	return txSettings(tuning) + ", pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false)"
}

// replicaTx runs fn in a read-only transaction on a replica, once (a
// failure goes to the primary instead), after checking that the replica
// has replayed pos.
func replicaTx(ctx context.Context, db *bun.DB, setting string, id uuid.UUID, tuning string, pos lsn, fn func(db bun.IDB) error) error {
	return db.RunInTx(ctx, readOnly, func(ctx context.Context, tx bun.Tx) error {
		var set, tuned string
		var inRecovery, replayed bool
		if err := tx.QueryRowContext(ctx, replicaSettings(tuning), setting, id.String(), pos.String()).Scan(&set, &tuned, &inRecovery, &replayed); err != nil {
			return fmt.Errorf("set %s: %w", setting, err)
		}
		if !inRecovery || !replayed {
			return errStale{promoted: !inRecovery}
		}
		return fn(tx)
	})
}

// unreachable reports whether err is a failure to connect.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pg *pgconn.PgError
	// 57P03 cannot_connect_now: the server is starting up or shutting down.
	return errors.As(err, &pg) && pg.Code == "57P03"
}

// statementCancelled reports whether err is PostgreSQL cancelling a
// statement (SQLSTATE 57014: statement_timeout, a cancel request).
func statementCancelled(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "57014"
}
