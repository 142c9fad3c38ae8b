// Table tests from distribution/reference's reference_test.go and normalize_test.go, plus the kubelet's
// default-tag wrapper and its InvalidImageName message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyDefaultImageTag,
  familiarString,
  InvalidReferenceError,
  parseDockerRef,
  parseImageName,
  parseNormalizedNamed,
  parseReference,
  referenceName,
  referenceString,
} from '../../src/images/reference.js';

const f64 = 'f'.repeat(64);

test('Parse: the upstream reference_test.go table', () => {
  const ok: [string, string, string, string?, string?][] = [
    // input, domain, path, tag, digest
    ['test_com', '', 'test_com'],
    ['test.com:tag', '', 'test.com', 'tag'],
    ['test.com:5000', '', 'test.com', '5000'],
    ['test.com/repo:tag', 'test.com', 'repo', 'tag'],
    ['test:5000/repo', 'test:5000', 'repo'],
    ['test:5000/repo:tag', 'test:5000', 'repo', 'tag'],
    [`test:5000/repo@sha256:${f64}`, 'test:5000', 'repo', undefined, `sha256:${f64}`],
    [`test:5000/repo:tag@sha256:${f64}`, 'test:5000', 'repo', 'tag', `sha256:${f64}`],
    ['lowercase:Uppercase', '', 'lowercase', 'Uppercase'],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'bar/baz/quux'],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag'],
    [
      'b.gcr.io/test.example.com/my-app:test.example.com',
      'b.gcr.io',
      'test.example.com/my-app',
      'test.example.com',
    ],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com'],
    ['foo_bar.com:8080', '', 'foo_bar.com', '8080'],
    ['foo/foo_bar.com:8080', 'foo', 'foo_bar.com', '8080'],
    ['192.168.1.1', '', '192.168.1.1'],
    ['192.168.1.1:tag', '', '192.168.1.1', 'tag'],
    ['192.168.1.1:5000', '', '192.168.1.1', '5000'],
    ['192.168.1.1/repo', '192.168.1.1', 'repo'],
    ['192.168.1.1:5000/repo', '192.168.1.1:5000', 'repo'],
    ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050'],
    ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo'],
    ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag'],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo'],
    ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag'],
    ['[::1]:5000/repo', '[::1]:5000', 'repo'],
    ['localhost/repo:tag', 'localhost', 'repo', 'tag'],
    ['a'.repeat(255), '', 'a'.repeat(255)],
    [`${'a/'.repeat(128)}a:tag`, 'a', `${'a/'.repeat(127)}a`, 'tag'],
  ];
  for (const [input, domain, path, tag, digest] of ok) {
    const r = parseReference(input);
    assert.deepEqual(
      r,
      { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) },
      input,
    );
    assert.equal(referenceString(r), input);
  }
  const bad: [string, string][] = [
    ['', 'repository name must have at least one component'],
    [':justtag', 'invalid reference format'],
    [`@sha256:${f64}`, 'invalid reference format'],
    [`repo@sha256:${'f'.repeat(34)}`, 'invalid checksum digest length'],
    [`validname@invaliddigest:${f64}`, 'unsupported digest algorithm'],
    ['Uppercase:tag', 'repository name must be lowercase'],
    ['test:5000/Uppercase/lowercase:tag', 'repository name must be lowercase'],
    // The limit is on the path, without the domain.
    [`x.com/${'a/'.repeat(128)}a:tag`, 'repository name must not be more than 255 characters'],
    ['aa/asdf$$^/aa', 'invalid reference format'],
    [`repo:${'t'.repeat(129)}`, 'invalid reference format'],
    ['[2001:db8::1]', 'invalid reference format'],
    ['[2001:db8::1]:5000', 'invalid reference format'],
    ['[2001:db8::1]:tag', 'invalid reference format'],
    ['[fe80::1%eth0]:5000/repo', 'invalid reference format'],
    ['[fe80::1%@invalidzone]:5000/repo', 'invalid reference format'],
  ];
  for (const [input, message] of bad) {
    assert.throws(() => parseReference(input), { name: 'Error', message }, input);
    assert.throws(() => parseReference(input), InvalidReferenceError);
  }
});

test('ParseNormalizedNamed: normalize_test.go valid and invalid repository names', () => {
  const valid = [
    'docker/docker',
    'library/debian',
    'debian',
    'docker.io/docker/docker',
    'docker.io/library/debian',
    'docker.io/debian',
    'index.docker.io/docker/docker',
    'index.docker.io/library/debian',
    'index.docker.io/debian',
    '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian',
    '127.0.0.1:5000/debian',
    '192.168.0.1',
    '192.168.0.1:80',
    '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'Docker/docker',
    'DOCKER/docker',
    'docker-rules/docker',
    'docker---rules/docker',
    'doc/docker',
    'd/docker',
    'jess/t',
    'dock__er/docker',
  ];
  for (const name of valid) assert.doesNotThrow(() => parseNormalizedNamed(name), name);
  const invalid = [
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'docker-/docker',
    '-docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
  ];
  for (const name of invalid) assert.throws(() => parseNormalizedNamed(name), InvalidReferenceError, name);
});

