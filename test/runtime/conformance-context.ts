// What the cases of the runtime conformance suite share: the options a runtime is run with, what a case needs
// of a runtime, and the helpers every case uses (pods, container configs, running to the end, stdout).
import type {
  ContainerConfig,
  ContainerStatus,
  PodSandboxConfig,
  RuntimeService,
} from '../../src/runtime/types.js';
import type { ImageFixture } from '../support/image-fixtures.js';

/**
 * What a case needs beyond the contract's calls. A runtime that lacks one says why (ConformanceOptions.lacks),
 * and every case that needs it is skipped with that reason.
 * - processes: a real process runs the command (its output, its exit, its signals, its PATH lookup).
 * - namespaces: the pod's own UTS/PID/mount namespaces and the user the process runs as.
 * - network: the pod's own network namespace, address and routes.
 * - files: mounts of host paths, the root filesystem and log files on disk.
 * - cgroups: resource limits the kernel enforces.
 * - images: the runtime was handed images to run (ConformanceOptions.images).
 */
export type Need = 'processes' | 'namespaces' | 'network' | 'files' | 'cgroups' | 'images';

/**
 * How the suite makes its images present in a runtime under test, for the cases that run containers with
 * rootfs `image`.
 */
export interface ImageHooks {
  /**
   * Makes the image of `fixture` present in `runtime` under the reference `name` (always `fixture.name`, e.g.
   * `conformance/app:1`, as the layout's `io.containerd.image.name` annotation says), as `podrun image load`
   * of the OCI layout directory `fixture.layout` does. When it resolves:
   * - `imageStatus({ image: name })` reports it with `id` = `fixture.id` (sha256 of the config blob) and
   *   `repoTags` holding the normalised name (`docker.io/conformance/app:1`);
   * - `createContainer` with `rootfs: 'image'` and `image: name` runs on a root filesystem made from its layers
   *   (whiteouts applied) with its config applied (Entrypoint, Cmd, Env, User, WorkingDir, Volumes).
   * Called once per fixture per suite run, before the first case that uses it; the layout stays on disk until
   * the suite ends.
   */
  prepareImage(runtime: RuntimeService, name: string, fixture: ImageFixture): Promise<void>;
}

export interface ConformanceOptions {
  name: string;
  newRuntime: () => Promise<RuntimeService>;
  /** What this runtime cannot do at all, each with the reason: the cases that need it are skipped. */
  lacks?: Partial<Record<Exclude<Need, 'images'>, string>>;
  /** Cases this runtime cannot pass for a reason of its own (a missing kernel feature), by test name. */
  skip?: { reason: string; tests: string[] }[];
  /** How to hand the runtime an image; without it, the cases that run images are skipped. */
  images?: ImageHooks;
}

export interface Pod {
  id: string;
  config: PodSandboxConfig;
}

/** The helpers a case gets; each case makes its own sandboxes, which the suite removes at the end. */
export interface ConformanceContext {
  rt(): RuntimeService;
  /** A scratch directory for the suite's files (volumes, fixtures). */
  work(): string;
  /** Registers a case, skipped when the runtime lacks something it needs. */
  it(name: string, needs: Need[], fn: () => Promise<void>): void;
  newPod(name: string, labels?: Record<string, string>): Promise<Pod>;
  containerConfig(name: string, command: string[], extra?: Partial<ContainerConfig>): ContainerConfig;
  run(pod: Pod, config: ContainerConfig): Promise<string>;
  waitExit(id: string, ms?: number): Promise<ContainerStatus>;
  stdout(id: string): Promise<string>;
  runToEnd(pod: Pod, config: ContainerConfig): Promise<{ id: string; status: ContainerStatus; out: string }>;
  /** The fixture of that kind, built and handed to the runtime (ImageHooks.prepareImage) on first use. */
  image(kind: 'app' | 'layered' | 'removable'): Promise<ImageFixture>;
}
