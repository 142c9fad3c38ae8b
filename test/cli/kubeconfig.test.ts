// Kubeconfigs as kubectl reads them: $KUBECONFIG merging (first file to name an entry or set current-context
// wins), contexts and their namespaces, relative paths, and every way of authenticating a request (token,
// tokenFile, client certificate as data or files, exec plugins v1 and v1beta1 with their expiry, CA data or
// file, insecure-skip-tls-verify, proxy-url), checked against a fake API server that records what it got.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { issueClientCertificate } from '../../src/apiserver/http/client-certs.js';
import { ensureServingCredentials, type ServingCredentials } from '../../src/apiserver/http/tls.js';
import { kubeClient } from '../../src/cli/client/kube.js';
import { kubeconfigTransport, readBody } from '../../src/cli/client/transport.js';
import { kubeconfigFiles, loadKubeconfig, resolveContext } from '../../src/cli/kubeconfig/load.js';
import { type FakeApiServer, json, startFakeApiServer } from '../support/fake-apiserver.js';

let dir: string;
let creds: ServingCredentials;
let fake: FakeApiServer;
const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podrun-kubeconfig-'));
  creds = await ensureServingCredentials(join(dir, 'state'), '127.0.0.1');
  fake = await startFakeApiServer(creds, [json('GET', '/version', { gitVersion: 'v1.31.2' })]);
});
after(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, config: object): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, stringify(config));
  return p;
}

function single(user: object, cluster: object = {}, namespace?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'c', cluster: { server: fake.url, 'certificate-authority-data': b64(creds.ca), ...cluster } },
    ],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'ctx',
  };
}

/** GET /version through the kubeconfig; returns what the fake server saw of it. */
async function version(file: string, context?: string) {
  const t = await kubeconfigTransport({ kubeconfig: file, ...(context ? { context } : {}) });
  const res = await t.send('GET', '/version');
  const body = await readBody(res);
  assert.equal(res.statusCode, 200, body);
  return fake.seen.at(-1)!;
}

