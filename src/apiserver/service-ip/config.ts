// The Service network: the CIDR ClusterIPs come from (kube-apiserver --service-cluster-ip-range) and the
// two addresses fixed within it, as kubeadm lays them out: `default/kubernetes` takes the first address,
// `kube-system/kube-dns` the tenth (cmd/kubeadm GetAPIServerVirtualIP / GetDNSIP). The kubelet (resolv.conf)
// and the DNS server read them from here.

/** kubeadm's and minikube's default (kube-apiserver's own default is 10.0.0.0/24). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

/** The pod network of the host runtime; the two may not overlap. */
export const DEFAULT_POD_CIDR = '10.244.0.0/16';

/** NodePorts (kube-apiserver --service-node-port-range). */
export const DEFAULT_NODE_PORT_RANGE = { base: 30000, size: 2768 } as const;

/** An IPv4 network: `base` is the network address as an unsigned 32-bit number. */
export interface Cidr {
  readonly text: string;
  readonly base: number;
  readonly prefix: number;
  /** Addresses in the network, network and broadcast addresses included. */
  readonly size: number;
}

// kube-apiserver refuses ranges with more than 20 host bits ("the mask must be >= 12"); podrun also needs
// room for kube-dns at the tenth address.
const MIN_PREFIX = 12;
const MAX_PREFIX = 28;

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as an unsigned 32-bit number, or undefined when `s` is not a dotted-quad IPv4 address. */
export function parseIPv4(s: string): number | undefined {
  const m = IPV4_RE.exec(s);
  // Leading zeros are read as decimal, as Go's netutils.ParseIPSloppy does.
  const octets = m?.slice(1).map(Number);
  if (!octets || octets.some((o) => o > 255)) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export class ServiceCidrError extends Error {}

/**
 * Parses a service CIDR such as `10.96.0.0/12`. Throws a ServiceCidrError saying what is wrong and what to
 * give instead: IPv4 only, a prefix from /12 to /28, no host bits, not overlapping the pod network.
 */
export function parseServiceCidr(text: string, podCidr: string = DEFAULT_POD_CIDR): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const example = `e.g. ${DEFAULT_SERVICE_CIDR}`;
  if (!m)
    throw new ServiceCidrError(
      `"${text}" is not a CIDR: expected an IPv4 network such as ${DEFAULT_SERVICE_CIDR}`,
    );
  const addr = m[1]!;
  const prefix = Number(m[2]);
  const ip = parseIPv4(addr);
  if (ip === undefined) {
    const v6 = addr.includes(':') ? ' (podrun has no IPv6 Service network)' : '';
    throw new ServiceCidrError(`"${text}": "${addr}" is not an IPv4 address${v6}; ${example}`);
  }
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
    throw new ServiceCidrError(
      `"${text}": the prefix must be from /${MIN_PREFIX} (the largest range kube-apiserver accepts) to /${MAX_PREFIX} (room for kube-dns at the tenth address); ${example}`,
    );
  }
  const size = 2 ** (32 - prefix);
  const base = ip - (ip % size);
  if (base !== ip) {
    throw new ServiceCidrError(`"${text}" has host bits set; did you mean ${formatIPv4(base)}/${prefix}?`);
  }
  const cidr: Cidr = { text: `${formatIPv4(base)}/${prefix}`, base, prefix, size };
  const pods = parseCidrLoose(podCidr);
  if (pods && overlaps(cidr, pods)) {
    throw new ServiceCidrError(
      `"${text}" overlaps the pod network ${pods.text}; choose a range outside it, ${example}`,
    );
  }
  return cidr;
}

function parseCidrLoose(text: string): Cidr | undefined {
  const [addr, p] = text.split('/');
  const ip = parseIPv4(addr ?? '');
  const prefix = Number(p);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { text, base: ip - (ip % size), prefix, size };
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + cidr.size;
}

function nthAddress(cidr: string | Cidr, n: number): string {
  const c = typeof cidr === 'string' ? parseServiceCidr(cidr, '') : cidr;
  return formatIPv4(c.base + n);
}

/** The ClusterIP of `default/kubernetes`: the first address of the range. */
export function kubernetesServiceIP(cidr: string | Cidr = DEFAULT_SERVICE_CIDR): string {
  return nthAddress(cidr, 1);
}

/** The ClusterIP of `kube-system/kube-dns`, the pods' nameserver: the tenth address of the range. */
export function kubeDnsIP(cidr: string | Cidr = DEFAULT_SERVICE_CIDR): string {
  return nthAddress(cidr, 10);
}
