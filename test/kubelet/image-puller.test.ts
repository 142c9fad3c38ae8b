// The image side of a sync against the FakeRuntime, as the pod worker runs it: observe images, plan, execute.
// Events and their order, pull credentials from imagePullSecrets, the pull backoff, and the image's user
// reaching runAsNonRoot and the container's security settings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Container, Pod, Secret } from '../../src/api/types.js';
import { type ExecutorDeps, executePlan } from '../../src/kubelet/executor.js';
import { EMPTY_IMAGE_PULL_STATE, type ImageMode, type ImagePullState } from '../../src/kubelet/image-plan.js';
import { credentialsFor, observeImages } from '../../src/kubelet/image-puller.js';
import { planPod } from '../../src/kubelet/planner.js';
import { observe } from '../../src/kubelet/runtime-view.js';
import { linuxSecurity, verifyRunAsNonRoot } from '../../src/kubelet/security.js';
import { DEFAULT_CRASHLOOP_BACKOFF, DEFAULT_IMAGE_BACKOFF } from '../../src/kubelet/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { AuthConfig, ImageStatus, PullImageOptions } from '../../src/runtime/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { basePod, container, probes, T0 } from './fixtures.js';
import { inertCollaborators } from './harness.js';

interface SetupOptions {
  images?: string[];
  pullErrors?: Record<string, string>;
  /** The image user the runtime reports, by reference. */
  users?: Record<string, Pick<ImageStatus, 'uid' | 'username'>>;
  secrets?: Secret[];
  serviceAccounts?: ServiceAccount[];
  mode?: ImageMode;
}

function setup(o: SetupOptions = {}) {
  const clock = new FakeClock(T0);
  const runtime = new FakeRuntime({
    clock,
    images: o.images ?? ['busybox:1.36'],
    pullErrors: o.pullErrors ?? {},
  });
  // The fake's images name no user; these report one, as an image config's User would.
  const imageStatus = runtime.imageStatus.bind(runtime);
  runtime.imageStatus = async (spec) => {
    const status = await imageStatus(spec);
    return status && { ...status, ...(o.users?.[spec.image] ?? {}) };
  };
  const auths: { image: string; auth: AuthConfig[] | undefined }[] = [];
  const pullImage = runtime.pullImage.bind(runtime);
  runtime.pullImage = async (spec, options?: PullImageOptions) => {
    auths.push({ image: spec.image, auth: options?.auth });
    return pullImage(spec);
  };
  const events: string[] = [];
  const collaborators = inertCollaborators({
    security: {
      linuxSecurity,
      verifyRunAsNonRoot: (pod, c, user) => verifyRunAsNonRoot(pod, c, user?.uid, user?.username),
    },
  });
  const find = <T extends { metadata?: { namespace?: string; name?: string } }>(
    list: T[] | undefined,
    ns: string,
    name: string,
  ) => list?.find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
  const deps: ExecutorDeps = {
    runtime,
    clock,
    events: {
      event: (ref, type, reason, message) =>
        events.push(`${type} ${reason}${ref.fieldPath ? ` ${ref.fieldPath}` : ''}: ${message}`),
    },
    objects: {
      getConfigMap: async () => undefined,
      getSecret: async (ns, name) => find(o.secrets, ns, name),
      listServices: async () => [],
      ...(o.serviceAccounts
        ? { getServiceAccount: async (ns: string, name: string) => find(o.serviceAccounts, ns, name) }
        : {}),
    },
    config: { hostIP: '192.168.1.10', rootDir: '/nonexistent', imagePullBackOff: DEFAULT_IMAGE_BACKOFF },
    collaborators,
  };
  let pulls: ImagePullState = EMPTY_IMAGE_PULL_STATE;
  /** One sync as the pod worker runs it. */
  const sync = async (pod: Pod) => {
    const mode = o.mode ?? 'pull';
    const images = await observeImages(runtime, pod, mode);
    const observed = observe(await runtime.listPodSandboxes(), await runtime.listContainers());
    const plan = planPod({
      pod,
      sandboxes: observed.sandboxes,
      containers: observed.containers,
      probes: probes(),
      backoff: {},
      images,
      imagePulls: pulls,
      now: clock.now(),
      config: { crashLoopBackOff: DEFAULT_CRASHLOOP_BACKOFF, images: mode },
    });
    const out = await executePlan(deps, { pod, plan, observed, imagePulls: pulls });
    pulls = out.imagePulls;
    return { plan, results: out.results };
  };
  const configOf = (name: string) => {
    const inst = runtime.instances().find((c) => c.metadata.name === name);
    assert.ok(inst, `container ${name} was created`);
    return runtime.configOf(inst.id);
  };
  return { clock, runtime, events, auths, sync, configOf, pulls: () => pulls };
}

