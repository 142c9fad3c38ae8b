// podrun's commands reading what a real multi-node cluster returns (test/fixtures/cluster: pods on three
// nodes, a real kubelet's events for an init container in CrashLoopBackOff), replayed by a fake API server
// reached through a kubeconfig: `get -o wide` shows each pod's node, `timeline` reads the kubelet's and the
// scheduler's events, and `up --wait --junit` applies with server-side apply, explains the failing init step
// from the API alone, and deletes only what it applied.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ensureServingCredentials } from '../../src/apiserver/http/tls.js';
import { runPodrun } from '../e2e/support/serve.js';
import { type FakeApiServer, startFakeApiServer } from '../support/fake-apiserver.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cluster');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');

let dir: string;
let fake: FakeApiServer;
let kubeconfig: string;
const watches = new Set<ServerResponse>();

const send = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
  return true;
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podrun-replay-'));
  const creds = await ensureServingCredentials(join(dir, 'state'), '127.0.0.1');
  const pods = await fixture('pods-ci.json');
  const pod = await fixture('pod-fails-init.json');
  const events = await fixture('events-fails-init.json');
  const log = await fixture('log-fails-init-migrate.txt');
  const POD = '/api/v1/namespaces/ci/pods/fails-init';
  fake = await startFakeApiServer(creds, [
    (req, res) => {
      const p = req.url.pathname;
      if (p === '/api/v1/namespaces/ci/pods' && req.method === 'GET') {
        if (req.url.searchParams.get('watch') !== 'true') return send(res, 200, pods);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('');
        watches.add(res);
        res.on('close', () => watches.delete(res));
        return true;
      }
      if (p === POD && (req.method === 'GET' || req.method === 'PATCH')) return send(res, 200, pod);
      if (p === POD && req.method === 'DELETE') {
        for (const w of watches) w.write(`${JSON.stringify({ type: 'DELETED', object: JSON.parse(pod) })}\n`);
        return send(res, 200, pod);
      }
      if (p === `${POD}/log`) return send(res, 200, log, 'text/plain');
      if (p === '/api/v1/namespaces/ci/events') {
        const all = JSON.parse(events) as { items: { type: string }[] };
        if (req.url.searchParams.get('fieldSelector')?.includes('type=Warning'))
          all.items = all.items.filter((e) => e.type === 'Warning');
        return send(res, 200, JSON.stringify(all));
      }
      return false;
    },
  ]);
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'gke',
          cluster: {
            server: fake.url,
            'certificate-authority-data': Buffer.from(creds.ca).toString('base64'),
          },
        },
      ],
      users: [{ name: 'ci', user: { token: 'replayed' } }],
      contexts: [{ name: 'gke-ci', context: { cluster: 'gke', user: 'ci', namespace: 'ci' } }],
      'current-context': 'gke-ci',
    }),
  );
});
after(async () => {
  for (const w of watches) w.destroy();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

const podrun = (args: string[]) => runPodrun([...args, '--kubeconfig', kubeconfig], { timeoutMs: 60_000 });

describe('a real cluster’s responses, replayed', () => {
  test('get pods -o wide: pods on three nodes, the crash-looping init step as kubectl shows it', async () => {
    const r = await podrun(['get', 'pods', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.match(rows[0]!, /^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$/);
    assert.match(r.stdout, /^web-7c9d8f5b6-4xk2p +1\/1 +Running +0 +\S+ +10\.64\.0\.17 +node-a /m);
    assert.match(r.stdout, /^web-7c9d8f5b6-q8zrm +1\/1 +Running +0 +\S+ +10\.64\.1\.23 +node-b /m);
    assert.match(
      r.stdout,
      /^fails-init +0\/1 +Init:CrashLoopBackOff +2 \(\S+ ago\) +\S+ +10\.64\.2\.9 +node-c /m,
    );
    assert.equal(fake.seen.at(-1)!.url.pathname, '/api/v1/namespaces/ci/pods', 'the context’s namespace');
  });

  test('timeline reads the scheduler’s and the kubelet’s events', async () => {
    const r = await podrun(['timeline', 'fails-init', '--width', '100']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /migrate/);
  });

  test('up --wait --junit: server-side apply as podrun, the failing init step explained, only its pod deleted', async () => {
    const manifest = join(dir, 'fails-init.yaml');
    await writeFile(
      manifest,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: fails-init}\nspec:\n  initContainers:\n    - {name: migrate, image: busybox:1.36, command: [sh, -c, exit 3]}\n  containers:\n    - {name: app, image: busybox:1.36, command: [sh, -c, sleep 3600]}\n',
    );
    const junit = join(dir, 'r.xml');
    const from = fake.seen.length;
    const r = await podrun(['up', '--wait', '--timeout', '30s', '--junit', junit, '-f', manifest]);
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stderr, /using context "gke-ci"/);
    assert.match(r.stderr, /fails-init.*migrate/);
    assert.match(r.stderr, /db unreachable: connection refused/);
    assert.match(await readFile(junit, 'utf8'), /<failure/);
    const seen = fake.seen.slice(from);
    const patch = seen.find((s) => s.method === 'PATCH');
    assert.equal(patch?.headers['content-type'], 'application/apply-patch+yaml');
    assert.equal(patch?.url.searchParams.get('fieldManager'), 'podrun');
    assert.equal(patch?.url.searchParams.get('force'), 'true');
    const applied = JSON.parse(patch?.body ?? '{}') as {
      metadata: { namespace: string; labels: Record<string, string> };
    };
    assert.equal(applied.metadata.namespace, 'ci');
    assert.equal(applied.metadata.labels['podrun.dev/project'], 'fails-init');
    assert.deepEqual(
      seen.filter((s) => s.method === 'DELETE').map((s) => s.url.pathname),
      ['/api/v1/namespaces/ci/pods/fails-init'],
    );
    assert.ok(
      !seen.some((s) => s.url.pathname.startsWith('/podrun/')),
      'no podrun-only endpoint asked of a cluster',
    );
  });
});
