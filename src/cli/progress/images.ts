// How the CLI shows images and pulls: `podrun image ls`'s table (crictl's columns), sizes as crictl and
// podman print them, and the progress line of a pull. Pure, for `podrun image` and `podrun up`.
import type { ImageStatus, PullProgress } from '../../runtime/types.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Decimal units with three significant digits, as docker/go-units' HumanSizeWithPrecision(size, 3), which
 * crictl and podman use: 1024 → `1.02kB`, 4_272_000 → `4.27MB`, 512 → `512B`.
 */
export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  // 999.96 rounds to 1000 at three digits: that is the next unit's 1.
  if (Number(size.toPrecision(3)) >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))}${UNITS[i]}`;
}

/** The 12 hex digits people quote an image id by (`sha256:` dropped), as podman and docker show it. */
export function shortId(id: string): string {
  const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return hex.slice(0, 12);
}

/** `registry:5000/app:1.0` → [`registry:5000/app`, `1.0`]: the tag follows the last colon after the last slash. */
export function splitRepoTag(repoTag: string): [string, string] {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  if (colon > slash) return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
  return [repoTag, '<none>'];
}

/** One row per tag, as `crictl images`; an untagged image is one row named by its digest's repository. */
export function imageRows(images: ImageStatus[]): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const id = shortId(img.id);
    const size = humanSize(img.size);
    if (img.repoTags.length === 0) {
      const repo = img.repoDigests[0]?.split('@')[0] ?? '<none>';
      rows.push([repo, '<none>', id, size]);
      continue;
    }
    for (const t of img.repoTags) rows.push([...splitRepoTag(t), id, size]);
  }
  return rows.sort((a, b) => (a[0]! + a[1]! < b[0]! + b[1]! ? -1 : a[0]! + a[1]! > b[0]! + b[1]! ? 1 : 0));
}

/** Columns padded to their widest cell with three spaces between, as crictl's tabwriter does. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

export function imageTable(images: ImageStatus[]): string {
  return formatTable(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], imageRows(images));
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

/**
 * `busybox:1.36  12.3/40.1 MB  layers 2/5  4s`. Before the manifest is read no sizes are known: `resolving`.
 */
export function formatPull(p: PullProgress, now: number): string {
  const seconds = `${Math.max(0, Math.round((now - p.startedAt) / 1000))}s`;
  if (p.layers === 0 && p.totalBytes === 0) return `${p.image}  resolving  ${seconds}`;
  return `${p.image}  ${megabytes(p.doneBytes)}/${megabytes(p.totalBytes)} MB  layers ${p.layersDone}/${p.layers}  ${seconds}`;
}

/** `busybox:1.36  40.1 MB  4s`: a pull no longer under way, by its size and how long it took. */
export function formatPullEnd(p: PullProgress, now: number): string {
  const seconds = `${Math.max(0, Math.round((now - p.startedAt) / 1000))}s`;
  return p.totalBytes > 0
    ? `${p.image}  ${megabytes(p.totalBytes)} MB  ${seconds}`
    : `${p.image}  ${seconds}`;
}

/** A pull's identity across polls: the same image pulled again later is another pull. */
export function pullKey(p: PullProgress): string {
  return `${p.startedAt} ${p.image}`;
}

export interface PullChanges {
  started: PullProgress[];
  /** Pulls no longer under way, as last seen. */
  ended: PullProgress[];
}

/** Follows pulls across polls: which started and which ended since the last one. */
export class PullTracker {
  readonly #seen = new Map<string, PullProgress>();

  update(pulls: PullProgress[]): PullChanges {
    const now = new Map(pulls.map((p) => [pullKey(p), p]));
    const started = pulls.filter((p) => !this.#seen.has(pullKey(p)));
    const ended = [...this.#seen].filter(([k]) => !now.has(k)).map(([, p]) => p);
    this.#seen.clear();
    for (const [k, p] of now) this.#seen.set(k, p);
    return { started, ended };
  }

  get current(): PullProgress[] {
    return [...this.#seen.values()];
  }
}
