// The kubelet's image garbage collection (pkg/kubelet/images/image_gc_manager.go and kubelet.go's
// StartGarbageCollection), through the CRI only, so that it works for any runtime with an image store.
//
// Every period (ImageGCPeriod, 5 min, first at start) a round:
//   1. detects images: ListImages and ListContainers (all states); a new image is recorded as first detected
//      now, an image some container was made from is last used now, a vanished image is forgotten;
//   2. with a max age, removes unused, unpinned images not used for that long (freeOldImages);
//   3. reads ImageFsInfo and, at or above the high threshold, frees `capacity*(100-low)/100 - available`
//      bytes, least recently used first, skipping images younger than the minimum age (freeSpace);
//   4. records `FreeDiskSpaceFailed` on the Node when not enough was eligible.
// A round that fails (the runtime, a removal such as ImageInUse: the others are still tried) is logged, and
// from the second failure in a row recorded as `ImageGCFailed`, as upstream. A runtime without an image store
// (listImages rejects with Unsupported) turns the collection off the first time, without a word.
//
// The decision (thresholds, eligibility, order) is the pure planGc/planMaxAge shared with the image service;
// this file keeps the records, calls the runtime and reports.

import type { ObjectReference } from '../api/types.js';
import { checkGcPolicy, type GcCandidate, planGc, planMaxAge } from '../images/service/gc-plan.js';
import { RuntimeError, type RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { goDuration } from '../util/go-format.js';
import { DEFAULT_IMAGE_GC, type EventRecorder, type ImageGCConfig } from './types.js';

/** The runtime calls the manager makes: CRI ListImages, ImageFsInfo, RemoveImage and ListContainers. */
export type ImageGCRuntime = Pick<
  RuntimeService,
  'listImages' | 'imageFsInfo' | 'removeImage' | 'listContainers'
>;

export interface ImageGCDeps {
  runtime: ImageGCRuntime;
  clock: Clock;
  events: EventRecorder;
  nodeName: string;
  /** Missing fields take DEFAULT_IMAGE_GC's. */
  policy?: Partial<ImageGCConfig>;
  /** Where a failed round is logged (default: console.error). */
  log?: (line: string) => void;
}

/** What the manager knows of one image (imageRecord). */
interface ImageRecord {
  /** ms since epoch */
  firstDetected: number;
  /** ms since epoch; 0 while no container was seen using it (Go's zero time sorts first). */
  lastUsed: number;
  size: number;
  pinned: boolean;
}

export class ImageGCManager {
  readonly policy: ImageGCConfig;
  readonly #deps: ImageGCDeps;
  readonly #nodeRef: ObjectReference;
  readonly #log: (line: string) => void;
  readonly #records = new Map<string, ImageRecord>();
  #loop: Promise<void> | undefined;
  #stop: AbortController | undefined;
  #disabled: string | undefined;

  /** Throws for a policy the kubelet would refuse to start with. */
  constructor(deps: ImageGCDeps) {
    this.#deps = deps;
    this.policy = { ...DEFAULT_IMAGE_GC, ...(deps.policy ?? {}) };
    try {
      checkGcPolicy(this.policy);
    } catch (e) {
      throw new Error(`kubelet config imageGC: ${(e as Error).message.replace(/^image GC: /, '')}`);
    }
    const { maxAgeMs, periodMs } = this.policy;
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0)
      throw new Error(
        `kubelet config imageGC: maxAgeMs ${maxAgeMs} must be a duration >= 0 (0 turns it off)`,
      );
    if (!Number.isFinite(periodMs) || periodMs <= 0)
      throw new Error(`kubelet config imageGC: periodMs ${periodMs} must be a duration > 0`);
    this.#nodeRef = { kind: 'Node', name: deps.nodeName, uid: deps.nodeName, namespace: '' };
    this.#log = deps.log ?? ((line) => console.error(line));
    // StartGarbageCollection: a high threshold of 100 and no max age leave nothing to do.
    if (this.policy.highThresholdPercent >= 100 && maxAgeMs === 0)
      this.#disabled = 'imageGC.highThresholdPercent is 100 and imageGC.maxAgeMs is 0';
  }

  /** Why the collection does not run (policy, or a runtime without an image store); undefined while it does. */
  get disabled(): string | undefined {
    return this.#disabled;
  }

  /** Starts the periodic collection: a round now, then one every period. */
  start(): void {
    if (this.#loop || this.#disabled) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.#loop = this.#run(stop.signal);
  }

  /** Stops the collection, waiting for a round under way. */
  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#loop;
    this.#loop = undefined;
    this.#stop = undefined;
  }

  /**
   * One round (GarbageCollect). `beganGc`: when the periodic collection started, for the max age. Rejects
   * when the round failed; the FreeDiskSpaceFailed and InvalidDiskCapacity events are recorded here.
   */
  async garbageCollect(beganGc: number): Promise<void> {
    const { runtime, clock, events } = this.#deps;
    const { maxAgeMs, highThresholdPercent, lowThresholdPercent, minAgeMs } = this.policy;
    const freeTime = clock.now();
    const inUse = await this.#detectImages(freeTime);
    let candidates = this.#candidates(inUse);

    const old = planMaxAge(candidates, maxAgeMs, freeTime, beganGc);
    if (old.length > 0) {
      const { removed, errors } = await this.#removeEach(old, () => false);
      candidates = candidates.filter((c) => !removed.has(c.id));
      if (errors.length > 0) {
        throw new Error(
          `wanted to free images older than ${goDuration(maxAgeMs)}, encountered errors in image deletion: ${aggregate(errors)}`,
        );
      }
    }

    const fs = await runtime.imageFsInfo();
    const capacity = fs.capacityBytes;
    const available = Math.min(fs.availableBytes, capacity);
    if (capacity <= 0) {
      const message = 'invalid capacity 0 on image filesystem';
      events.event(this.#nodeRef, 'Warning', 'InvalidDiskCapacity', message);
      throw new Error(message);
    }
    const plan = planGc(
      { capacityBytes: capacity, availableBytes: available },
      candidates,
      { highThresholdPercent, lowThresholdPercent, minAgeMs },
      freeTime,
    );
    if (plan.bytesToFree <= 0) return;
    const amountToFree = plan.bytesToFree;
    let freed = 0;
    const { errors } = await this.#removeEach(plan.eligible, (image) => {
      freed += image.size;
      return freed >= amountToFree;
    });
    if (errors.length > 0) {
      throw new Error(
        `wanted to free ${amountToFree} bytes, but freed ${freed} bytes space with errors in image deletion: ${aggregate(errors)}`,
      );
    }
    if (freed < amountToFree) {
      const message = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
      events.event(this.#nodeRef, 'Warning', 'FreeDiskSpaceFailed', message);
      throw new Error(message);
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { clock, events } = this.#deps;
    const beganGc = clock.now();
    let prevFailed = false;
    while (!signal.aborted) {
      try {
        await this.garbageCollect(beganGc);
        if (prevFailed) this.#log('kubelet: image garbage collection succeeded');
        prevFailed = false;
      } catch (e) {
        if (e instanceof RuntimeError && e.reason === 'Unsupported') {
          // Nothing to collect on a runtime that keeps no images; it will not grow a store while we run.
          this.#disabled = `the runtime has no image store: ${e.message}`;
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        if (prevFailed) {
          this.#log(`kubelet: image garbage collection failed multiple times in a row: ${message}`);
          // Only repeated failures make an event: the first may be a runtime still starting.
          events.event(this.#nodeRef, 'Warning', 'ImageGCFailed', message);
        } else {
          this.#log(`kubelet: image garbage collection failed once: ${message}`);
        }
        prevFailed = true;
      }
      try {
        await clock.sleep(this.policy.periodMs, signal);
      } catch {
        return;
      }
    }
  }

  /** detectImages: updates the records from the runtime; returns the ids of images some container uses. */
  async #detectImages(detectTime: number): Promise<Set<string>> {
    const { runtime, clock } = this.#deps;
    const images = await runtime.listImages();
    const containers = await runtime.listContainers();
    // A container names its image by id or by repo digest (containerd: the digest it was pulled by).
    const refs = new Set(containers.map((c) => c.imageRef).filter((r) => r !== ''));
    const now = clock.now();
    const inUse = new Set<string>();
    const present = new Set<string>();
    for (const image of images) {
      present.add(image.id);
      let record = this.#records.get(image.id);
      if (!record) {
        record = { firstDetected: detectTime, lastUsed: 0, size: 0, pinned: false };
        this.#records.set(image.id, record);
      }
      if (refs.has(image.id) || image.repoDigests.some((d) => refs.has(d))) {
        record.lastUsed = now;
        inUse.add(image.id);
      }
      record.size = image.size;
      record.pinned = image.pinned === true;
    }
    for (const id of this.#records.keys()) if (!present.has(id)) this.#records.delete(id);
    return inUse;
  }

  #candidates(inUse: Set<string>): GcCandidate[] {
    return [...this.#records].map(([id, r]) => ({
      id,
      size: r.size,
      lastUsed: r.lastUsed,
      firstDetected: r.firstDetected,
      inUse: inUse.has(id),
      pinned: r.pinned,
    }));
  }

  /**
   * Removes images in order until `enough` says so after a removal. A failed removal (ImageInUse: a container
   * was made from it since the detection) is kept and the next image tried, as upstream continues despite errors.
   */
  async #removeEach(
    images: readonly GcCandidate[],
    enough: (removed: GcCandidate) => boolean,
  ): Promise<{ removed: Set<string>; errors: unknown[] }> {
    const removed = new Set<string>();
    const errors: unknown[] = [];
    for (const image of images) {
      try {
        await this.#deps.runtime.removeImage({ image: image.id });
      } catch (e) {
        errors.push(e);
        continue;
      }
      this.#records.delete(image.id);
      removed.add(image.id);
      if (enough(image)) break;
    }
    return { removed, errors };
  }
}

/** k8s.io/apimachinery's errors.NewAggregate(...).Error(): one message as is, several as `[a, b]`, deduplicated. */
function aggregate(errors: readonly unknown[]): string {
  const messages = [...new Set(errors.map((e) => (e instanceof Error ? e.message : String(e))))];
  return messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
}
