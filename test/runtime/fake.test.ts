// The fake runtime through the same conformance suite as the host runtime: every case that needs no real
// process, namespace, network or file runs; those that do are skipped with the reason. Then what only the fake
// has: its image configs and the process it records for each container.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServiceRules } from '../../src/network/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { ContainerConfig, RuntimeService } from '../../src/runtime/types.js';
import { FakeClock, systemClock } from '../../src/util/clock.js';
import { readLayoutImage } from '../support/image-fixtures.js';
import { runtimeConformance } from './conformance.js';
import { assertPattern, PATTERN_SERVER_BODY, readThroughReader } from './conformance-portforward.js';
import { criContainerConfig, podSandboxConfig } from './fixtures/configs.js';
import { runtimeServiceRulesConformance } from './service-rules-conformance.js';

const fakeOf = (rt: RuntimeService) => rt as FakeRuntime;

runtimeConformance({
  name: 'fake',
  newRuntime: async () => new FakeRuntime({ clock: systemClock }),
  lacks: {
    processes:
      'the fake runs no process: there is no output, exit of its own, signal handling or command lookup to observe',
    namespaces: 'the fake makes no namespaces: there is no hostname, user or process isolation to observe',
    network: 'the fake makes no network: its pod addresses are never routed',
    files: 'the fake touches no files: there are no mounts, root filesystems or log files',
    cgroups: 'the fake enforces no resource limits',
  },
  images: {
    // As `podrun image load` would: the name, id and config the layout holds.
    prepareImage: async (rt, name, fixture) => {
      const image = readLayoutImage(fixture.layout);
      assert.equal(image.name, name);
      fakeOf(rt).addImage(name, { config: image.config, id: image.id, size: image.size });
    },
  },
});

runtimeServiceRulesConformance({
  name: 'fake',
  newRuntime: async () => new FakeRuntime({ clock: new FakeClock(0) }),
  appliedRules: async (rt, id) => {
    const rules = fakeOf(rt).rulesOf(id);
    return rules === undefined ? undefined : JSON.stringify(rules);
  },
  expectedRules: async (rules) => JSON.stringify(rules),
  traffic: 'the fake runtime runs no processes',
});

test('the fake runtime records the rules, each call, and which sandboxes got them', async () => {
  const rt = new FakeRuntime({ clock: new FakeClock(0) });
  const config = (name: string) => podSandboxConfig(name);
  const before = await rt.runPodSandbox(config('before'));
  assert.equal(rt.serviceRules(), undefined);
  const rules: ServiceRules = { serviceCidr: '10.96.0.0/16', clusterIPs: ['10.96.0.10'], ports: [] };
  await rt.setServiceRules(rules);
  assert.deepEqual(rt.serviceRules(), rules);
  assert.deepEqual(rt.ruleHistory, [rules]);
  assert.deepEqual(rt.rulesOf(before), rules);
  assert.deepEqual(rt.callLog(['setServiceRules']), ['setServiceRules 0 ports']);
  await rt.removePodSandbox(before);
  assert.equal(rt.rulesOf(before), undefined);
});

