// Table tests for containerd's rules that turn a container config and an image config into a process
// (src/runtime/image-process.ts); each row names the upstream rule it checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_PATH,
  type ImageProcessConfig,
  imageProcess,
  imageUser,
  processArgs,
  processEnv,
  processUser,
} from '../../src/runtime/image-process.js';
import { type ContainerConfig, type LinuxContainerSecurity, RuntimeError } from '../../src/runtime/types.js';
import { criContainerConfig } from './fixtures/configs.js';

const config = (extra: Partial<ContainerConfig> = {}) =>
  criContainerConfig('c', { rootfs: 'image', ...extra });

const withSecurity = (security: LinuxContainerSecurity) => config({ linux: { security } });

const failsWith = (fn: () => unknown, reason: string, message: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RuntimeError, String(e));
    assert.equal(e.reason, reason);
    assert.match(e.message, message);
    return true;
  });

describe('processArgs (WithProcessArgs)', () => {
  const image: ImageProcessConfig = { Entrypoint: ['/entry', '-e'], Cmd: ['cmd', '-c'] };
  const rows: {
    name: string;
    command: string[];
    args: string[];
    image?: ImageProcessConfig;
    argv: string[];
  }[] = [
    { name: 'neither: Entrypoint + Cmd', command: [], args: [], image, argv: ['/entry', '-e', 'cmd', '-c'] },
    { name: 'args only: Entrypoint + args', command: [], args: ['a1'], image, argv: ['/entry', '-e', 'a1'] },
    { name: 'command only: Entrypoint and Cmd dropped', command: ['/own'], args: [], image, argv: ['/own'] },
    {
      name: 'both: command + args',
      command: ['/own'],
      args: ['a1', 'a2'],
      image,
      argv: ['/own', 'a1', 'a2'],
    },
    {
      name: 'Entrypoint [""] counts as none: Cmd alone',
      command: [],
      args: [],
      image: { Entrypoint: [''], Cmd: ['/bin/sh'] },
      argv: ['/bin/sh'],
    },
    {
      name: 'Entrypoint [""] with args: args alone',
      command: [],
      args: ['/bin/true'],
      image: { Entrypoint: [''], Cmd: ['/bin/sh'] },
      argv: ['/bin/true'],
    },
    {
      name: 'an Entrypoint of two entries, the first empty, is kept',
      command: [],
      args: [],
      image: { Entrypoint: ['', 'x'] },
      argv: ['', 'x'],
    },
    {
      name: 'no Entrypoint: Cmd alone',
      command: [],
      args: [],
      image: { Cmd: ['/bin/sh'] },
      argv: ['/bin/sh'],
    },
    { name: 'no Cmd: Entrypoint alone', command: [], args: [], image: { Entrypoint: ['/e'] }, argv: ['/e'] },
    { name: 'null fields', command: [], args: ['x'], image: { Entrypoint: null, Cmd: null }, argv: ['x'] },
    { name: 'no image config: the pod command', command: ['/own'], args: ['a'], argv: ['/own', 'a'] },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(processArgs(row.command, row.args, row.image), row.argv);
    });
  }

  test('the image config is not changed (containerd copies the arrays)', () => {
    const img: ImageProcessConfig = { Entrypoint: ['/e'], Cmd: ['c'] };
    const argv = processArgs([], [], img);
    argv.push('more');
    assert.deepEqual(img, { Entrypoint: ['/e'], Cmd: ['c'] });
  });

  const empty: { name: string; image?: ImageProcessConfig }[] = [
    { name: 'no image config' },
    { name: 'empty image config', image: {} },
    { name: 'empty arrays', image: { Entrypoint: [], Cmd: [] } },
    { name: 'Entrypoint [""] and no Cmd', image: { Entrypoint: [''] } },
  ];
  for (const row of empty) {
    test(`nothing to run (${row.name}): CreateContainerError "no command specified"`, () => {
      failsWith(() => processArgs([], [], row.image), 'CreateContainerError', /^no command specified$/);
    });
  }
});

