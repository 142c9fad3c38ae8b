// The reflector under `podrun up`'s pod watch, against a fake API server scripted as a real one behaves: a
// list, a watch from its resourceVersion with bookmarks that the network drops (resumed from the bookmark's
// resourceVersion), a watch answered with 410 Gone (a new list, its differences told as events), and the
// watch after it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { resourceForKind } from '../../src/api/resources.js';
import { ensureServingCredentials } from '../../src/apiserver/http/tls.js';
import { kubeClient } from '../../src/cli/client/kube.js';
import { type ReflectedEvent, reflect } from '../../src/cli/client/reflector.js';
import { kubeconfigTransport } from '../../src/cli/client/transport.js';
import { type FakeApiServer, startFakeApiServer } from '../support/fake-apiserver.js';

let dir: string;
let fake: FakeApiServer;
let kubeconfig: string;

const pod = (name: string, rv: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: rv },
});
const line = (o: object) => `${JSON.stringify(o)}\n`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podrun-reflector-'));
  const creds = await ensureServingCredentials(join(dir, 'state'), '127.0.0.1');
  let lists = 0;
  fake = await startFakeApiServer(creds, [
    (req, res) => {
      if (req.url.pathname !== '/api/v1/namespaces/default/pods') return false;
      const q = req.url.searchParams;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (q.get('watch') !== 'true') {
        lists++;
        res.end(
          JSON.stringify(
            lists === 1
              ? {
                  kind: 'PodList',
                  metadata: { resourceVersion: '100' },
                  items: [pod('a', '90'), pod('b', '95')],
                }
              : {
                  kind: 'PodList',
                  metadata: { resourceVersion: '300' },
                  items: [pod('a', '250'), pod('c', '280')],
                },
          ),
        );
        return true;
      }
      const rv = q.get('resourceVersion');
      if (rv === '100') {
        res.write(line({ type: 'MODIFIED', object: pod('a', '110') }));
        res.write(
          line({
            type: 'BOOKMARK',
            object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '150' } },
          }),
        );
        // The network drops the watch: the connection ends mid-stream, no clean end of the chunked body.
        setTimeout(() => res.socket?.destroy(), 50);
      } else if (rv === '150') {
        res.end(
          line({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              message: 'too old resource version: 150 (200)',
              reason: 'Expired',
              code: 410,
            },
          }),
        );
      } else {
        res.write(line({ type: 'DELETED', object: pod('c', '310') }));
      }
      return true;
    },
  ]);
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    stringify({
      clusters: [
        {
          name: 'f',
          cluster: {
            server: fake.url,
            'certificate-authority-data': Buffer.from(creds.ca).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'f', context: { cluster: 'f', user: 'u' } }],
      'current-context': 'f',
    }),
  );
});
after(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

test('list, watch with bookmarks, resume after a drop, relist on 410 Gone: every change told once', async () => {
  const client = kubeClient(await kubeconfigTransport({ kubeconfig }));
  const events: string[] = [];
  const notes: string[] = [];
  let done = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const r = reflect(
    client,
    resourceForKind('v1', 'Pod')!,
    'default',
    { retryDelayMs: 10, onNote: (m) => notes.push(m) },
    (e: ReflectedEvent) => {
      events.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
      if (events.length === 7) done();
    },
  );
  await r.synced;
  await all;
  r.stop();
  assert.deepEqual(events, [
    'ADDED a 90',
    'ADDED b 95',
    'MODIFIED a 110',
    'MODIFIED a 250',
    'ADDED c 280',
    'DELETED b 95',
    'DELETED c 310',
  ]);
  const watches = fake.seen.filter((s) => s.url.searchParams.get('watch') === 'true');
  assert.deepEqual(
    watches.map((w) => w.url.searchParams.get('resourceVersion')),
    ['100', '150', '300'],
  );
  assert.ok(watches.every((w) => w.url.searchParams.get('allowWatchBookmarks') === 'true'));
  assert.equal(r.resourceVersion, '310');
  assert.match(notes[0] ?? '', /watch of pods dropped .*resuming from resourceVersion 150/);
  assert.match(notes[1] ?? '', /resourceVersion 150 is too old .*listing again/);
});
