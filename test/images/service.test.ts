// The image service against real loopback registries (Debian's docker-registry, images pushed by skopeo):
// pulls by tag, digest and index, credentials from the CRI auth and from a docker config file, a mirror
// from registries.conf, plain HTTP only where allowed, shared downloads counted at a front, removal, load
// and the kubelet's GC thresholds with an injected clock and disk.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chainIDs } from '../../src/images/store/index.js';
import { RuntimeError } from '../../src/runtime/types.js';
import {
  addImage,
  addIndex,
  type LayoutImage,
  push,
  type Registry,
  startRegistry,
} from './registry-fixtures.js';
import { countingFront, openService } from './service-fixtures.js';

let work: string;
let layout: string;
let plain: Registry;
let secured: Registry;
let mirror: Registry;
let img: LayoutImage;
let uidImg: LayoutImage;
let namedImg: LayoutImage;
let multi: { indexDigest: string; amd64: LayoutImage; arm64: LayoutImage };
const gcImgs: LayoutImage[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'podrun-imgsvc-'));
  layout = join(work, 'layout');
  img = addImage(layout, work, '1.35', 'amd64');
  uidImg = addImage(layout, work, 'uid', 'amd64', { User: '1000:2000' });
  namedImg = addImage(layout, work, 'named', 'amd64', { User: 'app' });
  for (const n of ['a', 'b', 'c'])
    gcImgs.push(addImage(layout, work, `gc${n}`, 'amd64', { Env: [`GC=${n}`] }));
  multi = addIndex(layout, work, 'multi');
  [plain, secured, mirror] = await Promise.all([
    startRegistry(join(work, 'plain')),
    startRegistry(join(work, 'secured'), { user: 'alice', password: 's3cret' }),
    startRegistry(join(work, 'mirror')),
  ]);
  push(layout, '1.35', `${plain.host}/busybox:1.35`);
  push(layout, '1.35', `${plain.host}/busybox:other`);
  push(layout, '1.35', `${plain.host}/busybox-v2s2:1.35`, ['--format', 'v2s2']);
  push(layout, 'multi', `${plain.host}/multi:1`, ['--all']);
  push(layout, 'uid', `${plain.host}/user/uid:1`);
  push(layout, 'named', `${plain.host}/user/named:1`);
  for (const n of ['a', 'b', 'c']) push(layout, `gc${n}`, `${plain.host}/gc/${n}:1`);
  push(layout, '1.35', `${secured.host}/private/busybox:1.35`, ['--dest-creds', 'alice:s3cret']);
  push(layout, '1.35', `${mirror.host}/lib/busybox:1.35`);
});

