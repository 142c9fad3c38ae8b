// The host runtime running containers made from images: overlay root, pivot_root, minimal /dev, the image's
// process and user, whiteouts, image volumes, exec, and nothing left mounted once removed. Needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHostRuntime } from '../../src/runtime/host/index.js';
import type { ContainerConfig, RuntimeService } from '../../src/runtime/types.js';
import { appUser, buildImage, busyboxRoot } from '../support/image-fixtures.js';
import { readCriLog, waitFor } from './conformance.js';
import { criContainerConfig, podSandboxConfig } from './fixtures/configs.js';
import { HOST_TEST_NETWORK } from './fixtures/network.js';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

let runtime: RuntimeService;
let stateDir: string;

before(async () => {
  stateDir = tempDir('podrun-host-images-');
  const work = tempDir('podrun-image-build-');
  const layout = buildImage(
    work,
    'test/tool:1',
    {
      Entrypoint: ['/bin/echo', 'entry'],
      Cmd: ['cmd'],
      Env: ['FROM_IMAGE=yes', 'PATH=/bin'],
      WorkingDir: '/work',
      User: 'app',
      Volumes: { '/data': {} },
    },
    [
      (dir) => {
        busyboxRoot(dir);
        appUser(dir);
        writeFileSync(join(dir, 'etc', 'gone'), 'deleted by the upper layer\n');
        mkdirSync(join(dir, 'data'), { recursive: true });
        writeFileSync(join(dir, 'data', 'seed'), 'from the image\n');
      },
      (dir) => {
        mkdirSync(join(dir, 'etc'), { recursive: true });
        writeFileSync(join(dir, 'etc', 'motd'), 'upper\n');
        writeFileSync(join(dir, 'etc', '.wh.gone'), '');
      },
    ],
  ).layout;
  runtime = await createHostRuntime({
    stateDir,
    ...HOST_TEST_NETWORK,
    imageStore: { dir: join(stateDir, 'images'), registriesConf: join(stateDir, 'no-registries.conf') },
  });
  await runtime.loadImage?.(layout);
});

