// A cluster's proxy-url: HTTPS to the API server through an HTTP(S) proxy's CONNECT tunnel, as client-go's
// transport does. socks5 proxies are refused with a message (not supported yet).
import { request as httpRequest } from 'node:http';
import { Agent, type AgentOptions, request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';

export class ProxyConfigError extends Error {
  override name = 'ProxyConfigError';
}

/** An agent whose every connection is a TLS session inside a CONNECT tunnel of `proxyUrl`. */
export class ConnectProxyAgent extends Agent {
  readonly #proxy: URL;

  constructor(proxyUrl: string, options: AgentOptions = {}) {
    super({ ...options, keepAlive: false });
    const url = new URL(proxyUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ProxyConfigError(
        `proxy-url ${proxyUrl}: podrun reaches clusters through http:// and https:// proxies only (${url.protocol.replace(':', '')} is not supported); use an HTTP CONNECT proxy`,
      );
    this.#proxy = url;
  }

  override createConnection(
    options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | undefined {
    // Node calls back with no stream on an error; its type says a stream always comes.
    const fail = (err: Error) => callback?.(err, undefined as unknown as Duplex);
    const target = `${options.host}:${options.port}`;
    const auth = this.#proxy.username
      ? {
          'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(this.#proxy.username)}:${decodeURIComponent(this.#proxy.password)}`).toString('base64')}`,
        }
      : {};
    const req = (this.#proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: this.#proxy.hostname,
      port: this.#proxy.port || (this.#proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...auth },
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(
          new Error(
            `proxy ${this.#proxy.host} refused CONNECT ${target}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
          ),
        );
        return;
      }
      const host = options.host ?? '';
      const tls = tlsConnect({
        ...(options as ConnectionOptions),
        socket,
        servername: options.servername ?? (isIP(host) ? '' : host),
      });
      callback?.(null, tls);
    });
    req.on('error', (err) =>
      fail(new Error(`could not reach proxy ${this.#proxy.host}: ${err.message}`, { cause: err })),
    );
    req.end();
    return undefined;
  }
}
