// pods/exec and pods/attach over the fake runtime: the checks before the handshake (in upstream's words), the
// channel protocol after it (stdin, its close, resize, output, the Status with the exit code, close 1000), and
// the same over SPDY/3.1 streams with a client framed by hand.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { type ApiServer, startApiServer } from '../../../src/apiserver/http/server.js';
import type { Registry } from '../../../src/apiserver/registry.js';
import {
  parseStreamTimingsLine,
  type StreamTimingsLine,
  setStreamTimingsOutput,
} from '../../../src/apiserver/streaming/timings.js';
import { FakeRuntime } from '../../../src/runtime/fake/fake-runtime.js';
import { RuntimeError } from '../../../src/runtime/types.js';
import { systemClock } from '../../../src/util/clock.js';
import { FakeLogs, newRegistry } from '../helpers.js';
import { SpdyClient } from './spdy-client.js';

interface Session {
  frames: Buffer[];
  closeCode: number;
  /** Concatenated output per channel. */
  out(channel: number): string;
  status(): {
    status: string;
    reason?: string;
    message?: string;
    details?: { causes: { message: string }[] };
  };
}

let stateDir: string;
let registry: Registry;
let server: ApiServer;
let ca: string;
let killedByClient = false;
const runtime = new FakeRuntime({
  clock: systemClock,
  execStream: async (_name, cmd, io) => {
    if (cmd[0] === 'missing')
      throw new RuntimeError('RunContainerError', 'exec: "missing": executable file not found in $PATH');
    if (cmd[0] === 'cat') {
      for await (const chunk of io.stdin ?? []) io.stdout.write(chunk);
      io.stdout.write('done\n');
      return 0;
    }
    if (cmd[0] === 'hang') {
      io.stdout.write('started\n');
      await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve()));
      killedByClient = true;
      return 137;
    }
    if (cmd[0] === 'resizes') {
      // Waits for the client's stdin to end, then reports the sizes it was given.
      for await (const _ of io.stdin ?? []);
      io.stdout.write(JSON.stringify(io.resizes));
      return 0;
    }
    io.stdout.write('out\n');
    io.stderr.write('err\n');
    return Number(cmd[1] ?? 0);
  },
});

async function runningPod(
  name: string,
  containers: { name: string; stdin?: boolean; stdinOnce?: boolean }[],
) {
  await registry.create('pods', 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: 'local', containers: containers.map((c) => ({ image: 'busybox', ...c })) },
  });
  const pod = await registry.get('pods', 'default', name);
  const sandbox = await runtime.runPodSandbox({
    metadata: { name, namespace: 'default', uid: pod.metadata.uid ?? '', attempt: 0 },
    hostname: name,
    logDirectory: '/nonexistent',
    labels: {},
    annotations: {},
    portMappings: [],
  });
  const statuses = [];
  for (const c of containers) {
    const id = await runtime.createContainer(
      sandbox,
      {
        metadata: { name: c.name, attempt: 0 },
        image: 'busybox',
        command: ['sh'],
        args: [],
        envs: [],
        mounts: [],
        labels: {},
        annotations: {},
        logPath: `${c.name}/0.log`,
        ...(c.stdin ? { stdin: true } : {}),
      },
      {
        metadata: { name, namespace: 'default', uid: pod.metadata.uid ?? '', attempt: 0 },
        hostname: name,
        logDirectory: '/nonexistent',
        labels: {},
        annotations: {},
        portMappings: [],
      },
    );
    if (c.name !== 'stopped') await runtime.startContainer(id);
    statuses.push({
      name: c.name,
      containerID: `fake://${id}`,
      ready: true,
      restartCount: 0,
      image: 'busybox',
      imageID: '',
      state:
        c.name === 'stopped'
          ? { waiting: { reason: 'ContainerCreating' } }
          : { running: { startedAt: '2026-01-01T00:00:00Z' } },
    });
  }
  await registry.writePodStatus('default', name, pod.metadata.uid, {
    phase: 'Running',
    containerStatuses: statuses,
  });
}