after(async () => {
  await runtime?.close?.();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sandboxConfig = (name: string, logDirectory: string) =>
  podSandboxConfig(name, { namespace: 'img', logDirectory });

const imageContainer = (name: string, extra: Partial<ContainerConfig> = {}) =>
  criContainerConfig(name, { image: 'test/tool:1', rootfs: 'image', ...extra });

async function runToEnd(
  config: ContainerConfig,
): Promise<{ code: number; out: string; reason: string; message: string }> {
  const logs = tempDir('podrun-img-logs-');
  const sb = await runtime.runPodSandbox(sandboxConfig(config.metadata.name, logs));
  try {
    const id = await runtime.createContainer(sb, config, sandboxConfig(config.metadata.name, logs));
    await runtime.startContainer(id).catch(() => {});
    await waitFor(async () => (await runtime.containerStatus(id)).state === 'exited');
    const st = await runtime.containerStatus(id);
    const out = readCriLog(join(logs, config.logPath))
      .map((l) => l.text)
      .join('\n');
    return { code: st.exitCode, out, reason: st.reason, message: st.message };
  } finally {
    await runtime.stopPodSandbox(sb);
    await runtime.removePodSandbox(sb);
  }
}

describe('host runtime: containers from images', () => {
  test('no command: the image Entrypoint and Cmd, run as the image user in its working dir', async () => {
    const r = await runToEnd(imageContainer('plain'));
    assert.equal(r.out, 'entry cmd');
    assert.equal(r.code, 0);
  });

  test('the image is the root: its files, not the host’s, a whiteout hides a lower file', async () => {
    const r = await runToEnd(
      imageContainer('root', {
        command: ['/bin/sh', '-c'],
        args: [
          'cat /etc/motd; test -e /etc/gone && echo gone-visible; test -e /usr/bin/perl && echo host-visible; id; pwd; echo $FROM_IMAGE $HOSTNAME; cat /data/seed; ls /dev | tr "\\n" " "; echo; stat -c "%n %F %t,%T %a" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | tr "\\n" ";"; echo; echo x > /dev/null && head -c 3 /dev/zero | wc -c',
        ],
      }),
    );
    assert.equal(r.code, 0, r.out + r.message);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'upper');
    assert.match(lines[1] ?? '', /^uid=1000\(app\) gid=1000\(app\) groups=1000\(app\),2000\(extra\)$/);
    assert.equal(lines[2], '/work');
    assert.equal(lines[3], 'yes root');
    assert.equal(lines[4], 'from the image');
    assert.match(
      lines[5] ?? '',
      /^core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero $/,
    );
    // runc's nodes (character devices 0666 whatever the umask), usable by the image's non-root user.
    assert.equal(
      lines[6],
      '/dev/null character special file 1,3 666;/dev/zero character special file 1,5 666;/dev/full character special file 1,7 666;/dev/random character special file 1,8 666;/dev/urandom character special file 1,9 666;/dev/tty character special file 5,0 666;',
    );
    assert.equal(lines[7]?.trim(), '3');
  });

  test('mount points come from a layer made once per image and mounts: the writable layer starts empty', async () => {
    const logs = tempDir('podrun-img-logs-');
    const vol = tempDir('podrun-img-vol-');
    const conf = join(tempDir('podrun-img-conf-'), 'app.conf');
    writeFileSync(conf, 'k=v\n');
    const mounts = [
      { containerPath: '/var/lib/things/x', hostPath: vol, readOnly: false },
      { containerPath: '/opt/conf/app.conf', hostPath: conf, readOnly: true },
    ];
    const layers = () => readdirSync(join(stateDir, 'images', 'mountpoints'));
    const sb = await runtime.runPodSandbox(sandboxConfig('layered', logs));
    try {
      const before = existsSync(join(stateDir, 'images', 'mountpoints')) ? layers() : [];
      const ids: string[] = [];
      for (const name of ['layered-1', 'layered-2']) {
        const config = imageContainer(name, {
          command: ['/bin/sh', '-c'],
          args: ['test -d /var/lib/things/x && cat /opt/conf/app.conf && test -f /etc/hosts && echo ok'],
          mounts,
        });
        const id = await runtime.createContainer(sb, config, sandboxConfig('layered', logs));
        await runtime.startContainer(id);
        await waitFor(async () => (await runtime.containerStatus(id)).state === 'exited');
        assert.equal((await runtime.containerStatus(id)).exitCode, 0);
        assert.equal(
          readCriLog(join(logs, config.logPath))
            .map((l) => l.text)
            .join('\n'),
          'k=v\nok',
        );
        // Nothing was copied up or created for the mounts: the start found them in the layer.
        assert.deepEqual(readdirSync(join(stateDir, 'images', 'containers', id, 'upper')), []);
        ids.push(id);
      }
      const made = layers().filter((l) => !before.includes(l));
      assert.equal(made.length, 1, 'one layer for both containers');
      const layer = join(stateDir, 'images', 'mountpoints', made[0]!);
      assert.ok(statSync(join(layer, 'var', 'lib', 'things', 'x')).isDirectory());
      assert.ok(statSync(join(layer, 'opt', 'conf', 'app.conf')).isFile());
      // Copied up through the overlay: /etc keeps the image's attributes.
      assert.equal(statSync(join(layer, 'etc')).mode & 0o7777, 0o755);
      for (const id of ids) await runtime.removeContainer(id);
    } finally {
      await runtime.stopPodSandbox(sb);
      await runtime.removePodSandbox(sb);
    }
  });

  test('a command not in the image fails to start with runc’s words', async () => {
    const r = await runToEnd(imageContainer('missing', { command: ['perl'] }));
    assert.equal(r.reason, 'StartError');
    assert.equal(r.code, 128);
    assert.match(r.message, /exec: "perl": executable file not found in \$PATH/);
  });

  test('an image that is not in the store: CreateContainerError', async () => {
    const logs = tempDir('podrun-img-logs-');
    const sb = await runtime.runPodSandbox(sandboxConfig('absent', logs));
    await assert.rejects(
      runtime.createContainer(
        sb,
        imageContainer('absent', { image: 'nothing:here' }),
        sandboxConfig('absent', logs),
      ),
      (e: Error & { reason?: string }) =>
        e.reason === 'CreateContainerError' &&
        /failed to resolve image "nothing:here": not found/.test(e.message),
    );
    await runtime.stopPodSandbox(sb);
    await runtime.removePodSandbox(sb);
  });

  test('exec runs in the image’s root; removal leaves nothing mounted and no writable layer', async () => {
    const logs = tempDir('podrun-img-logs-');
    const sb = await runtime.runPodSandbox(sandboxConfig('exec', logs));
    const id = await runtime.createContainer(
      sb,
      imageContainer('exec', { command: ['sleep', '60'], linux: { security: { runAsUser: 0 } } }),
      sandboxConfig('exec', logs),
    );
    await runtime.startContainer(id);
    const r = await runtime.execSync(id, ['cat', '/etc/motd'], 10);
    assert.equal(r.stdout, 'upper\n');
    const w = await runtime.execSync(id, ['sh', '-c', 'echo x > /written && cat /written'], 10);
    assert.equal(w.stdout, 'x\n');
    await runtime.stopContainer(id, 0);
    await runtime.removeContainer(id);
    await runtime.stopPodSandbox(sb);
    await runtime.removePodSandbox(sb);
    assert.equal(
      execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).includes(stateDir),
      false,
    );
    // Only the store's spare directories (empty, for the next containers) are left.
    const left = readdirSync(join(stateDir, 'images', 'containers'));
    assert.deepEqual(
      left.filter((n) => !/^spare-[0-9a-f]{16}$/.test(n)),
      [],
    );
    for (const n of left)
      assert.deepEqual(readdirSync(join(stateDir, 'images', 'containers', n, 'upper')), []);
  });
});
