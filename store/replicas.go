package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// Replica reads. With read replicas (streaming standbys of the primary,
// REPLICA_DATABASE_URLS), a request reads from a replica only once that
// replica has replayed the primary's WAL up to the position the primary had
// when the request's first read began, so its answers are exactly as
// fresh as the primary's (shared/API.md, "Freshness"): one statement on
// the primary per request reads that position, and the request waits at
// most ReplicaOptions.Wait for a replica to reach it, else reads from the
// primary. Replicas share the requests in turn; one that is unreachable,
// lags past the wait or was promoted is skipped, and checked again by one
// request after a pause that doubles while it keeps failing. route.go
// holds one request's choice and its transactions.

// Replica is a read-only standby of the primary, connected as the
// service's role.
type Replica struct {
	// Name labels the replica in metrics ("replica-1", ...).
	Name string
	// DB is its connection pool.
	DB *bun.DB
}

// ReplicaOptions tune replica reads.
type ReplicaOptions struct {
	// Wait bounds how long a request waits for a replica to replay the
	// primary's position before it reads from the primary instead.
	Wait time.Duration
	// Retry is how long a replica that failed (unreachable, lagging past
	// Wait, promoted) is skipped before one request checks it again; the
	// pause doubles, up to 8×Retry, while it keeps failing.
	Retry time.Duration
	// Metrics receives the figures of replica reads (nil: none).
	Metrics ReadMetrics
}

// Defaults of ReplicaOptions.
const (
	// DefaultReplicaWait is the default of ReplicaOptions.Wait
	// (REPLICA_WAIT): longer than PostgreSQL's wal_writer_delay (200 ms),
	// within which even asynchronously committed writes reach a standby.
	DefaultReplicaWait = 250 * time.Millisecond
	// DefaultReplicaRetry is the default of ReplicaOptions.Retry.
	DefaultReplicaRetry = time.Second
)

// ReadMetrics receives the figures of replica reads; observe.Metrics
// implements it.
type ReadMetrics interface {
	// ReplicaRead counts one read-only transaction on target: TargetPrimary
	// or a replica's name.
	ReplicaRead(target string)
	// ReplicaFallback counts a request that reads from the primary
	// although replicas are configured (or, mid-request, goes on there),
	// by reason: one of the Fallback constants.
	ReplicaFallback(reason string)
	// ReplicaLag records how many bytes of WAL a replica had yet to replay
	// at its last check.
	ReplicaLag(replica string, bytes uint64)
	// ReplicaUp records whether a replica is in rotation.
	ReplicaUp(replica string, up bool)
	// ReplicaCheck records the time one request spent choosing where to
	// read: the primary's position and any wait for a replica.
	ReplicaCheck(d time.Duration)
}

// TargetPrimary is the target label of reads on the primary.
const TargetPrimary = "primary"

// Why a request read from the primary although replicas are configured.
const (
	// FallbackLagging: no replica replayed the primary's position within
	// the wait (or one had fallen behind it mid-request).
	FallbackLagging = "lagging"
	// FallbackUnreachable: the replica's connection failed.
	FallbackUnreachable = "unreachable"
	// FallbackPromoted: the replica is not in recovery any more.
	FallbackPromoted = "promoted"
	// FallbackQueryError: a statement failed on the replica (a conflict
	// with recovery, say); the transaction ran again on the primary.
	FallbackQueryError = "query_error"
	// FallbackNoReplica: every replica is being skipped after a failure.
	FallbackNoReplica = "no_replica"
	// FallbackPrimaryPosition: the primary's WAL position could not be read.
	FallbackPrimaryPosition = "primary_position"
)

// WithReplicas returns a store that reads from replicas when they are
// fresh enough (see above); without replicas it returns s.
func (s *Store) WithReplicas(replicas []Replica, o ReplicaOptions) *Store {
	if len(replicas) == 0 {
		return s
	}
	if o.Retry <= 0 {
		o.Retry = DefaultReplicaRetry
	}
	if o.Wait < 0 {
		o.Wait = 0
	}
	rd := &reads{primary: s.db, wait: o.Wait, retry: o.Retry, metrics: o.Metrics}
	if rd.metrics == nil {
		rd.metrics = noMetrics{}
	}
	for _, r := range replicas {
		rd.replicas = append(rd.replicas, &replica{name: r.Name, db: r.DB})
		rd.metrics.ReplicaUp(r.Name, true)
	}
	return &Store{db: s.db, reads: rd}
}

// reads is the primary and its replicas, with each replica's state.
type reads struct {
	primary  *bun.DB
	replicas []*replica
	wait     time.Duration
	retry    time.Duration
	metrics  ReadMetrics
	next     atomic.Uint64 // turn of the replicas
}

// replica is one replica and what is known of it.
type replica struct {
	name string
	db   *bun.DB
	// replayed is the highest replay position seen while in rotation (0
	// after a failure): a request whose position it reaches needs no check.
	replayed atomic.Uint64

	mu       sync.Mutex
	down     bool      // out of rotation
	retryAt  time.Time // when down: when one request may check it again
	failures int       // consecutive failures, for the pause
	probing  bool      // a request is checking it
}

// claim reports whether a request may read from r now, and whether as the
// one check of a replica out of rotation (probe).
func (r *replica) claim(now time.Time) (ok, probe bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.down:
		return true, false
	case r.probing || now.Before(r.retryAt):
		return false, false
	}
	r.probing = true
	return true, true
}

// up puts r (back) in rotation.
func (rd *reads) up(r *replica) {
	r.mu.Lock()
	was := r.down
	r.down, r.probing, r.failures = false, false, 0
	r.mu.Unlock()
	if was {
		rd.metrics.ReplicaUp(r.name, true)
	}
}

