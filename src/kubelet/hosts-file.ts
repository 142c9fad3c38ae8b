// The kubelet-managed /etc/hosts (pkg/kubelet/kubelet_pods.go makeHostsMount, ensureHostsFile,
// managedHostsFileContent): written into the pod's directory at every container start, once the pod IP is
// known, and bind-mounted into each container at /etc/hosts unless the container mounts something there itself.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../api/types.js';
import type { Mount } from '../runtime/types.js';
import { podDir } from './volumes/paths.js';

export const ETC_HOSTS_PATH = '/etc/hosts';
const MANAGED_HOSTS_HEADER = '# Kubernetes-managed hosts file.\n';
const MANAGED_HOSTS_HEADER_WITH_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';
const HOSTNAME_MAX_LENGTH = 63;
/** GetNodenameForKernel: the kernel keeps at most 64 bytes of a hostname. */
const NODENAME_MAX_LENGTH = 64;

export type HostAlias = { ip?: string; hostnames?: string[] };

/** getEtcHostsPath: `<rootDir>/pods/<uid>/etc-hosts`. */
export function etcHostsPath(rootDir: string, podUid: string): string {
  return join(podDir(rootDir, podUid), 'etc-hosts');
}

function hostsEntriesFromHostAliases(aliases: readonly HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/**
 * managedHostsFileContent: localhost lines, one line per pod IP (`<ip>\t<hostname>.<domain>\t<hostname>` when
 * the pod has a subdomain, else `<ip>\t<hostname>`), then the pod's hostAliases.
 */
export function managedHostsFileContent(
  podIPs: readonly string[],
  hostname: string,
  domain: string,
  aliases?: readonly HostAlias[],
): string {
  let out =
    MANAGED_HOSTS_HEADER +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs)
    out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostsEntriesFromHostAliases(aliases);
}

/** nodeHostsFileContent: a hostNetwork pod sees the node's own hosts file, plus its hostAliases. */
export function nodeHostsFileContent(nodeHosts: string, aliases?: readonly HostAlias[]): string {
  return MANAGED_HOSTS_HEADER_WITH_HOST_NETWORK + nodeHosts + hostsEntriesFromHostAliases(aliases);
}

/**
 * GeneratePodHostNameAndDomain (the API has validated both labels): the hostname is spec.hostname or the pod
 * name, cut to 63 characters without a trailing `-` or `.`; the domain is `<subdomain>.<ns>.svc.<clusterDomain>`
 * when spec.subdomain is set, else ''.
 */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  const name = pod.metadata?.name ?? '';
  let hostname = pod.spec?.hostname || name;
  if (hostname.length > HOSTNAME_MAX_LENGTH) {
    hostname = hostname.slice(0, HOSTNAME_MAX_LENGTH).replace(/[-.]+$/, '');
    if (hostname === '')
      throw new Error(`hostname for pod "${name}" was invalid: "${pod.spec?.hostname || name}"`);
  }
  const subdomain = pod.spec?.subdomain;
  const domain = subdomain ? `${subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/**
 * GetNodenameForKernel: the sandbox's hostname is the short name, or the FQDN with setHostnameAsFQDN (an error
 * when that passes 64 characters).
 */
export function nodenameForKernel(
  hostname: string,
  domain: string,
  setHostnameAsFQDN: boolean | undefined,
): string {
  if (!setHostnameAsFQDN || domain === '') return hostname;
  const fqdn = `${hostname}.${domain}`;
  if (fqdn.length > NODENAME_MAX_LENGTH) {
    throw new Error(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${NODENAME_MAX_LENGTH} characters is the max, ${fqdn.length} characters requested)`,
    );
  }
  return fqdn;
}

/** shouldMountHostsFile and makeMounts' rule: a pod IP is known, and the container does not mount /etc/hosts. */
export function shouldMountHostsFile(container: Container, podIPs: readonly string[]): boolean {
  return podIPs.length > 0 && !(container.volumeMounts ?? []).some((m) => m.mountPath === ETC_HOSTS_PATH);
}

export interface HostsFilesOptions {
  rootDir: string;
  clusterDomain: string;
  /** The node's hosts file, copied for hostNetwork pods (upstream: /etc/hosts). */
  nodeHostsFile: string;
}

/** Writes and removes the pods' managed hosts files. */
export class HostsFiles {
  readonly #o: HostsFilesOptions;

  constructor(options: HostsFilesOptions) {
    this.#o = options;
  }

  /** makeHostsMount: (re)writes the pod's hosts file, mode 0644, and returns the mount for /etc/hosts. */
  async ensure(pod: Pod, podIPs: readonly string[]): Promise<Mount> {
    const uid = pod.metadata?.uid ?? '';
    const path = etcHostsPath(this.#o.rootDir, uid);
    const aliases = pod.spec?.hostAliases;
    let content: string;
    if (pod.spec?.hostNetwork) {
      content = nodeHostsFileContent(await readFile(this.#o.nodeHostsFile, 'utf8'), aliases);
    } else {
      const { hostname, domain } = podHostnameAndDomain(pod, this.#o.clusterDomain);
      content = managedHostsFileContent(podIPs, hostname, domain, aliases);
    }
    // As the kubelet, the file ends up with this content and mode 0644 at every container start (a container
    // may have changed it: it is mounted read-write). It is rewritten only when it differs: a container start
    // reads it (cached, ~15 µs, synchronously; only when its size is the one wanted, since a container may
    // grow it without bound) where truncating and rewriting it cost ~250 µs on ext4. A write stays off the
    // event loop: creating a file on a disk may wait for the journal.
    const wanted = Buffer.from(content);
    const before = statSync(path, { throwIfNoEntry: false });
    const same = before?.isFile() && before.size === wanted.length && readFileSync(path).equals(wanted);
    if (!same) {
      await writeFile(path, wanted, { mode: 0o644 }).catch(async (e: NodeJS.ErrnoException) => {
        // The pod's directory exists from its first container on (its volumes are set up first): made only
        // when the write finds it missing.
        if (e.code !== 'ENOENT') throw e;
        await mkdir(podDir(this.#o.rootDir, uid), { recursive: true, mode: 0o750 });
        await writeFile(path, wanted, { mode: 0o644 });
      });
    }
    // The mode applies to a new file only; an existing one may have been changed since.
    const mode = (same && before ? before : statSync(path)).mode & 0o7777;
    if (mode !== 0o644) chmodSync(path, 0o644);
    return { containerPath: ETC_HOSTS_PATH, hostPath: path, readOnly: false };
  }

  /** The pod is gone: its hosts file goes with its directory. */
  async remove(podUid: string): Promise<void> {
    await rm(etcHostsPath(this.#o.rootDir, podUid), { force: true });
  }
}
