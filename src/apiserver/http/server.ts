// The HTTPS server kubectl talks to: TLS with a CA made on first start, bearer-token authentication, health,
// version, discovery, OpenAPI, and the resource routes. Everything it serves comes from the Registry, so the
// wiring (store, controllers, kubelet) lives outside and is handed in.

import { timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { HPA_V1 } from '../../api/converted-resources.js';
import { isReviewResource } from '../../api/resources-rbac.js';
import type { Pod } from '../../api/types.js';
import { KUBERNETES_GIT_VERSION } from '../../api/version.js';
import type { PodPortDialer } from '../../kubelet/port-forward.js';
import type { ContainerLogSource } from '../../kubelet/types.js';
import type { MetricsSource } from '../../metrics/collector.js';
import type { ContainerManager } from '../../runtime/types.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { runAsUser } from '../authn/context.js';
import { ADMIN_USER, ANONYMOUS_USER, setRequestUser, type UserInfo } from '../authn/user.js';
import { ApiError, badRequest, methodNotSupported, pathNotFound, unauthorized } from '../errors.js';
import {
  type Authorizer,
  answerReview,
  forbiddenError,
  impersonatedUser,
  requestAttributes,
} from '../rbac/index.js';
import type { Registry } from '../registry.js';
import { type ServiceAccountTokens, TokenInvalidError } from '../serviceaccount/tokens.js';
import { handlePortForwardUpgrade } from '../streaming/portforward/upgrade.js';
import { remoteCommandRoute } from '../streaming/remote-command.js';
import { createUpgradeDispatcher, type UpgradeDispatcher } from '../streaming/upgrade.js';
import { readObjectBody } from './body.js';
import { certificateUser } from './client-certs.js';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
  legacyResourceList,
} from './discovery.js';
import { handleHpaV1 } from './hpa-v1.js';
import { isMetricsPath, serveMetrics } from './metrics.js';
import { aggregatedDiscoveryVersion } from './negotiate.js';
import { openApiDocument, openApiRoot } from './openapi.js';
import { decodePathSegments, parseResourcePath } from './paths.js';
import { handleImageEndpoints, type ImageEndpointsOptions, PODRUN_API_PREFIX } from './podrun-images.js';
import { type RequestTarget, requestTarget } from './request-url.js';
import { send, sendError, sendText } from './respond.js';
import { handleResource, type RestContext } from './rest.js';
import { ensureServingCredentials, SERVER_CIPHERS } from './tls.js';
import { handleTokenRequest } from './token-request.js';

export interface ApiServerOptions {
  registry: Registry;
  /** Listen address; 127.0.0.1 unless the user chose otherwise. */
  address: string;
  /** 0 picks a free port. */
  port: number;
  /** Holds pki/ (CA, serving certificate) and the token; created if missing. */
  stateDir: string;
  logs: ContainerLogSource;
  clock?: Clock;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK. @default 60000 */
  bookmarkIntervalMs?: number;
  /** podrun's own image endpoints (/podrun/v1/images, /podrun/v1/pulls); absent: those paths are 404. */
  images?: ImageEndpointsOptions;
  /** pods/exec and pods/attach run here; absent: those subresources are 404. */
  streaming?: Pick<ContainerManager, 'exec' | 'attach'>;
  /**
   * Service-account tokens: the TokenRequest subresource and the authentication of these tokens. Absent:
   * only the kubeconfig's token authenticates and serviceaccounts/<name>/token is 404.
   */
  tokens?: ServiceAccountTokens;
  /**
   * More names and addresses the serving certificate covers (`DNS:kubernetes.default.svc`, `IP:10.96.0.1`),
   * for clients that reach the server through the `kubernetes` Service.
   */
  extraServingNames?: string[];
  /**
   * A second address to serve on, on a port of its own (0: any free one): the pod network's side of the
   * host, where the `kubernetes` Service's endpoints point when the main address is loopback.
   */
  podAddress?: { address: string; port: number };
  /** Where a refused service-account token's reason is written (the client only sees 401). */
  onAuthenticationError?: (message: string) => void;
  /** pods/portforward's way into pods (the node's runtime); absent: port-forward is refused with a Status. */
  portForward?: PodPortDialer;
  /**
   * RBAC (src/apiserver/rbac): every request is authorized, impersonation headers are honoured and the
   * access reviews are served. Absent: every authenticated user may do everything.
   */
  authorizer?: Authorizer;
  /** The readings metrics.k8s.io serves; absent: the group is listed but reports no pod or node. */
  metrics?: MetricsSource;
}

