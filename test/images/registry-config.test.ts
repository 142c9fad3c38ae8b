// registries.conf (TOML subset, prefixes, mirrors, blocked), the kubelet's credential keyring matching,
// containerd's platform ranking and WWW-Authenticate parsing: the pure parts of the pull path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseChallenges } from '../../src/images/registry/auth.js';
import { isLoopbackHost } from '../../src/images/registry/http.js';
import { DockerKeyring, normalizeKey, urlsMatch } from '../../src/images/registry/keyring.js';
import { parseManifest } from '../../src/images/registry/manifest.js';
import { parsePlatform, platformRank } from '../../src/images/registry/platform.js';
import {
  loadRegistriesConf,
  parseRegistriesConf,
  pullSources,
} from '../../src/images/registry/registries-conf.js';
import { parseToml } from '../../src/images/registry/toml.js';

/** A parsed TOML value as plain JSON (tables have no prototype). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

test('registries.conf: prefixes, locations, mirrors in order, insecure, blocked, search registries', () => {
  const conf = parseRegistriesConf(`
# comment
unqualified-search-registries = ["docker.io", 'quay.io'] # trailing comment

[[registry]]
prefix = "docker.io/library"
location = "mirror.internal:5000/hub/library"
insecure = true
  [[registry.mirror]]
  location = "m1.local"
  [[registry.mirror]]
  location = "m2.local:5000/cache"
  insecure = true

[[registry]]
location = "quay.io"
blocked = true

[[registry]]
prefix = "*.example.com"
  [[registry.mirror]]
  location = "wild.local"
`);
  assert.deepEqual(conf.unqualifiedSearchRegistries, ['docker.io', 'quay.io']);
  assert.deepEqual(pullSources(conf, 'docker.io/library/busybox'), [
    { registry: 'm1.local', repository: 'busybox', insecure: false, mirror: true },
    { registry: 'm2.local:5000', repository: 'cache/busybox', insecure: true, mirror: true },
    { registry: 'mirror.internal:5000', repository: 'hub/library/busybox', insecure: true, mirror: false },
  ]);
  // Prefixes end at a path boundary: docker.io/libraryx is not under docker.io/library.
  assert.deepEqual(pullSources(conf, 'docker.io/libraryx/app'), [
    { registry: 'docker.io', repository: 'libraryx/app', insecure: false, mirror: false },
  ]);
  assert.throws(() => pullSources(conf, 'quay.io/app/x'), /registry quay.io is blocked in registries.conf/);
  assert.deepEqual(pullSources(conf, 'a.example.com/team/app'), [
    { registry: 'wild.local', repository: 'team/app', insecure: false, mirror: true },
    { registry: 'a.example.com', repository: 'team/app', insecure: false, mirror: false },
  ]);
  assert.deepEqual(pullSources(conf, 'example.com/team/app'), [
    { registry: 'example.com', repository: 'team/app', insecure: false, mirror: false },
  ]);
});

test('registries.conf: errors name the file, line and field', () => {
  assert.throws(() => parseRegistriesConf('[[registry]]\nprefix = "x.io"\ninsecure = "yes"\n', 'r.conf'), {
    message: 'r.conf: registry[0].insecure: must be true or false',
  });
  assert.throws(
    () => parseRegistriesConf('[[registry]]\nprefix = x.io\n', 'r.conf'),
    /^Error: r.conf: line 2: expected a string/,
  );
  assert.throws(
    () => parseRegistriesConf('[[registry]]\ninsecure = true\n', 'r.conf'),
    /registry\[0\]: needs a prefix or a location/,
  );
  assert.throws(() => parseRegistriesConf('a = 1\na = 2\n', 'r.conf'), /line 2: key a is defined twice/);
});

test('registries.conf: a missing file is the empty configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podrun-regconf-'));
  try {
    assert.deepEqual(await loadRegistriesConf(join(dir, 'none.conf')), {
      registries: [],
      unqualifiedSearchRegistries: [],
    });
    writeFileSync(join(dir, 'r.conf'), '[[registry]]\nlocation = "r.local"\n');
    assert.equal((await loadRegistriesConf(join(dir, 'r.conf'))).registries[0]?.prefix, 'r.local');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('TOML subset: strings with escapes, literal strings, inline tables, dotted keys, multi-line arrays', () => {
  // Tables have no prototype; compare their JSON form.
  assert.deepEqual(
    plain(
      parseToml(
        'a = "x\\ty\\u00e9"\nb = \'c:\\\\d\'\nc = { d = 1, e.f = true }\ng = [\n 1,\n 2, # two\n]\n[t.u]\nv = -3\n',
      ),
    ),
    {
      a: 'x\tyé',
      b: 'c:\\\\d',
      c: { d: 1, e: { f: true } },
      g: [1, 2],
      t: { u: { v: -3 } },
    },
  );
});

test('TOML keys named after Object.prototype members are plain keys and pollute nothing', () => {
  const t = parseToml(
    '[__proto__]\npolluted = "yes"\n[a.constructor]\nb = 1\nc = { __proto__ = { d = 2 } }\n[[toString]]\ne = 3\n',
  );
  // The expected value as JSON text: an object literal would take `__proto__` as its prototype.
  assert.deepEqual(
    plain(t),
    JSON.parse(
      '{"__proto__":{"polluted":"yes"},"a":{"constructor":{"b":1,"c":{"__proto__":{"d":2}}}},"toString":[{"e":3}]}',
    ),
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.keys(t).includes('__proto__'), true);
  assert.throws(() => parseToml('constructor = 1\nconstructor = 2\n'), /key constructor is defined twice/);
  assert.deepEqual(plain(parseToml('constructor = 1\n')), { constructor: 1 });
});

test('keyring: keys lose scheme and /v1/ /v2/; hosts glob label by label, ports must match, paths are prefixes', () => {
  assert.equal(normalizeKey('https://index.docker.io/v1/'), 'index.docker.io');
  assert.equal(normalizeKey('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(normalizeKey('gcr.io/project'), 'gcr.io/project');
  assert.equal(urlsMatch('*.kubernetes.io', 'prefix.kubernetes.io/foo'), true);
  assert.equal(urlsMatch('*.kubernetes.io', 'kubernetes.io/foo'), false);
  assert.equal(urlsMatch('*.*.kubernetes.io', 'prefix.sub.kubernetes.io/foo'), true);
  assert.equal(urlsMatch('*-good.kubernetes.io', 'ok-good.kubernetes.io/foo'), true);
  assert.equal(urlsMatch('kubernetes.io:8080', 'kubernetes.io/foo'), false);
  assert.equal(urlsMatch('kubernetes.io:8080', 'kubernetes.io:8080/foo'), true);
  assert.equal(urlsMatch('gcr.io/foo', 'gcr.io/foo/bar'), true);
  assert.equal(urlsMatch('gcr.io/foo', 'gcr.io/bar/foo'), false);
});

test('keyring: most specific first; Docker Hub falls back to index.docker.io; auth wins over username', () => {
  const k = new DockerKeyring();
  k.addDockerConfigJson(
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { username: 'hub', password: 'h' },
        'gcr.io': { username: 'all', password: 'a' },
        'gcr.io/team': {
          username: 'ignored',
          password: 'x',
          auth: Buffer.from('team:t:with:colons').toString('base64'),
        },
      },
    }),
    'config.json',
  );
  assert.deepEqual(k.lookup('gcr.io/team/app'), [
    { username: 'team', password: 't:with:colons' },
    { username: 'all', password: 'a' },
  ]);
  assert.deepEqual(k.lookup('gcr.io/other/app'), [{ username: 'all', password: 'a' }]);
  assert.deepEqual(k.lookup('docker.io/library/busybox'), [{ username: 'hub', password: 'h' }]);
  assert.deepEqual(k.lookup('quay.io/x/y'), []);
  const old = new DockerKeyring();
  old.addSecret({
    metadata: { namespace: 'ns', name: 'pull' },
    type: 'kubernetes.io/dockercfg',
    data: {
      '.dockercfg': Buffer.from(JSON.stringify({ 'quay.io': { username: 'q', password: 'p' } })).toString(
        'base64',
      ),
    },
  });
  assert.deepEqual(old.lookup('quay.io/x/y'), [{ username: 'q', password: 'p' }]);
  assert.throws(
    () => old.addSecret({ metadata: { namespace: 'ns', name: 's' }, type: 'Opaque', data: {} }),
    /secret ns\/s: type must be/,
  );
});

test('platforms: containerd normalisation and fallbacks (amd64 → 386, arm64 → arm/v8..v5)', () => {
  const amd64 = parsePlatform('linux/x86_64');
  assert.equal(platformRank(amd64, { os: 'linux', architecture: 'amd64' }), 0);
  assert.equal(platformRank(amd64, { os: 'linux', architecture: 'amd64', variant: 'v1' }), 0);
  assert.equal(platformRank(amd64, { os: 'linux', architecture: 'amd64', variant: 'v3' }), undefined);
  assert.equal(platformRank(amd64, { os: 'linux', architecture: '386' }), 1);
  assert.equal(platformRank(amd64, { os: 'unknown', architecture: 'unknown' }), undefined);
  assert.equal(platformRank(amd64, { os: 'windows', architecture: 'amd64' }), undefined);
  const arm64 = parsePlatform('linux/aarch64');
  assert.equal(platformRank(arm64, { os: 'linux', architecture: 'arm64', variant: 'v8' }), 0);
  assert.equal(platformRank(arm64, { os: 'linux', architecture: 'arm', variant: 'v7' }), 2);
  assert.equal(
    platformRank(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }),
    undefined,
  );
  assert.equal(
    platformRank(parsePlatform('linux/amd64/v3'), { os: 'linux', architecture: 'amd64', variant: 'v2' }),
    1,
  );
});

test('WWW-Authenticate challenges, loopback detection, manifest kinds', () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull",error="insufficient_scope"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/busybox:pull',
          error: 'insufficient_scope',
        },
      },
    ],
  );
  assert.deepEqual(parseChallenges('Basic realm="podrun-test"'), [
    { scheme: 'basic', params: { realm: 'podrun-test' } },
  ]);
  for (const h of ['127.0.0.1:5000', 'localhost', 'localhost:80', '[::1]:5000', '127.9.9.9'])
    assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['10.0.0.1:5000', 'registry-1.docker.io', 'localhost.example.com'])
    assert.equal(isLoopbackHost(h), false, h);
  // umoci omits mediaType: the shape decides.
  const m = parseManifest(
    Buffer.from(
      `{"schemaVersion":2,"config":{"digest":"sha256:${'a'.repeat(64)}","size":1,"mediaType":"x"},"layers":[]}`,
    ),
    undefined,
    'm',
  );
  assert.equal(m.kind, 'manifest');
  assert.throws(
    () =>
      parseManifest(
        Buffer.from('{"schemaVersion":1}'),
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
        'm',
      ),
    { reason: 'UnsupportedMediaType' },
  );
});

test('manifest descriptors with a weak or malformed digest, or a bad size, are refused', () => {
  const doc = (digest: string, size: number) =>
    Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest, size }] }));
  const ok = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseManifest(doc(ok, 1), undefined, 'i').kind, 'index');
  assert.throws(() => parseManifest(doc(`md5:${'a'.repeat(32)}`, 1), undefined, 'i'), {
    reason: 'InvalidManifest',
    message: `i: manifests[0]: digest "md5:${'a'.repeat(32)}": unsupported digest algorithm`,
  });
  assert.throws(() => parseManifest(doc('sha256:../../etc/passwd', 1), undefined, 'i'), {
    reason: 'InvalidManifest',
  });
  assert.throws(() => parseManifest(doc(ok, -1), undefined, 'i'), { reason: 'InvalidManifest' });
});
