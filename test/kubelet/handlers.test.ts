import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { type HandlerContext, runHandler } from '../../src/kubelet/handlers.js';
import type { ExecResult, RuntimeService } from '../../src/runtime/types.js';
import { FakeClock, flushMicrotasks, systemClock } from '../../src/util/clock.js';

/** execSync answers from a function of the command; the only runtime call handlers make. */
function execRuntime(answer: (cmd: string[], timeoutSeconds: number) => Promise<ExecResult>) {
  const calls: { id: string; cmd: string[]; timeoutSeconds: number }[] = [];
  const runtime = {
    execSync: (id: string, cmd: string[], timeoutSeconds: number) => {
      calls.push({ id, cmd, timeoutSeconds });
      return answer(cmd, timeoutSeconds);
    },
  };
  // Handlers use nothing but execSync.
  return { runtime: runtime as unknown as RuntimeService, calls };
}

const noExec = execRuntime(() => Promise.reject(new Error('no exec in this test'))).runtime;

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { containers: [] } };

function ctx(over: Partial<HandlerContext> = {}): HandlerContext {
  return {
    runtime: noExec,
    containerId: 'host://c1',
    podIP: '127.0.0.1',
    timeoutSeconds: 1,
    clock: systemClock,
    pod,
    container: { name: 'app', ports: [{ name: 'http', containerPort: 1 }] },
    ...over,
  };
}

const probe = (over: Partial<HandlerContext> = {}) => ctx({ purpose: 'probe', ...over });

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let port: number;
let closedPort: number;
const seen: Seen[] = [];
let tlsServer: https.Server | undefined;
let tlsPort = 0;
let tmp: string;

function routes(req: http.IncomingMessage, res: http.ServerResponse) {
  seen.push({ url: req.url ?? '', headers: req.headers });
  const url = req.url ?? '';
  if (url.startsWith('/healthz')) res.writeHead(200).end('ok');
  else if (url === '/fail') res.writeHead(500).end('secret body');
  else if (url === '/hop') res.writeHead(302, { Location: '/healthz' }).end();
  else if (url === '/away') res.writeHead(302, { Location: 'http://example.invalid/' }).end('moved');
  else if (url === '/loop') res.writeHead(302, { Location: '/loop' }).end();
  else if (url === '/slow') setTimeout(() => res.writeHead(200).end(), 5_000).unref();
  else res.writeHead(404).end();
}

function listen(s: net.Server): Promise<number> {
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)),
  );
}

