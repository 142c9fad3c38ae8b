// Client certificates, as kube-apiserver's x509 authenticator reads them (--client-ca-file): a certificate
// signed by the API server's CA names the user in its Common Name and the groups in its Organizations.
// podrun signs them with its own CA (pki/ca.key), for kubeconfigs that authenticate by certificate.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../authn/user.js';
import { signLeafCertificate } from './tls.js';

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

/** A key and a certificate for `user` in `groups`, signed by the CA of `stateDir` (PEM text of each). */
export async function issueClientCertificate(
  stateDir: string,
  user: string,
  groups: string[],
): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'podrun-client-cert-'));
  try {
    const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
    await signLeafCertificate({
      dir,
      name: 'client',
      subject,
      extensions: [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=clientAuth',
      ],
      caCert: join(stateDir, 'pki', 'ca.crt'),
      caKey: join(stateDir, 'pki', 'ca.key'),
      // Not next to the CA: the state directory's pki/ is the server's, and this may run as another user.
      serialFile: join(dir, 'ca.srl'),
      days: 365,
    });
    return {
      cert: await readFile(join(dir, 'client.crt'), 'utf8'),
      key: await readFile(join(dir, 'client.key'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