function appPod(containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  return basePod({ spec: { initContainers: [], containers, ...extra } });
}

function dockerConfigSecret(name: string, auths: Record<string, unknown>, type?: string): Secret {
  return {
    metadata: { namespace: 'default', name },
    type: type ?? 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
  };
}

describe('image steps in a sync', () => {
  it('an absent image is pulled just before its container is created, which then runs on the image', async () => {
    const h = setup();
    const out = await h.sync(appPod([container('app', { image: 'web:2' })]));
    assert.deepEqual(h.events, [
      'Normal Pulling spec.containers{app}: Pulling image "web:2"',
      'Normal Pulled spec.containers{app}: Successfully pulled image "web:2" in 0s (0s including waiting). Image size: 1024 bytes.',
      'Normal Created spec.containers{app}: Created container: app',
      'Normal Started spec.containers{app}: Started container app',
    ]);
    assert.deepEqual(h.runtime.callLog(['runPodSandbox', 'pullImage', 'createContainer']), [
      'runPodSandbox web',
      'pullImage web:2',
      'createContainer app',
    ]);
    assert.equal(h.configOf('app').rootfs, 'image');
    assert.deepEqual(out.results.at(-1), { action: 'StartContainer', target: 'app' });
  });

  it('an untagged image is pulled as :latest (Always); the events name it as the pod writes it', async () => {
    const h = setup();
    await h.sync(appPod([container('app', { image: 'busybox' })]));
    assert.deepEqual(h.runtime.callLog(['pullImage']), ['pullImage busybox:latest']);
    assert.deepEqual(h.events.slice(0, 2), [
      'Normal Pulling spec.containers{app}: Pulling image "busybox"',
      'Normal Pulled spec.containers{app}: Successfully pulled image "busybox" in 0s (0s including waiting). Image size: 1024 bytes.',
    ]);
  });

  it('host mode pulls nothing, records no image event and runs on the host filesystem', async () => {
    const h = setup({ mode: 'host', images: [] });
    await h.sync(appPod([container('app', { image: 'local:1', imagePullPolicy: 'Never' })]));
    assert.deepEqual(h.runtime.callLog(['pullImage']), []);
    assert.deepEqual(h.events, [
      'Normal Created spec.containers{app}: Created container: app',
      'Normal Started spec.containers{app}: Started container app',
    ]);
    assert.equal(h.configOf('app').rootfs, 'host');
    // No image, so no image user either: the runtime's own user stands.
    assert.deepEqual(h.configOf('app').linux?.security, {});
  });

  it('a failed pull never falls back to the host: ErrImagePull, then ImagePullBackOff until the backoff ends', async () => {
    const h = setup({ pullErrors: { 'web:2': 'pull access denied for web' } });
    const pod = appPod([container('app', { image: 'web:2' })]);
    const first = await h.sync(pod);
    assert.deepEqual(first.results.at(-1), {
      action: 'StartContainer',
      target: 'app',
      error: 'ErrImagePull',
      message: 'pull access denied for web',
    });
    assert.deepEqual(h.runtime.instances(), []);
    assert.deepEqual(h.events, [
      'Normal Pulling spec.containers{app}: Pulling image "web:2"',
      'Warning Failed spec.containers{app}: Failed to pull image "web:2": pull access denied for web',
      'Warning Failed spec.containers{app}: Error: ErrImagePull',
    ]);
    assert.deepEqual(h.pulls(), {
      backoff: { 'uid-1_web:2': { backoffMs: 10_000, lastUpdateMs: T0 } },
      lastErrors: { 'uid-1_web:2': 'ErrImagePull: pull access denied for web' },
    });

    h.events.length = 0;
    await h.clock.advance(5_000);
    const second = await h.sync(pod);
    assert.deepEqual(second.results.at(-1), {
      action: 'StartContainer',
      target: 'app',
      error: 'ImagePullBackOff',
      message: 'Back-off pulling image "web:2": ErrImagePull: pull access denied for web',
    });
    assert.equal(second.plan.wakeAt, T0 + 10_000);
    assert.deepEqual(h.events, [
      'Normal BackOff spec.containers{app}: Back-off pulling image "web:2"',
      'Warning Failed spec.containers{app}: Error: ImagePullBackOff',
    ]);

    await h.clock.advance(5_000);
    delete h.runtime.pullErrors['web:2'];
    const third = await h.sync(pod);
    assert.deepEqual(third.results.at(-1), { action: 'StartContainer', target: 'app' });
    assert.deepEqual(h.runtime.callLog(['pullImage']), ['pullImage web:2', 'pullImage web:2']);
    assert.deepEqual(h.pulls().lastErrors, {}, 'a new pull forgets the previous error');
  });

  it('two containers of one absent image: one pull, then the image is already present for the second', async () => {
    const h = setup();
    await h.sync(appPod([container('a', { image: 'web:2' }), container('b', { image: 'web:2' })]));
    assert.deepEqual(h.runtime.callLog(['pullImage', 'createContainer']), [
      'pullImage web:2',
      'createContainer a',
      'createContainer b',
    ]);
    assert.ok(
      h.events.includes(
        'Normal Pulled spec.containers{b}: Container image "web:2" already present on machine',
      ),
    );
  });

  it('two containers of one image that fails: the second waits in ImagePullBackOff with the first one error', async () => {
    const h = setup({ pullErrors: { 'web:2': 'manifest unknown' } });
    const out = await h.sync(
      appPod([container('a', { image: 'web:2' }), container('b', { image: 'web:2' })]),
    );
    assert.deepEqual(
      out.results.filter((r) => r.action === 'StartContainer'),
      [
        { action: 'StartContainer', target: 'a', error: 'ErrImagePull', message: 'manifest unknown' },
        {
          action: 'StartContainer',
          target: 'b',
          error: 'ImagePullBackOff',
          message: 'Back-off pulling image "web:2": ErrImagePull: manifest unknown',
        },
      ],
    );
    assert.deepEqual(h.runtime.callLog(['pullImage']), ['pullImage web:2']);
    assert.deepEqual(h.events.slice(-2), [
      'Normal BackOff spec.containers{b}: Back-off pulling image "web:2"',
      'Warning Failed spec.containers{b}: Error: ImagePullBackOff',
    ]);
  });

  it('a regular init container whose image cannot be pulled holds back the next one', async () => {
    const h = setup({ pullErrors: { 'bad:1': 'not found' } });
    const pod = basePod({
      spec: { initContainers: [container('init1', { image: 'bad:1' }), container('init2')] },
    });
    await h.sync(pod);
    assert.deepEqual(h.runtime.callLog(['pullImage', 'createContainer']), ['pullImage bad:1']);
  });
});