export interface ApiServer {
  /** `https://127.0.0.1:6443` (IPv6 addresses in brackets). */
  url: string;
  port: number;
  caFile: string;
  token: string;
  /** The 'upgrade' routes (exec, attach): port-forward adds its own here. */
  upgrades: UpgradeDispatcher;
  /** The second listener's address and port (podAddress), if any. */
  podEndpoint?: { address: string; port: number };
  /** Why the second listener could not start: the server runs without it (pods do not reach it). */
  podEndpointError?: string;
  /** Watch streams open right now (for diagnostics and tests that wait for a client's watch). */
  activeWatches(): number;
  /** Ends open watches and log streams cleanly, then stops listening. */
  close(): Promise<void>;
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: KUBERNETES_GIT_VERSION,
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** http.DefaultMaxHeaderBytes, the API server's limit on the request line and headers together. */
export const MAX_HEADER_BYTES = 1 << 20;

// /version may be read anonymously (system:public-info-viewer), like the health endpoints.
const PUBLIC_PATHS = new Set(['/livez', '/readyz', '/healthz', '/version']);

function tokenMatches(bearer: string | undefined, token: string): boolean {
  if (bearer === undefined) return false;
  const given = Buffer.from(bearer);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function bearerToken(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

function hostForUrl(address: string): string {
  const host = address === '0.0.0.0' || address === '' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return host.includes(':') ? `[${host}]` : host;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const clock = options.clock ?? systemClock;
  const creds = await ensureServingCredentials(options.stateDir, options.address, [
    ...(options.extraServingNames ?? []),
    ...(options.podAddress ? [options.podAddress.address] : []),
  ]);
  const streams = new Set<ServerResponse>();
  const ctx: RestContext = {
    registry: options.registry,
    logs: options.logs,
    now: () => clock.now(),
    streams,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
  };
  let serverAddress = `${options.address}:${options.port}`;

  // The union of the API server's token authenticators: the kubeconfig's token, then service-account JWTs.
  const authenticate = async (
    auth: string | undefined,
    path: string,
    socket: IncomingMessage['socket'],
  ): Promise<UserInfo> => {
    if (auth === undefined) {
      // The x509 authenticator: a client certificate the CA signed (verified by TLS during the handshake).
      const byCert = certificateUser(socket as TLSSocket);
      if (byCert) return byCert;
      if (PUBLIC_PATHS.has(path)) return ANONYMOUS_USER;
      throw unauthorized();
    }
    // The scheme is case-insensitive, as upstream's bearer-token authenticator reads it (`bearer x` is a token).
    const bearer = bearerToken(auth);
    if (tokenMatches(bearer, creds.token)) return ADMIN_USER;
    if (bearer && options.tokens) {
      try {
        const user = await options.tokens.authenticate(bearer);
        if (user) return user;
      } catch (e) {
        if (!(e instanceof TokenInvalidError)) throw e;
        options.onAuthenticationError?.(`service account token refused: ${e.message}`);
      }
    }
    throw unauthorized();
  };

  /**
   * Upstream's filter chain before a handler: authentication (a wrong token is refused everywhere; no token at
   * all is anonymous, allowed only on the public paths), impersonation and authorization. A WebSocket upgrade
   * (`upgrade`: exec, attach, port-forward) is a GET that since 1.31 (AuthorizePodWebsocketUpgradeCreatePermission)
   * also needs `create` on the subresource, the verb of the SPDY POST it replaces. Returns the acting user.
   */
  const admit = async (
    req: IncomingMessage,
    url: RequestTarget,
    path: string,
    method: string,
    upgrade: boolean,
  ): Promise<UserInfo> => {
    let user = await authenticate(req.headers.authorization, path, req.socket);
    const { authorizer } = options;
    if (authorizer) {
      user = await impersonatedUser(req, user, authorizer);
      const attributes = requestAttributes(method, decodePathSegments(path), url.searchParams, url.pathname);
      for (const verb of upgrade && attributes.verb === 'get' ? ['get', 'create'] : [attributes.verb]) {
        const a = { ...attributes, verb };
        const decision = await authorizer.authorize(user, a);
        if (!decision.allowed) throw forbiddenError(user, a, decision.reason);
      }
    } else if (user === ANONYMOUS_USER && method !== 'GET' && method !== 'HEAD') {
      // Without RBAC, what system:public-info-viewer grants: anonymous users `get` the public paths, nothing else.
      throw new ApiError(
        403,
        'Forbidden',
        `forbidden: User "${user.username}" cannot ${method.toLowerCase()} path "${path}"`,
        {},
      );
    }
    setRequestUser(req, user);
    return user;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestTarget(req.url);
    const { path } = url;
    const method = req.method ?? 'GET';
    const user = await admit(req, url, path, method, false);
    // Admission plugins (RBAC's escalation checks) read the user from the request's context.
    return runAsUser(user, () => route(req, res, url, path, method, user));
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: RequestTarget,
    path: string,
    method: string,
    user: UserInfo,
  ): Promise<void> => {
    if (path.startsWith(PODRUN_API_PREFIX)) {
      if (!options.images) throw pathNotFound();
      return handleImageEndpoints(options.images, req, res, path);
    }
    if (path === '/livez' || path === '/readyz' || path === '/healthz') {
      return sendText(res, 200, 'ok');
    }
    if (path === '/version') return send(res, 200, VERSION_INFO);
    if (path === '/api' || path === '/apis') {
      const aggregated = aggregatedDiscoveryVersion(req.headers.accept);
      if (aggregated) {
        return send(res, 200, aggregatedDiscovery(path === '/api', aggregated), {
          contentType: aggregatedContentType(aggregated),
        });
      }
      return send(res, 200, path === '/api' ? legacyApiVersions(serverAddress) : legacyApiGroupList());
    }
    if (path === '/openapi/v3') return send(res, 200, openApiRoot());
    if (path === '/openapi/v2') {
      // An OpenAPI v2 document without definitions. kubectl validates a `kind: List` against v2 only, and
      // with no definition for a kind it skips the check (the server validates each item under
      // fieldValidation=Strict); a 404 would fail `kubectl apply -f list.yaml` outright. Patches still come
      // from kubectl's compiled-in types, as no definition is found.
      const protobuf = (req.headers.accept ?? '').includes('application/com.github.proto-openapi.spec.v2');
      if (protobuf) {
        // The empty protobuf message: every field of openapi_v2.Document absent.
        res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' });
        res.end();
        return;
      }
      return send(res, 200, { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {} });
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openApiDocument(path.slice('/openapi/v3/'.length));
      if (!doc) throw pathNotFound();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, immutable' });
      res.end(doc);
      return;
    }
    const segments = decodePathSegments(path);
    // A streaming subresource asked for without an Upgrade (upstream's UpgradeAwareHandler).
    if (upgrades.routes(segments)) throw badRequest('Upgrade request required');
    if (method === 'GET') {
      if (segments.length === 2 && segments[0] === 'api') {
        const list = legacyResourceList('', segments[1]!);
        if (list) return send(res, 200, list);
      }
      if (segments.length === 2 && segments[0] === 'apis') {
        const group = legacyApiGroup(segments[1]!);
        if (group) return send(res, 200, group);
      }
      if (segments.length === 3 && segments[0] === 'apis') {
        const list = legacyResourceList(segments[1]!, segments[2]!);
        if (list) return send(res, 200, list);
      }
    }
    if (isMetricsPath(segments)) {
      return serveMetrics(
        options.metrics,
        options.registry,
        req,
        res,
        segments,
        url.searchParams,
        clock.now(),
      );
    }
    const resourcePath = parseResourcePath(segments);
    if (!resourcePath) throw pathNotFound();
    if (isReviewResource(resourcePath.r)) {
      if (!options.authorizer || resourcePath.name !== undefined) throw pathNotFound();
      if (method !== 'POST') throw methodNotSupported(resourcePath.r, method.toLowerCase());
      const review = await answerReview(
        options.authorizer,
        resourcePath.r,
        resourcePath.namespace,
        user,
        await readObjectBody(req),
      );
      return send(res, 201, review);
    }
    if (resourcePath.r === HPA_V1) return handleHpaV1(ctx, req, res, resourcePath, url.searchParams);
    if (resourcePath.subresource === 'token' && resourcePath.r.resource === 'serviceaccounts') {
      if (!options.tokens) throw pathNotFound();
      return handleTokenRequest(options.tokens, req, res, resourcePath.namespace ?? '', resourcePath.name!);
    }
    await handleResource(ctx, req, res, resourcePath, url.searchParams);
  };

  // A request that fails in any way is answered with a Status (or, mid-stream, ended); nothing a request
  // does may reach the process's uncaught-exception handler, which would end every other request with it.
  const fail = (res: ServerResponse, e: unknown): void => {
    try {
      if (!res.headersSent) sendError(res, e);
      else if (!res.writableEnded) res.end();
    } catch {
      res.destroy();
    }
  };
  // exec, attach and port-forward: the same authentication, impersonation and authorization as other requests.
  const upgrades = createUpgradeDispatcher(async (req) => {
    const url = requestTarget(req.url);
    await admit(req, url, url.path, req.method ?? 'GET', true);
  });
  if (options.streaming) {
    const deps = {
      getPod: async (ns: string, name: string) =>
        (await options.registry.get('pods', ns, name)) as unknown as Pod,
      runtime: options.streaming,
    };
    upgrades.addRoute('exec', remoteCommandRoute(deps, true));
    upgrades.addRoute('attach', remoteCommandRoute(deps, false));
  }
  upgrades.addRoute('portforward', async (r) => {
    // The dispatcher has authenticated the request; without a dialer the route answers with a Status.
    const deps = { registry: options.registry, dialer: options.portForward, authorized: true };
    handlePortForwardUpgrade(deps, r.req, r.socket, r.head);
  });
  // Upgraded connections (exec, port-forward) are no longer the HTTP server's to close.
  const upgraded = new Set<Duplex>();
  const newServer = () => {
    const s = createServer(
      // Go's net/http accepts 1 MiB of request line and headers (DefaultMaxHeaderBytes); node's default of
      // 16 KiB refused long label selectors with 431.
      {
        cert: creds.cert,
        key: creds.key,
        ciphers: SERVER_CIPHERS,
        maxHeaderSize: MAX_HEADER_BYTES,
        // Client certificates are asked for but optional (kubectl with a token sends none); one that does not
        // verify against the CA leaves the socket unauthorized, and the request is then judged by its token.
        ca: creds.ca,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        try {
          handle(req, res).catch((e: unknown) => fail(res, e));
        } catch (e) {
          fail(res, e);
        }
      },
    );
    s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgraded.add(socket);
      socket.on('close', () => upgraded.delete(socket));
      upgrades.handle(req, socket, head);
    });
    // Watches and `logs -f` are long-lived; node's default request timeouts would cut them.
    s.requestTimeout = 0;
    s.headersTimeout = 60_000;
    s.keepAliveTimeout = 5_000;
    return s;
  };
  const listen = (s: Server, port: number, address: string) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, address, () => {
        s.off('error', reject);
        resolve();
      });
    });
  const server = newServer();
  await listen(server, options.port, options.address);
  const servers = [server];
  let podEndpoint: { address: string; port: number } | undefined;
  let podEndpointError: string | undefined;
  if (options.podAddress) {
    const podServer = newServer();
    try {
      await listen(podServer, options.podAddress.port, options.podAddress.address);
      servers.push(podServer);
      podEndpoint = { address: options.podAddress.address, port: (podServer.address() as AddressInfo).port };
    } catch (e) {
      // kubectl and the machine still reach the main listener; only in-cluster clients lose the API.
      podEndpointError = `cannot serve the API to pods on ${options.podAddress.address}:${options.podAddress.port}: ${(e as Error).message}`;
    }
  }
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${hostForUrl(options.address)}:${port}`;
  const url = `https://${serverAddress}`;

  return {
    url,
    port,
    caFile: creds.caFile,
    token: creds.token,
    ...(podEndpoint ? { podEndpoint } : {}),
    ...(podEndpointError ? { podEndpointError } : {}),
    upgrades,
    activeWatches: () => streams.size,
    close: async () => {
      upgrades.close();
      for (const res of streams) res.end();
      streams.clear();
      for (const s of upgraded) s.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeIdleConnections();
              // Streams (logs -f) that are not watches end with their connections.
              setTimeout(() => s.closeAllConnections(), 1000).unref();
            }),
        ),
      );
    },
  };
}

export interface KubeconfigInput {
  url: string;
  /** PEM of the CA that signed the serving certificate. */
  caData: string;
  token: string;
}

/** Writes a kubeconfig with cluster, user and context named `podrun` (mode 0600). */
export async function writeKubeconfig(path: string, input: KubeconfigInput): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'podrun',
        cluster: {
          server: input.url,
          'certificate-authority-data': Buffer.from(input.caData).toString('base64'),
        },
      },
    ],
    users: [{ name: 'podrun', user: { token: input.token } }],
    contexts: [{ name: 'podrun', context: { cluster: 'podrun', user: 'podrun', namespace: 'default' } }],
    'current-context': 'podrun',
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(config), { mode: 0o600 });
  await chmod(path, 0o600);
}
