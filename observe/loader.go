package observe

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
)

// Batches wraps the batch function of the dataloader called name so that
// the number of keys of each batch it runs (one SQL statement each) goes to
// flowlens_dataloader_batch_size, whether the loader dispatches it or a
// list resolver calls it directly to preload. A batch runs with the context
// of its first Load, so the request's observer is found there; outside an
// observed request nothing is recorded.
func Batches[K comparable, V any](name string, batch dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		if req := requestFrom(ctx); req != nil {
			req.observer.opts.Metrics.ObserveBatch(name, len(keys))
		}
		return batch(ctx, keys)
	}
}
