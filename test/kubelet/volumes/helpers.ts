// Shared fixtures for the volume manager tests: a temp root, a mutable object store, pods, and findmnt.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ConfigMap,
  Container,
  ObjectReference,
  Pod,
  Secret,
  Service,
  Volume,
} from '../../../src/api/types.js';
import type { NodeAllocatable } from '../../../src/kubelet/fieldpath.js';
import type { EventRecorder, EventType, ObjectGetter } from '../../../src/kubelet/types.js';
import { VolumeManager } from '../../../src/kubelet/volumes/index.js';
import { mountsUnder, unmount } from '../../../src/kubelet/volumes/mount.js';
import { FakeClock } from '../../../src/util/clock.js';

export const IS_ROOT = process.getuid?.() === 0;

/**
 * Options for tests that need root (mount, chown). They run whenever root is available and in CI (CI runs as
 * root; a CI run without root must fail, not skip).
 */
export const needsRoot = {
  skip: !IS_ROOT && process.env.CI !== 'true' ? 'needs root (mount, chown)' : false,
};

export const ALLOCATABLE: NodeAllocatable = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };

export class FakeObjects implements ObjectGetter {
  configMaps = new Map<string, ConfigMap>();
  secrets = new Map<string, Secret>();

  setConfigMap(name: string, data: Record<string, string>, binaryData?: Record<string, string>): void {
    this.configMaps.set(name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default' },
      data,
      ...(binaryData ? { binaryData } : {}),
    });
  }

  setSecret(name: string, data: Record<string, string>): void {
    this.secrets.set(name, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'default' },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  }

  async getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return namespace === 'default' ? this.configMaps.get(name) : undefined;
  }

  async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return namespace === 'default' ? this.secrets.get(name) : undefined;
  }

  async listServices(): Promise<Service[]> {
    return [];
  }
}

export class RecordedEvents implements EventRecorder {
  events: { type: EventType; reason: string; message: string; involved: ObjectReference }[] = [];
  event(involved: ObjectReference, type: EventType, reason: string, message: string): void {
    this.events.push({ involved, type, reason, message });
  }
}

export interface Fixture {
  root: string;
  objects: FakeObjects;
  clock: FakeClock;
  events: RecordedEvents;
  manager: VolumeManager;
  cleanup: () => Promise<void>;
}

export async function fixture(options: { useTmpfs?: boolean } = {}): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'podrun-volumes-'));
  const objects = new FakeObjects();
  const clock = new FakeClock();
  const events = new RecordedEvents();
  const manager = new VolumeManager({
    rootDir: root,
    objects,
    clock,
    events,
    allocatable: ALLOCATABLE,
    useTmpfs: options.useTmpfs ?? IS_ROOT,
  });
  return {
    root,
    objects,
    clock,
    events,
    manager,
    cleanup: async () => {
      // Whatever a failed test left mounted must not outlive it.
      for (const m of await mountsUnder(root)) await unmount(m.mountPoint).catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
}

let uidCounter = 0;

export function makePod(
  volumes: Volume[],
  containers: Container[] = [{ name: 'app' }],
  extra: Partial<Pod> = {},
): Pod {
  uidCounter += 1;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: `pod-uid-${process.pid}-${uidCounter}`,
      labels: { app: 'web', tier: 'front' },
      annotations: { 'example.com/owner': 'team-a' },
    },
    spec: { containers, volumes },
    ...extra,
  };
}

/** `findmnt` output for a mount point, e.g. { fstype: 'tmpfs', options: 'rw,relatime,size=1024k' }; undefined if none. */
export function findmnt(path: string): { fstype: string; options: string } | undefined {
  try {
    const out = execFileSync('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', '--mountpoint', path], {
      encoding: 'utf8',
    });
    const [fstype = '', options = ''] = (out.trim().split('\n')[0] ?? '').split(/\s+/);
    return { fstype, options };
  } catch {
    return undefined;
  }
}

/** Every mount point `findmnt` lists at or below `dir`. */
export function findmntUnder(dir: string): string[] {
  const out = execFileSync('findmnt', ['-n', '-r', '-o', 'TARGET'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.replace(/\\x20/g, ' '))
    .filter((t) => t === dir || t.startsWith(`${dir}/`));
}

/** The filesystem type of the mount holding `path` (`findmnt -T`), e.g. 'tmpfs'. */
export function fstypeOf(path: string): string {
  return execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', path], { encoding: 'utf8' }).trim();
}

/** Where the manager keeps the pod's volume `name` (secret and projected ones: on the shared tmpfs). */
export function dirOf(manager: Fixture['manager'], pod: Pod, name: string): string {
  const volume = pod.spec?.volumes?.find((v) => v.name === name);
  if (!volume) throw new Error(`the pod has no volume ${name}`);
  return manager.volumePath(pod, volume);
}
