// The WebSocket channel protocol's end as it goes over TLS: the Status and the close frame must not share a
// TLS record. Clients that poll the raw socket before reading each frame (the Python client) never see a close
// frame that waits in their TLS library's buffer behind the Status they have read.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { ensureServingCredentials } from '../../../src/apiserver/http/tls.js';
import { STDOUT, successStatus } from '../../../src/apiserver/streaming/channels.js';
import { webSocketChannels } from '../../../src/apiserver/streaming/ws-channels.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-ws-channels-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** TLS 1.3 adds to each record's plaintext its inner content type (1 byte) and the AEAD tag (16 bytes). */
const TLS13_OVERHEAD = 17;
/** A server's close frame with a code: 2 bytes of header and the 2-byte code. */
const CLOSE_FRAME = 4;

test("the close frame is a TLS record of its own, even when output was still being written at the exec's end", async () => {
  const creds = await ensureServingCredentials(work, '127.0.0.1');
  const https = createHttpsServer({ cert: creds.cert, key: creds.key, minVersion: 'TLSv1.3' });
  const wss = new WebSocketServer({ noServer: true });
  https.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      const channels = webSocketChannels(ws, 'v5.channel.k8s.io');
      channels.listen(
        () => {},
        () => {},
      );
      // The command's last output and its end in one tick, as when it prints and exits at once: the output's
      // write is still under way (Node's TLS layer completes writes a turn later) when the end is sent.
      channels.send(STDOUT, Buffer.from('data\n'));
      channels.finish(successStatus());
    }),
  );
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  // Between client and server, a relay that notes the length of each TLS record the server sends.
  const records: { type: number; length: number }[] = [];
  const relay = createTcpServer((client: Socket) => {
    const upstream = connect((https.address() as AddressInfo).port, '127.0.0.1');
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
        const length = pending.readUInt16BE(3);
        records.push({ type: pending[0] ?? 0, length });
        pending = pending.subarray(5 + length);
      }
      client.write(chunk);
    });
    client.pipe(upstream);
    upstream.on('end', () => client.end());
    for (const s of [client, upstream]) s.on('error', () => {});
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  try {
    const ws = new WebSocket(
      `wss://127.0.0.1:${(relay.address() as AddressInfo).port}/`,
      'v5.channel.k8s.io',
      {
        rejectUnauthorized: false,
      },
    );
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(`${data[0]}:${data.subarray(1).toString()}`));
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1000);
    assert.deepEqual(messages, ['1:data\n', `3:${JSON.stringify(successStatus())}`]);
    // Application data (type 23) carries the frames; in TLS 1.3 it carries the encrypted alerts too.
    const sizes = records.filter((r) => r.type === 23).map((r) => r.length - TLS13_OVERHEAD);
    assert.ok(
      sizes.includes(CLOSE_FRAME),
      `no TLS record holds the close frame alone (plaintext sizes of the server's records: ${sizes.join(', ')})`,
    );
  } finally {
    relay.close();
    https.close();
    wss.close();
  }
});