describe('pull credentials', () => {
  const regcred = dockerConfigSecret('regcred', {
    '127.0.0.1:5000': { username: 'alice', password: 's3cret' },
  });
  const hub = dockerConfigSecret('hub', { 'https://index.docker.io/v1/': { auth: btoa('bob:hunter2') } });

  it('imagePullSecrets that match the registry are passed to the pull; a missing one is reported and skipped', async () => {
    const opaque: Secret = { metadata: { namespace: 'default', name: 'opaque' }, type: 'Opaque', data: {} };
    const h = setup({ secrets: [regcred, hub, opaque] });
    const pod = appPod([container('app', { image: '127.0.0.1:5000/private/app:1' })], {
      imagePullSecrets: [
        { name: 'missing' },
        { name: '' },
        { name: 'opaque' },
        { name: 'hub' },
        { name: 'regcred' },
      ],
    });
    const out = await h.sync(pod);
    assert.deepEqual(out.results.at(-1), { action: 'StartContainer', target: 'app' });
    assert.deepEqual(h.auths, [
      { image: '127.0.0.1:5000/private/app:1', auth: [{ username: 'alice', password: 's3cret' }] },
    ]);
    assert.equal(
      h.events[0],
      'Warning FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (missing); attempting to pull the image may not succeed.',
    );
  });

  it('Docker Hub images use the index.docker.io key; without a match the pull is anonymous', async () => {
    const h = setup({ secrets: [regcred, hub] });
    const spec = { imagePullSecrets: [{ name: 'regcred' }, { name: 'hub' }] };
    await h.sync(
      appPod([container('a', { image: 'me/app:1' }), container('b', { image: 'quay.io/x/y:1' })], spec),
    );
    assert.deepEqual(h.auths, [
      { image: 'me/app:1', auth: [{ username: 'bob', password: 'hunter2' }] },
      { image: 'quay.io/x/y:1', auth: [] },
    ]);
  });

  it('a pod without imagePullSecrets uses its ServiceAccount ones; a missing account is no error', async () => {
    const account: ServiceAccount = {
      metadata: { namespace: 'default', name: 'builder' },
      imagePullSecrets: [{ name: 'regcred' }],
    };
    const h = setup({ secrets: [regcred], serviceAccounts: [account] });
    await h.sync(
      appPod([container('app', { image: '127.0.0.1:5000/private/app:1' })], {
        serviceAccountName: 'builder',
      }),
    );
    assert.deepEqual(h.auths[0]?.auth, [{ username: 'alice', password: 's3cret' }]);

    const quiet = setup({ secrets: [regcred], serviceAccounts: [] });
    await quiet.sync(appPod([container('app', { image: '127.0.0.1:5000/private/app:1' })]));
    assert.deepEqual(quiet.auths[0]?.auth, []);
    assert.ok(!quiet.events.some((e) => e.includes('FailedToRetrieveImagePullSecret')));
  });

  it('a malformed docker config Secret fails the pull with ErrImagePull, after Pulling', async () => {
    const broken: Secret = {
      metadata: { namespace: 'default', name: 'broken' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from('{"auths": 3}').toString('base64') },
    };
    const h = setup({ secrets: [broken] });
    const out = await h.sync(
      appPod([container('app', { image: 'web:2' })], { imagePullSecrets: [{ name: 'broken' }] }),
    );
    assert.deepEqual(out.results.at(-1), {
      action: 'StartContainer',
      target: 'app',
      error: 'ErrImagePull',
      message: 'secret default/broken .dockerconfigjson: auths: must be an object',
    });
    assert.deepEqual(h.runtime.callLog(['pullImage']), []);
    assert.equal(h.events[0], 'Normal Pulling spec.containers{app}: Pulling image "web:2"');
  });

  it('credentialsFor keeps the most specific key first', () => {
    const both = dockerConfigSecret('both', {
      '127.0.0.1:5000': { username: 'host', password: 'a' },
      '127.0.0.1:5000/private': { username: 'path', password: 'b' },
    });
    assert.deepEqual(credentialsFor([both], '127.0.0.1:5000/private/app:1'), [
      { username: 'path', password: 'b' },
      { username: 'host', password: 'a' },
    ]);
  });
});

