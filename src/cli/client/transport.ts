// The one way the CLI reaches an API server: a kubeconfig context's server, CA (data, file, or none with
// insecure-skip-tls-verify), proxy-url, and credentials (bearer token, tokenFile, client certificate and key
// as data or files, exec credential plugin). Every command's client (kube.ts, http.ts) sends through this.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { type Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { ExecCredentials } from '../kubeconfig/exec.js';
import {
  entryPath,
  KubeconfigError,
  kubeconfigFiles,
  loadKubeconfig,
  type ResolvedContext,
  resolveContext,
} from '../kubeconfig/load.js';
import { ConnectProxyAgent } from '../kubeconfig/proxy.js';

export interface SendOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface Transport {
  /** `https://host:port` of the API server. */
  readonly server: string;
  /** The context's namespace (`default` when it names none): what `-n` overrides. */
  readonly namespace: string;
  /** `context "other" (https://…)`, or the server alone for podrun's own kubeconfig. */
  readonly description: string;
  /** Sends a request; resolves with the response once its headers arrive (its body still to read). */
  send(method: string, path: string, options?: SendOptions): Promise<IncomingMessage>;
}

interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

const b64 = (s: string) => Buffer.from(s, 'base64');

async function staticTls(ctx: ResolvedContext): Promise<TlsMaterial> {
  const c = ctx.cluster.value;
  const u = ctx.user.value;
  const read = (dir: string, p: string, what: string) =>
    readFile(entryPath(dir, p)).catch((err: unknown) => {
      throw new KubeconfigError(`cannot read ${what} ${entryPath(dir, p)}: ${(err as Error).message}`);
    });
  const insecure = !!c['insecure-skip-tls-verify'];
  const hasCa = !!(c['certificate-authority-data'] || c['certificate-authority']);
  if (insecure && hasCa)
    // client-go refuses this pair: a CA given to be ignored is most likely a mistake.
    throw new KubeconfigError(
      `cluster "${ctx.cluster.name}": specifying a root certificates file with the insecure flag is not allowed`,
    );
  const ca = c['certificate-authority-data']
    ? b64(c['certificate-authority-data'])
    : c['certificate-authority']
      ? await read(ctx.cluster.dir, c['certificate-authority'], 'certificate-authority')
      : undefined;
  const cert = u['client-certificate-data']
    ? b64(u['client-certificate-data'])
    : u['client-certificate']
      ? await read(ctx.user.dir, u['client-certificate'], 'client-certificate')
      : undefined;
  const key = u['client-key-data']
    ? b64(u['client-key-data'])
    : u['client-key']
      ? await read(ctx.user.dir, u['client-key'], 'client-key')
      : undefined;
  if (!!cert !== !!key)
    throw new KubeconfigError(
      `user "${ctx.user.name}": a client certificate needs its key and a key its certificate (client-certificate and client-key)`,
    );
  return {
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    rejectUnauthorized: !insecure,
    ...(c['tls-server-name'] ? { servername: c['tls-server-name'] } : {}),
  };
}

