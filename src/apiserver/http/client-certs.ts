// Client certificates, as kube-apiserver's x509 authenticator reads them (--client-ca-file): a certificate
// signed by the API server's CA names the user in its Common Name and the groups in its Organizations.
// podrun signs them with its own CA (pki/ca.key), for kubeconfigs that authenticate by certificate.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../authn/user.js';

/** The user of a verified client certificate: CN the name, each O a group, plus system:authenticated. */
export function certificateUser(socket: TLSSocket): UserInfo | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert?.subject?.CN) return undefined;
  const cn = Array.isArray(cert.subject.CN) ? cert.subject.CN[0]! : cert.subject.CN;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { username: cn, groups: [...groups, 'system:authenticated'] };
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (e) =>
      reject(new Error(`could not run openssl to sign a client certificate: ${e.message}`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`openssl ${args[0]} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

/** A key and a certificate for `user` in `groups`, signed by the CA of `stateDir` (PEM text of each). */
export async function issueClientCertificate(
  stateDir: string,
  user: string,
  groups: string[],
): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'podrun-client-cert-'));
  try {
    const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
    await writeFile(
      join(dir, 'client.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    );
    await openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'client.key',
        '-out',
        'client.csr',
        '-subj',
        subject,
      ],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'client.csr',
        '-CA',
        join(stateDir, 'pki', 'ca.crt'),
        '-CAkey',
        join(stateDir, 'pki', 'ca.key'),
        '-CAcreateserial',
        '-CAserial',
        join(dir, 'ca.srl'),
        '-out',
        'client.crt',
        '-days',
        '365',
        '-extfile',
        'client.ext',
      ],
      dir,
    );
    return {
      cert: await readFile(join(dir, 'client.crt'), 'utf8'),
      key: await readFile(join(dir, 'client.key'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
