// Query names as cluster DNS reads them: the cluster zone (CoreDNS plugin/kubernetes parse.go) and the reverse
// zones of the service and pod CIDRs. Names are compared lower-cased; Kubernetes object names are lower-case.
import { BlockList, isIPv4, isIPv6, SocketAddress } from 'node:net';

export type ClusterName =
  /** `<zone>`, `svc.<zone>`, `pod.<zone>`: they exist and hold nothing (parse.go "NODATA for apex queries"). */
  | { kind: 'apex'; zoneApex: boolean }
  | { kind: 'dns-version' }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'service'; namespace: string; service: string }
  | { kind: 'endpoint'; namespace: string; service: string; hostname: string }
  | { kind: 'srv'; namespace: string; service: string; port: string; protocol: string }
  | { kind: 'pod'; namespace: string; ip: string | undefined }
  /** Too many labels, neither `svc` nor `pod`, a malformed port label: nothing can exist there. */
  | { kind: 'invalid' };

function labelsOf(name: string): string[] {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === '' || n === '.' ? [] : n.split('.');
}

/** The labels of `name` left of `zone`, or undefined when `name` is not in the zone. */
export function labelsInZone(name: string, zone: string): string[] | undefined {
  const labels = labelsOf(name);
  const zoneLabels = labelsOf(zone);
  if (labels.length < zoneLabels.length) return undefined;
  const head = labels.length - zoneLabels.length;
  for (let i = 0; i < zoneLabels.length; i++) if (labels[head + i] !== zoneLabels[i]) return undefined;
  return labels.slice(0, head);
}

function podIP(label: string): string | undefined {
  const v4 = label.replaceAll('-', '.');
  if (isIPv4(v4)) return v4;
  const v6 = label.replaceAll('-', ':');
  return isIPv6(v6) ? v6 : undefined;
}

/** Reads a name of the cluster zone, given its labels left of the zone (from `labelsInZone`). */
export function parseClusterName(segs: string[]): ClusterName {
  if (segs.length === 0) return { kind: 'apex', zoneApex: true };
  const last = segs[segs.length - 1];
  const rest = segs.slice(0, -1);
  if (segs.length === 1 && last === 'dns-version') return { kind: 'dns-version' };
  if (last === 'svc') {
    switch (rest.length) {
      case 0:
        return { kind: 'apex', zoneApex: false };
      case 1:
        return { kind: 'namespace', namespace: rest[0]! };
      case 2:
        return { kind: 'service', namespace: rest[1]!, service: rest[0]! };
      case 3:
        return { kind: 'endpoint', namespace: rest[2]!, service: rest[1]!, hostname: rest[0]! };
      case 4: {
        const [port, protocol] = rest as [string, string];
        if (!port.startsWith('_') || !protocol.startsWith('_') || port.length < 2 || protocol.length < 2) {
          return { kind: 'invalid' };
        }
        return {
          kind: 'srv',
          namespace: rest[3]!,
          service: rest[2]!,
          port: port.slice(1),
          protocol: protocol.slice(1),
        };
      }
      default:
        return { kind: 'invalid' };
    }
  }
  if (last === 'pod') {
    if (rest.length === 0) return { kind: 'apex', zoneApex: false };
    if (rest.length === 1) return { kind: 'namespace', namespace: rest[0]! };
    if (rest.length === 2) return { kind: 'pod', namespace: rest[1]!, ip: podIP(rest[0]!) };
  }
  return { kind: 'invalid' };
}

/** A reverse name: the address it names when complete, else the prefix it covers. */
export interface ReverseName {
  family: 'ipv4' | 'ipv6';
  /** The full address (PTR names of hosts), undefined for a shorter name such as `244.10.in-addr.arpa`. */
  ip: string | undefined;
  /** The network the name covers, for deciding whether the name is in a reverse zone podrun owns. */
  network: string;
  prefix: number;
}

export function parseReverseName(name: string): ReverseName | undefined {
  const labels = labelsOf(name);
  const n = labels.length;
  if (n >= 3 && labels[n - 2] === 'in-addr' && labels[n - 1] === 'arpa') {
    const octets = labels.slice(0, n - 2).reverse();
    if (octets.length > 4 || !octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255)) {
      return undefined;
    }
    const full = [...octets, '0', '0', '0', '0'].slice(0, 4).join('.');
    return {
      family: 'ipv4',
      ip: octets.length === 4 ? full : undefined,
      network: full,
      prefix: octets.length * 8,
    };
  }
  if (n >= 3 && labels[n - 2] === 'ip6' && labels[n - 1] === 'arpa') {
    const nibbles = labels.slice(0, n - 2).reverse();
    if (nibbles.length > 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const hex = [...nibbles, ...Array<string>(32 - nibbles.length).fill('0')].join('');
    const groups = hex.match(/.{4}/g)!.join(':');
    // The view keys addresses as the API writes them (compressed): `fd00::a`, not `fd00:0000:…`.
    const ip =
      nibbles.length === 32 ? new SocketAddress({ address: groups, family: 'ipv6' }).address : undefined;
    return { family: 'ipv6', ip, network: groups, prefix: nibbles.length * 4 };
  }
  return undefined;
}

export interface ReverseZone {
  /** The CIDR as given, e.g. `10.96.0.0/12`. */
  cidr: string;
  family: 'ipv4' | 'ipv6';
  network: string;
  prefix: number;
  /** The enclosing reverse zone name, octet/nibble aligned (`10.in-addr.arpa` for a /12), for negative SOAs. */
  zone: string;
  list: BlockList;
}

/** Parses a CIDR given in options; throws saying which option is wrong and how to write it. */
export function reverseZone(cidr: string, option: string): ReverseZone {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  const addr = m?.[1] ?? '';
  const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
  const prefix = Number(m?.[2]);
  if (!m || !family || prefix > (family === 'ipv4' ? 32 : 128)) {
    throw new Error(`${option}: "${cidr}" is not a CIDR; write it as address/prefix, e.g. 10.96.0.0/12`);
  }
  const list = new BlockList();
  list.addSubnet(addr, prefix, family);
  let zone: string;
  if (family === 'ipv4') {
    const octets = addr.split('.').slice(0, Math.floor(prefix / 8));
    zone = [...octets.reverse(), 'in-addr', 'arpa'].join('.');
  } else {
    const full = expandIPv6(addr);
    const nibbles = full
      .replaceAll(':', '')
      .slice(0, Math.floor(prefix / 4))
      .split('');
    zone = [...nibbles.reverse(), 'ip6', 'arpa'].join('.');
  }
  return { cidr, family, network: addr, prefix, zone, list };
}

export function expandIPv6(ip: string): string {
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(missing).fill('0'), ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** The reverse zone of `zones` that holds `name` entirely, if any. */
export function owningReverseZone(name: ReverseName, zones: readonly ReverseZone[]): ReverseZone | undefined {
  return zones.find(
    (z) => z.family === name.family && name.prefix >= z.prefix && z.list.check(name.network, name.family),
  );
}
