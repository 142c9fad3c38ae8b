// Registry credentials as the kubelet keeps them (k/k pkg/credentialprovider config.go, keyring.go):
// keys from ~/.docker/config.json or a dockerconfigjson/dockercfg Secret, stripped of scheme and a /v1/ or
// /v2/ path; a key matches an image when its host glob matches label by label, the port is equal and its
// path is a prefix; keys are tried in reverse lexical order (most specific first), and Docker Hub images
// fall back to the `index.docker.io` key.

import { readFile } from 'node:fs/promises';
import { parseSecretJson } from '../../util/json-error.js';
import type { Credentials } from './auth.js';

export class CredentialsError extends Error {}

interface Entry {
  key: string;
  creds: Credentials;
}

const defaultRegistryHost = 'index.docker.io';

export class DockerKeyring {
  private readonly entries: Entry[] = [];

  /** Adds a `.dockercfg`-shaped map: `{"<key>": {"username","password","auth"}}`. */
  addAuths(auths: Record<string, unknown>, source: string): void {
    for (const [location, v] of Object.entries(auths)) {
      const e = (v ?? {}) as { username?: unknown; password?: unknown; auth?: unknown };
      let username = typeof e.username === 'string' ? e.username : '';
      let password = typeof e.password === 'string' ? e.password : '';
      if (typeof e.auth === 'string' && e.auth !== '') {
        // `auth` wins over username/password, as in config.go's UnmarshalJSON.
        const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0)
          throw new CredentialsError(
            `${source}: auths[${JSON.stringify(location)}].auth: not base64 of user:password`,
          );
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
      this.entries.push({ key: normalizeKey(location), creds: { username, password } });
    }
    this.entries.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  }

  /** `.dockerconfigjson` text: `{"auths": {…}}`. */
  addDockerConfigJson(text: string, source: string): void {
    const doc = parseJson(text, source) as { auths?: unknown };
    if (typeof doc.auths !== 'object' || doc.auths === null)
      throw new CredentialsError(`${source}: auths: must be an object`);
    this.addAuths(doc.auths as Record<string, unknown>, source);
  }

  /** `.dockercfg` text (the old format): the auths map itself. */
  addDockercfg(text: string, source: string): void {
    this.addAuths(parseJson(text, source) as Record<string, unknown>, source);
  }

  /** A Secret's `data` (base64 values) of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg. */
  addSecret(secret: {
    metadata?: { namespace?: string; name?: string };
    type?: string;
    data?: Record<string, string>;
  }): void {
    const where = `secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
    const data = secret.data ?? {};
    if (secret.type === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson'] !== undefined) {
      this.addDockerConfigJson(
        Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'),
        `${where} .dockerconfigjson`,
      );
    } else if (secret.type === 'kubernetes.io/dockercfg' && data['.dockercfg'] !== undefined) {
      this.addDockercfg(Buffer.from(data['.dockercfg'], 'base64').toString('utf8'), `${where} .dockercfg`);
    } else {
      throw new CredentialsError(
        `${where}: type must be kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg with the matching data key`,
      );
    }
  }

  /** Reads a docker config.json (e.g. ~/.docker/config.json); a missing file adds nothing. */
  async addDockerConfigFile(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const doc = parseJson(text, path) as { auths?: Record<string, unknown> };
    this.addAuths(doc.auths ?? {}, path);
  }

  /** Credentials for an image repository (`docker.io/library/busybox`), most specific first. */
  lookup(image: string): Credentials[] {
    const out = this.entries.filter((e) => urlsMatch(e.key, image)).map((e) => e.creds);
    if (out.length > 0) return out;
    if (isDefaultRegistryMatch(image)) {
      return this.entries.filter((e) => e.key === defaultRegistryHost).map((e) => e.creds);
    }
    return [];
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    // A pull secret's text: the error may not quote it.
    const v: unknown = parseSecretJson(text);
    if (typeof v !== 'object' || v === null) throw new Error('not a JSON object');
    return v;
  } catch (err) {
    throw new CredentialsError(`${source}: ${(err as Error).message}`);
  }
}

/** keyring.go Add: drop the scheme and a leading /v1/ or /v2/ path. */
export function normalizeKey(location: string): string {
  const value = /^https?:\/\//.test(location) ? location : `https://${location}`;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return location;
  }
  let path = decodeURIComponent(u.pathname);
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  return path !== '' && path !== '/' ? u.host + path : u.host;
}

function splitHost(s: string): { labels: string[]; port: string; path: string } {
  const slash = s.indexOf('/');
  const hostPort = slash < 0 ? s : s.slice(0, slash);
  const path = slash < 0 ? '' : s.slice(slash);
  const colon = hostPort.lastIndexOf(':');
  const host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  return { labels: host.split('.'), port: colon < 0 ? '' : hostPort.slice(colon + 1), path };
}

/** keyring.go `URLsMatch`: host labels globbed one by one, same port, the key's path a prefix. */
export function urlsMatch(globKey: string, target: string): boolean {
  const g = splitHost(globKey);
  const t = splitHost(target);
  if (g.port !== t.port || g.labels.length !== t.labels.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return g.labels.every((label, i) => globMatch(label, t.labels[i] ?? ''));
}

/** Go's filepath.Match for one host label (`*`, `?`, `[…]`). */
function globMatch(pattern: string, s: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\[!/g, '[^');
  try {
    return new RegExp(`^${re}$`).test(s);
  } catch {
    return false;
  }
}

/** keyring.go `isDefaultRegistryMatch`. */
function isDefaultRegistryMatch(image: string): boolean {
  const parts = image.split('/');
  if ((parts[0] ?? '') === '') return false;
  if (parts.length === 1) return true;
  if (parts[0] === 'docker.io' || parts[0] === defaultRegistryHost) return true;
  return !/[.:]/.test(parts[0] ?? '');
}
