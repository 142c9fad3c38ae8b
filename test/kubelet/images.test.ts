// Image modes and image errors in a running kubelet: the kubelet's `images` setting, the pod annotation that
// overrides it, references the kubelet cannot parse, and pull secrets that cannot be read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import { container, UID } from './fixtures.js';
import { Harness } from './harness.js';

function pod(
  apps: Container[],
  extra: Partial<NonNullable<Pod['spec']>> = {},
  annotations?: Record<string, string>,
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: UID, ...(annotations ? { annotations } : {}) },
    spec: { restartPolicy: 'Always', containers: apps, ...extra },
    status: { phase: 'Pending' },
  };
}

const imageEvents = new Set(['Pulling', 'Pulled', 'BackOff', 'ErrImageNeverPull', 'InspectFailed']);

describe('image modes', () => {
  it('images: host runs containers on the host filesystem without pulls or image events', async () => {
    const h = new Harness({ images: [], config: { images: 'host' } });
    await h.run(pod([container('app', { image: 'local/tool:dev', imagePullPolicy: 'Never' })]));
    const s = await h.until(UID, (st) => st.phase === 'Running', 10_000);
    assert.equal(s.containerStatuses?.[0]?.image, 'local/tool:dev');
    assert.deepEqual(h.calls('pullImage'), []);
    assert.deepEqual(
      h.events.filter((e) => imageEvents.has(e.reason)),
      [],
    );
    const id = s.containerStatuses![0]!.containerID!.replace('fake://', '');
    assert.equal(h.runtime.configOf(id).rootfs, 'host');
    await h.stop();
  });

  it('the podrun.dev/images annotation overrides the kubelet setting either way', async () => {
    const h = new Harness({ images: [] });
    const onHost = pod([container('app', { image: 'tool:1' })], {}, { 'podrun.dev/images': 'host' });
    await h.run(onHost);
    await h.until(UID, (st) => st.phase === 'Running', 10_000);
    assert.deepEqual(h.calls('pullImage'), []);
    await h.stop();

    const h2 = new Harness({ images: [], config: { images: 'host' } });
    await h2.run(pod([container('app', { image: 'tool:1' })], {}, { 'podrun.dev/images': 'pull' }));
    const s = await h2.until(UID, (st) => st.phase === 'Running', 10_000);
    assert.deepEqual(h2.calls('pullImage'), ['pullImage tool:1']);
    const id = s.containerStatuses![0]!.containerID!.replace('fake://', '');
    assert.equal(h2.runtime.configOf(id).rootfs, 'image');
    await h2.stop();
  });

  it('an invalid podrun.dev/images annotation keeps the containers waiting with a clear error', async () => {
    const h = new Harness();
    await h.run(pod([container('app')], {}, { 'podrun.dev/images': 'yes' }));
    const message = 'invalid annotation podrun.dev/images: "yes": must be "pull" or "host"';
    assert.deepEqual(h.latest(UID)?.containerStatuses?.[0]?.state, {
      waiting: { reason: 'CreateContainerConfigError', message },
    });
    assert.ok(h.events.some((e) => e.reason === 'Failed' && e.message === `Error: ${message}`));
    assert.deepEqual(h.calls('pullImage', 'createContainer'), []);
    await h.stop();
  });
});

describe('image errors', () => {
  it('a reference the kubelet cannot parse waits with InvalidImageName and is never pulled', async () => {
    const h = new Harness();
    await h.run(pod([container('app', { image: 'BusyBox:1.36' })]));
    await h.advance(30_000);
    const message =
      'Failed to apply default image tag "BusyBox:1.36": couldn\'t parse image name "BusyBox:1.36": invalid reference format: repository name (library/BusyBox) must be lowercase';
    assert.deepEqual(h.latest(UID)?.containerStatuses?.[0]?.state, {
      waiting: { reason: 'InvalidImageName', message },
    });
    assert.equal(h.latest(UID)?.phase, 'Pending');
    assert.deepEqual(h.calls('pullImage', 'createContainer'), []);
    assert.ok(
      h.events.some((e) => e.type === 'Warning' && e.reason === 'InspectFailed' && e.message === message),
    );
    await h.stop();
  });

  it('a pull secret that cannot be read is reported on the pod and the pull goes on', async () => {
    const h = new Harness({ images: [] });
    await h.run(pod([container('app', { image: 'web:2' })], { imagePullSecrets: [{ name: 'regcred' }] }));
    await h.until(UID, (st) => st.phase === 'Running', 10_000);
    const warning = h.eventsOf('FailedToRetrieveImagePullSecret')[0];
    assert.equal(
      warning?.message,
      'Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.',
    );
    assert.equal(warning?.fieldPath, undefined);
    assert.deepEqual(h.calls('pullImage'), ['pullImage web:2']);
    await h.stop();
  });

  it('an init container waits for its image: Init:ImagePullBackOff holds the app container back', async () => {
    const h = new Harness({ pullErrors: { 'bad:1': 'not found' } });
    await h.run(pod([container('app')], { initContainers: [container('init1', { image: 'bad:1' })] }));
    const s = await h.until(
      UID,
      (st) => st.initContainerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
      30_000,
    );
    assert.equal(s.phase, 'Pending');
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
    assert.ok(!h.calls('createContainer').length);
    await h.stop();
  });
});
