// EnsureImageExists as a table (image_manager_test.go's TestParallelPuller/TestSerializedPuller cases, turned
// into decisions): image mode, pull policy, presence, references, pull backoff, and two containers sharing an
// image. Then the planner around it: which containers get a step and when the pod wakes up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import {
  EMPTY_IMAGE_PULL_STATE,
  type ImageMode,
  type ImageObservation,
  type ImagePullState,
  type ImageStep,
  imagePullPolicy,
  planImages,
} from '../../src/kubelet/image-plan.js';
import { planPod } from '../../src/kubelet/planner.js';
import { backoffKey } from '../../src/kubelet/pod-util.js';
import { DEFAULT_CRASHLOOP_BACKOFF } from '../../src/kubelet/types.js';
import type { ImageStatus } from '../../src/runtime/types.js';
import { basePod, container, inst, probes, sandbox, T0, UID } from './fixtures.js';

const NOW = T0 + 60_000;

function imageStatus(ref: string, extra: Partial<ImageStatus> = {}): ImageStatus {
  return { id: `sha256:${ref.length}`, repoTags: [ref], repoDigests: [], size: 2048, ...extra };
}

const BUSYBOX = imageStatus('docker.io/library/busybox:1.36');

interface Case {
  name: string;
  containers: Container[];
  annotations?: Record<string, string>;
  mode?: ImageMode;
  images?: Record<string, ImageObservation>;
  pulls?: ImagePullState;
  expect: Record<string, ImageStep>;
  wakeAt?: number | null;
}

const key = (image: string) => `${UID}_${image}`;
const pull = (requested: string, image = requested): ImageStep => ({
  action: 'pull',
  requested,
  image,
  backoffKey: key(requested),
});

