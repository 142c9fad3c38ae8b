// kubectl port-forward against podrun with the real kubectl: the WebSocket tunnel (the default) and direct SPDY
// (KUBECTL_PORT_FORWARD_WEBSOCKETS=false), several ports and connections at once, a 20 MB download intact,
// the pod/, svc/ and deploy/ forms, and a closed port failing as on a cluster. The pod's server listens on its
// own 127.0.0.1 only, which nothing outside the pod's network namespace can reach: every answer proves the
// connection was made inside it. All traffic stays on this machine's loopback and in the pod's namespace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { KUBECTL, StreamingKubectl } from './support/kubectl.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll } from './support/watch.js';

const MARK = `# ${marker('e2e-portforward-test')}`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);

const BIG_LINES = 20_000;
/** What GET /big answers: 20 MB of 1000 x's per line. */
const BIG_SHA = createHash('sha256')
  .update(Buffer.from(`${'x'.repeat(1000)}\n`.repeat(BIG_LINES)))
  .digest('hex');

const SERVER = `${MARK}
import hashlib, http.server, signal, sys, threading
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
def handler(port):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (b"x" * 1000 + b"\\n") * ${BIG_LINES} if self.path == "/big" else ("%d %s\\n" % (port, self.path)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_POST(self):
            # Reads the upload in small pieces, slower than it arrives, and answers its sha256.
            left, h = int(self.headers["Content-Length"]), hashlib.sha256()
            while left > 0:
                chunk = self.rfile.read(min(left, 4096))
                h.update(chunk)
                left -= len(chunk)
            body = (h.hexdigest() + "\\n").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            pass
    return H
for p in (8080, 8081):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", p), handler(p))
    threading.Thread(target=s.serve_forever, daemon=True).start()
signal.pause()
`;

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: python:3.12-slim
          command: [python3, -c, ${JSON.stringify(SERVER)}]
          ports: [{name: http, containerPort: 8080}, {name: alt, containerPort: 8081}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

/** GET over loopback; resolves with the body's sha256 for /big, else its text. */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 30_000 }, (res) => {
      const hash = createHash('sha256');
      let text = '';
      res.on('data', (c: Buffer) => {
        if (path === '/big') hash.update(c);
        else text += c.toString();
      });
      res.on('end', () => resolve(path === '/big' ? hash.digest('hex') : text));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** POSTs `body` over loopback; resolves with the response text. */
function post(port: number, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/upload',
        method: 'POST',
        agent: false,
        timeout: 60_000,
        headers: { 'Content-Length': body.length },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST 127.0.0.1:${port}/upload timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface Forward {
  kubectl: StreamingKubectl;
  /** Local ports, in the order of the remote ports given. */
  ports: number[];
}

/** `kubectl port-forward <target> 0:<port>…`, waiting for its `Forwarding from 127.0.0.1:N -> port` lines. */
async function portForward(
  target: string,
  remote: number[],
  env: Record<string, string> = {},
  /** What kubectl shows as the pod's port: the Service's targetPort for svc/. */
  podPorts = remote,
): Promise<Forward> {
  const serve = cluster.serve;
  const args = [
    `--cache-dir=${cluster.kubectl.cacheDir}`,
    'port-forward',
    '-v=4',
    target,
    ...remote.map((p) => `0:${p}`),
  ];
  const kubectl = new StreamingKubectl(
    spawn(KUBECTL, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: serve.kubeconfig, NO_COLOR: '1', ...env },
    }),
  );
  const ports = await poll(
    () => {
      if (kubectl.child.exitCode !== null) throw new Error(`kubectl port-forward exited:\n${kubectl.stderr}`);
      const found = podPorts.map((p) =>
        new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${p}\\n`).exec(kubectl.stdout),
      );
      return found.every((m) => m) ? found.map((m) => Number(m![1])) : undefined;
    },
    `kubectl port-forward ${target} to listen`,
    30_000,
    50,
  ).catch((e: unknown) => {
    kubectl.kill();
    throw e;
  });
  return { kubectl, ports };
}

async function stop(f: Forward): Promise<void> {
  f.kubectl.kill();
  await f.kubectl.exited;
}

describe('kubectl port-forward', { skip: E2E_SKIP }, () => {
  let pod = '';

  before(async () => {
    if (E2E_SKIP) return;
    await cluster.kubectl.apply(MANIFEST);
    const ready = await poll(
      async () => {
        const list = await cluster.kubectl.json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=web']);
        const p = list.items.find((i) =>
          i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return p?.metadata?.name;
      },
      'the web pod to be Ready',
      60_000,
    );
    pod = ready;
  });

  test('over the WebSocket tunnel: two ports, eight connections at once, 20 MB up and down intact', async () => {
    const f = await portForward(`pod/${pod}`, [8080, 8081]);
    try {
      const [a, b] = f.ports as [number, number];
      assert.equal(await get(a, '/one'), '8080 /one\n');
      assert.equal(await get(b, '/two'), '8081 /two\n');
      const many = await Promise.all(Array.from({ length: 8 }, (_, i) => get(i % 2 === 0 ? a : b, `/c${i}`)));
      assert.deepEqual(
        many,
        Array.from({ length: 8 }, (_, i) => `${i % 2 === 0 ? 8080 : 8081} /c${i}\n`),
      );
      // 20 MB up, read by the pod slower than it comes (the connection holds the client back), intact.
      const upload = Buffer.alloc(20 * 1024 * 1024, 'pod-bound ');
      assert.equal(await post(a, upload), `${createHash('sha256').update(upload).digest('hex')}\n`);
      const [big1, big2] = await Promise.all([get(a, '/big'), get(b, '/big')]);
      assert.equal(big1, BIG_SHA);
      assert.equal(big2, BIG_SHA);
      // No fallback to direct SPDY: the tunnel was accepted with its subprotocol.
      assert.match(f.kubectl.stderr, /negotiated protocol: portforward\.k8s\.io/);
      assert.doesNotMatch(f.kubectl.stderr, /fallback/i);
    } finally {
      await stop(f);
    }
  });

  test('direct SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false): connections at once, 20 MB down and 5 MB up intact', async () => {
    const f = await portForward(`pod/${pod}`, [8080], { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    try {
      const [a] = f.ports as [number];
      const many = await Promise.all(Array.from({ length: 4 }, (_, i) => get(a, `/s${i}`)));
      assert.deepEqual(
        many,
        Array.from({ length: 4 }, (_, i) => `8080 /s${i}\n`),
      );
      assert.equal(await get(a, '/big'), BIG_SHA);
      const upload = Buffer.alloc(5 * 1024 * 1024, 'direct ');
      assert.equal(await post(a, upload), `${createHash('sha256').update(upload).digest('hex')}\n`);
      assert.doesNotMatch(f.kubectl.stderr, /negotiated protocol/);
    } finally {
      await stop(f);
    }
  });

  test('svc/ maps the Service port to its targetPort, deploy/ picks the Deployment pod', async () => {
    const svc = await portForward('svc/web', [80], {}, [8080]);
    try {
      assert.match(svc.kubectl.stdout, /-> 8080\n/);
      assert.equal(await get(svc.ports[0]!, '/svc'), '8080 /svc\n');
    } finally {
      await stop(svc);
    }
    const deploy = await portForward('deploy/web', [8081]);
    try {
      assert.equal(await get(deploy.ports[0]!, '/deploy'), '8081 /deploy\n');
    } finally {
      await stop(deploy);
    }
  });

  test('a port nothing listens on: the connection gets no reply and kubectl ends "lost connection to pod"', async () => {
    const f = await portForward(`pod/${pod}`, [9090]);
    await assert.rejects(get(f.ports[0]!, '/closed'), /socket hang up|ECONNRESET/);
    const exit = await f.kubectl.exited;
    assert.equal(exit.code, 1, f.kubectl.stderr);
    assert.match(
      f.kubectl.stderr,
      /an error occurred forwarding \d+ -> 9090: error forwarding port 9090 to pod [0-9a-f]+, uid : failed to connect to localhost:9090 inside namespace \\"[0-9a-f]+\\", IPv4: dial tcp4 127\.0\.0\.1:9090: connect: connection refused/,
    );
    assert.match(f.kubectl.stderr, /error: lost connection to pod/);
  });
});

describe('kubectl debug with an ephemeral container', { skip: E2E_SKIP }, () => {
  test('--target shares the target process namespace and the pod network; its logs come with -c; it is never restarted', async () => {
    const k = cluster.kubectl;
    const list = await k.json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=web']);
    const pod = list.items[0]?.metadata?.name;
    assert.ok(pod, 'the web pod from the port-forward tests');
    // PID 1 of the target's namespace is its python server; its listener on 127.0.0.1:8080 (state 0A, LISTEN)
    // is in the debug container's network.
    const script = `${MARK}
tr '\\0' ' ' < /proc/1/cmdline | head -c 40; echo
grep -c ' 0100007F:1F90 00000000:0000 0A ' /proc/net/tcp
uname -n`;
    const out = await k.ok([
      'debug',
      `pod/${pod}`,
      '--image=busybox',
      '--target=web',
      '-c',
      'dbg',
      '--',
      'sh',
      '-c',
      script,
    ]);
    assert.match(out, /^Targeting container "web"\./);
    const done = await poll(
      async () => {
        const p = await k.json<Pod>(['get', 'pod', pod]);
        const s = p.status?.ephemeralContainerStatuses?.find((c) => c.name === 'dbg');
        return s?.state?.terminated ? { pod: p, status: s } : undefined;
      },
      'the debug container to finish',
      30_000,
    );
    assert.equal(done.status.state?.terminated?.exitCode, 0);
    assert.equal(done.status.ready, false);
    assert.equal(done.status.restartCount, 0);
    assert.deepEqual(
      done.pod.spec?.ephemeralContainers?.map((c) => [c.name, c.targetContainerName]),
      [['dbg', 'web']],
    );
    const logs = await k.ok(['logs', pod, '-c', 'dbg']);
    assert.equal(logs, `python3 -c # ${marker('e2e-portforward-test')}`.slice(0, 40) + `\n1\n${pod}\n`);

    // A later sync does not start it again: still the one run, terminated.
    await new Promise((r) => setTimeout(r, 2000));
    const p = await k.json<Pod>(['get', 'pod', pod]);
    const s = p.status?.ephemeralContainerStatuses?.find((c) => c.name === 'dbg');
    assert.equal(s?.restartCount, 0);
    assert.ok(s?.state?.terminated);
  });
});