after(async () => {
  await Promise.all([plain?.stop(), secured?.stop(), mirror?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

function reason(r: RuntimeError['reason'], message?: string | RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof RuntimeError, `not a RuntimeError: ${String(err)}`);
    assert.equal(err.reason, r, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  };
}

test('pull by tag: id, tags, repo digest, size and unpacked layers; imageStatus and image() find it', async () => {
  const svc = await openService(work);
  try {
    const ref = `${plain.host}/busybox:1.35`;
    const id = await svc.pullImage({ image: ref });
    assert.equal(id, `sha256:${img.configDigest.slice(7)}`);
    const st = await svc.imageStatus({ image: ref });
    assert.deepEqual(st, {
      id,
      repoTags: [ref],
      repoDigests: [`${plain.host}/busybox@${img.manifestDigest}`],
      size: st?.size,
      pinned: false,
    });
    assert.ok((st?.size ?? 0) > img.layerSize);
    assert.deepEqual(await svc.imageStatus({ image: id }), st);
    assert.equal(await svc.imageStatus({ image: `${plain.host}/busybox:nope` }), null);
    const rec = svc.image(ref);
    assert.deepEqual(rec?.chainIDs, chainIDs([img.diffId]));
    assert.equal(await svc.store.layers.has(rec?.chainIDs[0] ?? ''), true);
    assert.equal(await svc.store.blobs.has(img.layerDigest), true);
    assert.deepEqual(
      (await svc.listImages()).map((i) => i.id),
      [id],
    );
    assert.deepEqual(svc.pullsInProgress(), []);
    const fs = await svc.imageFsInfo();
    assert.ok(fs.usedBytes > 0 && fs.capacityBytes > fs.availableBytes && fs.availableBytes > 0);
  } finally {
    await svc.close();
  }
});

test('pull by digest records the repo digest and no tag; through an index the host platform is chosen', async () => {
  const svc = await openService(work);
  try {
    const id = await svc.pullImage({ image: `${plain.host}/busybox@${img.manifestDigest}` });
    const st = await svc.imageStatus({ image: id });
    assert.deepEqual(st?.repoTags, []);
    assert.deepEqual(st?.repoDigests, [`${plain.host}/busybox@${img.manifestDigest}`]);
    // name:tag@digest pulls the digest (ParseDockerRef), and finds the same image.
    assert.equal(await svc.pullImage({ image: `${plain.host}/busybox:whatever@${img.manifestDigest}` }), id);
  } finally {
    await svc.close();
  }
  // The amd64 child has the same content as busybox:1.35: a fresh store, so its digests are its own.
  const fresh = await openService(work);
  try {
    const svc = fresh;
    const multiId = await svc.pullImage({ image: `${plain.host}/multi:1` });
    assert.equal(multiId, `sha256:${multi.amd64.configDigest.slice(7)}`);
    const m = await svc.imageStatus({ image: `${plain.host}/multi:1` });
    assert.deepEqual(m?.repoDigests, [`${plain.host}/multi@${multi.indexDigest}`]);
    assert.equal(svc.image(multiId)?.manifestDigest, multi.amd64.manifestDigest);
  } finally {
    await fresh.close();
  }
});

test('uid and username come from the config User (the user part of user:group)', async () => {
  const svc = await openService(work);
  try {
    await svc.pullImage({ image: `${plain.host}/user/uid:1` });
    await svc.pullImage({ image: `${plain.host}/user/named:1` });
    const uid = await svc.imageStatus({ image: `${plain.host}/user/uid:1` });
    assert.equal(uid?.id, `sha256:${uidImg.configDigest.slice(7)}`);
    assert.equal(uid?.uid, 1000);
    assert.equal(uid?.username, undefined);
    const named = await svc.imageStatus({ image: `${plain.host}/user/named:1` });
    assert.equal(named?.id, `sha256:${namedImg.configDigest.slice(7)}`);
    assert.equal(named?.username, 'app');
    assert.equal(named?.uid, undefined);
  } finally {
    await svc.close();
  }
});

test('a wrong tag is ImageNotFound and a bad name InvalidImageName, worded as containerd and the kubelet', async () => {
  const svc = await openService(work);
  try {
    const ref = `${plain.host}/busybox:nope`;
    await assert.rejects(
      svc.pullImage({ image: ref }),
      reason(
        'ImageNotFound',
        `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
      ),
    );
    const missingRepo = `${plain.host}/nosuch/repo:1`;
    await assert.rejects(svc.pullImage({ image: missingRepo }), reason('ImageNotFound', / not found$/));
    await assert.rejects(
      svc.pullImage({ image: 'BusyBox' }),
      reason(
        'InvalidImageName',
        'Failed to apply default image tag "BusyBox": couldn\'t parse image name "BusyBox": invalid reference format: repository name (library/BusyBox) must be lowercase',
      ),
    );
    await assert.rejects(svc.imageStatus({ image: 'BusyBox' }), reason('InvalidImageName'));
    // Nothing listens there: ErrImagePull with Go's dial error.
    await assert.rejects(
      svc.pullImage({ image: '127.0.0.1:9/busybox:1' }),
      reason(
        'ErrImagePull',
        /^failed to pull and unpack image "127\.0\.0\.1:9\/busybox:1": .*connection refused$/,
      ),
    );
  } finally {
    await svc.close();
  }
});

test('htpasswd registry: credentials from the CRI auth (auth and username/password) and from a docker config file', async () => {
  const ref = `${secured.host}/private/busybox:1.35`;
  const b64 = Buffer.from('alice:s3cret').toString('base64');
  const byAuth = await openService(work);
  try {
    assert.equal(
      await byAuth.pullImage({ image: ref }, { auth: [{ auth: b64 }] }),
      `sha256:${img.configDigest.slice(7)}`,
    );
  } finally {
    await byAuth.close();
  }
  const byUser = await openService(work);
  try {
    await byUser.pullImage({ image: ref }, { auth: [{ username: 'alice', password: 's3cret' }] });
    assert.deepEqual((await byUser.imageStatus({ image: ref }))?.repoTags, [ref]);
  } finally {
    await byUser.close();
  }
  const config = join(work, 'docker-config.json');
  writeFileSync(config, JSON.stringify({ auths: { [secured.host]: { auth: b64 } } }));
  const byFile = await openService(work, { dockerConfig: config });
  try {
    await byFile.pullImage({ image: ref });
    assert.notEqual(await byFile.imageStatus({ image: ref }), null);
  } finally {
    await byFile.close();
  }
});

test("a refused credential is ErrImagePull with containerd's 401 and what to fix", async () => {
  const ref = `${secured.host}/private/busybox:1.35`;
  const refused = `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": unexpected status from HEAD request to http://${secured.host}/v2/private/busybox/manifests/1.35: 401 Unauthorized`;
  const config = join(work, 'docker-config-wrong.json');
  writeFileSync(
    config,
    JSON.stringify({ auths: { [secured.host]: { username: 'alice', password: 'nope' } } }),
  );
  const svc = await openService(work, { dockerConfig: config });
  try {
    await assert.rejects(
      svc.pullImage({ image: ref }, { auth: [{ username: 'bob', password: 'wrong' }] }),
      reason(
        'ErrImagePull',
        `${refused}; the registry refused the credentials given for user "bob": check the pull secret`,
      ),
    );
    await assert.rejects(
      svc.pullImage({ image: ref }),
      reason(
        'ErrImagePull',
        `${refused}; the registry refused the credentials for user "alice" from ${config}: check them there`,
      ),
    );
    await assert.rejects(
      svc.pullImage({ image: ref }, { auth: [{ auth: 'bm9jb2xvbg==' }] }),
      reason('ErrImagePull', /auth\[0\]\.auth: not base64 of "user:password"/),
    );
  } finally {
    await svc.close();
  }
  const anonymous = await openService(work);
  try {
    await assert.rejects(
      anonymous.pullImage({ image: ref }),
      reason(
        'ErrImagePull',
        /401 Unauthorized; the registry wants credentials and none were given: add an imagePullSecret/,
      ),
    );
  } finally {
    await anonymous.close();
  }
});

test('registries.conf: a mirror serves an image its registry does not have; plain HTTP only where marked', async () => {
  const conf = join(work, 'registries.conf');
  // example.invalid is never contacted: the mirror answers first.
  writeFileSync(
    conf,
    `[[registry]]\nprefix = "example.invalid/lib"\nlocation = "example.invalid/lib"\n[[registry.mirror]]\nlocation = "${mirror.host}/lib"\n`,
  );
  const svc = await openService(work, { registriesConf: conf });
  try {
    const id = await svc.pullImage({ image: 'example.invalid/lib/busybox:1.35' });
    assert.equal(id, `sha256:${img.configDigest.slice(7)}`);
    assert.deepEqual((await svc.imageStatus({ image: 'example.invalid/lib/busybox:1.35' }))?.repoTags, [
      'example.invalid/lib/busybox:1.35',
    ]);
  } finally {
    await svc.close();
  }
  // `127.1` is this machine but not a loopback name to the client, so it speaks HTTPS to it unless
  // registries.conf marks it insecure (loopback names always get plain HTTP, as in containerd).
  const odd = `127.1:${plain.port}`;
  const strict = await openService(work);
  try {
    await assert.rejects(
      strict.pullImage({ image: `${odd}/busybox:1.35` }),
      reason('ErrImagePull', /https:\/\/127\.1:/),
    );
  } finally {
    await strict.close();
  }
  const insecureConf = join(work, 'registries-insecure.conf');
  writeFileSync(insecureConf, `[[registry]]\nlocation = "${odd}"\ninsecure = true\n`);
  const insecure = await openService(work, { registriesConf: insecureConf });
  try {
    assert.equal(
      await insecure.pullImage({ image: `${odd}/busybox:1.35` }),
      `sha256:${img.configDigest.slice(7)}`,
    );
  } finally {
    await insecure.close();
  }
});

test('a malformed registries.conf fails open() naming the file', async () => {
  const conf = join(work, 'bad-registries.conf');
  writeFileSync(conf, '[[registry]]\nprefix = \n');
  await assert.rejects(openService(work, { registriesConf: conf }), (err: Error) => {
    assert.match(err.message, /registries\.conf/);
    assert.ok(err.message.includes(conf), err.message);
    return true;
  });
});

test('20 concurrent pulls of one image, and pulls of other names for the same blobs, download each blob once', async () => {
  const front = await countingFront(plain.port);
  const svc = await openService(work);
  try {
    const ref = `${front.host}/busybox:1.35`;
    const ids = await Promise.all(Array.from({ length: 20 }, () => svc.pullImage({ image: ref })));
    assert.equal(new Set(ids).size, 1);
    assert.equal(front.blobGets.get(img.layerDigest), 1);
    assert.equal(front.blobGets.get(img.configDigest), 1);
    assert.equal(front.blobGets.size, 2);
    assert.equal(svc.blobDownloads, 1);
  } finally {
    await svc.close();
  }
  front.blobGets.clear();
  const svc2 = await openService(work);
  try {
    // A tag, a digest and another repository holding the same layer, all at once.
    await Promise.all(
      [
        `${front.host}/busybox:1.35`,
        `${front.host}/busybox:other`,
        `${front.host}/busybox@${img.manifestDigest}`,
        `${front.host}/busybox-v2s2:1.35`,
        `${front.host}/busybox:1.35`,
      ].map((image) => svc2.pullImage({ image })),
    );
    for (const [digest, n] of front.blobGets) assert.equal(n, 1, `${digest} fetched ${n} times`);
    assert.equal(front.blobGets.get(img.layerDigest), 1);
    // skopeo's v2s2 conversion keeps the config bytes: one image with three names.
    const st = await svc2.imageStatus({ image: `${front.host}/busybox:other` });
    assert.deepEqual(st?.repoTags.sort(), [
      `${front.host}/busybox-v2s2:1.35`,
      `${front.host}/busybox:1.35`,
      `${front.host}/busybox:other`,
    ]);
  } finally {
    await svc2.close();
    await front.close();
  }
});

test('progress of a pull under way; a caller that gives up leaves the shared pull to the others', async () => {
  const front = await countingFront(plain.port);
  const svc = await openService(work);
  try {
    const ref = `${front.host}/busybox:1.35`;
    front.hold();
    const held = front.nextHeldBlob();
    const quitter = new AbortController();
    const first = svc.pullImage({ image: ref }, { signal: quitter.signal });
    const second = svc.pullImage({ image: ref });
    await held;
    const [p, ...rest] = svc.pullsInProgress();
    assert.equal(rest.length, 0);
    assert.equal(p?.image, ref);
    assert.equal(p?.layers, 1);
    assert.equal(p?.layersDone, 0);
    assert.ok((p?.totalBytes ?? 0) >= img.layerSize, `total ${p?.totalBytes}`);
    assert.ok((p?.doneBytes ?? -1) < img.layerSize);
    quitter.abort();
    await assert.rejects(first, reason('ErrImagePull', /context canceled$/));
    front.release();
    assert.equal(await second, `sha256:${img.configDigest.slice(7)}`);
    assert.deepEqual(svc.pullsInProgress(), []);
  } finally {
    front.release();
    await svc.close();
    await front.close();
  }
});

test('removeImage: untags by reference, removes by id, idempotent, refused while in use', async () => {
  const inUse = new Set<string>();
  const svc = await openService(work, { inUse: () => inUse });
  try {
    const id = await svc.pullImage({ image: `${plain.host}/busybox:1.35` });
    await svc.pullImage({ image: `${plain.host}/busybox:other` });
    inUse.add(id);
    await assert.rejects(svc.removeImage({ image: id }), reason('ImageInUse', new RegExp(id)));
    inUse.clear();
    await svc.removeImage({ image: `${plain.host}/busybox:other` });
    const st = await svc.imageStatus({ image: id });
    assert.deepEqual(st?.repoTags, [`${plain.host}/busybox:1.35`]);
    await svc.removeImage({ image: id });
    assert.equal(await svc.imageStatus({ image: id }), null);
    assert.equal(await svc.imageStatus({ image: `${plain.host}/busybox:1.35` }), null);
    await svc.removeImage({ image: id });
    await svc.removeImage({ image: `${plain.host}/busybox:1.35` });
    // The content went with it (the store's grace period is 0 here).
    assert.equal(await svc.store.blobs.has(img.layerDigest), false);
  } finally {
    await svc.close();
  }
});

test('loadImage: an OCI layout directory, an OCI archive and a docker-save tarball', async () => {
  const ociDir = join(work, 'load-oci');
  const ociArchive = join(work, 'load-oci.tar');
  const dockerSave = join(work, 'load-docker.tar');
  const skopeo = (src: string, dst: string) =>
    execFileSync('skopeo', ['copy', '--quiet', src, dst], { stdio: ['ignore', 'ignore', 'pipe'] });
  skopeo(`oci:${layout}:1.35`, `oci:${ociDir}:busybox:1.36`);
  skopeo(`oci:${layout}:uid`, `oci-archive:${ociArchive}:example.com/uid:2`);
  skopeo(`oci:${layout}:named`, `docker-archive:${dockerSave}:example.com/named:3`);
  const svc = await openService(work);
  try {
    const [a] = await svc.loadImage(ociDir);
    assert.equal(a?.id, `sha256:${img.configDigest.slice(7)}`);
    assert.deepEqual(a?.repoTags, ['docker.io/library/busybox:1.36']);
    const [b] = await svc.loadImage(ociArchive);
    assert.equal(b?.id, `sha256:${uidImg.configDigest.slice(7)}`);
    assert.deepEqual(b?.repoTags, ['example.com/uid:2']);
    assert.equal(b?.uid, 1000);
    const [c] = await svc.loadImage(dockerSave);
    assert.deepEqual(c?.repoTags, ['example.com/named:3']);
    assert.equal(c?.username, 'app');
    assert.notEqual(svc.image('busybox:1.36'), undefined);
    assert.equal((await svc.listImages()).length, 3);
    await assert.rejects(svc.loadImage(join(work, 'nothing.tar')), /nothing\.tar: no such file/);
  } finally {
    await svc.close();
  }
});

test('gc: nothing below the high threshold; above it LRU first, skipping in-use, pinned and young images', async () => {
  const start = Date.now();
  let clock = start;
  let fs = { capacityBytes: 1_000_000, availableBytes: 200_000, usedBytes: 0 };
  const inUse = new Set<string>();
  const refs = ['a', 'b', 'c'].map((n) => `${plain.host}/gc/${n}:1`);
  const svc = await openService(work, {
    now: () => clock,
    fsUsage: async () => fs,
    inUse: () => inUse,
    pinnedImages: [refs[1] ?? ''],
  });
  try {
    const ids: string[] = [];
    for (const r of refs) {
      ids.push(await svc.pullImage({ image: r }));
      clock += 1000;
    }
    assert.deepEqual(
      ids,
      gcImgs.map((g) => `sha256:${g.configDigest.slice(7)}`),
    );
    const [a, b, c] = ids as [string, string, string];
    assert.equal((await svc.imageStatus({ image: b }))?.pinned, true);
    // a used last, so c is now the least recently used.
    svc.image(refs[0] ?? '');
    // 80 % used: below 85 %.
    clock = start + 10 * 60_000;
    assert.deepEqual(await svc.gc(), { removedImages: [], freedBytes: 0 });
    // 90 % used, but every image is younger than 2 minutes by the policy given.
    fs = { ...fs, availableBytes: 100_000 };
    assert.deepEqual(await svc.gc({ minAgeMs: 60 * 60_000 }), { removedImages: [], freedBytes: 0 });
    // 90 %: 100,000 bytes to free; c (least recently used, unpinned) goes and is enough.
    const size = (await svc.imageStatus({ image: c }))?.size ?? 0;
    assert.ok(size > 100_000);
    assert.deepEqual(await svc.gc(), { removedImages: [c], freedBytes: size });
    assert.equal(await svc.imageStatus({ image: c }), null);
    // A full disk: everything that may go, goes: not a while in use, never the pinned b.
    fs = { ...fs, availableBytes: 0 };
    inUse.add(a);
    assert.deepEqual(await svc.gc(), { removedImages: [], freedBytes: 0 });
    inUse.clear();
    const r = await svc.gc();
    assert.deepEqual(r.removedImages, [a]);
    assert.notEqual(await svc.imageStatus({ image: b }), null);
  } finally {
    await svc.close();
  }
});
