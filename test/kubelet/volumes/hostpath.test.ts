import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { Container, Volume } from '../../../src/api/types.js';
import { VolumeError } from '../../../src/kubelet/volumes/index.js';
import { type Fixture, fixture, makePod, needsRoot } from './helpers.js';

describe('hostPath volumes', () => {
  let f: Fixture;
  let host: string;
  beforeEach(async () => {
    f = await fixture();
    host = join(f.root, 'host');
    await mkdir(host);
    await mkdir(join(host, 'dir'));
    await writeFile(join(host, 'file'), 'x');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  async function setUp(path: string, type?: string): Promise<string | undefined> {
    const volume: Volume = { name: 'h', hostPath: type === undefined ? { path } : { path, type } };
    try {
      await f.manager.setUpPod(makePod([volume]));
      return undefined;
    } catch (e) {
      assert.ok(e instanceof VolumeError);
      return e.message;
    }
  }

  const failed = (cause: string) => `MountVolume.SetUp failed for volume "h" : ${cause}`;

  test('without a type, any path (even a missing one) is accepted as is', async () => {
    assert.equal(await setUp(join(host, 'missing')), undefined);
    await assert.rejects(stat(join(host, 'missing')), { code: 'ENOENT' });
  });

  test('DirectoryOrCreate creates a missing directory (0755) and refuses a file', async () => {
    assert.equal(await setUp(join(host, 'new/nested'), 'DirectoryOrCreate'), undefined);
    const st = await stat(join(host, 'new/nested'));
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o755);
    assert.equal(
      await setUp(join(host, 'file'), 'DirectoryOrCreate'),
      failed(`hostPath type check failed: ${host}/file is not a directory`),
    );
  });

  test('Directory requires an existing directory', async () => {
    assert.equal(await setUp(join(host, 'dir'), 'Directory'), undefined);
    assert.equal(
      await setUp(join(host, 'file'), 'Directory'),
      failed(`hostPath type check failed: ${host}/file is not a directory`),
    );
    assert.equal(
      await setUp(join(host, 'none'), 'Directory'),
      failed(`hostPath type check failed: ${host}/none is not a directory`),
    );
  });

  test('FileOrCreate creates an empty 0644 file and refuses a directory', async () => {
    assert.equal(await setUp(join(host, 'created'), 'FileOrCreate'), undefined);
    const st = await stat(join(host, 'created'));
    assert.ok(st.isFile());
    assert.equal(st.size, 0);
    assert.equal(
      await setUp(join(host, 'dir'), 'FileOrCreate'),
      failed(`hostPath type check failed: ${host}/dir is not a file`),
    );
  });

  test('File requires an existing file', async () => {
    assert.equal(await setUp(join(host, 'file'), 'File'), undefined);
    assert.equal(
      await setUp(join(host, 'dir'), 'File'),
      failed(`hostPath type check failed: ${host}/dir is not a file`),
    );
  });

  describe('special files', () => {
    let server: Server;
    let socketPath: string;
    before(async () => {
      socketPath = join(tmpdir(), `podrun-hostpath-${process.pid}.sock`);
      server = createServer();
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    });
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('Socket requires a UNIX socket', async () => {
      assert.equal(await setUp(socketPath, 'Socket'), undefined);
      assert.equal(
        await setUp(join(host, 'file'), 'Socket'),
        failed(`hostPath type check failed: ${host}/file is not a socket file`),
      );
    });

    test('CharDevice and BlockDevice require device nodes of that kind', needsRoot, async () => {
      execFileSync('mknod', [join(host, 'chr'), 'c', '1', '3']);
      execFileSync('mknod', [join(host, 'blk'), 'b', '7', '0']);
      assert.equal(await setUp(join(host, 'chr'), 'CharDevice'), undefined);
      assert.equal(await setUp(join(host, 'blk'), 'BlockDevice'), undefined);
      assert.equal(
        await setUp(join(host, 'blk'), 'CharDevice'),
        failed(`hostPath type check failed: ${host}/blk is not a character device`),
      );
      assert.equal(
        await setUp(join(host, 'chr'), 'BlockDevice'),
        failed(`hostPath type check failed: ${host}/chr is not a block device`),
      );
    });
  });

  test('a path with .. is refused, and an unknown type is invalid', async () => {
    assert.equal(
      await setUp(`${host}/../etc`, 'Directory'),
      failed(`invalid HostPath \`${host}/../etc\`: must not contain '..'`),
    );
    assert.equal(await setUp(join(host, 'dir'), 'Pipe'), failed('Pipe is an invalid volume type'));
  });

  test('a hostPath mount binds the host path itself, read-only only when asked', async () => {
    const c: Container = {
      name: 'app',
      volumeMounts: [
        { name: 'h', mountPath: '/data' },
        { name: 'h', mountPath: 'ro', readOnly: true },
      ],
    };
    const pod = makePod([{ name: 'h', hostPath: { path: join(host, 'dir'), type: 'Directory' } }], [c]);
    await f.manager.setUpPod(pod);
    assert.deepEqual(f.manager.mountsFor(pod, c), [
      { containerPath: '/data', hostPath: join(host, 'dir'), readOnly: false },
      { containerPath: '/ro', hostPath: join(host, 'dir'), readOnly: true },
    ]);
  });
});
