// Small statistics over samples in milliseconds. Medians and percentiles use the nearest-rank method.

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Nearest-rank percentile (p in 0–100); NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(1)} ms`;
}

/** KiB (as /proc reports) shown in MB of 10^6 bytes, the unit the targets use. */
export function mb(kib: number): string {
  if (!Number.isFinite(kib)) return 'n/a';
  return `${((kib * 1024) / 1e6).toFixed(0)} MB`;
}

export function kibToMb(kib: number): number {
  return (kib * 1024) / 1e6;
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function now(): bigint {
  return process.hrtime.bigint();
}
