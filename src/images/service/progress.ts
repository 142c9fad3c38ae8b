// Byte counts of the pulls under way. Downloads are shared between pulls (one per digest), so bytes are
// kept per digest and each pull sums those of its own blobs: 20 pulls of one image show the same figures.
import type { PullProgress } from '../../runtime/types.js';

interface Blob {
  digest: string;
  size: number;
}

export class PullTracker {
  private readonly pulls = new Set<PullEntry>();
  private readonly bytes = new Map<string, number>();

  start(image: string, startedAt: number): PullEntry {
    const e = new PullEntry(image, startedAt);
    this.pulls.add(e);
    return e;
  }

  finish(e: PullEntry): void {
    this.pulls.delete(e);
    // Counts for digests no remaining pull names are dropped, so the map does not grow with history.
    const live = new Set<string>();
    for (const p of this.pulls) for (const b of p.blobs) live.add(b.digest);
    for (const d of this.bytes.keys()) if (!live.has(d)) this.bytes.delete(d);
  }

  /** `bytes` of `digest` are on disk (from the pull client's progress callback, or a blob already stored). */
  progress(digest: string, bytes: number): void {
    this.bytes.set(digest, Math.max(this.bytes.get(digest) ?? 0, bytes));
  }

  snapshot(): PullProgress[] {
    return [...this.pulls].map((p) => {
      let done = 0;
      let layersDone = 0;
      for (const b of p.blobs) {
        const got = Math.min(b.size, this.bytes.get(b.digest) ?? 0);
        done += got;
        if (b !== p.blobs[0] && got >= b.size) layersDone++;
      }
      return {
        image: p.image,
        startedAt: p.startedAt,
        totalBytes: p.blobs.reduce((a, b) => a + b.size, 0),
        doneBytes: done,
        layers: Math.max(0, p.blobs.length - 1),
        layersDone,
      };
    });
  }
}

export class PullEntry {
  /** The config first, then the layers; empty until the manifest is known. */
  blobs: Blob[] = [];

  constructor(
    readonly image: string,
    readonly startedAt: number,
  ) {}

  setManifest(config: Blob, layers: readonly Blob[]): void {
    this.blobs = [
      { digest: config.digest, size: config.size },
      ...layers.map((l) => ({ digest: l.digest, size: l.size })),
    ];
  }
}