const cases: Case[] = [
  {
    name: 'host mode: no image is looked at or pulled',
    mode: 'host',
    containers: [container('app', { image: 'nope:1', imagePullPolicy: 'Never' })],
    expect: { app: { action: 'host' } },
  },
  {
    name: 'the pod annotation podrun.dev/images: host overrides the kubelet pull mode',
    annotations: { 'podrun.dev/images': 'host' },
    containers: [container('app', { image: 'BusyBox' })],
    expect: { app: { action: 'host' } },
  },
  {
    name: 'the pod annotation podrun.dev/images: pull overrides the kubelet host mode',
    mode: 'host',
    annotations: { 'podrun.dev/images': 'pull' },
    containers: [container('app', { image: 'web:2' })],
    expect: { app: pull('web:2') },
  },
  {
    name: 'an invalid podrun.dev/images annotation makes every container wait with a clear error',
    annotations: { 'podrun.dev/images': 'local' },
    containers: [container('app')],
    expect: {
      app: {
        action: 'wait',
        reason: 'CreateContainerConfigError',
        message: 'invalid annotation podrun.dev/images: "local": must be "pull" or "host"',
        events: [
          {
            type: 'Warning',
            reason: 'Failed',
            message: 'Error: invalid annotation podrun.dev/images: "local": must be "pull" or "host"',
          },
        ],
      },
    },
  },
  {
    name: 'IfNotPresent with the image present uses it',
    containers: [container('app', { imagePullPolicy: 'IfNotPresent' })],
    images: { 'busybox:1.36': { status: BUSYBOX } },
    expect: { app: { action: 'present', requested: 'busybox:1.36', status: BUSYBOX } },
  },
  {
    name: 'IfNotPresent with the image absent pulls it',
    containers: [container('app', { imagePullPolicy: 'IfNotPresent' })],
    images: { 'busybox:1.36': { status: null } },
    expect: { app: pull('busybox:1.36') },
  },
  {
    name: 'Always pulls even when the image is present',
    containers: [container('app', { imagePullPolicy: 'Always' })],
    images: { 'busybox:1.36': { status: BUSYBOX } },
    expect: { app: pull('busybox:1.36') },
  },
  {
    name: 'Never with the image present uses it',
    containers: [container('app', { imagePullPolicy: 'Never' })],
    images: { 'busybox:1.36': { status: BUSYBOX } },
    expect: { app: { action: 'present', requested: 'busybox:1.36', status: BUSYBOX } },
  },
  {
    name: 'Never with the image absent waits with ErrImageNeverPull',
    containers: [container('app', { image: 'local:1', imagePullPolicy: 'Never' })],
    images: { 'local:1': { status: null } },
    expect: {
      app: {
        action: 'wait',
        reason: 'ErrImageNeverPull',
        message: 'Container image "local:1" is not present with pull policy of Never',
        events: [
          {
            type: 'Warning',
            reason: 'ErrImageNeverPull',
            message: 'Container image "local:1" is not present with pull policy of Never',
          },
          { type: 'Warning', reason: 'Failed', message: 'Error: ErrImageNeverPull' },
        ],
      },
    },
  },
  {
    name: 'an untagged image defaults to Always and is pulled as :latest; the backoff key keeps the name as written',
    containers: [container('app', { image: 'busybox' })],
    images: { busybox: { status: BUSYBOX } },
    expect: { app: pull('busybox', 'busybox:latest') },
  },
  {
    name: 'an image the kubelet cannot parse waits with InvalidImageName',
    containers: [container('app', { image: 'BusyBox', imagePullPolicy: 'IfNotPresent' })],
    expect: {
      app: {
        action: 'wait',
        reason: 'InvalidImageName',
        message:
          'Failed to apply default image tag "BusyBox": couldn\'t parse image name "BusyBox": invalid reference format: repository name (library/BusyBox) must be lowercase',
        events: [
          {
            type: 'Warning',
            reason: 'InspectFailed',
            message:
              'Failed to apply default image tag "BusyBox": couldn\'t parse image name "BusyBox": invalid reference format: repository name (library/BusyBox) must be lowercase',
          },
          { type: 'Warning', reason: 'Failed', message: 'Error: InvalidImageName' },
        ],
      },
    },
  },
  {
    name: 'an image status the runtime cannot give waits with ImageInspectError',
    containers: [container('app')],
    images: { 'busybox:1.36': { error: 'image store is locked' } },
    expect: {
      app: {
        action: 'wait',
        reason: 'ImageInspectError',
        message: 'Failed to inspect image "busybox:1.36": image store is locked',
        events: [
          {
            type: 'Warning',
            reason: 'InspectFailed',
            message: 'Failed to inspect image "busybox:1.36": image store is locked',
          },
          { type: 'Warning', reason: 'Failed', message: 'Error: ImageInspectError' },
        ],
      },
    },
  },
  {
    name: 'Always pulls without asking whether the image is there: a failed look-up does not matter',
    containers: [container('app', { imagePullPolicy: 'Always' })],
    images: { 'busybox:1.36': { error: 'image store is locked' } },
    expect: { app: pull('busybox:1.36') },
  },
  {
    name: 'within the pull backoff the container waits with ImagePullBackOff and the last pull error, until it ends',
    containers: [container('app', { image: 'web:2' })],
    images: { 'web:2': { status: null } },
    pulls: {
      backoff: { [key('web:2')]: { backoffMs: 20_000, lastUpdateMs: NOW - 5_000 } },
      lastErrors: { [key('web:2')]: 'ErrImagePull: pull access denied for web' },
    },
    expect: {
      app: {
        action: 'wait',
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "web:2": ErrImagePull: pull access denied for web',
        events: [
          { type: 'Normal', reason: 'BackOff', message: 'Back-off pulling image "web:2"' },
          { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
        ],
      },
    },
    wakeAt: NOW + 15_000,
  },
  {
    name: 'once the pull backoff has passed the image is pulled again',
    containers: [container('app', { image: 'web:2' })],
    images: { 'web:2': { status: null } },
    pulls: {
      backoff: { [key('web:2')]: { backoffMs: 20_000, lastUpdateMs: NOW - 20_000 } },
      lastErrors: { [key('web:2')]: 'ErrImagePull: pull access denied for web' },
    },
    expect: { app: pull('web:2') },
  },
  {
    name: 'a present image is used during a pull backoff: the backoff only holds back pulls',
    containers: [container('app', { imagePullPolicy: 'IfNotPresent' })],
    images: { 'busybox:1.36': { status: BUSYBOX } },
    pulls: {
      backoff: { [key('busybox:1.36')]: { backoffMs: 20_000, lastUpdateMs: NOW - 5_000 } },
      lastErrors: {},
    },
    expect: { app: { action: 'present', requested: 'busybox:1.36', status: BUSYBOX } },
  },
  {
    name: 'a second container of the same image follows the first one pull',
    containers: [
      container('a', { image: 'web:2' }),
      container('b', { image: 'web:2', imagePullPolicy: 'Always' }),
      container('c', { image: 'web:3', imagePullPolicy: 'Never' }),
    ],
    images: { 'web:2': { status: null }, 'web:3': { status: imageStatus('web:3') } },
    expect: {
      a: pull('web:2'),
      b: {
        action: 'afterPull',
        requested: 'web:2',
        image: 'web:2',
        backoffKey: key('web:2'),
        policy: 'Always',
      },
      c: { action: 'present', requested: 'web:3', status: imageStatus('web:3') },
    },
  },
];

function podWith(annotations?: Record<string, string>): Pod {
  const pod = basePod();
  if (annotations) pod.metadata!.annotations = annotations;
  return pod;
}

describe('planImages', () => {
  for (const c of cases) {
    it(c.name, () => {
      const out = planImages({
        pod: podWith(c.annotations),
        containers: c.containers,
        images: new Map(Object.entries(c.images ?? {})),
        pulls: c.pulls ?? EMPTY_IMAGE_PULL_STATE,
        mode: c.mode ?? 'pull',
        now: NOW,
      });
      assert.deepEqual(out, { steps: c.expect, wakeAt: c.wakeAt ?? null });
    });
  }
});

describe('imagePullPolicy (kubelet fallback when the API did not default it)', () => {
  it('is Always for :latest or no tag, IfNotPresent otherwise, the set value when set', () => {
    const cases: [Partial<Container>, string][] = [
      [{ image: 'busybox' }, 'Always'],
      [{ image: 'busybox:latest' }, 'Always'],
      [{ image: 'localhost:5000/app' }, 'Always'],
      [{ image: 'busybox:1.36' }, 'IfNotPresent'],
      [{ image: `busybox@sha256:${'a'.repeat(64)}` }, 'IfNotPresent'],
      [{ image: 'BusyBox' }, 'IfNotPresent'],
      [{ image: 'busybox', imagePullPolicy: 'Never' }, 'Never'],
    ];
    for (const [c, want] of cases) assert.equal(imagePullPolicy({ name: 'x', ...c }), want, c.image);
  });
});

describe('planPod and images', () => {
  const base = {
    probes: probes(),
    backoff: {},
    imagePulls: EMPTY_IMAGE_PULL_STATE,
    now: NOW,
    config: { crashLoopBackOff: DEFAULT_CRASHLOOP_BACKOFF },
  };

  it('init containers are planned one at a time: only the next one gets an image step', () => {
    const plan = planPod({
      ...base,
      pod: basePod(),
      sandboxes: [],
      containers: [],
      images: new Map([['busybox:1.36', { status: null }]]),
    });
    assert.deepEqual(plan.initContainersToStart, [0]);
    assert.deepEqual(plan.images, { init1: pull('busybox:1.36') });
  });

  it('every app container to start gets a step in start order; the kubelet mode comes from the config', () => {
    const pod = basePod({ spec: { initContainers: [], containers: [container('app'), container('log')] } });
    const plan = planPod({ ...base, pod, sandboxes: [], containers: [], images: new Map() });
    assert.deepEqual(Object.keys(plan.images), ['app', 'log']);
    const host = planPod({
      ...base,
      pod,
      sandboxes: [],
      containers: [],
      images: new Map(),
      config: { ...base.config, images: 'host' },
    });
    assert.deepEqual(host.images, { app: { action: 'host' }, log: { action: 'host' } });
  });

  it('a container in crash-loop backoff pulls nothing; an image backoff sets the wake-up', () => {
    const pod = basePod({ spec: { initContainers: [], containers: [container('app'), container('web')] } });
    pod.spec!.containers[1]!.image = 'web:2';
    const finished = NOW - 1_000;
    const plan = planPod({
      ...base,
      pod,
      sandboxes: [sandbox()],
      containers: [inst('app', 'exited', { exitCode: 1, finishedAt: finished })],
      backoff: { [backoffKey(pod, pod.spec!.containers[0]!)]: { backoffMs: 10_000, lastUpdateMs: finished } },
      images: new Map([
        ['busybox:1.36', { status: BUSYBOX }],
        ['web:2', { status: null }],
      ]),
      imagePulls: {
        backoff: { [key('web:2')]: { backoffMs: 10_000, lastUpdateMs: NOW - 4_000 } },
        lastErrors: {},
      },
    });
    assert.deepEqual(plan.containersToStart, [1]);
    assert.deepEqual(
      plan.waiting.map((w) => w.name),
      ['app'],
    );
    assert.deepEqual(Object.keys(plan.images), ['web']);
    assert.equal(plan.images.web?.action, 'wait');
    // Crash-loop backoff ends at finished + 10 s = NOW + 9 s; the image backoff at NOW + 6 s.
    assert.equal(plan.wakeAt, NOW + 6_000);
  });
});
