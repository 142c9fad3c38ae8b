// Services and cluster DNS end to end, with real kubectl, real pods and the resolvers real programs use:
// every name form resolves inside a pod (glibc's getent, busybox's nslookup, dig), traffic to a ClusterIP
// spreads over the ready endpoints and leaves one that turns unready, a Service without endpoints is refused
// (not left to time out), and the machine itself reaches ClusterIPs as a node does.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod, Service } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll } from './support/watch.js';

const MARK = `: ${marker('e2e-services-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

/** An HTTP server that answers its pod's name; GET /unready makes its readinessProbe fail from then on. */
const ECHO_SERVER = `
import http.server, os, signal, sys
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
state = {"ready": True}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/unready":
            state["ready"] = False
        code = 503 if self.path == "/ready" and not state["ready"] else 200
        body = (os.environ["POD_NAME"] + "\\n").encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
`;

const indent = (text: string, n: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

const STACK = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: echo
          image: python:3.12-slim
          env:
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: MARK
              value: "${MARK}"
          command:
            - python3
            - -c
            - |
${indent(ECHO_SERVER, 14)}
          ports: [{name: http, containerPort: 8080}]
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodSeconds: 1
            failureThreshold: 1
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-hl}
spec:
  clusterIP: None
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: echo.default.svc.cluster.local
---
apiVersion: v1
kind: Service
metadata: {name: noep}
spec:
  selector: {app: nothing-matches}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  labels: {app: db}
spec:
  hostname: db-0
  subdomain: db
  terminationGracePeriodSeconds: 1
  containers:
    - name: idle
      image: busybox
      command: [sh, -c, '${MARK} trap "exit 0" TERM; while :; do sleep 1; done']
`;

/** Runs in a pod: one `RESULT <key> <value>` line per check, read back from its log. */
const CHECKS = `${MARK}
r() { printf 'RESULT %s %s\\n' "$1" "$(echo $2)"; }
for n in echo echo.default echo.default.svc echo.default.svc.cluster.local; do
  r "a:$n" "$(getent ahostsv4 $n | awk '{print $1}' | sort -u)"
done
r headless "$(getent ahostsv4 echo-hl | awk '{print $1}' | sort -u)"
r hostname "$(getent hosts db-0.db.default.svc.cluster.local | awk '{print $1}')"
r ext "$(getent ahostsv4 ext | awk '{print $1}' | sort -u)"
r pod "$(getent ahostsv4 $(echo $POD_IP | tr . -).default.pod.cluster.local | awk '{print $1}' | sort -u)"
r busybox "$(busybox nslookup echo.default.svc.cluster.local 2>&1 | awk '/^Address/ {a=$NF} END {print a}')"
r srv "$(dig +short SRV _http._tcp.echo.default.svc.cluster.local)"
r ptr "$(dig +short -x $ECHO_SERVICE_HOST)"
r missing "$(getent hosts no-such-service >/dev/null; echo rc=$?)"
r noep "$(nc -zv -w 5 noep 80 2>&1)"
r spread "$(python3 -c '
import urllib.request
print(" ".join(sorted({urllib.request.urlopen("http://echo/", timeout=5).read().decode().strip() for _ in range(40)})))
')"
r resolv "$(grep -v '^#' /etc/resolv.conf | tr '\\n' '|')"
r env "$ECHO_SERVICE_HOST:$ECHO_SERVICE_PORT $ECHO_PORT"
`;

const checkPod = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
    - name: check
      image: busybox
      env:
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
      command:
        - sh
        - -c
        - |
