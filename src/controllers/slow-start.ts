// Slow-start batching of a controller's creates (pkg/controller/replicaset/replica_set.go, slowStartBatch;
// controller.SlowStartInitialBatchSize in pkg/controller/controller_utils.go). A create that is bound to fail
// (quota, admission, a bad template) fails a handful of times instead of once per missing replica, and a
// large scale-up reaches the API server in growing waves rather than all at once.

/** controller.SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface SlowStartResult {
  /** The first failure, when a batch had one; later batches were not started. */
  error?: unknown;
}

/**
 * Calls `fn` `count` times in batches of `initialBatchSize`, then twice the previous size while every call
 * of a batch succeeds. The calls of one batch run together, as upstream's goroutines do; the first batch
 * with a failure is the last. `proceed` is asked before each batch: podrun's addition, so that a sync whose
 * object was deleted meanwhile stops at the next batch instead of finishing its burst (the informer's cache
 * is current by then, since the in-process store delivers a write's watch event before the write returns).
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<unknown>,
  proceed: () => boolean = () => true,
): Promise<SlowStartResult> {
  let remaining = count;
  for (
    let batchSize = Math.min(remaining, initialBatchSize);
    batchSize > 0;
    batchSize = Math.min(2 * batchSize, remaining)
  ) {
    if (!proceed()) break;
    const results = await Promise.allSettled(Array.from({ length: batchSize }, () => fn()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) return { error: failure.reason };
    remaining -= batchSize;
  }
  return {};
}