describe('KUBECONFIG merging', () => {
  test('the first file to name a cluster, user or context, or to set current-context, wins; missing files are skipped', async () => {
    const a = await writeConfig('a.yaml', {
      clusters: [{ name: 'shared', cluster: { server: 'https://a.example:6443' } }],
      users: [{ name: 'me', user: { token: 'from-a' } }],
      contexts: [{ name: 'dev', context: { cluster: 'shared', user: 'me', namespace: 'team-a' } }],
    });
    const b = await writeConfig('b.yaml', {
      clusters: [
        { name: 'shared', cluster: { server: 'https://b.example:6443' } },
        { name: 'only-b', cluster: { server: 'https://only-b.example' } },
      ],
      users: [{ name: 'me', user: { token: 'from-b' } }],
      contexts: [{ name: 'prod', context: { cluster: 'only-b', user: 'me' } }],
      'current-context': 'prod',
    });
    const c = await writeConfig('c.yaml', { 'current-context': 'dev' });
    const files = kubeconfigFiles(undefined, {
      KUBECONFIG: [join(dir, 'missing.yaml'), a, b, c, a].join(delimiter),
    });
    assert.deepEqual(files, [a, b, c]);
    const merged = loadKubeconfig(files);
    assert.equal(merged.currentContext, 'prod');
    const prod = resolveContext(merged, undefined);
    assert.equal(prod.cluster.value.server, 'https://only-b.example');
    assert.equal(prod.user.value.token, 'from-a');
    assert.equal(prod.namespace, 'default');
    const dev = resolveContext(merged, 'dev');
    assert.equal(dev.cluster.value.server, 'https://a.example:6443');
    assert.equal(dev.namespace, 'team-a');
    assert.throws(() => resolveContext(merged, 'nope'), /context "nope" does not exist \(read .*a\.yaml/);
  });

  test('--kubeconfig reads that file alone, and must exist; without either, ~/.kube/config', async () => {
    const a = join(dir, 'a.yaml');
    assert.deepEqual(kubeconfigFiles(a, { KUBECONFIG: join(dir, 'b.yaml') }), [a]);
    assert.throws(
      () => kubeconfigFiles(join(dir, 'nope.yaml'), {}),
      /--kubeconfig .*nope\.yaml: no such file/,
    );
    assert.deepEqual(kubeconfigFiles(undefined, { HOME: join(dir, 'no-home') }), []);
    assert.throws(
      () => resolveContext(loadKubeconfig([]), undefined),
      /no context chosen.*no kubeconfig file was found/,
    );
  });
});

describe('authentication', () => {
  test('a bearer token, and a context’s namespace', async () => {
    const file = await writeConfig('token.yaml', single({ token: 'secret-1' }, {}, 'shop'));
    const t = await kubeconfigTransport({ kubeconfig: file });
    assert.equal(t.namespace, 'shop');
    assert.equal(kubeClient(t).namespace, 'shop');
    const seen = await version(file);
    assert.equal(seen.headers.authorization, 'Bearer secret-1');
  });

  test('a tokenFile, relative to the kubeconfig, read again when it changes', async () => {
    await writeFile(join(dir, 'tok'), 'first\n');
    const file = await writeConfig('tokenfile.yaml', single({ tokenFile: 'tok' }));
    const t = await kubeconfigTransport({ kubeconfig: file });
    await readBody(await t.send('GET', '/version'));
    assert.equal(fake.seen.at(-1)!.headers.authorization, 'Bearer first');
    await writeFile(join(dir, 'tok'), 'rotated\n');
    await readBody(await t.send('GET', '/version'));
    assert.equal(fake.seen.at(-1)!.headers.authorization, 'Bearer rotated');
  });

  test('a client certificate, as data and as files, and a CA file', async () => {
    const { cert, key } = await issueClientCertificate(join(dir, 'state'), 'alice', ['devs']);
    const data = await writeConfig(
      'cert-data.yaml',
      single({ 'client-certificate-data': b64(cert), 'client-key-data': b64(key) }),
    );
    const seenData = await version(data);
    assert.equal(seenData.certUser, 'alice');
    assert.equal(seenData.headers.authorization, undefined);
    await writeFile(join(dir, 'alice.crt'), cert);
    await writeFile(join(dir, 'alice.key'), key);
    await writeFile(join(dir, 'ca.crt'), creds.ca);
    const files = await writeConfig('cert-files.yaml', {
      ...single({ 'client-certificate': 'alice.crt', 'client-key': join(dir, 'alice.key') }),
      clusters: [{ name: 'c', cluster: { server: fake.url, 'certificate-authority': 'ca.crt' } }],
    });
    assert.equal((await version(files)).certUser, 'alice');
    const half = await writeConfig('cert-half.yaml', single({ 'client-certificate-data': b64(cert) }));
    await assert.rejects(kubeconfigTransport({ kubeconfig: half }), /needs its key/);
  });

  test('without the CA the server is refused; insecure-skip-tls-verify accepts it, but not together with a CA', async () => {
    const noCa = await writeConfig('noca.yaml', {
      ...single({ token: 't' }),
      clusters: [{ name: 'c', cluster: { server: fake.url } }],
    });
    const t = await kubeconfigTransport({ kubeconfig: noCa });
    await assert.rejects(
      t.send('GET', '/version'),
      /could not reach the API server .*self[- ]signed|unable to verify|certificate/,
    );
    const insecure = await writeConfig('insecure.yaml', {
      ...single({ token: 't' }),
      clusters: [{ name: 'c', cluster: { server: fake.url, 'insecure-skip-tls-verify': true } }],
    });
    assert.equal((await version(insecure)).headers.authorization, 'Bearer t');
    const both = await writeConfig('both.yaml', single({ token: 't' }, { 'insecure-skip-tls-verify': true }));
    await assert.rejects(
      kubeconfigTransport({ kubeconfig: both }),
      /root certificates file with the insecure flag/,
    );
  });

  test('an exec plugin (v1): KUBERNETES_EXEC_INFO in, a token out, kept until it expires, run again on a 401', async () => {
    const plugin = join(dir, 'plugin.sh');
    const runs = join(dir, 'plugin-runs');
    await writeFile(runs, '');
    // Each run appends a line; the token names the run. The first credential expires in the past.
    await writeFile(
      plugin,
      `#!/bin/sh
echo "$KUBERNETES_EXEC_INFO $PLUGIN_ENV $1" >> ${runs}
n=$(wc -l < ${runs} | tr -d ' ')
if [ "$n" = 1 ]; then exp=2000-01-01T00:00:00Z; else exp=2999-01-01T00:00:00Z; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"run-%s","expirationTimestamp":"%s"}}' "$n" "$exp"
`,
    );
    await chmod(plugin, 0o755);
    const file = await writeConfig(
      'exec.yaml',
      single({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: './plugin.sh',
          args: ['--cluster=c'],
          env: [{ name: 'PLUGIN_ENV', value: 'from-kubeconfig' }],
          provideClusterInfo: true,
          interactiveMode: 'Never',
        },
      }),
    );
    const t = await kubeconfigTransport({ kubeconfig: file });
    const token = async () => {
      await readBody(await t.send('GET', '/version'));
      return fake.seen.at(-1)!.headers.authorization;
    };
    assert.equal(await token(), 'Bearer run-1');
    assert.equal(await token(), 'Bearer run-2', 'an expired credential is not used again');
    assert.equal(await token(), 'Bearer run-2', 'a valid one is kept');
    const lines = (await readFile(runs, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
    const info = JSON.parse(lines[0]!.split(' from-kubeconfig')[0]!) as {
      kind: string;
      spec: { interactive: boolean; cluster?: { server: string } };
    };
    assert.equal(info.kind, 'ExecCredential');
    assert.equal(info.spec.interactive, false);
    assert.equal(info.spec.cluster?.server, fake.url);
    assert.match(lines[0]!, / from-kubeconfig --cluster=c$/);
    // The server stops taking run-2: the plugin runs again and the request is retried once.
    fake.routes.unshift((req, res) => {
      if (req.headers.authorization !== 'Bearer run-2') return false;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"kind":"Status","code":401,"reason":"Unauthorized","message":"Unauthorized"}');
      return true;
    });
    try {
      assert.equal(await token(), 'Bearer run-3');
    } finally {
      fake.routes.shift();
    }
  });

  test('an exec plugin (v1beta1) giving a client certificate; a failing or missing plugin is explained', async () => {
    const { cert, key } = await issueClientCertificate(join(dir, 'state'), 'ci-bot', []);
    const plugin = join(dir, 'cert-plugin.sh');
    await writeFile(
      plugin,
      `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        kind: 'ExecCredential',
        status: { clientCertificateData: cert, clientKeyData: key },
      })}\nEOF\n`,
    );
    await chmod(plugin, 0o755);
    const exec = (command: string, extra: object = {}) =>
      single({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command, ...extra } });
    const file = await writeConfig('exec-cert.yaml', exec(plugin));
    assert.equal((await version(file)).certUser, 'ci-bot');
    const missing = await writeConfig(
      'exec-missing.yaml',
      exec('/nonexistent/gke-gcloud-auth-plugin', { installHint: 'Install gke-gcloud-auth-plugin.' }),
    );
    const t = await kubeconfigTransport({ kubeconfig: missing });
    await assert.rejects(
      t.send('GET', '/version'),
      /could not run "\/nonexistent\/gke-gcloud-auth-plugin".*\nInstall gke-gcloud-auth-plugin\./s,
    );
    const failing = await writeConfig(
      'exec-fail.yaml',
      exec('/bin/sh', { args: ['-c', 'echo token expired >&2; exit 3'] }),
    );
    const f = await kubeconfigTransport({ kubeconfig: failing });
    await assert.rejects(f.send('GET', '/version'), /exited with status 3: token expired/);
  });
});

describe('proxy-url', () => {
  let proxy: Server;
  const tunnels: string[] = [];
  const open = new Set<{ destroy(): void }>();
  before(async () => {
    proxy = createHttpServer();
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      open.add(socket);
      const upstream = netConnect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      open.add(upstream);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        proxy.close(() => resolve());
      }),
  );

  test('requests go through the HTTP proxy’s CONNECT tunnel; socks5 is refused with a reason', async () => {
    const port = (proxy.address() as AddressInfo).port;
    const file = await writeConfig(
      'proxy.yaml',
      single({ token: 'via-proxy' }, { 'proxy-url': `http://127.0.0.1:${port}` }),
    );
    assert.equal((await version(file)).headers.authorization, 'Bearer via-proxy');
    assert.deepEqual(tunnels, [new URL(fake.url).host]);
    const socks = await writeConfig(
      'socks.yaml',
      single({ token: 't' }, { 'proxy-url': 'socks5://127.0.0.1:1080' }),
    );
    await assert.rejects(
      kubeconfigTransport({ kubeconfig: socks }),
      /http:\/\/ and https:\/\/ proxies only \(socks5 is not supported\)/,
    );
  });
});
