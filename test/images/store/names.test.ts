// The store's reference normalisation (distribution/reference splitDockerDomain) for its index keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRef } from '../../../src/images/store/names.js';

describe('parseRef', () => {
  test('Docker Hub names get docker.io and library/; registries are recognised by ".", ":" or localhost', () => {
    assert.deepEqual(parseRef('busybox:1.36'), { repo: 'docker.io/library/busybox', tag: '1.36' });
    assert.deepEqual(parseRef('me/app'), { repo: 'docker.io/me/app' });
    assert.deepEqual(parseRef('index.docker.io/x'), { repo: 'docker.io/library/x' });
    assert.deepEqual(parseRef('127.0.0.1:5000/bb:t'), { repo: '127.0.0.1:5000/bb', tag: 't' });
    assert.deepEqual(parseRef('localhost/a/b'), { repo: 'localhost/a/b' });
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseRef(`busybox:1.36@${d}`), {
      repo: 'docker.io/library/busybox',
      tag: '1.36',
      digest: d,
    });
  });

  test('uppercase repositories, bad tags and bad digests are refused', () => {
    assert.throws(() => parseRef('BusyBox'), /must be lowercase/);
    assert.throws(() => parseRef('busybox:-x'), /bad tag/);
    assert.throws(() => parseRef('busybox@sha256:abc'), /bad digest/);
  });
});