before(async () => {
  server = http.createServer(routes);
  port = await listen(server);
  const c = net.createServer();
  closedPort = await listen(c);
  await new Promise((r) => c.close(r));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-handlers-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=podrun-test'].concat([
      '-keyout',
      path.join(tmp, 'key.pem'),
      '-out',
      path.join(tmp, 'cert.pem'),
    ]),
    { stdio: 'ignore' },
  );
  tlsServer = https.createServer(
    { key: fs.readFileSync(path.join(tmp, 'key.pem')), cert: fs.readFileSync(path.join(tmp, 'cert.pem')) },
    routes,
  );
  tlsPort = await listen(tlsServer);
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  tlsServer?.closeAllConnections();
  if (tlsServer) await new Promise((r) => tlsServer!.close(r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('exec handlers', () => {
  it('an exec probe passes on exit 0 and fails on non-zero with stdout then stderr as its message', async () => {
    const { runtime, calls } = execRuntime(async (cmd) =>
      cmd[0] === 'true'
        ? { exitCode: 0, stdout: '', stderr: '', timedOut: false }
        : { exitCode: 1, stdout: 'out\n', stderr: 'err\n', timedOut: false },
    );
    assert.deepEqual(await runHandler({ exec: { command: ['true'] } }, probe({ runtime })), {
      ok: true,
      message: '',
    });
    assert.deepEqual(
      await runHandler({ exec: { command: ['false'] } }, probe({ runtime, timeoutSeconds: 3 })),
      {
        ok: false,
        message: 'out\nerr\n',
      },
    );
    assert.deepEqual(calls[1], { id: 'c1', cmd: ['false'], timeoutSeconds: 3 });
  });

  it('an exec probe that outlives timeoutSeconds fails with the CRI timeout text', async () => {
    const clock = new FakeClock();
    const { runtime } = execRuntime(() => new Promise<ExecResult>(() => {}));
    const pending = runHandler(
      { exec: { command: ['sleep', '5'] } },
      probe({ runtime, clock, timeoutSeconds: 2 }),
    );
    await clock.advance(1_999);
    await clock.advance(1);
    assert.deepEqual(await pending, { ok: false, message: 'command "sleep 5" timed out' });
    const { runtime: r2 } = execRuntime(async () => ({
      exitCode: -1,
      stdout: '',
      stderr: '',
      timedOut: true,
    }));
    assert.deepEqual(await runHandler({ exec: { command: ['sh', '-c', 'x'] } }, probe({ runtime: r2 })), {
      ok: false,
      message: 'command "sh -c x" timed out',
    });
  });

  it('a failed exec hook reports the kubelet hook message', async () => {
    const { runtime } = execRuntime(async () => ({
      exitCode: 2,
      stdout: 'said "hi"\n',
      stderr: 'oops',
      timedOut: false,
    }));
    const r = await runHandler(
      { exec: { command: ['sh', '-c', 'exit 2'] } },
      ctx({ runtime, timeoutSeconds: 0 }),
    );
    assert.deepEqual(r, {
      ok: false,
      message:
        'Exec lifecycle hook ([sh -c exit 2]) for Container "app" in Pod "web_default(uid-1)" failed - error: ' +
        `command 'sh -c exit 2' exited with 2: oops, message: "said \\"hi\\"\\noops"`,
    });
  });

  it('an exec the runtime cannot run is an error for a probe and a failure for a hook', async () => {
    const { runtime } = execRuntime(() => Promise.reject(new Error('container c1 is not running')));
    assert.deepEqual(await runHandler({ exec: { command: ['x'] } }, probe({ runtime })), {
      ok: false,
      message: 'container c1 is not running',
    });
    const hook = await runHandler({ exec: { command: ['x'] } }, ctx({ runtime }));
    assert.equal(hook.ok, false);
    assert.match(hook.message, /failed - error: container c1 is not running, message: ""$/);
  });
});

describe('httpGet handlers', () => {
  it('a 200 passes, and the request carries the kubelet headers, the Host and custom headers', async () => {
    seen.length = 0;
    const r = await runHandler(
      { httpGet: { path: '/healthz?full=1', port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } },
      probe(),
    );
    assert.deepEqual(r, { ok: true, message: 'ok' });
    assert.equal(seen[0]?.url, '/healthz?full=1');
    assert.equal(seen[0]?.headers['user-agent'], 'kube-probe/1.32');
    assert.equal(seen[0]?.headers.accept, '*/*');
    assert.equal(seen[0]?.headers['x-probe'], 'yes');
    assert.equal(seen[0]?.headers.host, `127.0.0.1:${port}`);
  });

  it('a 500 fails with the status code and not the body', async () => {
    assert.deepEqual(await runHandler({ httpGet: { path: '/fail', port } }, probe()), {
      ok: false,
      message: 'HTTP probe failed with statuscode: 500',
    });
  });

  it('a closed port fails with Go’s dial error', async () => {
    assert.deepEqual(await runHandler({ httpGet: { path: '/healthz', port: closedPort } }, probe()), {
      ok: false,
      message: `Get "http://127.0.0.1:${closedPort}/healthz": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('a named port resolves through the container ports, an unknown name is an error', async () => {
    const container = { name: 'app', ports: [{ name: 'web', containerPort: port }] };
    assert.equal(
      (await runHandler({ httpGet: { path: '/healthz', port: 'web' } }, probe({ container }))).ok,
      true,
    );
    assert.deepEqual(
      await runHandler({ httpGet: { path: '/healthz', port: 'nope' } }, probe({ container })),
      {
        ok: false,
        message: 'strconv.Atoi: parsing "nope": invalid syntax',
      },
    );
    assert.equal((await runHandler({ httpGet: { path: '/healthz', port: String(port) } }, probe())).ok, true);
  });

  it('redirects to the same host are followed; one to another host is a warning that still passes', async () => {
    assert.deepEqual(await runHandler({ httpGet: { path: '/hop', port } }, probe()), {
      ok: true,
      message: 'ok',
    });
    assert.deepEqual(await runHandler({ httpGet: { path: '/away', port } }, probe()), {
      ok: true,
      message: 'Probe terminated redirects, Response body: moved',
    });
    assert.deepEqual(await runHandler({ httpGet: { path: '/loop', port } }, probe()), {
      ok: false,
      message: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`,
    });
  });

  it('a response slower than timeoutSeconds fails with the client timeout text', async () => {
    const clock = new FakeClock();
    seen.length = 0;
    const pending = runHandler({ httpGet: { path: '/slow', port } }, probe({ clock, timeoutSeconds: 1 }));
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await clock.advance(1_000);
    assert.deepEqual(await pending, {
      ok: false,
      message: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  it('HTTPS probes do not verify the certificate', async () => {
    assert.deepEqual(
      await runHandler({ httpGet: { path: '/healthz', port: tlsPort, scheme: 'HTTPS' } }, probe()),
      {
        ok: true,
        message: 'ok',
      },
    );
  });

  it('an HTTP hook succeeds on any response and fails only when the request fails', async () => {
    seen.length = 0;
    assert.deepEqual(await runHandler({ httpGet: { path: '/fail', port } }, ctx()), {
      ok: true,
      message: '',
    });
    assert.equal(seen[0]?.headers['user-agent'], 'kube-lifecycle/1.32');
    assert.deepEqual(await runHandler({ httpGet: { path: '/hook', port: closedPort } }, ctx()), {
      ok: false,
      message:
        'HTTP lifecycle hook (/hook) for Container "app" in Pod "web_default(uid-1)" failed - error: ' +
        `Get "http://127.0.0.1:${closedPort}/hook": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('an HTTPS hook answered over plain HTTP is retried with HTTP and reported', async () => {
    const events: string[] = [];
    const r = await runHandler(
      { httpGet: { path: '/healthz', port, scheme: 'HTTPS' } },
      ctx({ events: { event: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) } }),
    );
    assert.deepEqual(r, { ok: true, message: '' });
    assert.deepEqual(events, [
      `Warning LifecycleHTTPFallback request to HTTPS lifecycle hook 127.0.0.1:${port} got HTTP response, retry with HTTP succeeded`,
    ]);
  });
});

describe('tcpSocket and grpc probes', () => {
  it('a tcpSocket probe passes when the port accepts and fails with the dial error when it does not', async () => {
    assert.deepEqual(await runHandler({ tcpSocket: { port } }, probe()), { ok: true, message: '' });
    assert.deepEqual(await runHandler({ tcpSocket: { port: closedPort } }, probe()), {
      ok: false,
      message: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('a grpc probe speaks grpc.health.v1 and reports the serving status', async () => {
    const h2 = http2.createServer();
    h2.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const service = Buffer.concat(chunks).subarray(7).toString();
        if (headers[':path'] !== '/grpc.health.v1.Health/Check' || service === 'unimpl') {
          stream.respond(
            {
              ':status': 200,
              'content-type': 'application/grpc',
              'grpc-status': '12',
              'grpc-message': 'unknown%20service',
            },
            { endStream: true },
          );
          return;
        }
        const status = service === 'down' ? 2 : 1;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
      });
    });
    const grpcPort = await listen(h2);
    try {
      assert.deepEqual(await runHandler({ grpc: { port: grpcPort } }, probe()), {
        ok: true,
        message: 'service healthy',
      });
      assert.deepEqual(await runHandler({ grpc: { port: grpcPort, service: 'down' } }, probe()), {
        ok: false,
        message: 'service unhealthy (responded with "NOT_SERVING")',
      });
      assert.deepEqual(await runHandler({ grpc: { port: grpcPort, service: 'unimpl' } }, probe()), {
        ok: false,
        message:
          'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service',
      });
      assert.deepEqual(await runHandler({ grpc: { port: closedPort } }, probe()), {
        ok: false,
        message: `timeout: failed to connect service "127.0.0.1:${closedPort}" within 1s: context deadline exceeded`,
      });
      assert.deepEqual(await runHandler({ grpc: { port: closedPort } }, probe({ podIP: '' })), {
        ok: false,
        message: `timeout: failed to connect service ":${closedPort}" within 1s: context deadline exceeded`,
      });
    } finally {
      await new Promise((r) => h2.close(r));
    }
  });
});

describe('sleep hooks and unsupported hooks', () => {
  it('a sleep hook waits its seconds on the clock, and fails if the container is stopped first', async () => {
    const clock = new FakeClock();
    let done = false;
    const pending = runHandler({ sleep: { seconds: 5 } }, ctx({ clock })).then((r) => {
      done = true;
      return r;
    });
    await clock.advance(4_999);
    assert.equal(done, false);
    await clock.advance(1);
    assert.deepEqual(await pending, { ok: true, message: '' });

    const ac = new AbortController();
    const cut = runHandler({ sleep: { seconds: 30 } }, ctx({ clock, signal: ac.signal }));
    await flushMicrotasks();
    ac.abort();
    assert.deepEqual(await cut, {
      ok: false,
      message:
        'Sleep lifecycle hook (30) for Container "app" in Pod "web_default(uid-1)" failed - error: container terminated before sleep hook finished',
    });
  });

  it('a tcpSocket lifecycle hook is not run, as in the kubelet', async () => {
    const r = await runHandler({ tcpSocket: { port } }, ctx());
    assert.equal(r.ok, false);
    assert.match(r.message, /^Cannot run handler: invalid handler/);
  });
});
