// The ServiceAccount pieces of `podrun serve`, wired in one place: the admission plugin on pod creates, the
// token issuer and authenticator (its key in the state directory), and the controllers that keep `default`
// and `kube-root-ca.crt` in every namespace.
import type { ServiceAccount } from '../api/types.js';
import type { Registry } from '../apiserver/registry.js';
import { serviceAccountAdmission } from '../apiserver/serviceaccount/admission.js';
import { ensureSigningKey } from '../apiserver/serviceaccount/jwt.js';
import { ServiceAccountTokens } from '../apiserver/serviceaccount/tokens.js';
import { ServiceAccountControllers } from '../controllers/serviceaccounts.js';
import type { Clock } from '../util/clock.js';
import { registryControllerClient } from './controller-client.js';

/** Installs the admission plugin on `registry` and returns the tokens (TokenRequest and authentication). */
export async function installServiceAccounts(
  registry: Registry,
  stateDir: string,
  clock: Clock,
): Promise<ServiceAccountTokens> {
  registry.addAdmission(
    'pods',
    serviceAccountAdmission({
      getServiceAccount: async (ns, name) =>
        (await registry.findShared('serviceaccounts', ns, name)) as ServiceAccount | undefined,
    }),
  );
  // The tokens only read what they find: the stored objects themselves, not copies.
  const objects = { find: (r: string, ns: string, name: string) => registry.findShared(r, ns, name) };
  return new ServiceAccountTokens({ objects, key: await ensureSigningKey(stateDir), clock });
}

/** Starts the ServiceAccount controller and the root CA publisher; returns their stop. */
export async function startServiceAccountControllers(
  registry: Registry,
  clock: Clock,
  rootCA: string,
  log: (message: string) => void,
): Promise<() => void> {
  const controllers = new ServiceAccountControllers({
    client: registryControllerClient(registry),
    clock,
    rootCA,
    onError: (c, key, err) => log(`${c} controller: ${key}: ${(err as Error).message}`),
  });
  await controllers.start();
  return () => controllers.stop();
}
