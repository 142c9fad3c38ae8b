// Kubeconfig files as kubectl reads them (client-go's clientcmd loading rules): `--kubeconfig FILE` alone, else
// every file of $KUBECONFIG (missing ones skipped), else ~/.kube/config. Files merge as clientcmd merges them:
// for each named cluster, user and context the first file that defines the name wins, and so does the first
// file that sets current-context. Relative paths in a file are relative to that file's directory.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  apiVersion: string;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: string;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  exec?: ExecConfig;
  username?: string;
  password?: string;
  'auth-provider'?: { name?: string };
}

export interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** An entry with the directory of the file it came from (for its relative paths) and the file itself. */
export interface Sourced<T> {
  value: T;
  dir: string;
  file: string;
}

export interface MergedKubeconfig {
  files: string[];
  clusters: Map<string, Sourced<ClusterEntry>>;
  users: Map<string, Sourced<UserEntry>>;
  contexts: Map<string, Sourced<ContextEntry>>;
  currentContext?: string;
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** The files kubectl would read, in precedence order. */
export function kubeconfigFiles(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (explicit) {
    if (!existsSync(explicit)) throw new KubeconfigError(`--kubeconfig ${explicit}: no such file`);
    return [resolve(explicit)];
  }
  if (env.KUBECONFIG) {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const p of env.KUBECONFIG.split(delimiter)) {
      if (!p || seen.has(resolve(p))) continue;
      seen.add(resolve(p));
      if (existsSync(p)) out.push(resolve(p));
    }
    return out;
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

interface FileShape {
  clusters?: { name?: string; cluster?: ClusterEntry }[] | null;
  users?: { name?: string; user?: UserEntry }[] | null;
  contexts?: { name?: string; context?: ContextEntry }[] | null;
  'current-context'?: string;
}

export function loadKubeconfig(files: string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    files,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const file of files) {
    let doc: FileShape;
    try {
      doc = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as FileShape;
    } catch (err) {
      throw new KubeconfigError(`error loading config file "${file}": ${(err as Error).message}`);
    }
    const dir = dirname(file);
    const add = <T>(into: Map<string, Sourced<T>>, name: string | undefined, value: T | undefined) => {
      if (name && !into.has(name)) into.set(name, { value: value ?? ({} as T), dir, file });
    };
    for (const c of doc.clusters ?? []) add(merged.clusters, c.name, c.cluster);
    for (const u of doc.users ?? []) add(merged.users, u.name, u.user);
    for (const c of doc.contexts ?? []) add(merged.contexts, c.name, c.context);
    if (merged.currentContext === undefined && doc['current-context'])
      merged.currentContext = doc['current-context'];
  }
  return merged;
}

/** A path of a kubeconfig entry, made absolute against its file's directory as clientcmd does. */
export function entryPath(dir: string, p: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}

export interface ResolvedContext {
  name: string;
  namespace: string;
  cluster: Sourced<ClusterEntry> & { name: string };
  user: Sourced<UserEntry> & { name: string };
}

/** The context `--context` names, else current-context; errors say which files were read. */
export function resolveContext(config: MergedKubeconfig, contextName: string | undefined): ResolvedContext {
  const where =
    config.files.length === 0 ? 'no kubeconfig file was found' : `read ${config.files.join(', ')}`;
  const name = contextName ?? config.currentContext;
  if (!name)
    throw new KubeconfigError(
      `no context chosen: give --context NAME or set current-context (kubectl config use-context NAME); ${where}`,
    );
  const ctx = config.contexts.get(name);
  if (!ctx) throw new KubeconfigError(`context "${name}" does not exist (${where})`);
  const clusterName = ctx.value.cluster ?? '';
  const cluster = config.clusters.get(clusterName);
  if (!cluster)
    throw new KubeconfigError(
      `context "${name}" names cluster "${clusterName}", which does not exist (${where})`,
    );
  if (!cluster.value.server)
    throw new KubeconfigError(`cluster "${clusterName}" has no server (in ${cluster.file})`);
  const userName = ctx.value.user ?? '';
  // A context without a user talks to the server unauthenticated, as kubectl does.
  const user = config.users.get(userName) ?? { value: {}, dir: ctx.dir, file: ctx.file };
  return {
    name,
    namespace: ctx.value.namespace || 'default',
    cluster: { ...cluster, name: clusterName },
    user: { ...user, name: userName },
  };
}