describe('the image user', () => {
  const nonRoot = (extra: Partial<Container> = {}) =>
    container('app', { securityContext: { runAsNonRoot: true }, ...extra });

  it('runAsNonRoot refuses an image that runs as root, or names its user, with the kubelet texts', async () => {
    for (const [user, want] of [
      [
        {},
        'container has runAsNonRoot and image will run as root (pod: "web_default(uid-1)", container: app)',
      ],
      [
        { uid: 0 },
        'container has runAsNonRoot and image will run as root (pod: "web_default(uid-1)", container: app)',
      ],
      [
        { username: 'app' },
        'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root (pod: "web_default(uid-1)", container: app)',
      ],
    ] as const) {
      const h = setup({ users: { 'busybox:1.36': user } });
      const out = await h.sync(appPod([nonRoot()]));
      assert.deepEqual(out.results.at(-1), {
        action: 'StartContainer',
        target: 'app',
        error: 'CreateContainerConfigError',
        message: want,
      });
      assert.ok(h.events.includes(`Warning Failed spec.containers{app}: Error: ${want}`));
    }
  });

  it('a numeric image user passes runAsNonRoot and becomes runAsUser; a name becomes runAsUsername', async () => {
    const h = setup({
      images: ['busybox:1.36', 'named:1', 'plain:1'],
      users: { 'busybox:1.36': { uid: 1000 }, 'named:1': { username: 'app' } },
    });
    await h.sync(
      appPod([
        nonRoot(),
        container('named', { image: 'named:1' }),
        container('plain', { image: 'plain:1' }),
        container('own', { image: 'named:1', securityContext: { runAsUser: 2000 } }),
      ]),
    );
    assert.deepEqual(h.configOf('app').linux?.security, { runAsUser: 1000 });
    assert.deepEqual(h.configOf('named').linux?.security, { runAsUsername: 'app' });
    // An image that names no user runs as root, and the kubelet says so (getImageUser returns 0).
    assert.deepEqual(h.configOf('plain').linux?.security, { runAsUser: 0 });
    assert.deepEqual(h.configOf('own').linux?.security, { runAsUser: 2000 });
  });

  it('the user of an image pulled in this sync is read after the pull', async () => {
    const h = setup({ images: [], users: { 'web:2': { uid: 1000 } } });
    const out = await h.sync(appPod([nonRoot({ image: 'web:2' })]));
    assert.deepEqual(out.results.at(-1), { action: 'StartContainer', target: 'app' });
    assert.deepEqual(h.configOf('app').linux?.security, { runAsUser: 1000 });
  });
});
