// Reads at a resourceVersion the server has not reached yet. Upstream's watch cache waits up to 3 seconds
// for it (waitUntilFreshAndBlock), then answers 504 "Too large resource version" with a cause a client can
// recognize and retryAfterSeconds: 1 (storage.NewTooLargeResourceVersionError). podrun's store is never
// behind itself, but writes may reach the revision while the request waits, so the wait is the same.
import { ApiError } from '../errors.js';
import { parseResourceVersion, type Registry } from '../registry.js';

/** watch_cache.go's blockTimeout. */
export const FRESHNESS_TIMEOUT_MS = 3000;
const POLL_MS = 20;

export function tooLargeResourceVersion(requested: number, current: number): ApiError {
  return new ApiError(
    504,
    'Timeout',
    `Timeout: Too large resource version: ${requested}, current: ${current}`,
    {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    },
  );
}

/**
 * Resolves once the store has reached `resourceVersion` (at once for none, "0" or one already reached);
 * fails after FRESHNESS_TIMEOUT_MS with the 504 above.
 */
export async function waitUntilFresh(
  registry: Registry,
  resourceVersion: string | null,
  timeoutMs = FRESHNESS_TIMEOUT_MS,
): Promise<void> {
  const wanted = parseResourceVersion(resourceVersion ?? undefined);
  const current = () => Number(registry.resourceVersion());
  if (wanted === 0 || current() >= wanted) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (current() >= wanted) return;
  }
  throw tooLargeResourceVersion(wanted, current());
}
