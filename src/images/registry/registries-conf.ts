// containers-registries.conf(5), version 2, the subset podrun honours: [[registry]] prefix, location,
// insecure, blocked and its [[registry.mirror]] location/insecure. A reference is matched against the
// longest prefix (on a path boundary; `*.example.com` matches subdomains); mirrors are tried in order,
// then the location. `unqualified-search-registries` is read but unused: Kubernetes image names are
// always normalised to docker.io first, so short-name search never applies.
import { readFile } from 'node:fs/promises';
import { parseToml, type TomlTable, type TomlValue } from './toml.js';

export const defaultRegistriesConfPath = '/etc/containers/registries.conf';

export interface MirrorConf {
  location: string;
  insecure: boolean;
}

export interface RegistryConf {
  prefix: string;
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrors: MirrorConf[];
}

export interface RegistriesConf {
  registries: RegistryConf[];
  unqualifiedSearchRegistries: string[];
}

export class RegistriesConfError extends Error {}

export const emptyRegistriesConf: RegistriesConf = { registries: [], unqualifiedSearchRegistries: [] };

export function parseRegistriesConf(text: string, source = 'registries.conf'): RegistriesConf {
  let doc: TomlTable;
  try {
    doc = parseToml(text, source);
  } catch (err) {
    throw new RegistriesConfError((err as Error).message);
  }
  const bad = (field: string, want: string): never => {
    throw new RegistriesConfError(`${source}: ${field}: must be ${want}`);
  };
  const str = (v: TomlValue | undefined, field: string, dflt: string): string =>
    v === undefined ? dflt : typeof v === 'string' ? v : bad(field, 'a string');
  const bool = (v: TomlValue | undefined, field: string): boolean =>
    v === undefined ? false : typeof v === 'boolean' ? v : bad(field, 'true or false');
  const tables = (v: TomlValue | undefined, field: string): TomlTable[] =>
    v === undefined
      ? []
      : Array.isArray(v) && v.every((t) => typeof t === 'object' && !Array.isArray(t))
        ? (v as TomlTable[])
        : bad(field, 'an array of tables ([[…]])');
  const search = doc['unqualified-search-registries'];
  const unqualifiedSearchRegistries =
    search === undefined
      ? []
      : Array.isArray(search) && search.every((s) => typeof s === 'string')
        ? (search as string[])
        : bad('unqualified-search-registries', 'an array of strings');
  const registries = tables(doc.registry, 'registry').map((r, i): RegistryConf => {
    const at = `registry[${i}]`;
    const location = stripScheme(str(r.location, `${at}.location`, ''));
    const prefix = str(r.prefix, `${at}.prefix`, location);
    if (prefix === '') throw new RegistriesConfError(`${source}: ${at}: needs a prefix or a location`);
    if (prefix.startsWith('*.') ? /[/@:]/.test(prefix) : /[@]/.test(prefix) || prefix.endsWith('/')) {
      throw new RegistriesConfError(
        `${source}: ${at}.prefix: ${JSON.stringify(prefix)} is not a repository prefix or *.domain`,
      );
    }
    return {
      prefix,
      location: location === '' && !prefix.startsWith('*.') ? prefix : location,
      insecure: bool(r.insecure, `${at}.insecure`),
      blocked: bool(r.blocked, `${at}.blocked`),
      mirrors: tables(r.mirror, `${at}.mirror`).map((m, j) => {
        const loc = stripScheme(str(m.location, `${at}.mirror[${j}].location`, ''));
        if (loc === '')
          throw new RegistriesConfError(`${source}: ${at}.mirror[${j}].location: must not be empty`);
        return { location: loc, insecure: bool(m.insecure, `${at}.mirror[${j}].insecure`) };
      }),
    };
  });
  return { registries, unqualifiedSearchRegistries };
}

/** Reads the file; a missing file is the empty configuration, as in containers/image. */
export async function loadRegistriesConf(path = defaultRegistriesConfPath): Promise<RegistriesConf> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyRegistriesConf;
    throw err;
  }
  return parseRegistriesConf(text, path);
}

function stripScheme(s: string): string {
  return s.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
}

/** containers/image `refMatchingPrefix`: the prefix must end at a `/`, `:` or `@` boundary, or be `*.dom`. */
function matchLength(name: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const host = name.split('/')[0] ?? '';
    return host.endsWith(prefix.slice(1)) ? prefix.length : -1;
  }
  if (!name.startsWith(prefix)) return -1;
  const next = name[prefix.length];
  return next === undefined || next === '/' || next === ':' || next === '@' ? prefix.length : -1;
}

export function findRegistry(conf: RegistriesConf, name: string): RegistryConf | undefined {
  let best: RegistryConf | undefined;
  let bestLen = -1;
  for (const r of conf.registries) {
    const len = matchLength(name, r.prefix);
    if (len > bestLen) {
      best = r;
      bestLen = len;
    }
  }
  return best;
}

export interface PullSource {
  /** Registry host[:port] as references name it (docker.io, not registry-1.docker.io). */
  registry: string;
  /** Repository path inside that registry. */
  repository: string;
  insecure: boolean;
  mirror: boolean;
}

/**
 * Where to pull `name` (a normalised repository name, `docker.io/library/busybox`) from, in order: the
 * mirrors, then the location. Throws when the matching entry is blocked.
 */
export function pullSources(conf: RegistriesConf, name: string): PullSource[] {
  const reg = findRegistry(conf, name);
  const split = (location: string, rest: string, insecure: boolean, mirror: boolean): PullSource => {
    const full = location + rest;
    const slash = full.indexOf('/');
    return { registry: full.slice(0, slash), repository: full.slice(slash + 1), insecure, mirror };
  };
  if (reg === undefined) return [split('', name, false, false)];
  if (reg.blocked) throw new RegistriesConfError(`registry ${reg.prefix} is blocked in registries.conf`);
  // A wildcard prefix keeps the name as it is; a plain one replaces the prefix with the location.
  const rest = reg.prefix.startsWith('*.') ? name : name.slice(reg.prefix.length);
  const base = (loc: string) => (reg.prefix.startsWith('*.') ? '' : loc);
  return [
    ...reg.mirrors.map((m) =>
      split(
        reg.prefix.startsWith('*.') ? m.location + name.slice(name.indexOf('/')) : m.location,
        reg.prefix.startsWith('*.') ? '' : rest,
        m.insecure,
        true,
      ),
    ),
    split(base(reg.location), rest, reg.insecure, false),
  ];
}
