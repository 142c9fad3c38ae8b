// The headers of an httpGet probe come from the pod spec: every name is sent as Go's http.Header sends it
// (case-insensitive, repeated names keep every value), including names such as `__proto__` or
// `constructor` that are members of a plain object's prototype (issue 12).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { doHttpGet, httpTargetFor } from '../../../src/kubelet/prober/net-probes.js';
import { systemClock } from '../../../src/util/clock.js';

let server: Server;
let port = 0;
let received: IncomingMessage['rawHeaders'] = [];
before(async () => {
  server = createServer((req, res) => {
    received = req.rawHeaders;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.close();
});

test('every header of the spec is sent, whatever its name', async () => {
  const target = httpTargetFor(
    {
      port,
      path: '/healthz',
      httpHeaders: [
        { name: '__proto__', value: 'p' },
        { name: 'constructor', value: 'c' },
        { name: 'X-Twice', value: 'one' },
        { name: 'x-twice', value: 'two' },
      ],
    },
    undefined,
    '127.0.0.1',
    'probe',
  );
  const { outcome } = await doHttpGet(target, 5000, systemClock);
  assert.equal(outcome.result, 'success', JSON.stringify(outcome));
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < received.length; i += 2) pairs.push([received[i]!.toLowerCase(), received[i + 1]!]);
  const values = (name: string) => pairs.filter(([n]) => n === name).map(([, v]) => v);
  assert.deepEqual(values('__proto__'), ['p']);
  assert.deepEqual(values('constructor'), ['c']);
  assert.deepEqual(values('x-twice'), ['one', 'two']);
  assert.deepEqual(values('user-agent'), ['kube-probe/1.32']);
});
