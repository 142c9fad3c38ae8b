// pods/exec and pods/attach: the API server's checks (pkg/registry/core/pod/strategy.go streamLocation), then
// the kubelet's (server.go getExec/getAttach, kubelet_pods.go findContainer) and the stream itself, joined
// to the runtime's Exec or Attach in this process, over a WebSocket (the channel protocol, kubectl's default
// since 1.30) or SPDY/3.1 (older kubectl, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, client-go's
// NewSPDYExecutor). Errors found before the handshake are the apiserver's 4xx Status; after a WebSocket
// handshake, a container that is not running and a command that cannot start go on the error channel as an
// InternalError, as the 1.32 apiserver relays the kubelet's; over SPDY, which the apiserver passes through,
// the kubelet's own not-running refusal comes before the upgrade.

import type { Pod } from '../../api/types.js';
import { runtimeContainerId } from '../../kubelet/logs/manager.js';
import type { ContainerManager, ContainerStream, StreamOptions, TerminalSize } from '../../runtime/types.js';
import { RuntimeError } from '../../runtime/types.js';
import { badRequest } from '../errors.js';
import { queryBool } from '../http/query.js';
import { resolvePodContainer } from '../pod-container.js';
import { chooseProtocol, REMOTE_COMMAND_PROTOCOLS } from './channels.js';
import { serveChannels } from './serve-channels.js';
import { SpdyConnection } from './spdy/connection.js';
import { acceptSpdy, isSpdyUpgrade, negotiateSpdyProtocol, TextRefusal } from './spdy/handshake.js';
import {
  SPDY_REMOTE_COMMAND_PROTOCOLS,
  type SpdyRemoteCommandProtocol,
  spdyChannels,
} from './spdy-channels.js';
import { requestTimings } from './timings.js';
import { notWebSocket, type PodSubresourceRequest, type UpgradeRoute } from './upgrade.js';
import { webSocketChannels } from './ws-channels.js';

export interface RemoteCommandDeps {
  /** The pod, or a 404 ApiError. */
  getPod(namespace: string, name: string): Promise<Pod>;
  runtime: Pick<ContainerManager, 'exec' | 'attach'>;
}

export interface RemoteCommandRequest extends StreamOptions {
  container: string;
  command: string[];
}

/** The options of a request (PodExecOptions / PodAttachOptions), checked as the apiserver and kubelet do. */
export function parseRemoteCommandQuery(
  query: URLSearchParams,
  exec: boolean,
): Omit<RemoteCommandRequest, 'container'> & {
  container?: string;
} {
  const stdin = queryBool(query, 'stdin') ?? false;
  const stdout = queryBool(query, 'stdout') ?? false;
  let stderr = queryBool(query, 'stderr') ?? false;
  const tty = queryBool(query, 'tty') ?? false;
  const command = query.getAll('command');
  if (!stdin && !stdout && !stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (exec && command.length === 0)
    throw badRequest('you must specify at least one command for the container');
  // A terminal has one output (the kubelet drops stderr the same way).
  if (tty) stderr = false;
  const container = query.get('container') || undefined;
  return { stdin, stdout, stderr, tty, command, ...(container ? { container } : {}) };
}

/** The runtime id of the running instance of `container`, or the kubelet's error. */
export function runningContainerId(pod: Pod, container: string): string {
  const s = pod.status;
  const status = [
    ...(s?.containerStatuses ?? []),
    ...(s?.initContainerStatuses ?? []),
    ...(s?.ephemeralContainerStatuses ?? []),
  ].find((c) => c.name === container);
  if (!status?.state?.running || !status.containerID) {
    throw new StreamFailure(`container not found (${JSON.stringify(container)})`);
  }
  return runtimeContainerId(status.containerID);
}

/** containerd ends an attachment when its stdin closes, unless the container has stdinOnce and no tty. */
function detachOnStdinEnd(pod: Pod, container: string): boolean {
  const c = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.ephemeralContainers ?? []),
  ].find((x) => x.name === container);
  return !(c?.stdinOnce && !c.tty);
}

