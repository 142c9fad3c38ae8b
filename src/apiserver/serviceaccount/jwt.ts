// Compact JWS with ES256 (ECDSA P-256, SHA-256, the signature as r‖s per RFC 7518 §3.4), the one algorithm
// podrun's service-account tokens use, and the signing key kept in the state directory (pki/sa.key), made on
// first start as kubeadm makes sa.key. The key id is upstream's keyIDFromPublicKey: the base64url SHA-256
// of the public key's DER (SubjectPublicKeyInfo).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, makeFilesPrivate } from '../../util/private-files.js';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

export function signingKeyFrom(privateKeyPem: string): SigningKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the service-account signing key must be an ECDSA P-256 key (ES256)');
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyId(publicKey) };
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signingKeyFrom(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/** `<stateDir>/pki/sa.key` (and sa.pub), made on first use. A key that does not parse is an error, not replaced. */
export async function ensureSigningKey(stateDir: string): Promise<SigningKey> {
  const pki = join(stateDir, 'pki');
  await ensurePrivateDir(pki);
  const keyFile = join(pki, 'sa.key');
  let pem: string | undefined;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let key: SigningKey;
  if (pem === undefined) {
    key = generateSigningKey();
    const out = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFile(keyFile, out, { mode: 0o600, flag: 'wx' });
    await writeFile(join(pki, 'sa.pub'), key.publicKey.export({ type: 'spki', format: 'pem' }) as string, {
      mode: 0o600,
    });
  } else {
    try {
      key = signingKeyFrom(pem);
    } catch (e) {
      throw new Error(
        `cannot use the service-account signing key ${keyFile}: ${(e as Error).message}; remove it to have a new one made (tokens issued with it stop working)`,
        { cause: e },
      );
    }
  }
  await makeFilesPrivate([keyFile, join(pki, 'sa.pub')]);
  return key;
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const input = `${b64json({ alg: 'ES256', kid: key.kid })}.${b64json(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** What a compact JWS holds, unverified: for telling a service-account token from other bearer tokens. */
export function parseJwt(
  token: string,
):
  | { header: Record<string, unknown>; claims: Record<string, unknown>; signed: string; sig: Buffer }
  | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header, claims, signed: `${parts[0]}.${parts[1]}`, sig: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `parsed` carries a valid ES256 signature by one of `keys`. */
export function verifySignature(
  parsed: NonNullable<ReturnType<typeof parseJwt>>,
  keys: readonly KeyObject[],
): boolean {
  if (parsed.header.alg !== 'ES256' || parsed.sig.length !== 64) return false;
  return keys.some((k) =>
    verify('sha256', Buffer.from(parsed.signed), { key: k, dsaEncoding: 'ieee-p1363' }, parsed.sig),
  );
}
