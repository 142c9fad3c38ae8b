// Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), as client-go's exec authenticator runs
// them: the command with the user's args and env, KUBERNETES_EXEC_INFO holding an ExecCredential request (with
// the cluster when provideClusterInfo is set), stdout an ExecCredential whose status carries a token or a
// client certificate and key. A credential is kept until its expirationTimestamp (or, without one, until the
// server refuses it).
import { spawn } from 'node:child_process';
import type { ClusterEntry, ExecConfig } from './load.js';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

export class ExecPluginError extends Error {
  override name = 'ExecPluginError';
}

function run(config: ExecConfig, info: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: info };
    for (const e of config.env ?? []) env[e.name] = e.value;
    // A relative command with a slash is relative to the kubeconfig's directory (client-go resolves it so).
    const command =
      config.command.includes('/') && !config.command.startsWith('/')
        ? `${cwd}/${config.command}`
        : config.command;
    const child = spawn(command, config.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.on('error', (e) => {
      const hint = config.installHint ? `\n${config.installHint.trim()}` : '';
      reject(new ExecPluginError(`exec plugin: could not run "${config.command}": ${e.message}${hint}`));
    });
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else
        reject(
          new ExecPluginError(
            `exec plugin "${config.command}" exited with status ${code}${err.trim() ? `: ${err.trim()}` : ''}`,
          ),
        );
    });
  });
}

/** Runs the plugin once and checks its answer as client-go does (apiVersion and kind must match the request). */
export async function runExecPlugin(
  config: ExecConfig,
  cluster: ClusterEntry,
  dir: string,
): Promise<ExecCredentialStatus> {
  if (!EXEC_API_VERSIONS.includes(config.apiVersion))
    throw new ExecPluginError(
      `exec plugin "${config.command}": apiVersion "${config.apiVersion}" is not supported (use ${EXEC_API_VERSIONS.join(' or ')})`,
    );
  if (config.interactiveMode === 'Always')
    // podrun gives plugins no terminal (CI runs it without one); client-go refuses the same way there.
    throw new ExecPluginError(
      `exec plugin "${config.command}" needs an interactive terminal (interactiveMode: Always); podrun runs plugins without one: log in with the plugin first, or use a non-interactive credential`,
    );
  const request = {
    apiVersion: config.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(config.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              ...(cluster['certificate-authority-data']
                ? { 'certificate-authority-data': cluster['certificate-authority-data'] }
                : {}),
              ...(cluster['insecure-skip-tls-verify'] ? { 'insecure-skip-tls-verify': true } : {}),
              ...(cluster['proxy-url'] ? { 'proxy-url': cluster['proxy-url'] } : {}),
              ...(cluster['tls-server-name'] ? { 'tls-server-name': cluster['tls-server-name'] } : {}),
            },
          }
        : {}),
    },
  };
  const out = await run(config, JSON.stringify(request), dir);
  let cred: { apiVersion?: string; kind?: string; status?: ExecCredentialStatus };
  try {
    cred = JSON.parse(out) as typeof cred;
  } catch (e) {
    throw new ExecPluginError(
      `exec plugin "${config.command}" printed no ExecCredential JSON: ${(e as Error).message}`,
    );
  }
  if (cred.kind !== 'ExecCredential' || cred.apiVersion !== config.apiVersion)
    throw new ExecPluginError(
      `exec plugin "${config.command}" answered ${cred.apiVersion ?? '?'}, ${cred.kind ?? '?'}; expected ${config.apiVersion}, ExecCredential`,
    );
  const s = cred.status ?? {};
  const hasCert = !!s.clientCertificateData || !!s.clientKeyData;
  if (hasCert && !(s.clientCertificateData && s.clientKeyData))
    throw new ExecPluginError(
      `exec plugin "${config.command}": an ExecCredential needs both clientCertificateData and clientKeyData`,
    );
  if (!s.token && !hasCert)
    throw new ExecPluginError(
      `exec plugin "${config.command}" gave neither a token nor a client certificate`,
    );
  return s;
}

/** A plugin's credential, run again once it expires or `invalidate()` says the server refused it. */
export class ExecCredentials {
  #current: Promise<ExecCredentialStatus> | undefined;
  #expires = Number.POSITIVE_INFINITY;

  constructor(
    readonly config: ExecConfig,
    readonly cluster: ClusterEntry,
    readonly dir: string,
    readonly now: () => number = Date.now,
  ) {}

  get(): Promise<ExecCredentialStatus> {
    if (this.#current && this.now() < this.#expires) return this.#current;
    this.#expires = Number.POSITIVE_INFINITY;
    const p = runExecPlugin(this.config, this.cluster, this.dir).then((s) => {
      if (s.expirationTimestamp) this.#expires = Date.parse(s.expirationTimestamp);
      return s;
    });
    p.catch(() => {
      if (this.#current === p) this.#current = undefined;
    });
    this.#current = p;
    return p;
  }

  invalidate(): void {
    this.#current = undefined;
  }
}
