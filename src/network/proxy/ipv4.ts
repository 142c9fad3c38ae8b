// IPv4 addresses and CIDRs as the proxy needs them: strict parsing (nft and `ip` are given only what parsed),
// containment, and numeric order for stable output.

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number (host bits cleared). */
  base: number;
  prefix: number;
  /** Canonical text, `10.96.0.0/12`. */
  text: string;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The address as an unsigned 32-bit number, or undefined when `s` is not a dotted-quad IPv4 address. */
export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function ipv4String(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parses `a.b.c.d/p`; throws a message naming `what` when it is not one, or has host bits set (unless
 * `clearHostBits`: then `10.250.3.77/24` is `10.250.3.0/24`).
 */
export function parseIpv4Cidr(s: string, what: string, options: { clearHostBits?: boolean } = {}): Ipv4Cidr {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? undefined : parseIpv4(s.slice(0, slash));
  const prefixText = slash < 0 ? '' : s.slice(slash + 1);
  const prefix = /^[0-9]{1,2}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (addr === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new Error(`${what} ${JSON.stringify(s)}: expected an IPv4 CIDR such as 10.96.0.0/12`);
  }
  const base = prefix === 0 ? 0 : (addr & maskOf(prefix)) >>> 0;
  if (base !== addr && !options.clearHostBits) {
    throw new Error(
      `${what} ${JSON.stringify(s)}: host bits are set; the network is ${ipv4String(base)}/${prefix}`,
    );
  }
  return { base, prefix, text: `${ipv4String(base)}/${prefix}` };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function cidrContains(cidr: Ipv4Cidr, addr: number): boolean {
  return (addr & maskOf(cidr.prefix)) >>> 0 === cidr.base;
}

/** Compares dotted-quad addresses numerically (10.96.0.9 before 10.96.0.10). */
export function compareIpv4(a: string, b: string): number {
  return (parseIpv4(a) ?? 0) - (parseIpv4(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
}
