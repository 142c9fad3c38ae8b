// pods/portforward on the API server without kubectl: direct SPDY (POST + Upgrade: SPDY/3.1) with a client
// framed by hand (one deflater with the dictionary, as spdystream), the kubelet's pairing of error and data
// streams, a refused port's message on the error stream, and the refusals before any upgrade (no token, no
// such pod, a WebSocket without the tunnel's subprotocol, a plain GET).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../../src/api/types.js';
import { type ApiServer, startApiServer } from '../../../src/apiserver/http/server.js';
import type { Registry } from '../../../src/apiserver/registry.js';
import { SYN_REPLY } from '../../../src/apiserver/streaming/spdy/frames.js';
import { socketPair } from '../../../src/runtime/fake/fake-ports.js';
import { FakeLogs, newRegistry, pod } from '../helpers.js';
import { SpdyClient as Client } from './spdy-client.js';

let server: ApiServer;
let registry: Registry;
let stateDir: string;
let ca: string;
const dialed: { pod: string; port: number }[] = [];

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'podrun-portforward-'));
  registry = await newRegistry();
  server = await startApiServer({
    registry,
    address: '127.0.0.1',
    port: 0,
    stateDir,
    logs: new FakeLogs(),
    portForward: {
      // Port 80 echoes what it reads, upper-cased; anything else is refused in the host runtime's words.
      async dial(p: Pod, port: number, onData: (chunk: Buffer) => boolean): Promise<Duplex> {
        dialed.push({ pod: p.metadata?.name ?? '', port });
        if (port !== 80)
          throw new Error(`error forwarding port ${port} to pod sb1, uid : connection refused`);
        const [client, serverEnd] = socketPair();
        serverEnd.on('data', (b: Buffer) => serverEnd.write(b.toString().toUpperCase()));
        serverEnd.on('end', () => serverEnd.end());
        client.on('data', (b: Buffer) => {
          if (!onData(b)) client.pause();
        });
        return client;
      },
    },
  });
  ca = await readFile(server.caFile, 'utf8');
  await registry.create(
    'pods',
    'default',
    pod('web', { spec: { nodeName: 'local', containers: [{ name: 'c', image: 'busybox' }] } }),
  );
  await registry.create('pods', 'default', pod('pending'));
});
after(async () => {
  await server.close();
  await registry.store.close();
  await rm(stateDir, { recursive: true, force: true });
});

type Upgrade = { socket: Duplex; headers: Record<string, string | string[] | undefined> };
type Refusal = { status: number; body: string };

function upgrade(
  path: string,
  method: string,
  headers: Record<string, string>,
  token: string | null = server.token,
): Promise<Upgrade | Refusal> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, {
      method,
      ca,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    });
    req.on('upgrade', (res, socket) => resolve({ socket, headers: res.headers }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SPDY_HEADERS = {
  Connection: 'Upgrade',
  Upgrade: 'SPDY/3.1',
  'X-Stream-Protocol-Version': 'portforward.k8s.io',
};

describe('pods/portforward over direct SPDY', () => {
  test('the upgrade answers 101 with the protocol; a pair of streams reaches the pod port both ways', async () => {
    const up = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'POST', SPDY_HEADERS);
    assert.ok('socket' in up, JSON.stringify(up));
    assert.equal(up.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    assert.equal(up.headers.upgrade, 'SPDY/3.1');
    const c = new Client(up.socket);
    await c.open(1, { streamtype: 'error', port: '80', requestid: '0' });
    await c.open(3, { streamtype: 'data', port: '80', requestid: '0' });
    c.send(3, 'hello');
    await c.until(() => c.stream(3).text === 'HELLO');
    // A second connection at once, with its own pair.
    await c.open(5, { streamtype: 'error', port: '80', requestid: '1' });
    await c.open(7, { streamtype: 'data', port: '80', requestid: '1' });
    c.send(7, 'again', true);
    await c.until(() => c.stream(7).fin);
    assert.equal(c.stream(7).text, 'AGAIN');
    const replies = c.frames.filter((f) => f.type === 'control' && f.frameType === SYN_REPLY);
    assert.equal(replies.length, 4, 'one SYN_REPLY per SYN_STREAM');
    assert.deepEqual(
      dialed.filter((d) => d.pod === 'web').map((d) => d.port),
      [80, 80],
    );
    up.socket.destroy();
  });

  test("a refused port: the dial's message on the error stream, then both streams closed", async () => {
    const up = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'POST', SPDY_HEADERS);
    assert.ok('socket' in up);
    const c = new Client(up.socket);
    await c.open(1, { streamtype: 'error', port: '9090', requestid: '0' });
    await c.open(3, { streamtype: 'data', port: '9090', requestid: '0' });
    await c.until(() => c.stream(1).fin && c.stream(3).fin);
    assert.equal(c.stream(1).text, 'error forwarding port 9090 to pod sb1, uid : connection refused');
    assert.equal(c.stream(3).text, '');
    up.socket.destroy();
  });
});

describe('pods/portforward refusals before the upgrade', () => {
  const ws = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  };

  test('no token: 401 Status', async () => {
    const r = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'POST', SPDY_HEADERS, null);
    assert.ok('status' in r);
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).reason, 'Unauthorized');
  });

  test('no such pod: 404; a pod on no node: 400', async () => {
    const missing = await upgrade('/api/v1/namespaces/default/pods/nope/portforward', 'POST', SPDY_HEADERS);
    assert.ok('status' in missing);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'pods "nope" not found');
    const pending = await upgrade(
      '/api/v1/namespaces/default/pods/pending/portforward',
      'POST',
      SPDY_HEADERS,
    );
    assert.ok('status' in pending);
    assert.equal(pending.status, 400);
    assert.equal(JSON.parse(pending.body).message, 'pod pending does not have a host assigned');
  });

  test('a WebSocket without SPDY/3.1+portforward.k8s.io is refused; SPDY without the protocol header is 403', async () => {
    const r = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'GET', {
      ...ws,
      'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
    });
    assert.ok('status' in r);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /speaks only SPDY\/3\.1\+portforward\.k8s\.io/);
    const tunnel = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'GET', {
      ...ws,
      'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
    });
    assert.ok('socket' in tunnel, JSON.stringify(tunnel));
    assert.equal(tunnel.headers['sec-websocket-protocol'], 'SPDY/3.1+portforward.k8s.io');
    tunnel.socket.destroy();
    const noProto = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'POST', {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
    });
    assert.ok('status' in noProto);
    assert.equal(noProto.status, 403);
  });

  test('a plain GET of pods/portforward: 400 Upgrade request required', async () => {
    const r = await upgrade('/api/v1/namespaces/default/pods/web/portforward', 'GET', {});
    assert.ok('status' in r);
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'Upgrade request required');
  });
});
