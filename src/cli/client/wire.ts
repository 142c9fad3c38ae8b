// What the CLI's two API clients (http.ts for `podrun up`, kube.ts for the kubectl-style commands) share on
// the wire: resource paths, and the newline-delimited JSON of a watch.
import type { IncomingMessage } from 'node:http';
import type { ResourceInfo } from '../../api/resources.js';

/** `/api/v1/namespaces/NS/pods`, `/apis/apps/v1/deployments` (all namespaces when `namespace` is undefined). */
export function resourcePath(r: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Hands each JSON line of a watch response to `onEvent` as it arrives (a chunk may hold several or half). */
export function onWatchLines<T>(res: IncomingMessage, onEvent: (event: T) => void): void {
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onEvent(JSON.parse(line) as T);
    }
  });
}