describe('processEnv (replaceOrAppendEnvValues, then runc prepareEnv)', () => {
  const kv = (pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));
  const rows: {
    name: string;
    hostname?: string;
    image?: string[] | null;
    envs?: [string, string][];
    env: string[];
  }[] = [
    {
      name: 'the default PATH and HOSTNAME come first',
      hostname: 'pod',
      env: [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=pod'],
    },
    {
      name: "then the image's Env, then the container's env, each in its order",
      hostname: 'pod',
      image: ['B=image', 'A=image'],
      envs: [
        ['Z', 'pod'],
        ['Y', ''],
      ],
      env: [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=pod', 'B=image', 'A=image', 'Z=pod', 'Y='],
    },
    {
      name: "an image's PATH replaces the default in place",
      hostname: 'pod',
      image: ['X=1', 'PATH=/app/bin:/bin'],
      env: ['PATH=/app/bin:/bin', 'HOSTNAME=pod', 'X=1'],
    },
    {
      name: "a container's PATH and HOSTNAME replace them in place",
      hostname: 'pod',
      image: ['PATH=/image'],
      envs: [
        ['HOSTNAME', 'mine'],
        ['PATH', '/pod'],
      ],
      env: ['PATH=/pod', 'HOSTNAME=mine'],
    },
    {
      name: "a container's value for an image's name wins, at its own place (runc keeps the last occurrence)",
      hostname: 'pod',
      image: ['SHARED=image', 'IMAGE_ONLY=1'],
      envs: [
        ['POD_ONLY', '1'],
        ['SHARED', 'pod'],
      ],
      env: [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=pod', 'IMAGE_ONLY=1', 'POD_ONLY=1', 'SHARED=pod'],
    },
    {
      name: 'a repeated image entry keeps the last value',
      image: ['A=1', 'B=2', 'A=3'],
      env: [`PATH=${DEFAULT_PATH}`, 'B=2', 'A=3'],
    },
    {
      name: 'an entry without "=" unsets PATH',
      hostname: 'pod',
      image: ['PATH', 'X=1'],
      env: ['HOSTNAME=pod', 'X=1'],
    },
    {
      name: 'an entry without "=" unsets HOSTNAME',
      hostname: 'pod',
      image: ['HOSTNAME'],
      env: [`PATH=${DEFAULT_PATH}`],
    },
    {
      name: 'a later entry takes the slot of an unset default back',
      hostname: 'pod',
      image: ['PATH', 'X=1', 'PATH=/later'],
      env: ['PATH=/later', 'HOSTNAME=pod', 'X=1'],
    },
    {
      name: 'values with "=" stay whole; an empty value is a value',
      image: ['EQ=a=b=c', 'EMPTY='],
      env: [`PATH=${DEFAULT_PATH}`, 'EQ=a=b=c', 'EMPTY='],
    },
    { name: 'no hostname: no HOSTNAME', image: null, env: [`PATH=${DEFAULT_PATH}`] },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(processEnv(row.hostname, row.image, kv(row.envs ?? [])), row.env);
    });
  }

  test('an entry without "=" for another name is refused (runc would fail the start), naming the entry', () => {
    failsWith(
      () => processEnv('pod', ['A=1', 'A'], []),
      'CreateContainerError',
      /invalid environment variable "A" in the image's Env: missing '='/,
    );
  });
});

describe('working directory', () => {
  const rows: { name: string; workingDir?: string; image?: ImageProcessConfig; cwd: string }[] = [
    { name: "the pod's wins", workingDir: '/pod', image: { WorkingDir: '/image', Cmd: ['x'] }, cwd: '/pod' },
    { name: "else the image's", image: { WorkingDir: '/image', Cmd: ['x'] }, cwd: '/image' },
    {
      name: "an empty pod workingDir means the image's",
      workingDir: '',
      image: { WorkingDir: '/i', Cmd: ['x'] },
      cwd: '/i',
    },
    { name: 'else /', image: { Cmd: ['x'] }, cwd: '/' },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const c = config(row.workingDir === undefined ? {} : { workingDir: row.workingDir });
      assert.equal(imageProcess(c, row.image, 'pod').cwd, row.cwd);
    });
  }
});

