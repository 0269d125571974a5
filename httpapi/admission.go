package httpapi

import (
	"net/http"

	"golang.org/x/sync/semaphore"
)

// admit runs at most Settings.MaxActiveRequests GraphQL requests at once
// (0: no bound); the others wait their turn in arrival order, within
// their deadline. Each dashboard issues several statements at once, and
// the connection pool hands a freed connection to any one of its waiters,
// not the longest waiting: with every request's statements queued on the
// pool together, a dashboard's last statement could wait behind those of
// every later request. Admitted in order, each request's statements find
// the pool nearly free (docs/benchmarks.md, "Admission"). Nothing is
// refused: a request whose deadline passes while it waits goes on without
// a turn to GraphQL, which runs nothing for it and answers the deadline's
// usual error (graphqlHTTP.Do), as it would had it waited on the pool.
func (a *App) admit(next http.Handler) http.Handler {
	n := a.settings.MaxActiveRequests
	if n <= 0 {
		return next
	}
	turns := semaphore.NewWeighted(int64(n))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := a.obs.Metrics().Queued()
		err := turns.Acquire(r.Context(), 1)
		done()
		if err == nil {
			defer turns.Release(1)
		}
		next.ServeHTTP(w, r)
	})
}
