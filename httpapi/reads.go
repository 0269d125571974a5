package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"flowlens/store"
)

// readsTogether makes all the reads of a request, from the viewer's lookup
// on, go to the same place: with replicas, the first of them chooses a
// replica that is as fresh as the primary, or the primary (store.
// ForRequest); without replicas it is next itself.
func (a *App) readsTogether(next http.Handler) http.Handler {
	if !a.replicated {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(a.store.ForRequest(r.Context())))
	})
}

// readTee hands the figures of replica reads to two receivers.
type readTee [2]store.ReadMetrics

func (t readTee) ReplicaRead(target string) {
	t[0].ReplicaRead(target)
	t[1].ReplicaRead(target)
}

func (t readTee) ReplicaFallback(reason string) {
	t[0].ReplicaFallback(reason)
	t[1].ReplicaFallback(reason)
}

func (t readTee) ReplicaLag(replica string, bytes uint64) {
	t[0].ReplicaLag(replica, bytes)
	t[1].ReplicaLag(replica, bytes)
}

func (t readTee) ReplicaUp(replica string, up bool) {
	t[0].ReplicaUp(replica, up)
	t[1].ReplicaUp(replica, up)
}

func (t readTee) ReplicaCheck(d time.Duration) {
	t[0].ReplicaCheck(d)
	t[1].ReplicaCheck(d)
}

// ReplicaName is the name of the replica at index i of Deps.Replicas in
// metrics: replica-1 for the first.
func ReplicaName(i int) string { return "replica-" + strconv.Itoa(i+1) }