test('ParseNormalizedNamed: familiar, full and ambiguous names (TestParseRepositoryInfo)', () => {
  const cases: { remote: string; familiar: string; full: string; ambiguous?: string; domain: string }[] = [
    {
      remote: 'fooo/bar',
      familiar: 'fooo/bar',
      full: 'docker.io/fooo/bar',
      ambiguous: 'index.docker.io/fooo/bar',
      domain: 'docker.io',
    },
    {
      remote: 'library/ubuntu',
      familiar: 'ubuntu',
      full: 'docker.io/library/ubuntu',
      ambiguous: 'library/ubuntu',
      domain: 'docker.io',
    },
    {
      remote: 'nonlibrary/ubuntu',
      familiar: 'nonlibrary/ubuntu',
      full: 'docker.io/nonlibrary/ubuntu',
      domain: 'docker.io',
    },
    {
      remote: 'other/library',
      familiar: 'other/library',
      full: 'docker.io/other/library',
      domain: 'docker.io',
    },
    {
      remote: 'private/moonbase',
      familiar: '127.0.0.1:8000/private/moonbase',
      full: '127.0.0.1:8000/private/moonbase',
      domain: '127.0.0.1:8000',
    },
    {
      remote: 'privatebase',
      familiar: '127.0.0.1:8000/privatebase',
      full: '127.0.0.1:8000/privatebase',
      domain: '127.0.0.1:8000',
    },
    {
      remote: 'private/moonbase',
      familiar: 'example.com/private/moonbase',
      full: 'example.com/private/moonbase',
      domain: 'example.com',
    },
    {
      remote: 'privatebasee',
      familiar: 'example.com:8000/privatebasee',
      full: 'example.com:8000/privatebasee',
      domain: 'example.com:8000',
    },
    {
      remote: 'library/ubuntu-12.04-base',
      familiar: 'ubuntu-12.04-base',
      full: 'docker.io/library/ubuntu-12.04-base',
      ambiguous: 'index.docker.io/library/ubuntu-12.04-base',
      domain: 'docker.io',
    },
    {
      remote: 'library/foo',
      familiar: 'foo',
      full: 'docker.io/library/foo',
      ambiguous: 'docker.io/foo',
      domain: 'docker.io',
    },
    {
      remote: 'library/foo/bar',
      familiar: 'library/foo/bar',
      full: 'docker.io/library/foo/bar',
      domain: 'docker.io',
    },
    {
      remote: 'store/foo/bar',
      familiar: 'store/foo/bar',
      full: 'docker.io/store/foo/bar',
      domain: 'docker.io',
    },
    { remote: 'bar', familiar: 'Foo/bar', full: 'Foo/bar', domain: 'Foo' },
    { remote: 'bar', familiar: 'FOO/bar', full: 'FOO/bar', domain: 'FOO' },
  ];
  for (const c of cases) {
    for (const input of [c.familiar, c.full, ...(c.ambiguous ? [c.ambiguous] : [])]) {
      const r = parseNormalizedNamed(input);
      assert.equal(familiarString(r), c.familiar, input);
      assert.equal(referenceString(r), c.full, input);
      assert.equal(r.domain, c.domain, input);
      assert.equal(r.path, c.remote, input);
    }
  }
});

test('ParseNormalizedNamed: domain splitting (TestNormalizedSplitHostname)', () => {
  const cases: [string, string, string][] = [
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
    ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
    ['localhost/foo', 'localhost', 'foo'],
  ];
  for (const [input, domain, path] of cases) {
    const r = parseNormalizedNamed(input);
    assert.deepEqual([r.domain, r.path], [domain, path], input);
  }
});

test('name:tag@digest keeps both when parsed, ParseDockerRef keeps only the digest', () => {
  const d = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
  const r = parseNormalizedNamed(`busybox:latest@${d}`);
  assert.equal(referenceString(r), `docker.io/library/busybox:latest@${d}`);
  assert.equal(familiarString(r), `busybox:latest@${d}`);
  assert.equal(referenceString(parseDockerRef(`busybox:latest@${d}`)), `docker.io/library/busybox@${d}`);
  assert.equal(referenceString(parseDockerRef('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(referenceString(parseDockerRef('busybox:1.36')), 'docker.io/library/busybox:1.36');
  assert.equal(referenceString(parseDockerRef('127.0.0.1:5000/bb')), '127.0.0.1:5000/bb:latest');
  assert.equal(referenceString(parseDockerRef('me/app')), 'docker.io/me/app:latest');
  assert.equal(referenceString(parseDockerRef(`redis@${d}`)), `docker.io/library/redis@${d}`);
  assert.equal(referenceName(parseDockerRef('index.docker.io/library/redis')), 'docker.io/library/redis');
});

test('a 64-hex name is refused as an identifier, uppercase with the kubelet-facing message', () => {
  assert.throws(() => parseNormalizedNamed(f64), {
    message: `invalid repository name (${f64}), cannot specify 64-byte hexadecimal strings`,
  });
  assert.throws(() => parseNormalizedNamed('BusyBox'), {
    message: 'invalid reference format: repository name (library/BusyBox) must be lowercase',
  });
});

test('kubelet applyDefaultImageTag: appends :latest to the image as written; InvalidImageName text', () => {
  assert.equal(applyDefaultImageTag('busybox'), 'busybox:latest');
  assert.equal(applyDefaultImageTag('busybox:1.36'), 'busybox:1.36');
  assert.equal(applyDefaultImageTag('localhost:5000/bb'), 'localhost:5000/bb:latest');
  assert.equal(applyDefaultImageTag(`busybox@sha256:${f64}`), `busybox@sha256:${f64}`);
  assert.deepEqual(parseImageName('busybox'), {
    repoToPull: 'docker.io/library/busybox',
    tag: 'latest',
    digest: '',
  });
  assert.throws(
    () => applyDefaultImageTag('BusyBox'),
    (err: unknown) => {
      assert.ok(err instanceof InvalidReferenceError);
      assert.equal(err.reason, 'InvalidImageName');
      assert.equal(
        err.message,
        'Failed to apply default image tag "BusyBox": couldn\'t parse image name "BusyBox": invalid reference format: repository name (library/BusyBox) must be lowercase',
      );
      return true;
    },
  );
});
