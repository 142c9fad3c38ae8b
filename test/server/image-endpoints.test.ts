// podrun's own image endpoints (/podrun/v1/images, …/pull, …/load, …/<ref>, /podrun/v1/pulls) over HTTPS with
// the kubeconfig's token, against a podrun on the fake runtime.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Endpoint, readKubeconfig } from '../../src/cli/client/http.js';
import { FakeRuntime } from '../../src/runtime/fake/fake-runtime.js';
import { type Podrun, startPodrun } from '../../src/server/podrun.js';
import { systemClock } from '../../src/util/clock.js';
import { dockerSaveTar, ImageFake } from '../cli/image-fake.js';

interface Reply {
  status: number;
  body: { reason?: string; message?: string; [k: string]: unknown };
}

function call(
  ep: Endpoint,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = request(
      new URL(path, ep.server),
      {
        method,
        ca: ep.ca,
        headers: {
          authorization: `Bearer ${ep.token}`,
          ...(payload ? { 'content-length': String(payload.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply['body'] }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const json = (v: unknown) => JSON.stringify(v);

/** Polls until `check` holds; the test's own timeout bounds the wait. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

describe('podrun image endpoints', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'podrun-img-api-'));
  const scratch = mkdtempSync(join(tmpdir(), 'podrun-img-api-files-'));
  const runtime = new ImageFake({ clock: systemClock, images: ['docker.io/library/busybox:1.36'] });
  let podrun: Podrun;
  let ep: Endpoint;
  const uploads = () => {
    try {
      return readdirSync(join(stateDir, 'tmp'));
    } catch {
      return [];
    }
  };

  before(async () => {
    // An upload a server left behind when it died mid-load is removed at the next start.
    mkdirSync(join(stateDir, 'tmp'), { recursive: true });
    writeFileSync(join(stateDir, 'tmp', 'image-load-0123456789abcdef.tar'), 'partial');
    podrun = await startPodrun({ stateDir, runtimeService: runtime, log: () => {} });
    ep = await readKubeconfig(podrun.kubeconfigPath);
  });
  after(async () => {
    await podrun?.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a start removes uploads left behind', () => {
    assert.deepEqual(uploads(), []);
  });

  test('GET images lists the runtime images; the token is required', async () => {
    const r = await call(ep, 'GET', '/podrun/v1/images');
    assert.equal(r.status, 200);
    const images = r.body.images as { repoTags: string[]; id: string }[];
    assert.deepEqual(
      images.map((i) => i.repoTags),
      [['docker.io/library/busybox:1.36']],
    );
    const anonymous = await call({ ...ep, token: 'wrong' }, 'GET', '/podrun/v1/images');
    assert.equal(anonymous.status, 401);
    const noToken = await new Promise<number>((resolve, reject) => {
      const req = request(new URL('/podrun/v1/images', ep.server), { ca: ep.ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(noToken, 401);
    assert.equal((await call(ep, 'GET', '/podrun/v1/nothing')).status, 404);
    assert.equal((await call(ep, 'PUT', '/podrun/v1/images')).status, 405);
  });

  test('POST images/pull pulls and returns the id and status', async () => {
    const r = await call(
      ep,
      'POST',
      '/podrun/v1/images/pull',
      json({ image: 'registry.local:5000/app:1.0' }),
    );
    assert.equal(r.status, 200, json(r.body));
    const status = r.body.status as { id: string; repoTags: string[] };
    assert.match(String(r.body.id), /^sha256:[0-9a-f]{64}$/);
    assert.equal(status.id, r.body.id);
    assert.deepEqual(status.repoTags, ['registry.local:5000/app:1.0']);
    assert.equal(runtime.callLog(['pullImage']).at(-1), 'pullImage registry.local:5000/app:1.0');
  });

  test('pull failures carry the runtime reason and message with a fitting code', async () => {
    runtime.pullErrors['registry.local:5000/broken:1'] =
      'failed to resolve reference "registry.local:5000/broken:1": connection refused';
    const failed = await call(
      ep,
      'POST',
      '/podrun/v1/images/pull',
      json({ image: 'registry.local:5000/broken:1' }),
    );
    assert.equal(failed.status, 502);
    assert.equal(failed.body.reason, 'ErrImagePull');
    assert.match(String(failed.body.message), /connection refused/);

    const invalid = await call(ep, 'POST', '/podrun/v1/images/pull', json({ image: 'Bad:Ref:x' }));
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.reason, 'InvalidImageName');

    const notJson = await call(ep, 'POST', '/podrun/v1/images/pull', '{image');
    assert.equal(notJson.status, 400);
    assert.match(String(notJson.body.message), /not JSON/);
    const noImage = await call(ep, 'POST', '/podrun/v1/images/pull', json({ ref: 'busybox' }));
    assert.equal(noImage.status, 400);
    assert.match(String(noImage.body.message), /^ref: unknown field/);
    const badAuth = await call(
      ep,
      'POST',
      '/podrun/v1/images/pull',
      json({ image: 'busybox', auth: { username: 'a', pasword: 'b' } }),
    );
    assert.equal(badAuth.status, 400);
    assert.match(String(badAuth.body.message), /auth\.pasword: unknown field/);
  });

  test('GET pulls shows a pull under way until it ends', async () => {
    const image = 'registry.local:5000/slow:2';
    runtime.hold(image, { totalBytes: 4_000_000, layers: 3 });
    const pulling = call(ep, 'POST', '/podrun/v1/images/pull', json({ image }));
    await until(() => runtime.isWaiting(image));
    runtime.setProgress(image, { doneBytes: 1_500_000, layersDone: 1 });
    const during = await call(ep, 'GET', '/podrun/v1/pulls');
    assert.equal(during.status, 200);
    assert.deepEqual(
      (during.body.pulls as Record<string, unknown>[]).map(({ startedAt: _, ...p }) => p),
      [{ image, totalBytes: 4_000_000, doneBytes: 1_500_000, layers: 3, layersDone: 1 }],
    );
    runtime.release(image);
    assert.equal((await pulling).status, 200);
    assert.deepEqual((await call(ep, 'GET', '/podrun/v1/pulls')).body.pulls, []);
  });

  test('a client hanging up cancels its pull', async () => {
    const image = 'registry.local:5000/abandoned:1';
    runtime.hold(image);
    const req = request(new URL('/podrun/v1/images/pull', ep.server), {
      method: 'POST',
      ca: ep.ca,
      headers: { authorization: `Bearer ${ep.token}` },
    });
    req.on('error', () => {});
    req.end(json({ image }));
    await until(() => runtime.isWaiting(image));
    const signal = runtime.signals.at(-1);
    assert.equal(signal?.aborted, false);
    req.destroy();
    await until(() => signal?.aborted === true);
    runtime.release(image, new Error('cancelled'));
  });

  test('DELETE images/<ref> removes; absent is 404, in use is 409', async () => {
    runtime.addImage('registry.local:5000/team/tool:3');
    const path = `/podrun/v1/images/${encodeURIComponent('registry.local:5000/team/tool:3')}`;
    const r = await call(ep, 'DELETE', path);
    assert.equal(r.status, 200, json(r.body));
    assert.equal(r.body.image, 'registry.local:5000/team/tool:3');
    assert.match(String(r.body.id), /^sha256:/);
    assert.equal(await runtime.imageStatus({ image: 'registry.local:5000/team/tool:3' }), null);

    const again = await call(ep, 'DELETE', path);
    assert.equal(again.status, 404);
    assert.equal(again.body.reason, 'NotFound');
    assert.match(String(again.body.message), /no such image "registry.local:5000\/team\/tool:3"/);

    runtime.addImage('docker.io/library/nginx:1.27');
    runtime.inUse.add('docker.io/library/nginx:1.27');
    const inUse = await call(
      ep,
      'DELETE',
      `/podrun/v1/images/${encodeURIComponent('docker.io/library/nginx:1.27')}`,
    );
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.reason, 'ImageInUse');
    assert.ok(await runtime.imageStatus({ image: 'docker.io/library/nginx:1.27' }));
    const got = await call(
      ep,
      'GET',
      `/podrun/v1/images/${encodeURIComponent('docker.io/library/nginx:1.27')}`,
    );
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.repoTags, ['docker.io/library/nginx:1.27']);
  });

  test('POST images/load loads the streamed archive and removes the upload', async () => {
    const tar = dockerSaveTar(scratch, ['docker.io/library/loaded:1', 'docker.io/library/loaded:latest']);
    const r = await call(ep, 'POST', '/podrun/v1/images/load?source=loaded.tar', await readFile(tar));
    assert.equal(r.status, 200, json(r.body));
    assert.deepEqual((r.body.images as { repoTags: string[] }[]).flatMap((i) => i.repoTags).sort(), [
      'docker.io/library/loaded:1',
      'docker.io/library/loaded:latest',
    ]);
    const path = runtime.loadedPaths.at(-1) ?? '';
    assert.ok(path.startsWith(join(stateDir, 'tmp')), path);
    assert.deepEqual(uploads(), []);
  });

  test('a load of something that is no archive is a 400 naming the source, and leaves nothing', async () => {
    const r = await call(
      ep,
      'POST',
      '/podrun/v1/images/load?source=notes.txt',
      'just some text\n'.repeat(100),
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.reason, 'InvalidArchive');
    assert.match(String(r.body.message), /^notes\.txt: not a tar archive/);
    assert.doesNotMatch(String(r.body.message), /image-load-/);
    assert.deepEqual(uploads(), []);

    const empty = await call(ep, 'POST', '/podrun/v1/images/load?source=empty.tar', '');
    assert.equal(empty.status, 400);
    assert.match(String(empty.body.message), /empty\.tar is empty/);
    assert.deepEqual(uploads(), []);
  });
});

test('a runtime without loadImage answers a load with 501', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'podrun-img-api-noload-'));
  const podrun = await startPodrun({
    stateDir,
    runtimeService: new FakeRuntime({ clock: systemClock }),
    log: () => {},
  });
  try {
    const ep = await readKubeconfig(podrun.kubeconfigPath);
    const r = await call(ep, 'POST', '/podrun/v1/images/load?source=x.tar', Buffer.alloc(256 * 1024));
    assert.equal(r.status, 501);
    assert.equal(r.body.reason, 'Unsupported');
    assert.match(String(r.body.message), /cannot load an archive/);
  } finally {
    await podrun.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
