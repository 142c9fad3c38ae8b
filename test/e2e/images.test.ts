// Real images end to end, offline: images built from Debian's busybox-static are pushed with skopeo to
// loopback registries (docker-registry), and registries.conf sends docker.io there, as a company mirror
// would. `podrun serve --images pull` then runs the examples in examples/images/ as written, pulls from a
// registry behind Basic auth with an imagePullSecret, falls back from a dead location to its mirror, and
// reports a missing tag and a refused credential as a cluster does.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { freePort, push, type Registry, startRegistry } from '../images/registry-fixtures.js';
import { appUser, buildImage, busyboxRoot, type ImageFixture } from '../support/image-fixtures.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { REPO, runPodrun } from './support/serve.js';
import { containerStatus, initStatus, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-images-test')};`;
const work = mkdtempSync(join(tmpdir(), 'podrun-e2e-images-'));
const registriesConf = join(work, 'registries.conf');
const registries: Registry[] = [];
const images: Record<string, ImageFixture> = {};
const CREDS = { user: 'ci', password: 'letmein' };

const cluster = e2eCluster({ images: 'pull', registriesConf, commandMarkers: [MARK] });

before(async () => {
  if (E2E_SKIP) return;
  const hub = await startRegistry(join(work, 'hub'));
  const priv = await startRegistry(join(work, 'private'), CREDS);
  registries.push(hub, priv);
  const build = join(work, 'build');
  mkdirSync(build, { recursive: true });
  images.busybox = buildImage(build, 'busybox:1.36', { Cmd: ['sh'], Env: ['PATH=/bin'] }, [busyboxRoot]);
  images.assets = buildImage(build, 'my-site-assets:1.0', { Cmd: ['sh'] }, [
    busyboxRoot,
    (dir) => {
      mkdirSync(join(dir, 'assets'), { recursive: true });
      writeFileSync(join(dir, 'assets', 'index.html'), '<h1>served from an image</h1>\n');
    },
  ]);
  images.app = buildImage(
    build,
    'team/app:1',
    { Cmd: ['sh', '-c', `${MARK} id -u; echo "home=$HOME"`], User: 'app' },
    [
      (dir) => {
        busyboxRoot(dir);
        appUser(dir);
      },
    ],
  );
  push(images.busybox.layout, '1.36', `${hub.host}/library/busybox:1.36`);
  push(images.app.layout, '1', `${priv.host}/team/app:1`, [`--dest-creds=${CREDS.user}:${CREDS.password}`]);
  const dead = await freePort();
  writeFileSync(
    registriesConf,
    [
      // docker.io is the loopback registry: nothing leaves the machine, not even a fallback.
      `[[registry]]\nprefix = "docker.io"\nlocation = "${hub.host}"\ninsecure = true\n`,
      `[[registry]]\nprefix = "private.test"\nlocation = "${priv.host}"\ninsecure = true\n`,
      // A location nothing listens on, with a working mirror: pulls go through the mirror.
      `[[registry]]\nprefix = "mirrored.test"\nlocation = "127.0.0.1:${dead}"\ninsecure = true\n` +
        `[[registry.mirror]]\nlocation = "${hub.host}"\ninsecure = true\n`,
    ].join('\n'),
  );
  await cluster.start();
});
afterEach(cluster.record);
after(async () => {
  await cluster.stopAndCheck();
  for (const r of registries) await r.stop();
  rmSync(work, { recursive: true, force: true });
});

const k = () => cluster.kubectl;
const stateDir = () => cluster.serve.stateDir;

const podYaml = (name: string, image: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
${extra}  containers:
    - name: main
      image: ${image}
`;

/** `podrun up --wait` of examples/images/<name>.yaml against the test's server; fails with its output. */
async function upExample(name: string): Promise<void> {
  const file = join(REPO, 'examples', 'images', `${name}.yaml`);
  const r = await runPodrun(['up', '--wait', '--timeout', '120s', '-f', file, '--state-dir', stateDir()], {
    timeoutMs: 140_000,
  });
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

const waiting = (pod: Pod) => containerStatus(pod, 'main')?.state?.waiting;

describe('images', { skip: E2E_SKIP }, () => {
  test('examples/images/wait-for-db.yaml comes up as written: busybox:1.36 pulled from docker.io (a loopback registry), nc through a Service', {
    timeout: 150_000,
  }, async () => {
    await upExample('wait-for-db');
    const pod = await k().json<Pod>(['get', 'pod', 'app']);
    const init = initStatus(pod, 'wait-for-db');
    assert.equal(init?.image, 'docker.io/library/busybox:1.36');
    assert.equal(init?.imageID, `docker.io/library/busybox@${images.busybox?.manifestDigest}`);
    assert.match(await k().ok(['logs', 'app', '-c', 'wait-for-db']), /db is up/);
    const events = await k().ok([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=app',
      '-o',
      'json',
    ]);
    const reasons = (JSON.parse(events) as { items: { reason: string; message: string }[] }).items;
    // One pod's three containers share the image: one pull, and "already present" for the others or a
    // pull that found it done, as the kubelet reports.
    assert.ok(
      reasons.some((e) => e.reason === 'Pulled' && /busybox:1\.36/.test(e.message)),
      JSON.stringify(reasons),
    );
    const ls = await runPodrun(['image', 'ls', '--state-dir', stateDir()]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /docker\.io\/library\/busybox\s+1\.36/);
  });

  test('examples/images/assets-from-image.yaml: my-site-assets:1.0 loaded with `podrun image load`, copied into an emptyDir, served by busybox httpd behind a Service', {
    timeout: 150_000,
  }, async () => {
    const load = await runPodrun([
      'image',
      'load',
      '-i',
      images.assets?.layout ?? '',
      '--state-dir',
      stateDir(),
    ]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout + load.stderr, /my-site-assets:1\.0/);
    await upExample('assets-from-image');
    assert.match(await k().ok(['logs', 'job/check-site']), /page ok/);
  });

  test('a private registry: the pull succeeds with an imagePullSecret, the image user and its HOME apply; without it, ErrImagePull says the registry refused', {
    timeout: 90_000,
  }, async () => {
    const auth = Buffer.from(`${CREDS.user}:${CREDS.password}`).toString('base64');
    // Keyed by the registry the image names, as on a cluster (registries.conf maps it to a loopback location).
    const dockerconfig = JSON.stringify({ auths: { 'private.test': { auth } } });
    await k().ok(['apply', '-f', '-'], {
      input: `
apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${Buffer.from(dockerconfig).toString('base64')}
---${podYaml('private-ok', 'private.test/team/app:1', '  imagePullSecrets: [{name: regcred}]\n')}---${podYaml('private-denied', 'private.test/team/app:1')}`,
    });
    await pollPod(k(), 'private-ok', (p) => p.status?.phase === 'Succeeded', 'private-ok to succeed', 60_000);
    assert.equal(await k().ok(['logs', 'private-ok']), '1000\nhome=/home/app\n');
    const denied = await pollPod(
      k(),
      'private-denied',
      (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(waiting(p)?.reason ?? ''),
      'private-denied to fail its pull',
      60_000,
    );
    assert.match(waiting(denied)?.message ?? '', /private\.test\/team\/app:1/);
    assert.match(waiting(denied)?.message ?? '', /401|unauthori[sz]ed|authentication required/i);
  });

  test('a tag the registry does not have: ErrImagePull then ImagePullBackOff with the registry\'s "not found", and a Failed event', {
    timeout: 90_000,
  }, async () => {
    await k().ok(['apply', '-f', '-'], { input: podYaml('wrong-tag', 'busybox:no-such-tag') });
    const first = await pollPod(
      k(),
      'wrong-tag',
      (p) => waiting(p)?.reason === 'ErrImagePull' || waiting(p)?.reason === 'ImagePullBackOff',
      'the pull to fail',
      60_000,
    );
    assert.match(waiting(first)?.message ?? '', /docker\.io\/library\/busybox:no-such-tag.*not found/);
    await pollPod(
      k(),
      'wrong-tag',
      (p) => waiting(p)?.reason === 'ImagePullBackOff',
      'ImagePullBackOff',
      60_000,
    );
    const events = await k().ok(['get', 'events', '--field-selector', 'involvedObject.name=wrong-tag']);
    assert.match(events, /Failed\s+pod\/wrong-tag\s+Failed to pull image "busybox:no-such-tag"/);
    assert.match(events, /BackOff\s+pod\/wrong-tag\s+Back-off pulling image "busybox:no-such-tag"/);
  });

  test('a registry whose location does not answer is reached through its mirror', {
    timeout: 60_000,
  }, async () => {
    await k().ok(['apply', '-f', '-'], {
      input: `${podYaml('mirrored', 'mirrored.test/library/busybox:1.36')}      command: [sh, -c, '${MARK} echo via mirror']\n`,
    });
    const pod = await pollPod(
      k(),
      'mirrored',
      (p) => p.status?.phase === 'Succeeded',
      'mirrored to succeed',
      45_000,
    );
    // The image is the busybox already pulled through docker.io: the same id, now under both names.
    assert.ok(
      containerStatus(pod, 'main')?.imageID?.endsWith(`/library/busybox@${images.busybox?.manifestDigest}`),
    );
    const ls = await runPodrun(['image', 'ls', '--state-dir', stateDir()]);
    assert.match(ls.stdout, /mirrored\.test\/library\/busybox\s+1\.36/);
    assert.equal(await k().ok(['logs', 'mirrored']), 'via mirror\n');
  });
});