/** The transport of a resolved kubeconfig context. */
export async function contextTransport(ctx: ResolvedContext, description?: string): Promise<Transport> {
  const server = ctx.cluster.value.server!.replace(/\/+$/, '');
  const url = new URL(server);
  if (url.protocol !== 'https:')
    throw new KubeconfigError(
      `cluster "${ctx.cluster.name}": server ${server} is not https://; podrun talks to API servers over TLS only`,
    );
  const tls = await staticTls(ctx);
  const u = ctx.user.value;
  if (u['auth-provider'])
    throw new KubeconfigError(
      `user "${ctx.user.name}": auth-provider "${u['auth-provider'].name ?? ''}" was removed from kubectl; use its exec credential plugin instead`,
    );
  const exec = u.exec ? new ExecCredentials(u.exec, ctx.cluster.value, ctx.user.dir) : undefined;
  const proxy = ctx.cluster.value['proxy-url'];
  const agent: Agent | undefined = proxy ? new ConnectProxyAgent(proxy) : undefined;
  const basePath = url.pathname === '/' ? '' : url.pathname;

  const credentials = async (): Promise<{
    authorization?: string;
    cert?: Buffer | string;
    key?: Buffer | string;
  }> => {
    if (exec) {
      const s = await exec.get();
      if (s.token) return { authorization: `Bearer ${s.token}` };
      return { cert: s.clientCertificateData!, key: s.clientKeyData! };
    }
    if (u.token) return { authorization: `Bearer ${u.token}` };
    if (u.tokenFile) {
      // Read at each request, as client-go's cached token source re-reads it: a rotated token is picked up.
      const token = (
        await readFile(entryPath(ctx.user.dir, u.tokenFile), 'utf8').catch((err: unknown) => {
          throw new KubeconfigError(
            `user "${ctx.user.name}": cannot read tokenFile: ${(err as Error).message}`,
          );
        })
      ).trim();
      return { authorization: `Bearer ${token}` };
    }
    if (u.username !== undefined)
      return {
        authorization: `Basic ${Buffer.from(`${u.username}:${u.password ?? ''}`).toString('base64')}`,
      };
    return {};
  };

  const once = async (method: string, path: string, o: SendOptions): Promise<IncomingMessage> => {
    const cred = await credentials();
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const options: RequestOptions = {
      method,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(cred.cert ? { cert: cred.cert, key: cred.key } : tls.cert ? { cert: tls.cert, key: tls.key } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.servername ? { servername: tls.servername } : {}),
      ...(agent ? { agent } : {}),
      headers: {
        ...(cred.authorization ? { authorization: cred.authorization } : {}),
        accept: o.accept ?? 'application/json',
        // Node frames no body of a DELETE by itself (no chunked encoding for it): say its length.
        ...(payload
          ? { 'content-type': o.contentType ?? 'application/json', 'content-length': payload.length }
          : {}),
      },
    };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(new URL(`${basePath}${path}`, server), options, resolve);
      // Aborting ends the request and its response quietly (no AbortError for nobody to catch): watches and
      // followed logs are stopped this way on purpose.
      const abort = () => req.destroy();
      if (o.signal?.aborted) abort();
      o.signal?.addEventListener('abort', abort, { once: true });
      req.on('close', () => o.signal?.removeEventListener('abort', abort));
      req.on('error', (err) =>
        reject(
          o.signal?.aborted
            ? err
            : new Error(`could not reach the API server ${server} (${ctx.name}): ${err.message}`, {
                cause: err,
              }),
        ),
      );
      req.end(payload);
    });
  };

  return {
    server,
    namespace: ctx.namespace,
    description: description ?? `context "${ctx.name}" (${server})`,
    async send(method, path, o = {}) {
      const res = await once(method, path, o);
      // A plugin's credential the server no longer takes: run the plugin again, once (client-go does the same).
      if (res.statusCode === 401 && exec) {
        res.resume();
        exec.invalidate();
        return once(method, path, o);
      }
      return res;
    },
  };
}

export interface KubeconfigChoice {
  kubeconfig?: string;
  context?: string;
}

/** The transport of `--kubeconfig`/`--context` (with $KUBECONFIG and ~/.kube/config as kubectl reads them). */
export async function kubeconfigTransport(choice: KubeconfigChoice, env = process.env): Promise<Transport> {
  const config = loadKubeconfig(kubeconfigFiles(choice.kubeconfig, env));
  return contextTransport(resolveContext(config, choice.context));
}

/** The transport of the kubeconfig a `podrun serve` wrote: its only context. */
export async function podrunTransport(kubeconfigPath: string): Promise<Transport> {
  const ctx = resolveContext(loadKubeconfig([kubeconfigPath]), undefined);
  return contextTransport(ctx, `podrun serve at ${ctx.cluster.value.server}`);
}

/** Reads a response's whole body as text. */
export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      text += c;
    });
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}
