// A request body that does not arrive within the request timeout is answered 504 and its connection closed,
// rather than held (with what it sent so far) for as long as the client keeps the connection open.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ApiError } from '../../src/apiserver/errors.js';
import { readBody } from '../../src/apiserver/http/body.js';

test('a body that stops arriving is a 504 Timeout, and the connection goes', async () => {
  const server = createServer((req, res) => {
    readBody(req, 1024 * 1024, 200).then(
      (body) => res.end(`got ${body.length}`),
      (e: unknown) => {
        const code = e instanceof ApiError ? e.code : 500;
        res.writeHead(code).end(e instanceof ApiError ? e.reason : String(e));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const answer = await new Promise<{ status: number; text: string; closed: Promise<void> }>(
      (resolve, reject) => {
        const req = request(
          { port, method: 'POST', path: '/', headers: { 'Content-Length': '1000' } },
          (res) => {
            let text = '';
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                text,
                closed: new Promise((c) =>
                  req.socket?.destroyed ? c() : req.socket?.once('close', () => c()),
                ),
              }),
            );
          },
        );
        req.on('error', reject);
        // 10 of the 1,000 bytes promised, then nothing.
        req.write('x'.repeat(10));
      },
    );
    assert.equal(answer.status, 504);
    assert.equal(answer.text, 'Timeout');
    await answer.closed;

    // A body that arrives in time is read whole.
    const ok = await new Promise<string>((resolve, reject) => {
      const req = request({ port, method: 'POST', path: '/' }, (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end('y'.repeat(5000));
    });
    assert.equal(ok, 'got 5000');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
