// The files a sandbox's holder mounts over /etc in the pod: the kubelet's managed hosts file and resolv.conf.

import type { PodSandboxConfig } from '../types.js';

/** The kubelet's managed hosts file (kubelet_pods.go), which the host runtime writes since it owns the sandbox. */
export function hostsFile(ip: string, hostname: string, aliases: PodSandboxConfig['hostAliases']): string {
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n' +
    `${ip}\t${hostname}\n`;
  if (aliases?.length) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return out;
}

/** Without a cluster DNS, no nameserver: lookups of names not in /etc/hosts fail at once instead of timing out. */
export function resolvConf(dns: PodSandboxConfig['dns']): string {
  if (!dns || (dns.servers.length === 0 && dns.searches.length === 0)) {
    return '# podrun host runtime: no cluster DNS, and pods have no route off this machine.\n';
  }
  let out = '';
  if (dns.searches.length) out += `search ${dns.searches.join(' ')}\n`;
  for (const s of dns.servers) out += `nameserver ${s}\n`;
  if (dns.options.length) out += `options ${dns.options.join(' ')}\n`;
  return out;
}
