// Names and comments inside the generated table. Chain and set names are kube-proxy's (pkg/proxy/nftables
// hashAndTruncate): a hash of the full name first, so a name stays unique when its readable tail is cut, and
// endpoints of one Service that differ in a digit are told apart at a glance.

import { createHash } from 'node:crypto';
import type { ServiceEndpoint, ServicePortRule } from '../types.js';

/** Longest chain or set name written; nft accepts 255, but every name appears in several rules. */
export const NAME_MAX = 64;
/** nft refuses longer comments ("comment too long, 128 characters maximum allowed"). */
export const COMMENT_MAX = 128;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First 8 base32 characters (40 bits) of the name's SHA-256, as kube-proxy. */
export function nameHash(name: string): string {
  const bytes = createHash('sha256').update(name).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 8) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 8) break;
    value &= (1 << bits) - 1;
  }
  return out;
}

/**
 * `<prefix><HASH>-<readable>`, cut to NAME_MAX. nft names take [A-Za-z0-9_./-] after a leading letter; the
 * readable part is made of Kubernetes names (DNS labels) and addresses, anything else becomes `_`.
 */
function hashedName(prefix: string, full: string): string {
  const readable = full.replace(/[^A-Za-z0-9_./-]/g, '_');
  const name = `${prefix}${nameHash(full)}-${readable}`;
  return name.length <= NAME_MAX ? name : `${name.slice(0, NAME_MAX - 3)}...`;
}

function serviceBase(rule: ServicePortRule): string {
  // ServicePortName with the protocol, as kube-proxy's servicePortChainNameBase: `ns/name/tcp/port`.
  const [nsName = '', portName = ''] = splitServicePortName(rule.service);
  return `${nsName}/${rule.protocol.toLowerCase()}/${portName}`;
}

function splitServicePortName(service: string): [string, string] {
  const colon = service.indexOf(':');
  return colon < 0 ? [service, ''] : [service.slice(0, colon), service.slice(colon + 1)];
}

export function serviceChainName(rule: ServicePortRule): string {
  return hashedName('svc-', serviceBase(rule));
}

function endpointBase(rule: ServicePortRule, ep: ServiceEndpoint): string {
  return `${serviceBase(rule)}__${ep.ip}/${ep.port}`;
}

export function endpointChainName(rule: ServicePortRule, ep: ServiceEndpoint): string {
  return hashedName('ep-', endpointBase(rule, ep));
}

export function affinitySetName(rule: ServicePortRule, ep: ServiceEndpoint): string {
  return hashedName('aff-', endpointBase(rule, ep));
}

/** A quoted nft comment: nft strings have no escapes, so quotes, backslashes and controls become `_`. */
export function nftComment(text: string): string {
  const safe = text.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `"${safe.length <= COMMENT_MAX ? safe : `${safe.slice(0, COMMENT_MAX - 3)}...`}"`;
}