describe('the fake runtime with images', () => {
  const digest = `sha256:${'d'.repeat(64)}`;
  const sandbox = (name: string) => podSandboxConfig(name);
  const container = (name: string, extra: Partial<ContainerConfig> = {}) =>
    criContainerConfig(name, { image: 'app:1', rootfs: 'image', ...extra });
  const setup = async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    const config = sandbox('web');
    const sid = await rt.runPodSandbox(config);
    return { rt, sid, config };
  };

  test('an image is found by its reference as written, normalised, and by id; another tag is another image', async () => {
    const { rt } = await setup();
    const added = rt.addImage('busybox');
    assert.deepEqual(added.repoTags, ['docker.io/library/busybox:latest']);
    assert.match(added.id, /^sha256:[a-f0-9]{64}$/);
    for (const ref of [
      'busybox',
      'busybox:latest',
      'docker.io/library/busybox:latest',
      added.id,
      added.id.slice(7),
    ]) {
      assert.deepEqual(await rt.imageStatus({ image: ref }), added, ref);
    }
    assert.equal(await rt.imageStatus({ image: 'busybox:1.36' }), null);
    await assert.rejects(rt.imageStatus({ image: 'BusyBox' }), { reason: 'InvalidImageName' });
  });

  test('ImageStatus carries the repo digest, the size, and uid or username from the config User', async () => {
    const { rt } = await setup();
    const named = rt.addImage('app:1', { config: { User: 'app:staff' }, repoDigest: digest, size: 4096 });
    assert.deepEqual(named.repoDigests, [`docker.io/library/app@${digest}`]);
    assert.equal(named.size, 4096);
    assert.equal(named.username, 'app');
    assert.equal(rt.addImage('numeric:1', { config: { User: '1000:1000' } }).uid, 1000);
    assert.deepEqual(await rt.imageStatus({ image: `app@${digest}` }), named);
  });

  test('adding a reference to another image moves it there; an image left without names is gone', async () => {
    const { rt } = await setup();
    const first = rt.addImage('app:1', { id: `sha256:${'1'.repeat(64)}` });
    const second = rt.addImage('app:1', { id: `sha256:${'2'.repeat(64)}` });
    assert.equal((await rt.imageStatus({ image: 'app:1' }))?.id, second.id);
    assert.equal(await rt.imageStatus({ image: first.id }), null);
    assert.deepEqual(
      (await rt.listImages()).map((i) => i.id),
      [second.id],
    );
  });

  test("a container from an image runs what containerd derives from the image's config", async () => {
    const { rt, sid, config } = await setup();
    rt.addImage('app:1', {
      config: {
        Entrypoint: ['/bin/server'],
        Cmd: ['--help'],
        Env: ['PATH=/app/bin', 'MODE=image'],
        User: 'app',
        WorkingDir: '/srv',
        Volumes: { '/state': {} },
      },
    });
    const id = await rt.createContainer(
      sid,
      container('c', { args: ['--port', '80'], envs: [{ name: 'MODE', value: 'pod' }] }),
      config,
    );
    assert.deepEqual(rt.processOf(id), {
      argv: ['/bin/server', '--port', '80'],
      env: ['PATH=/app/bin', 'HOSTNAME=web', 'MODE=pod'],
      cwd: '/srv',
      user: 'app',
      imageVolumes: ['/state'],
    });
    const own = await rt.createContainer(
      sid,
      container('own', { command: ['/bin/sh'], workingDir: '/tmp', linux: { security: { runAsUser: 7 } } }),
      config,
    );
    assert.deepEqual(
      [rt.processOf(own).argv, rt.processOf(own).cwd, rt.processOf(own).user],
      [['/bin/sh'], '/tmp', '7'],
    );
    await assert.rejects(
      rt.createContainer(
        sid,
        container('group', { command: ['x'], linux: { security: { runAsGroup: 5 } } }),
        config,
      ),
      { reason: 'CreateContainerError', message: /user group "5" is specified without user/ },
    );
  });

  test('a host container runs its command as given, and keeps the image as its label', async () => {
    const { rt, sid, config } = await setup();
    const image = rt.addImage('app:1', { config: { Entrypoint: ['/ignored'] } });
    const id = await rt.createContainer(
      sid,
      container('h', {
        rootfs: 'host',
        command: ['sleep'],
        args: ['1'],
        linux: { security: { runAsUser: 1000, runAsGroup: 2000 } },
      }),
      config,
    );
    assert.deepEqual(rt.processOf(id), {
      argv: ['sleep', '1'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=web'],
      cwd: '/',
      user: '1000:2000',
      imageVolumes: [],
    });
    const s = await rt.containerStatus(id);
    assert.deepEqual([s.image, s.imageRef], ['app:1', image.id]);
    // Not in use: only rootfs image containers pin their image.
    await rt.removeImage({ image: 'app:1' });
  });

  test('pullImage: pullErrors by the reference as written; a present image keeps its config; bad names are InvalidImageName', async () => {
    const { rt } = await setup();
    rt.pullErrors['web:2'] = 'pull access denied';
    await assert.rejects(rt.pullImage({ image: 'web:2' }), {
      reason: 'ErrImagePull',
      message: 'pull access denied',
    });
    const present = rt.addImage('app:1', { config: { User: 'app' } });
    assert.equal(await rt.pullImage({ image: 'docker.io/library/app:1' }), present.id);
    assert.equal((await rt.imageStatus({ image: 'app:1' }))?.username, 'app');
    const pulled = await rt.pullImage({ image: 'other' });
    assert.equal((await rt.imageStatus({ image: 'docker.io/library/other:latest' }))?.id, pulled);
    await assert.rejects(rt.pullImage({ image: 'Nope' }), { reason: 'InvalidImageName' });
  });

  test('removeImage removes every name of the image', async () => {
    const { rt } = await setup();
    const image = rt.addImage('app:1', { repoDigest: digest });
    rt.addImage('app:latest', { id: image.id });
    assert.deepEqual((await rt.imageStatus({ image: image.id }))?.repoTags, [
      'docker.io/library/app:1',
      'docker.io/library/app:latest',
    ]);
    await rt.removeImage({ image: 'app' });
    for (const ref of ['app:1', 'app:latest', `app@${digest}`, image.id]) {
      assert.equal(await rt.imageStatus({ image: ref }), null, ref);
    }
  });
});

describe('the fake runtime: pod ports', () => {
  test('portForward connects to what the test serves on that pod port, in both directions', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    const sid = await rt.runPodSandbox(podSandboxConfig('web', { uid: 'uid-web' }));
    rt.listen('uid-web', 8080, (socket) => {
      socket.once('data', (b: Buffer) => socket.end(`echo ${b.toString()}`));
    });
    const conn = await rt.portForward(sid, 8080);
    let got = '';
    conn.on('data', (b: Buffer) => {
      got += b.toString();
    });
    const ended = new Promise((r) => conn.on('end', r));
    conn.write('ping');
    await ended;
    assert.equal(got, 'echo ping');
    await assert.rejects(rt.portForward(sid, 8081), /127\.0\.0\.1:8081: connect: connection refused/);
  });

  test('portForward with a reader: every byte in order, paused on false until resume()', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    const sid = await rt.runPodSandbox(podSandboxConfig('web', { uid: 'uid-web' }));
    const { pattern, bytes } = PATTERN_SERVER_BODY;
    rt.listen('uid-web', 8080, (socket) => {
      // In 64 KiB writes, so that the reader gets many chunks.
      const block = Buffer.from(pattern.repeat(65536 / pattern.length));
      for (let at = 0; at < bytes; at += block.length) socket.write(block);
      socket.end();
    });
    assertPattern(await readThroughReader((onData) => rt.portForward(sid, 8080, onData)));
  });
});
