// `podrun image load` inputs: an OCI layout made by umoci, the same as an OCI archive, `docker save` tarballs
// of both layouts (skopeo's docker-archive for Docker ≤24's, a hand-built one for Docker ≥25's) and a
// gzipped tarball; all give the same image.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ImageStore, loadArchive } from '../../../src/images/store/index.js';
import { busyboxLayout, sh, sha256, tarLayer, writeLayout } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-load-'));
after(() => rmSync(work, { recursive: true, force: true }));

let layout = '';
let configDigest = '';
let manifestDigest = '';

before(() => {
  layout = busyboxLayout(work);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string }>;
  };
  manifestDigest = index.manifests[0]!.digest;
  const manifest = JSON.parse(
    readFileSync(join(layout, 'blobs', 'sha256', manifestDigest.slice(7)), 'utf8'),
  ) as {
    config: { digest: string };
  };
  configDigest = manifest.config.digest;
});

async function store(name: string): Promise<ImageStore> {
  return ImageStore.open(join(work, name), {});
}

describe('loadArchive', () => {
  test('an OCI layout directory from umoci: a bare-tag ref.name needs a base name, else the image is untagged', async () => {
    const s = await store('layout');
    const [untagged] = await loadArchive(s, layout);
    assert.equal(untagged?.id, configDigest);
    assert.deepEqual(untagged?.repoTags, []);
    const [img] = await loadArchive(s, layout, { baseName: 'busybox' });
    assert.deepEqual(img?.repoTags, ['docker.io/library/busybox:t']);
    assert.deepEqual(img?.repoDigests, [`docker.io/library/busybox@${manifestDigest}`]);
    assert.equal(img?.chainIDs.length, 4);
    assert.equal(img?.config.config?.User, 'app');
  });

  test('an OCI archive (a tar of the layout)', async () => {
    const archive = join(work, 'oci-archive.tar');
    sh('tar', ['-C', layout, '-cf', archive, '.']);
    const s = await store('oci-archive');
    const [img] = await loadArchive(s, archive, { baseName: 'example.com/bb' });
    assert.equal(img?.id, configDigest);
    assert.deepEqual(img?.repoTags, ['example.com/bb:t']);
  });

  test("docker save, Docker ≤24's layout (skopeo docker-archive: manifest.json, <id>/layer.tar symlinks), plain and gzipped", async () => {
    const archive = join(work, 'docker-old.tar');
    sh('skopeo', ['copy', '--quiet', `oci:${layout}:t`, `docker-archive:${archive}:busybox:1.35`]);
    const listing = sh('tar', ['-tf', archive]);
    assert.match(listing, /\/layer\.tar/);
    assert.doesNotMatch(listing, /oci-layout/);
    const s = await store('docker-old');
    const [img] = await loadArchive(s, archive);
    assert.equal(img?.id, configDigest);
    assert.deepEqual(img?.repoTags, ['docker.io/library/busybox:1.35']);
    assert.equal(img?.manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(img?.chainIDs.length, 4);

    sh('gzip', ['-k', '-n', archive]);
    const s2 = await store('docker-old-gz');
    const [img2] = await loadArchive(s2, `${archive}.gz`);
    assert.equal(img2?.id, configDigest);
  });

  test("docker save, Docker ≥25's layout (OCI layout plus manifest.json into blobs/sha256): index.json wins", async () => {
    const dir = join(work, 'docker-new');
    sh('cp', ['-r', layout, dir]);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: Array<{ annotations: Record<string, string> }>;
    };
    index.manifests[0]!.annotations = {
      'io.containerd.image.name': 'docker.io/library/busybox:1.36',
      'org.opencontainers.image.ref.name': '1.36',
    };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    const manifest = JSON.parse(
      readFileSync(join(dir, 'blobs', 'sha256', manifestDigest.slice(7)), 'utf8'),
    ) as {
      layers: Array<{ digest: string }>;
    };
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([
        {
          Config: `blobs/sha256/${configDigest.slice(7)}`,
          RepoTags: ['busybox:1.36'],
          Layers: manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
        },
      ]),
    );
    const archive = join(work, 'docker-new.tar');
    sh('tar', ['-C', dir, '-cf', archive, '.']);
    const s = await store('docker-new');
    const [img] = await loadArchive(s, archive);
    assert.deepEqual(img?.repoTags, ['docker.io/library/busybox:1.36']);
    assert.equal(
      img?.manifestDigest,
      manifestDigest,
      'the layout manifest is used, not one made from manifest.json',
    );
  });

  test('a blob whose content does not match its name, and a file that is no image archive, are refused', async () => {
    const dir = join(work, 'corrupt');
    sh('cp', ['-r', layout, dir]);
    writeFileSync(
      join(dir, 'blobs', 'sha256', configDigest.slice(7)),
      '{"rootfs":{"type":"layers","diff_ids":[]}}',
    );
    const s = await store('corrupt');
    await assert.rejects(
      loadArchive(s, dir, { baseName: 'x' }),
      new RegExp(`content digest mismatch: expected ${configDigest}`),
    );
    const notImage = join(work, 'not-image.tar');
    mkdirSync(join(work, 'empty-dir'));
    writeFileSync(join(work, 'empty-dir', 'hello'), 'hi');
    sh('tar', ['-C', join(work, 'empty-dir'), '-cf', notImage, '.']);
    await assert.rejects(loadArchive(s, notImage), /not an image archive/);
    await assert.rejects(loadArchive(s, join(work, 'missing.tar')), /no such file/);
  });
});

describe('multi-platform layouts', () => {
  test("an index is resolved to this machine's platform, or the one asked for; a layout without it is refused", async () => {
    const d = join(work, 'mp-src');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'f'), 'x\n');
    const layer = tarLayer(work, d, 'gzip', 'mp');
    const amd = writeLayout(join(work, 'mp'), [layer], { config: { Cmd: ['amd64'] } });
    const arm = writeLayout(join(work, 'mp-arm'), [layer], { config: { Cmd: ['arm64'] } });
    sh('cp', ['-rn', join(arm.dir, 'blobs'), amd.dir]);
    const size = (dg: string) => readFileSync(join(amd.dir, 'blobs', 'sha256', dg.slice(7))).length;
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: arm.manifestDigest,
            size: size(arm.manifestDigest),
            platform: { os: 'linux', architecture: 'arm64' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: amd.manifestDigest,
            size: size(amd.manifestDigest),
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const indexDigest = sha256(index);
    writeFileSync(join(amd.dir, 'blobs', 'sha256', indexDigest.slice(7)), index);
    writeFileSync(
      join(amd.dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            digest: indexDigest,
            size: index.length,
            annotations: { 'io.containerd.image.name': 'example.com/mp:1' },
          },
        ],
      }),
    );
    const s = await store('multi');
    const [mine] = await loadArchive(s, amd.dir, { platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(mine?.id, amd.configDigest);
    assert.deepEqual(
      mine?.repoDigests,
      [`example.com/mp@${indexDigest}`],
      'the repo digest is the index the pull named',
    );
    const [other] = await loadArchive(s, amd.dir, { platform: { os: 'linux', architecture: 'arm64' } });
    assert.equal(other?.id, arm.configDigest);
    await assert.rejects(
      loadArchive(s, amd.dir, { platform: { os: 'linux', architecture: 's390x' } }),
      /no match for platform in manifest: not found/,
    );
  });
});
