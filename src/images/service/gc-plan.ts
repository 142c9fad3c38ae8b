// The kubelet's image GC decision (pkg/kubelet/images/image_gc_manager.go), as a pure function: when the
// image filesystem is at or above the high threshold, free `capacity*(100-low)/100 - available` bytes by
// removing unused, unpinned images older than minAge, least recently used first (never-used ones first of
// all, then the earliest detected), counting each image's size as freed.

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
  if (capacity <= 0) return { usagePercent: 0, bytesToFree: 0, remove: [], plannedBytes: 0 };
  // Integer percent, as the kubelet computes it: 100 - int(available*100/capacity).
  const usagePercent = 100 - Math.trunc((available * 100) / capacity);
  // A high threshold of 100 disables GC (the kubelet's documented meaning).
  if (policy.highThresholdPercent >= 100 || usagePercent < policy.highThresholdPercent) {
    return { usagePercent, bytesToFree: 0, remove: [], plannedBytes: 0 };
  }
  const bytesToFree = Math.trunc((capacity * (100 - policy.lowThresholdPercent)) / 100) - available;
  const order = [...images]
    .filter((i) => !i.inUse && !i.pinned)
    .sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
  const remove: GcCandidate[] = [];
  let planned = 0;
  for (const img of order) {
    if (planned >= bytesToFree) break;
    if (now - img.firstDetected < policy.minAgeMs) continue;
    remove.push(img);
    planned += img.size;
  }
  return { usagePercent, bytesToFree, remove, plannedBytes: planned };
}