${indent(CHECKS, 10)}
`;

function results(log: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of log.split('\n')) {
    const m = /^RESULT (\S+) ?(.*)$/.exec(line);
    if (m) out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

/** GET from this machine (the host network namespace), as a node's processes reach Services. */
function get(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('Services and cluster DNS', { skip: E2E_SKIP }, () => {
  let echoIP = '';
  let pods: Pod[] = [];

  test('the stack comes up: ClusterIPs allocated, endpoints ready', { timeout: 90_000 }, async () => {
    await k().apply(STACK);
    await poll(
      async () => {
        const list = await k().json<{ items: Pod[] }>(['get', 'pods', '-l', 'app=echo']);
        const ready = list.items.filter((p) =>
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        pods = list.items;
        return ready.length === 2 ? true : undefined;
      },
      'both echo pods Ready',
      60_000,
    );
    const svc = await k().json<Service>(['get', 'svc', 'echo']);
    echoIP = svc.spec?.clusterIP ?? '';
    assert.match(echoIP, /^10\.(9[6-9]|1[01][0-9])\./, 'a ClusterIP from 10.96.0.0/12');
    const hl = await k().json<Service>(['get', 'svc', 'echo-hl']);
    assert.equal(hl.spec?.clusterIP, 'None');
    const wide = await k().ok(['get', 'svc', 'echo', 'noep', 'ext']);
    assert.match(
      wide,
      new RegExp(`echo\\s+ClusterIP\\s+${echoIP.replaceAll('.', '\\.')}\\s+<none>\\s+80/TCP`),
    );
    assert.match(wide, /ext\s+ExternalName\s+<none>\s+echo\.default\.svc\.cluster\.local/);
    const slices = await k().ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo']);
    assert.match(slices, /IPv4\s+8080\s+10\.244\./);
  });

  test('in a pod, every name form resolves, traffic spreads, and a Service without endpoints is refused', {
    timeout: 90_000,
  }, async () => {
    await k().apply(checkPod('dns-check'));
    await poll(
      async () => {
        const p = await k().json<Pod>(['get', 'pod', 'dns-check']);
        return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? true : undefined;
      },
      'the check pod to finish',
      60_000,
    );
    const log = await k().ok(['logs', 'dns-check']);
    const r = results(log);
    const podIPs = pods.map((p) => p.status?.podIP ?? '').sort();
    for (const n of ['echo', 'echo.default', 'echo.default.svc', 'echo.default.svc.cluster.local'])
      assert.equal(r.get(`a:${n}`), echoIP, `${n} → the ClusterIP\n${log}`);
    assert.equal(r.get('headless'), podIPs.join(' '), `headless → the ready pod IPs\n${log}`);
    const db = await k().json<Pod>(['get', 'pod', 'db-0']);
    assert.equal(r.get('hostname'), db.status?.podIP, `hostname.subdomain → the pod\n${log}`);
    assert.equal(r.get('ext'), echoIP, `ExternalName → CNAME → the ClusterIP\n${log}`);
    const self = await k().json<Pod>(['get', 'pod', 'dns-check']);
    assert.equal(r.get('pod'), self.status?.podIP, `a-b-c-d.ns.pod → the pod's IP\n${log}`);
    assert.equal(r.get('busybox'), echoIP, `busybox nslookup\n${log}`);
    assert.match(r.get('srv') ?? '', /^0 100 80 echo\.default\.svc\.cluster\.local\.$/, `SRV\n${log}`);
    assert.equal(r.get('ptr'), 'echo.default.svc.cluster.local.', `PTR\n${log}`);
    assert.equal(r.get('missing'), 'rc=2', `an unknown name fails\n${log}`);
    assert.match(r.get('noep') ?? '', /Connection refused/, `no endpoints → refused\n${log}`);
    assert.equal(
      r.get('spread'),
      pods
        .map((p) => p.metadata?.name)
        .sort()
        .join(' '),
      `both endpoints answer\n${log}`,
    );
    assert.match(
      r.get('resolv') ?? '',
      /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local.*\|nameserver 10\.96\.0\.10\|options ndots:5\|/,
      `resolv.conf\n${log}`,
    );
    assert.equal(r.get('env'), `${echoIP}:80 tcp://${echoIP}:80`, `service env vars\n${log}`);
  });

  test('the machine reaches a ClusterIP; an endpoint that turns unready gets no more connections', {
    timeout: 90_000,
  }, async () => {
    const names = pods.map((p) => p.metadata?.name ?? '').sort();
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(await get(echoIP, 80));
    assert.deepEqual([...seen].sort(), names);

    const [leaving, staying] = pods;
    assert.ok(leaving && staying);
    await get(leaving.status?.podIP ?? '', 8080, '/unready');
    await poll(
      async () => {
        const s = await k().json<{
          items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[];
        }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo', '-o', 'json']);
        const ep = s.items
          .flatMap((x) => x.endpoints ?? [])
          .find((e) => e.addresses[0] === leaving.status?.podIP);
        return ep?.conditions?.ready === false ? true : undefined;
      },
      'the unready endpoint marked ready: false',
      30_000,
    );
    // The rules follow the slice at once, but give the proxy's write a moment: poll until only one answers.
    await poll(
      async () => {
        const after = new Set<string>();
        for (let i = 0; i < 20; i++) after.add(await get(echoIP, 80));
        return after.size === 1 && after.has(staying.metadata?.name ?? '') ? true : undefined;
      },
      'only the ready endpoint to answer',
      20_000,
    );
  });
});
