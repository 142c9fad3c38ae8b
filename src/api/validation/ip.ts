// IP address parsing as Go's net.ParseIP / k8s.io/utils/net.ParseIPSloppy sees it (IPv4 parts may carry leading
// zeros), and the special ranges ValidateNonSpecialIP rejects for endpoints (pkg/apis/core/validation).
import { isIPv6 } from 'node:net';
import { type FieldError, invalid } from './field-error.js';
import type { Path } from './path.js';

/** An address as 4 (IPv4, also an IPv4-mapped IPv6 one) or 16 bytes; undefined when it does not parse. */
export function parseIPSloppy(s: string): number[] | undefined {
  const v4 = parseIPv4(s);
  if (v4) return v4;
  if (!isIPv6(s) || s.includes('%')) return undefined;
  const bytes = ipv6Bytes(s);
  // Go's To4: ::ffff:a.b.c.d is an IPv4 address.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12);
  return bytes;
}

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function ipv6Bytes(s: string): number[] {
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const v4 = parseIPv4(text.slice(lastColon + 1));
  if (v4) {
    tail.push(...v4);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (x: string) => (x === '' ? [] : x.split(':').map((g) => Number.parseInt(g, 16)));
  const hi = groups(head);
  const lo = rest === undefined ? [] : groups(rest);
  const words = [...hi, ...new Array<number>(8 - hi.length - lo.length).fill(0), ...lo];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** validation.IsValidIPv4Address. */
export function validateIPv4Address(path: Path, value: string): FieldError[] {
  const ip = parseIPSloppy(value);
  return ip && ip.length === 4 ? [] : [invalid(path, value, 'must be a valid IPv4 address')];
}

/** validation.IsValidIPv6Address. */
export function validateIPv6Address(path: Path, value: string): FieldError[] {
  const ip = parseIPSloppy(value);
  return ip && ip.length === 16 ? [] : [invalid(path, value, 'must be a valid IPv6 address')];
}

/** ValidateNonSpecialIP: no unspecified, loopback, link-local unicast or link-local multicast addresses. */
export function validateNonSpecialIP(value: string, path: Path): FieldError[] {
  const ip = parseIPSloppy(value);
  if (!ip) return [invalid(path, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v4 = ip.length === 4;
  if (ip.every((b) => b === 0)) errs.push(invalid(path, value, `may not be unspecified (${value})`));
  const loopback = v4 ? ip[0] === 127 : ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
  if (loopback) errs.push(invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  const linkLocal = v4 ? ip[0] === 169 && ip[1] === 254 : ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
  if (linkLocal)
    errs.push(invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  const linkLocalMulticast = v4
    ? ip[0] === 224 && ip[1] === 0 && ip[2] === 0
    : ip[0] === 0xff && (ip[1]! & 0x0f) === 0x02;
  if (linkLocalMulticast) {
    errs.push(invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}