/** A failure after the handshake: its message goes on the error channel as an InternalError. */
export class StreamFailure extends Error {}

async function open(
  deps: RemoteCommandDeps,
  exec: boolean,
  id: string,
  container: string,
  request: RemoteCommandRequest,
  size: TerminalSize | undefined,
): Promise<ContainerStream> {
  const options: StreamOptions = {
    stdin: request.stdin,
    stdout: request.stdout,
    stderr: request.stderr,
    tty: request.tty,
    ...(size ? { size } : {}),
  };
  try {
    if (exec) {
      if (!deps.runtime.exec) throw new StreamFailure('this runtime cannot exec in containers');
      return await deps.runtime.exec(id, request.command, options);
    }
    if (!deps.runtime.attach) throw new StreamFailure('this runtime cannot attach to containers');
    return await deps.runtime.attach(id, options);
  } catch (e) {
    if (e instanceof RuntimeError && (e.reason === 'NotRunning' || e.reason === 'NotFound')) {
      throw new StreamFailure(`container not found (${JSON.stringify(container)})`);
    }
    if (e instanceof RuntimeError && !exec)
      throw new StreamFailure(`error attaching to container: ${e.message}`);
    throw new StreamFailure((e as Error).message);
  }
}

/** The route for `exec` (exec true) or `attach`, over WebSocket or SPDY. */
export function remoteCommandRoute(deps: RemoteCommandDeps, exec: boolean): UpgradeRoute {
  return async (r: PodSubresourceRequest) => {
    // The request's own errors first, on the SPDY POST too: kubectl shows the reply to its fallback, not
    // the WebSocket attempt's.
    const parsed = parseRemoteCommandQuery(r.query, exec);
    const pod = await deps.getPod(r.namespace, r.name);
    const container = resolvePodContainer(pod, parsed.container);
    if (!pod.spec?.nodeName) throw badRequest(`pod ${r.name} does not have a host assigned`);
    const request: RemoteCommandRequest = { ...parsed, container };
    const timings = requestTimings(r.req);
    timings.mark('checked');
    const start = async (size?: TerminalSize): Promise<ContainerStream> => {
      const id = runningContainerId(pod, container);
      return open(deps, exec, id, container, request, size);
    };
    const options = { ...request, detachOnStdinEnd: !exec && detachOnStdinEnd(pod, container) };
    const kind = exec ? 'exec' : 'attach';
    if (isSpdyUpgrade(r.req)) {
      const protocol = negotiateSpdyProtocol(
        r.req,
        SPDY_REMOTE_COMMAND_PROTOCOLS,
      ) as SpdyRemoteCommandProtocol;
      // The kubelet finds the container before it switches protocols, and answers a missing one with its
      // plain-text 500 (streaming.WriteError), which the apiserver relays: kubectl prints `error: unable to
      // upgrade connection: container not found ("side")`.
      try {
        runningContainerId(pod, container);
      } catch (e) {
        if (e instanceof StreamFailure) throw new TextRefusal(500, e.message);
        throw e;
      }
      acceptSpdy(r.socket, r.head, protocol);
      const conn = new SpdyConnection(r.socket);
      conn.on('error', () => {});
      void spdyChannels(conn, protocol, request)
        .then((channels) => {
          timings.mark('upgraded');
          return serveChannels(channels, options, start, kind, timings);
        })
        .catch(() => conn.destroy());
      return;
    }
    const refusal = notWebSocket(r.req, r.subresource);
    if (refusal) throw refusal;
    const offered = r.req.headers['sec-websocket-protocol'];
    const protocol = chooseProtocol(offered);
    if (!protocol) {
      throw badRequest(
        `pods/${r.subresource} speaks the WebSocket subprotocols ${REMOTE_COMMAND_PROTOCOLS.join(', ')}; the client offered ${offered ?? 'none'}`,
      );
    }
    r.upgrade(protocol, (ws) => {
      timings.mark('upgraded');
      serveChannels(webSocketChannels(ws, protocol), options, start, kind, timings).catch(() =>
        ws.terminate(),
      );
    });
  };
}