describe('processUser (GenerateUserString, then the image User)', () => {
  const image: ImageProcessConfig = { User: 'app:staff' };
  const rows: { name: string; security: LinuxContainerSecurity; image?: ImageProcessConfig; user: string }[] =
    [
      { name: 'nothing set: the image User as written', security: {}, image, user: 'app:staff' },
      { name: 'nothing set, no image User: root', security: {}, image: {}, user: '' },
      { name: 'runAsUser', security: { runAsUser: 1000 }, image, user: '1000' },
      { name: 'runAsUser 0 is a user', security: { runAsUser: 0 }, image, user: '0' },
      {
        name: 'runAsUser:runAsGroup',
        security: { runAsUser: 1000, runAsGroup: 3000 },
        image,
        user: '1000:3000',
      },
      { name: 'runAsUsername', security: { runAsUsername: 'app' }, image, user: 'app' },
      {
        name: 'runAsUsername wins over runAsUser',
        security: { runAsUsername: 'app', runAsUser: 5 },
        user: 'app',
      },
      {
        name: 'runAsUsername:runAsGroup',
        security: { runAsUsername: 'app', runAsGroup: 3000 },
        user: 'app:3000',
      },
      {
        name: 'runAsUsername, runAsUser and runAsGroup',
        security: { runAsUsername: 'app', runAsUser: 5, runAsGroup: 0 },
        user: 'app:0',
      },
    ];
  for (const row of rows) {
    test(row.name, () => {
      assert.equal(processUser(withSecurity(row.security), row.image), row.user);
    });
  }

  test('runAsGroup without a user is CreateContainerError, also when the image has a User', () => {
    for (const img of [undefined, image]) {
      failsWith(
        () => processUser(withSecurity({ runAsGroup: 3000 }), img),
        'CreateContainerError',
        /user group "3000" is specified without user/,
      );
    }
  });
});

describe('imageVolumes', () => {
  const image: ImageProcessConfig = {
    Cmd: ['x'],
    Volumes: { '/data': {}, '/var/lib/db/': {}, '/cache': {}, '/data/': {} },
  };
  test('every image volume the pod does not mount, cleaned, once each, sorted', () => {
    assert.deepEqual(imageProcess(config(), image, 'pod').imageVolumes, ['/cache', '/data', '/var/lib/db']);
  });
  test('a pod mount at the same cleaned path takes the place of the image volume', () => {
    const c = config({
      mounts: [
        { containerPath: '/var/lib/db', hostPath: '/h/db', readOnly: false },
        { containerPath: '/cache/', hostPath: '/h/c', readOnly: false },
        { containerPath: '/data/sub', hostPath: '/h/s', readOnly: false },
      ],
    });
    assert.deepEqual(imageProcess(c, image, 'pod').imageVolumes, ['/data']);
  });
  test('no Volumes: none', () => {
    assert.deepEqual(imageProcess(config(), { Cmd: ['x'], Volumes: null }, 'pod').imageVolumes, []);
  });
});

describe('imageProcess', () => {
  test('puts the rules together for one container', () => {
    const c = config({
      args: ['--port', '80'],
      envs: [{ name: 'MODE', value: 'prod' }],
      linux: { security: { runAsUser: 1000 } },
    });
    const image: ImageProcessConfig = {
      Entrypoint: ['/app/server'],
      Cmd: ['--help'],
      Env: ['PATH=/app:/bin'],
      WorkingDir: '/app',
      User: 'app',
      Volumes: { '/state': {} },
    };
    assert.deepEqual(imageProcess(c, image, 'web-0'), {
      argv: ['/app/server', '--port', '80'],
      env: ['PATH=/app:/bin', 'HOSTNAME=web-0', 'MODE=prod'],
      cwd: '/app',
      user: '1000',
      imageVolumes: ['/state'],
    });
  });
});

describe('imageUser (ImageStatus uid / username)', () => {
  const rows: { user: string | undefined; expected: { uid?: number; username?: string } }[] = [
    { user: undefined, expected: {} },
    { user: '', expected: {} },
    { user: '1000', expected: { uid: 1000 } },
    { user: '0', expected: { uid: 0 } },
    { user: '1000:1000', expected: { uid: 1000 } },
    { user: 'app', expected: { username: 'app' } },
    { user: 'app:staff', expected: { username: 'app' } },
    { user: ':1000', expected: {} },
    { user: '+7', expected: { uid: 7 } },
    { user: '-1', expected: { uid: -1 } },
    { user: '99999999999999999999', expected: { username: '99999999999999999999' } },
  ];
  for (const row of rows) {
    test(`${JSON.stringify(row.user)} → ${JSON.stringify(row.expected)}`, () => {
      assert.deepEqual(imageUser(row.user), row.expected);
    });
  }
});
