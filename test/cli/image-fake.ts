// The FakeRuntime with what the image endpoints and commands need to be observed: pulls held until the test
// lets them finish (so progress can be seen), images in use, reference checks and loadImage of a docker save
// tarball's manifest.json. Test-only; the runtimes proper live in src/runtime.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidReferenceError, parseDockerRef } from '../../src/images/reference.js';
import { FakeRuntime, type FakeRuntimeOptions } from '../../src/runtime/fake/fake-runtime.js';
import {
  type ImageSpec,
  type ImageStatus,
  type PullImageOptions,
  type PullProgress,
  RuntimeError,
} from '../../src/runtime/types.js';

interface HeldPull {
  progress: PullProgress;
  /** Set once a pull of the image is waiting. */
  waiting: boolean;
  release: (err?: Error) => void;
  gate: Promise<void>;
}

export class ImageFake extends FakeRuntime {
  readonly inUse = new Set<string>();
  readonly #held = new Map<string, HeldPull>();
  /** The signal of each pull as it was asked for, to see cancellation. */
  readonly signals: (AbortSignal | undefined)[] = [];
  readonly loadedPaths: string[] = [];

  constructor(options: FakeRuntimeOptions) {
    super(options);
  }

  /** The next pull of `image` waits, showing `progress`, until release(). */
  hold(image: string, progress: Partial<PullProgress> = {}): void {
    let release!: (err?: Error) => void;
    const gate = new Promise<void>((resolve, reject) => {
      release = (err) => (err ? reject(err) : resolve());
    });
    this.#held.set(image, {
      progress: {
        image,
        startedAt: Date.now(),
        totalBytes: 0,
        doneBytes: 0,
        layers: 0,
        layersDone: 0,
        ...progress,
      },
      waiting: false,
      release,
      gate,
    });
  }

  isWaiting(image: string): boolean {
    return this.#held.get(image)?.waiting ?? false;
  }

  setProgress(image: string, progress: Partial<PullProgress>): void {
    const h = this.#held.get(image);
    if (h) Object.assign(h.progress, progress);
  }

  release(image: string, err?: Error): void {
    const h = this.#held.get(image);
    this.#held.delete(image);
    h?.release(err);
  }

  override async pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string> {
    this.signals.push(options?.signal);
    try {
      parseDockerRef(image.image);
    } catch (err) {
      if (err instanceof InvalidReferenceError)
        throw new RuntimeError('InvalidImageName', `${err.message}: "${image.image}"`);
      throw err;
    }
    const h = this.#held.get(image.image);
    if (h) {
      h.waiting = true;
      await h.gate;
    }
    return super.pullImage(image);
  }

  override pullsInProgress(): PullProgress[] {
    return [...this.#held.values()].filter((h) => h.waiting).map((h) => ({ ...h.progress }));
  }

  override async removeImage(image: ImageSpec): Promise<void> {
    if (this.inUse.has(image.image))
      throw new RuntimeError('ImageInUse', `image "${image.image}" is used by a container`);
    return super.removeImage(image);
  }

  /** Reads the `manifest.json` of a tar archive (docker save) and adds its RepoTags. */
  async loadImage(path: string): Promise<ImageStatus[]> {
    this.loadedPaths.push(path);
    const manifest = tarMember(await readFile(path), 'manifest.json', path);
    const items = JSON.parse(manifest.toString('utf8')) as { RepoTags?: string[] }[];
    const tags = items.flatMap((i) => i.RepoTags ?? []);
    for (const t of tags) this.addImage(t);
    return (await this.listImages()).filter((i) => i.repoTags.some((t) => tags.includes(t)));
  }
}

/** A member of a ustar archive; throws when the data is no tar or has no such member. */
function tarMember(data: Buffer, name: string, where: string): Buffer {
  for (let off = 0; off + 512 <= data.length; ) {
    const header = data.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    if (header.subarray(257, 262).toString('latin1') !== 'ustar')
      throw new Error(`${where}: not a tar archive (no ustar header at byte ${off})`);
    const member = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(
      header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(),
      8,
    );
    if (member.replace(/^\.\//, '') === name) return data.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${where}: the archive has no ${name}`);
}

/** A docker save tarball with just the manifest.json (what the fake reads), made with tar(1). */
export function dockerSaveTar(dir: string, tags: string[]): string {
  const src = join(dir, `src-${tags.join('-').replace(/[^a-z0-9]/g, '_')}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, 'manifest.json'),
    JSON.stringify([{ Config: 'c.json', RepoTags: tags, Layers: [] }]),
  );
  const file = join(dir, `${src.split('/').pop()}.tar`);
  execFileSync('tar', ['--format=ustar', '-C', src, '-cf', file, 'manifest.json']);
  return file;
}
