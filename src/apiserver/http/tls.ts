// Serving credentials in the state directory: a CA and a serving certificate signed by it (made by the
// `openssl` command, so podrun writes no ASN.1 itself), and a random bearer token. Made on first start and
// reused afterwards; the serving certificate is re-issued when the set of names it must cover changes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_CIPHERS } from 'node:tls';
import { ensurePrivateDir, makeFilesPrivate } from '../../util/private-files.js';

/**
 * The server's cipher suites, its preference first (Node's servers choose by their own order): for TLS 1.3,
 * AES-128-GCM before AES-256-GCM and ChaCha20-Poly1305, as Go's servers (so a real kube-apiserver) choose where
 * the CPU has AES instructions; Node's default puts AES-256 first. AES-128 does 10 rounds to AES-256's 14:
 * ~13 % less CPU per byte here, on both ends of a port-forward, which moves every byte through TLS. TLS 1.2
 * suites as Node has them (its first is already ECDHE's AES-128-GCM).
 */
export const SERVER_CIPHERS = (() => {
  const tls13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
  const rest = DEFAULT_CIPHERS.split(':').filter((c) => !tls13.includes(c));
  return [...tls13, ...rest].join(':');
})();

export interface ServingCredentials {
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: string;
  cert: string;
  key: string;
  token: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (e) =>
      reject(new Error(`could not run openssl to make a certificate: ${e.message}; install openssl`)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`openssl ${args[0]} failed (exit ${code}) in ${cwd}: ${stderr.trim()}`));
    });
  });
}

export interface LeafCertificate {
  /** Where the key, request, extensions and certificate are written (relative paths below resolve here). */
  dir: string;
  /** Base name of `<name>.key`, `<name>.csr`, `<name>.ext` and `<name>.crt`. */
  name: string;
  /** openssl's `-subj` form: `/CN=user/O=group`. */
  subject: string;
  /** x509v3 extension lines (`keyUsage=…`). */
  extensions: readonly string[];
  caCert: string;
  caKey: string;
  days: number;
  /** The CA's serial file; openssl's default (next to the CA certificate) when absent. */
  serialFile?: string;
}

/** `openssl req` arguments that make a new unencrypted P-256 key in `keyFile`. */
const newP256Key = (keyFile: string): string[] => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  keyFile,
];

/** A P-256 key and a certificate for it signed by the CA: `<dir>/<name>.key` and `<dir>/<name>.crt`. */
export async function signLeafCertificate(leaf: LeafCertificate): Promise<void> {
  const { dir, name } = leaf;
  await writeFile(join(dir, `${name}.ext`), `${leaf.extensions.join('\n')}\n`);
  await openssl(['req', ...newP256Key(`${name}.key`), '-out', `${name}.csr`, '-subj', leaf.subject], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      leaf.caCert,
      '-CAkey',
      leaf.caKey,
      '-CAcreateserial',
      ...(leaf.serialFile ? ['-CAserial', leaf.serialFile] : []),
      '-out',
      `${name}.crt`,
      '-days',
      String(leaf.days),
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/**
 * Subject alternative names the serving certificate carries: loopback always, the listen address, and
 * `extra` (`IP:…`/`DNS:…` entries, or bare addresses and names).
 */
export function servingNames(address: string, extra: readonly string[] = []): string[] {
  const names = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost'];
  const add = (name: string) => {
    if (!name || name === '0.0.0.0' || name === '::') return;
    const entry = /^(IP|DNS):/.test(name) ? name : isIP(name) ? `IP:${name}` : `DNS:${name}`;
    if (!names.includes(entry)) names.push(entry);
  };
  add(address);
  for (const name of extra) add(name);
  return names;
}

/** Creates (or reuses) `<dir>/pki/{ca.crt,ca.key,apiserver.crt,apiserver.key}` and `<dir>/token`. */
export async function ensureServingCredentials(
  stateDir: string,
  address: string,
  extraNames: readonly string[] = [],
): Promise<ServingCredentials> {
  // The state directory holds the token and the keys (and the store): 0700 even if it existed as 0755.
  await ensurePrivateDir(stateDir);
  const pki = join(stateDir, 'pki');
  await ensurePrivateDir(pki);
  const caFile = join(pki, 'ca.crt');
  const caKey = join(pki, 'ca.key');
  const certFile = join(pki, 'apiserver.crt');
  const keyFile = join(pki, 'apiserver.key');
  const sansFile = join(pki, 'apiserver.sans');

  if (!(await exists(caFile)) || !(await exists(caKey))) {
    await openssl(
      [
        'req',
        '-x509',
        ...newP256Key('ca.key'),
        '-out',
        'ca.crt',
        '-days',
        '3650',
        '-subj',
        '/CN=podrun-ca',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      pki,
    );
    // A new CA invalidates any serving certificate signed by an old one.
    await writeFile(sansFile, '');
  }
  const sans = servingNames(address, extraNames).join(',');
  const previous = (await exists(sansFile)) ? await readFile(sansFile, 'utf8') : '';
  if (previous !== sans || !(await exists(certFile)) || !(await exists(keyFile))) {
    await signLeafCertificate({
      dir: pki,
      name: 'apiserver',
      subject: '/CN=podrun-apiserver',
      extensions: [
        `subjectAltName=${sans}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
      ],
      caCert: 'ca.crt',
      caKey: 'ca.key',
      days: 825,
    });
    await writeFile(sansFile, sans);
  }
  // Keys, certificates and openssl's by-products alike: 0600 (openssl's own modes follow the umask).
  await makeFilesPrivate((await readdir(pki)).map((f) => join(pki, f)));

  const tokenFile = join(stateDir, 'token');
  let token: string;
  if (await exists(tokenFile)) {
    token = (await readFile(tokenFile, 'utf8')).trim();
  } else {
    token = randomBytes(32).toString('hex');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  await makeFilesPrivate([tokenFile]);
  return {
    caFile,
    certFile,
    keyFile,
    ca: await readFile(caFile, 'utf8'),
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
    token,
  };
}
