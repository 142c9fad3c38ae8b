// The kubelet's image GC decision (pkg/kubelet/images/image_gc_manager.go), as a pure function: when the
// image filesystem is at or above the high threshold, free `capacity*(100-low)/100 - available` bytes by
// removing unused, unpinned images older than minAge, least recently used first (never-used ones first of
// all, then the earliest detected), counting each image's size as freed. The kubelet's image GC manager
// (src/kubelet/image-gc.ts) and ImageService.gc both decide here.

export interface GcPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

/** kubelet defaults: --image-gc-high-threshold 85, --image-gc-low-threshold 80, --minimum-image-ttl-duration 2m. */
export const defaultGcPolicy: GcPolicy = {
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeMs: 2 * 60_000,
};

export interface GcCandidate {
  id: string;
  size: number;
  /** ms since epoch; 0 when never used (Go's zero time sorts first). */
  lastUsed: number;
  firstDetected: number;
  inUse: boolean;
  pinned: boolean;
}

export interface GcPlan {
  usagePercent: number;
  /** 0 when below the high threshold. */
  bytesToFree: number;
  remove: GcCandidate[];
  /** Sum of the sizes of `remove`. */
  plannedBytes: number;
  /**
   * Every image that may go, in eviction order (unused, unpinned, old enough; LRU): `remove` is its shortest
   * prefix covering bytesToFree. The kubelet walks it, so that an image it fails to remove is replaced by the
   * next one as upstream's freeSpace does. Empty when below the high threshold.
   */
  eligible: GcCandidate[];
}

export function checkGcPolicy(p: GcPolicy): void {
  const pct = (v: number) => Number.isFinite(v) && v >= 0 && v <= 100;
  if (!pct(p.highThresholdPercent))
    throw new Error(`image GC: highThresholdPercent ${p.highThresholdPercent} must be between 0 and 100`);
  if (!pct(p.lowThresholdPercent))
    throw new Error(`image GC: lowThresholdPercent ${p.lowThresholdPercent} must be between 0 and 100`);
  if (p.lowThresholdPercent > p.highThresholdPercent) {
    throw new Error(
      `image GC: lowThresholdPercent (${p.lowThresholdPercent}) must not be above highThresholdPercent (${p.highThresholdPercent})`,
    );
  }
  if (!Number.isFinite(p.minAgeMs) || p.minAgeMs < 0)
    throw new Error(`image GC: minAgeMs ${p.minAgeMs} must be a duration >= 0`);
}

export function planGc(
  fs: { capacityBytes: number; availableBytes: number },
  images: readonly GcCandidate[],
  policy: GcPolicy,
  now: number,
): GcPlan {
  checkGcPolicy(policy);
  const { capacityBytes: capacity, availableBytes: available } = fs;
  if (capacity <= 0) return { usagePercent: 0, bytesToFree: 0, remove: [], plannedBytes: 0, eligible: [] };
  // Integer percent, as the kubelet computes it: 100 - int(available*100/capacity).
  const usagePercent = 100 - Math.trunc((available * 100) / capacity);
  // A high threshold of 100 disables GC (the kubelet's documented meaning).
  if (policy.highThresholdPercent >= 100 || usagePercent < policy.highThresholdPercent) {
    return { usagePercent, bytesToFree: 0, remove: [], plannedBytes: 0, eligible: [] };
  }
  const bytesToFree = Math.trunc((capacity * (100 - policy.lowThresholdPercent)) / 100) - available;
  const eligible = evictionOrder(images).filter((i) => now - i.firstDetected >= policy.minAgeMs);
  const remove: GcCandidate[] = [];
  let planned = 0;
  for (const img of eligible) {
    if (planned >= bytesToFree) break;
    remove.push(img);
    planned += img.size;
  }
  return { usagePercent, bytesToFree, remove, plannedBytes: planned, eligible };
}

/** Unused, unpinned images, least recently used first, ties broken by the earliest detected (byLastUsedAndDetected). */
function evictionOrder(images: readonly GcCandidate[]): GcCandidate[] {
  return images
    .filter((i) => !i.inUse && !i.pinned)
    .sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
}

/**
 * The kubelet's --image-maximum-gc-age (freeOldImages): unused, unpinned images not used for longer than
 * `maxAgeMs`, whatever the disk usage, in eviction order. 0 turns it off; nothing goes until maxAgeMs has
 * passed since the GC began (the kubelet's start), so that images are not collected before they could be seen
 * in use. The minimum age does not apply, as upstream.
 */
export function planMaxAge(
  images: readonly GcCandidate[],
  maxAgeMs: number,
  now: number,
  beganGc: number,
): GcCandidate[] {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0)
    throw new Error(`image GC: maxAgeMs ${maxAgeMs} must be a duration >= 0 (0 turns it off)`);
  if (maxAgeMs === 0 || now - beganGc <= maxAgeMs) return [];
  return evictionOrder(images).filter((i) => now - i.lastUsed > maxAgeMs);
}