function connect(
  path: string,
  send: (ws: WebSocket) => void = () => {},
  protocol = 'v5.channel.k8s.io',
): Promise<Session> {
  const ws = new WebSocket(new URL(path, server.url.replace('https', 'wss')), [protocol], {
    ca,
    headers: { Authorization: `Bearer ${server.token}` },
  });
  const frames: Buffer[] = [];
  ws.on('message', (data: Buffer) => frames.push(Buffer.from(data)));
  ws.on('open', () => send(ws));
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('close', (code) =>
      resolve({
        frames,
        closeCode: code,
        out: (ch) =>
          Buffer.concat(frames.filter((f) => f[0] === ch).map((f) => f.subarray(1))).toString('utf8'),
        status() {
          const f = frames.find((x) => x[0] === 3);
          return f ? JSON.parse(f.subarray(1).toString('utf8')) : { status: 'none' };
        },
      }),
    );
  });
}

/** A plain HTTP answer to an upgrade request (a refusal), as status and parsed Status body. */
function refusal(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ code: number; body: { message?: string; reason?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), {
      method,
      ca,
      headers: { Authorization: `Bearer ${server.token}`, Connection: 'Upgrade', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('error', reject);
    req.end();
  });
}

/** A SPDY upgrade (POST) as client-go makes it: the switched socket and the reply's headers, or the refusal. */
function spdyUpgrade(
  path: string,
  protocols: string[],
): Promise<
  | { socket: Duplex; headers: Record<string, string | string[] | undefined> }
  | { code: number; contentType: string; text: string }
> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), {
      method: 'POST',
      ca,
      headers: {
        Authorization: `Bearer ${server.token}`,
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        ...(protocols.length > 0 ? { 'X-Stream-Protocol-Version': protocols } : {}),
      },
    });
    req.on('upgrade', (res, socket) => resolve({ socket, headers: res.headers }));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      res.on('end', () =>
        resolve({ code: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Upgrades, opens the streams in client-go's order (error first), and returns the client. */
async function spdySession(
  path: string,
  streams: string[],
  protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'],
): Promise<{ c: SpdyClient; id: (type: string) => number; protocol: unknown }> {
  const up = await spdyUpgrade(path, protocols);
  if (!('socket' in up)) throw new Error(`refused: ${up.code} ${up.text}`);
  const c = new SpdyClient(up.socket);
  const ids = new Map<string, number>();
  for (const [i, type] of streams.entries()) {
    ids.set(type, 2 * i + 1);
    await c.open(2 * i + 1, { streamtype: type });
  }
  return { c, id: (t) => ids.get(t) ?? -1, protocol: up.headers['x-stream-protocol-version'] };
}

const EXEC = '/api/v1/namespaces/default/pods';
const q = (cmd: string[], extra: string) =>
  `${cmd.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&${extra}`;

describe('pods/exec and pods/attach', () => {
  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'podrun-streaming-'));
    registry = await newRegistry();
    server = await startApiServer({
      registry,
      address: '127.0.0.1',
      port: 0,
      stateDir,
      logs: new FakeLogs(),
      streaming: runtime,
    });
    ca = await readFile(server.caFile, 'utf8');
    await runningPod('x', [{ name: 'main' }]);
    await runningPod('two', [{ name: 'a' }, { name: 'stopped' }]);
    await runningPod('att', [{ name: 'c', stdin: true }]);
  });
  after(async () => {
    await server.close();
    await registry.store.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('exec: stdout and stderr on their channels, the exit code in the Status, then close 1000', async () => {
    const s = await connect(`${EXEC}/x/exec?${q(['sh', '3'], 'container=main&stdout=true&stderr=true')}`);
    assert.equal(s.out(1), 'out\n');
    assert.equal(s.out(2), 'err\n');
    assert.equal(s.status().reason, 'NonZeroExitCode');
    assert.deepEqual(s.status().details?.causes[0], { reason: 'ExitCode', message: '3' });
    assert.equal(s.closeCode, 1000);
    // The Status is the last frame.
    assert.equal(s.frames.at(-1)?.[0], 3);
  });

  test('exec: exit 0 is Success', async () => {
    const s = await connect(`${EXEC}/x/exec?${q(['sh', '0'], 'stdout=true')}`);
    assert.deepEqual(s.status(), { metadata: {}, status: 'Success' });
  });

  test('PODRUN_STREAM_TIMINGS: one line per exec, every step in order, over WebSocket and SPDY', async () => {
    const lines: StreamTimingsLine[] = [];
    setStreamTimingsOutput((text) => {
      const line = parseStreamTimingsLine(text);
      assert.ok(line, `not a timings line: ${text}`);
      lines.push(line);
    });
    try {
      await connect(`${EXEC}/x/exec?${q(['sh', '0'], 'stdout=true')}`);
      const { c, id } = await spdySession(`${EXEC}/x/exec?${q(['sh', '0'], 'stdout=true')}`, [
        'error',
        'stdout',
      ]);
      await c.until(() => c.stream(id('error')).fin && lines.length === 2);
    } finally {
      setStreamTimingsOutput(undefined);
    }
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal(line.kind, 'exec');
      assert.equal(line.pod, 'default/x');
      const steps = ['admitted', 'checked', 'upgraded', 'started', 'exited', 'closed'] as const;
      const at = steps.map((step) => line.ms[step]);
      assert.ok(
        at.every((t, i) => t !== undefined && t >= 0 && (i === 0 || t >= at[i - 1]!)),
        JSON.stringify(line),
      );
    }
  });

  test('exec -i: stdin reaches the command and [255,0] closes it', async () => {
    const s = await connect(`${EXEC}/x/exec?${q(['cat'], 'stdin=true&stdout=true')}`, (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('a\nb\n')]));
      ws.send(Buffer.from([255, 0]));
    });
    assert.equal(s.out(1), 'a\nb\ndone\n');
    assert.equal(s.status().status, 'Success');
  });

  test('exec -t: resizes reach the terminal; small ones are dropped; no stderr channel', async () => {
    const s = await connect(
      `${EXEC}/x/exec?${q(['resizes'], 'stdin=true&stdout=true&stderr=true&tty=true')}`,
      (ws) => {
        ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":40}\n')]));
        ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":0,"Height":0}\n')]));
        ws.send(Buffer.from([255, 0]));
      },
    );
    assert.deepEqual(JSON.parse(s.out(1)), [{ width: 100, height: 40 }]);
    assert.equal(s.frames.filter((f) => f[0] === 2).length, 0);
  });

  test('a client that leaves kills its command', async () => {
    await connect(`${EXEC}/x/exec?${q(['hang'], 'stdout=true')}`, (ws) => {
      ws.once('message', () => ws.close(1000));
    });
    await new Promise<void>((resolve) => {
      const check = () => (killedByClient ? resolve() : setTimeout(check, 5));
      check();
    });
    assert.equal(killedByClient, true);
  });

  test('exec over v4 works the same', async () => {
    const s = await connect(`${EXEC}/x/exec?${q(['sh', '4'], 'stdout=true')}`, () => {}, 'v4.channel.k8s.io');
    assert.deepEqual(s.status().details?.causes[0]?.message, '4');
  });

  test('a command that cannot start is an InternalError after the handshake', async () => {
    const s = await connect(`${EXEC}/x/exec?${q(['missing'], 'stdout=true')}`);
    assert.equal(s.status().reason, 'InternalError');
    assert.match(s.status().message ?? '', /^Internal error occurred: .*executable file not found in \$PATH/);
  });

  test('a container that is not running: the kubelet\'s "container not found"', async () => {
    const s = await connect(`${EXEC}/two/exec?${q(['sh'], 'container=stopped&stdout=true')}`);
    assert.equal(s.status().message, 'Internal error occurred: container not found ("stopped")');
  });

  test('refusals before the handshake, on the WebSocket GET and the SPDY POST alike', async () => {
    const ws = {
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
    };
    const spdy = { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' };
    for (const [method, headers] of [
      ['GET', ws],
      ['POST', spdy],
    ] as const) {
      const nope = await refusal(
        method,
        `${EXEC}/x/exec?${q(['true'], 'container=nope&stdout=true')}`,
        headers,
      );
      assert.deepEqual([nope.code, nope.body.message], [400, 'container nope is not valid for pod x']);
      const which = await refusal(method, `${EXEC}/two/exec?${q(['true'], 'stdout=true')}`, headers);
      assert.equal(
        which.body.message,
        'a container name must be specified for pod two, choose one of: [a stopped]',
      );
      const gone = await refusal(method, `${EXEC}/ghost/exec?${q(['true'], 'stdout=true')}`, headers);
      assert.deepEqual([gone.code, gone.body.reason], [404, 'NotFound']);
      const none = await refusal(method, `${EXEC}/x/exec?${q(['true'], 'container=main')}`, headers);
      assert.equal(none.body.message, 'you must specify at least 1 of stdin, stdout, stderr');
    }
    const oldProtocol = await refusal('GET', `${EXEC}/x/exec?${q(['true'], 'stdout=true')}`, {
      ...ws,
      'Sec-WebSocket-Protocol': 'channel.k8s.io',
    });
    assert.match(
      oldProtocol.body.message ?? '',
      /v5.channel.k8s.io, v4.channel.k8s.io; the client offered channel.k8s.io/,
    );
    const anon = await refusal('GET', `${EXEC}/x/exec?${q(['true'], 'stdout=true')}`, {
      ...ws,
      Authorization: 'Bearer wrong',
    });
    assert.equal(anon.code, 401);
    // Without an Upgrade header at all, the request is the HTTP handler's: a 400 as upstream's.
    const plain = await new Promise<{ code: number; message: string }>((resolve, reject) => {
      const req = request(new URL(`${EXEC}/x/exec?command=true&stdout=true`, server.url), {
        ca,
        headers: { Authorization: `Bearer ${server.token}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, message: JSON.parse(text).message }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(plain, { code: 400, message: 'Upgrade request required' });
    // A subresource with no route (yet) is a 404 Status, as any unknown path.
    const unknown = await refusal('GET', `${EXEC}/x/nothing`, ws);
    assert.deepEqual([unknown.code, unknown.body.reason], [404, 'NotFound']);
  });

  test('attach: output from now on, stdin to the container, detach when stdin ends', async () => {
    const s = connect(`${EXEC}/att/attach?container=c&stdin=true&stdout=true&stderr=true`, (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('hi\n')]));
      // Output arrives once the attachment is made; the test waits for the echo before ending stdin.
      const wait = () => {
        if (runtime.attachedInput('c').data === 'hi\n') {
          runtime.emitOutput('c', 'stdout', 'got hi\n');
          runtime.emitOutput('c', 'stderr', 'warn\n');
          ws.once('message', () => ws.once('message', () => ws.send(Buffer.from([255, 0]))));
        } else setTimeout(wait, 5);
      };
      wait();
    });
    const done = await s;
    assert.equal(done.out(1), 'got hi\n');
    assert.equal(done.out(2), 'warn\n');
    assert.equal(done.status().status, 'Success');
    assert.equal(runtime.attachedInput('c').closed, true);
  });

  test('attach ends with Success when the container exits', async () => {
    await runningPod('short', [{ name: 'quick' }]);
    const s = connect(`${EXEC}/short/attach?container=quick&stdout=true`, () => {
      setImmediate(() => runtime.exitContainer('quick', 0));
    });
    const done = await s;
    assert.equal(done.status().status, 'Success');
    assert.equal(done.closeCode, 1000);
  });

  describe('over SPDY/3.1', () => {
    test('exec: v4 chosen from what kubectl offers; output on its streams, the exit code on the error stream, all closed', async () => {
      const { c, id, protocol } = await spdySession(
        `${EXEC}/x/exec?${q(['sh', '3'], 'container=main&stdout=true&stderr=true')}`,
        ['error', 'stdout', 'stderr'],
      );
      assert.equal(protocol, 'v4.channel.k8s.io');
      await c.until(
        () => c.stream(id('error')).fin && c.stream(id('stdout')).fin && c.stream(id('stderr')).fin,
      );
      assert.equal(c.stream(id('stdout')).text, 'out\n');
      assert.equal(c.stream(id('stderr')).text, 'err\n');
      const status = JSON.parse(c.stream(id('error')).text);
      assert.equal(status.reason, 'NonZeroExitCode');
      assert.deepEqual(status.details.causes[0], { reason: 'ExitCode', message: '3' });
      await c.until(() => c.ended);
      const ok = await spdySession(`${EXEC}/x/exec?${q(['sh', '0'], 'stdout=true')}`, ['error', 'stdout']);
      await ok.c.until(() => ok.c.stream(ok.id('error')).fin);
      assert.deepEqual(JSON.parse(ok.c.stream(ok.id('error')).text), { metadata: {}, status: 'Success' });
    });

    test("exec -i: stdin's stream reaches the command, and its FIN closes the command's stdin", async () => {
      const { c, id } = await spdySession(`${EXEC}/x/exec?${q(['cat'], 'stdin=true&stdout=true')}`, [
        'error',
        'stdin',
        'stdout',
      ]);
      c.send(id('stdin'), 'a\n');
      c.send(id('stdin'), 'b\n', true);
      await c.until(() => c.stream(id('error')).fin);
      assert.equal(c.stream(id('stdout')).text, 'a\nb\ndone\n');
    });

    test('exec -t: the resize stream sizes the terminal; no stderr stream is waited for', async () => {
      const { c, id } = await spdySession(
        `${EXEC}/x/exec?${q(['resizes'], 'stdin=true&stdout=true&stderr=true&tty=true')}`,
        ['error', 'stdin', 'stdout', 'resize'],
      );
      c.send(id('resize'), '{"Width":100,"Height":40}\n{"Width":120');
      c.send(id('resize'), ',"Height":50}\n');
      c.send(id('stdin'), '', true);
      await c.until(() => c.stream(id('error')).fin);
      assert.deepEqual(JSON.parse(c.stream(id('stdout')).text), [
        { width: 100, height: 40 },
        { width: 120, height: 50 },
      ]);
    });

    test('v3 and v2: a failure is its bare message on the error stream', async () => {
      const { c, id, protocol } = await spdySession(
        `${EXEC}/x/exec?${q(['sh', '3'], 'stdout=true')}`,
        ['error', 'stdout'],
        ['v3.channel.k8s.io'],
      );
      assert.equal(protocol, 'v3.channel.k8s.io');
      await c.until(() => c.stream(id('error')).fin);
      assert.equal(
        c.stream(id('error')).text,
        'command terminated with non-zero exit code: command terminated with exit code 3',
      );
    });

    test("the kubelet's refusals before the switch, as text: a container not running, no protocol in common", async () => {
      const stopped = await spdyUpgrade(`${EXEC}/two/exec?${q(['sh'], 'container=stopped&stdout=true')}`, [
        'v4.channel.k8s.io',
      ]);
      assert.deepEqual(stopped, {
        code: 500,
        contentType: 'text/plain; charset=utf-8',
        text: 'container not found ("stopped")\n',
      });
      const old = await spdyUpgrade(`${EXEC}/x/exec?${q(['sh'], 'stdout=true')}`, ['channel.k8s.io']);
      assert.ok('code' in old);
      assert.equal(old.code, 403);
      assert.equal(
        old.text,
        'unable to upgrade: unable to negotiate protocol: client supports [channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io]\n',
      );
      const none = await spdyUpgrade(`${EXEC}/x/exec?${q(['sh'], 'stdout=true')}`, []);
      assert.ok('code' in none);
      assert.deepEqual(
        [none.code, none.text],
        [400, 'unable to upgrade: X-Stream-Protocol-Version is required\n'],
      );
    });

    test('attach: output from now on, stdin to the container, detach when its stream ends', async () => {
      const { c, id } = await spdySession(`${EXEC}/att/attach?container=c&stdin=true&stdout=true`, [
        'error',
        'stdin',
        'stdout',
      ]);
      c.send(id('stdin'), 'again\n');
      await new Promise<void>((resolve) => {
        const wait = () =>
          runtime.attachedInput('c').data.endsWith('again\n') ? resolve() : setTimeout(wait, 5);
        wait();
      });
      runtime.emitOutput('c', 'stdout', 'got again\n');
      await c.until(() => c.stream(id('stdout')).text === 'got again\n');
      c.send(id('stdin'), '', true);
      await c.until(() => c.stream(id('error')).fin);
      assert.deepEqual(JSON.parse(c.stream(id('error')).text), { metadata: {}, status: 'Success' });
    });
  });
});