// fail takes r out of rotation until its pause has passed. Requests that
// find it failing at the same moment count once: the pause grows only when
// r leaves rotation or its check fails.
func (rd *reads) fail(r *replica) {
	r.replayed.Store(0)
	r.mu.Lock()
	was := r.down
	if !r.down || r.probing {
		r.retryAt = time.Now().Add(rd.retry << min(r.failures, 3))
		r.failures++
	}
	r.down, r.probing = true, false
	r.mu.Unlock()
	if !was {
		rd.metrics.ReplicaUp(r.name, false)
	}
}

// release ends a probe that could not take place (the request ended, or
// the primary did not answer): r stays as it was.
func (r *replica) release(probe bool) {
	if probe {
		r.mu.Lock()
		r.probing = false
		r.mu.Unlock()
	}
}

// pollPause bounds the pause between two checks of a replica's replay
// position while a request waits for it.
const pollPause = 20 * time.Millisecond

// minPoll is the least time a check of a replica may take, whatever the
// wait bound (a wait of 0 still allows one check).
const minPoll = 50 * time.Millisecond

// await waits until r has replayed pos, for as long as deadline allows
// (a probe does the same). It returns whether r may serve the request
// and, when not, why; a replica that fails is taken out of rotation, one
// that succeeds put (back) in. reason is "" when the request itself ended.
func (rd *reads) await(ctx context.Context, r *replica, pos lsn, deadline time.Time, probe bool) (ok bool, reason string) {
	if !probe && lsn(r.replayed.Load()) >= pos {
		return true, ""
	}
	checkBy := deadline
	if early := time.Now().Add(minPoll); checkBy.Before(early) {
		checkBy = early
	}
	pctx, cancel := context.WithDeadline(ctx, checkBy)
	defer cancel()
	pause := time.Millisecond
	for {
		inRecovery, replay, err := replayPosition(pctx, r.db)
		switch {
		case ctx.Err() != nil:
			r.release(probe)
			return false, ""
		case err != nil && pctx.Err() != nil:
			// The check itself took the whole wait: a replica that slow
			// is as good as lagging.
			rd.fail(r)
			return false, FallbackLagging
		case err != nil:
			rd.fail(r)
			return false, FallbackUnreachable
		case !inRecovery:
			rd.fail(r)
			return false, FallbackPromoted
		}
		rd.metrics.ReplicaLag(r.name, pos.minus(replay))
		if replay >= pos {
			for seen := r.replayed.Load(); lsn(seen) < replay && !r.replayed.CompareAndSwap(seen, uint64(replay)); seen = r.replayed.Load() {
			}
			rd.up(r)
			return true, ""
		}
		if !time.Now().Add(pause).Before(deadline) {
			rd.fail(r)
			return false, FallbackLagging
		}
		select {
		case <-ctx.Done():
			r.release(probe)
			return false, ""
		case <-time.After(pause):
		}
		pause = min(2*pause, pollPause)
	}
}

// replayPosition asks a replica whether it is still a standby and how far
// it has replayed the WAL.
func replayPosition(ctx context.Context, db *bun.DB) (inRecovery bool, replay lsn, err error) {
	var text *string
	err = db.QueryRowContext(ctx, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").Scan(&inRecovery, &text)
	if err != nil || text == nil {
		// A server that is not in recovery has no replay position.
		return inRecovery, 0, err
	}
	replay, err = parseLSN(*text)
	return inRecovery, replay, err
}

// primaryPosition reads the primary's current WAL insert position (and
// the size of its WAL segments, to read the position right). Every
// transaction visible on the primary has its commit record before it, even
// one committed with synchronous_commit off (visible before its WAL is
// flushed), which pg_current_wal_lsn() (the write position) could miss.
func primaryPosition(ctx context.Context, db *bun.DB) (lsn, error) {
	var text string
	var segment uint64
	if err := db.QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text, pg_size_bytes(current_setting('wal_segment_size'))").Scan(&text, &segment); err != nil {
		return 0, err
	}
	pos, err := parseLSN(text)
	if err != nil {
		return 0, err
	}
	return pos.recordEnd(segment), nil
}

// errStale is the answer of a replica's transaction whose server turned
// out not to be a standby that has replayed the request's position: the
// transaction runs again on the primary.
type errStale struct{ promoted bool }

func (e errStale) Error() string {
	if e.promoted {
		return "the replica is not in recovery any more"
	}
	return "the replica has not replayed the request's WAL position"
}

// classify tells what an error of a transaction on a replica means:
// whether the transaction should run again on the primary, why, and
// whether the replica leaves rotation: one whose connection failed, that
// was promoted or fell behind does; one whose statement failed otherwise
// (a conflict with recovery, say) stays.
func classify(err error) (retry bool, reason string, leave bool) {
	var stale errStale
	switch {
	case errors.As(err, &stale) && stale.promoted:
		return true, FallbackPromoted, true
	case errors.As(err, &stale):
		return true, FallbackLagging, true
	case connectionLost(err) || unreachable(err):
		return true, FallbackUnreachable, true
	case statementCancelled(err):
		// A statement that took the role's statement_timeout on a replica
		// would take it on the primary too.
		return false, "", false
	}
	return true, FallbackQueryError, false
}

// noMetrics is the ReadMetrics of a store without any.
type noMetrics struct{}

func (noMetrics) ReplicaRead(string)         {}
func (noMetrics) ReplicaFallback(string)     {}
func (noMetrics) ReplicaLag(string, uint64)  {}
func (noMetrics) ReplicaUp(string, bool)     {}
func (noMetrics) ReplicaCheck(time.Duration) {}
