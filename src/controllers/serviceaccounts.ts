// Two of kube-controller-manager's per-namespace controllers: the ServiceAccount controller
// (pkg/controller/serviceaccount/serviceaccounts_controller.go), which makes sure every active namespace has
// a ServiceAccount `default`, and the root CA publisher (pkg/controller/certificates/rootcacertpublisher),
// which keeps a ConfigMap `kube-root-ca.crt` holding the API server's CA in every namespace. Both act on a
// namespace when it appears and when their object in it is deleted or changed.
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { Clock } from '../util/clock.js';
import type { ControllerClient } from './client.js';
import { Informer } from './informer.js';
import { WorkQueue } from './queue.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** The annotation the publisher puts on the ConfigMap (DescriptionAnnotation). */
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

function find(group: string, resource: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.resource === resource);
  if (!r) throw new Error(`resource ${resource}.${group} is missing from src/api/resources.ts`);
  return r;
}

export interface ServiceAccountControllersOptions {
  client: ControllerClient;
  clock: Clock;
  /** PEM of the CA that signed the API server's serving certificate. */
  rootCA: string;
  onError?(controller: string, key: string, err: unknown): void;
}

function isActive(ns: KubeObject | undefined): boolean {
  if (!ns || ns.metadata.deletionTimestamp) return false;
  return (ns.status as { phase?: string } | undefined)?.phase !== 'Terminating';
}

/** A write refused because the namespace went away or is terminating: nothing to do there any more. */
function namespaceGone(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 403 || e.code === 404);
}

export class ServiceAccountControllers {
  readonly #options: ServiceAccountControllersOptions;
  readonly #namespaces: Informer;
  readonly #serviceAccounts: Informer;
  readonly #configMaps: Informer;
  readonly #saQueue: WorkQueue;
  readonly #caQueue: WorkQueue;
  readonly #resources = {
    serviceaccounts: find('', 'serviceaccounts'),
    configmaps: find('', 'configmaps'),
  };

  constructor(options: ServiceAccountControllersOptions) {
    this.#options = options;
    const { client, clock } = options;
    this.#namespaces = new Informer(client, find('', 'namespaces'));
    this.#serviceAccounts = new Informer(client, this.#resources.serviceaccounts);
    this.#configMaps = new Informer(client, this.#resources.configmaps);
    this.#saQueue = new WorkQueue({
      clock,
      sync: (ns) => this.#syncServiceAccounts(ns),
      onError: (key, err) => options.onError?.('serviceaccount', key, err),
    });
    this.#caQueue = new WorkQueue({
      clock,
      sync: (ns) => this.#syncRootCA(ns),
      onError: (key, err) => options.onError?.('root-ca-cert-publisher', key, err),
    });
    this.#namespaces.onChange((type, ns) => {
      if (type === 'DELETED') return;
      this.#saQueue.add(ns.metadata.name ?? '');
      this.#caQueue.add(ns.metadata.name ?? '');
    });
    this.#serviceAccounts.onChange((type, sa) => {
      if (type === 'DELETED' && sa.metadata.name === DEFAULT_SERVICE_ACCOUNT) {
        this.#saQueue.add(sa.metadata.namespace ?? '');
      }
    });
    this.#configMaps.onChange((_type, cm) => {
      // Deleted or changed by someone else: put back (an update by the publisher itself is a no-op sync).
      if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.#caQueue.add(cm.metadata.namespace ?? '');
    });
  }

  async start(): Promise<void> {
    for (const i of [this.#serviceAccounts, this.#configMaps, this.#namespaces]) await i.start();
  }

  /** Resolves once both queues are idle (tests). */
  async settled(): Promise<void> {
    for (let round = 0; round < 2; round++) {
      await this.#saQueue.settled();
      await this.#caQueue.settled();
    }
  }

  stop(): void {
    this.#saQueue.shutDown();
    this.#caQueue.shutDown();
    for (const i of [this.#namespaces, this.#serviceAccounts, this.#configMaps]) i.stop();
  }

  async #syncServiceAccounts(namespace: string): Promise<undefined> {
    if (!isActive(this.#namespaces.get('', namespace))) return undefined;
    if (this.#serviceAccounts.get(namespace, DEFAULT_SERVICE_ACCOUNT)) return undefined;
    // The CA first: a pod is admitted only once `default` exists, and its token volume needs the CA, so
    // publishing it before spares a new namespace's first pod a FailedMount while the two controllers race.
    await this.#syncRootCA(namespace);
    try {
      await this.#options.client.create(this.#resources.serviceaccounts, namespace, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace },
      });
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'AlreadyExists') return undefined;
      if (namespaceGone(e)) return undefined;
      throw e;
    }
    return undefined;
  }

  async #syncRootCA(namespace: string): Promise<undefined> {
    if (!isActive(this.#namespaces.get('', namespace))) return undefined;
    const data = { 'ca.crt': this.#options.rootCA };
    const cm = this.#configMaps.get(namespace, ROOT_CA_CONFIGMAP);
    const { client } = this.#options;
    try {
      if (!cm) {
        await client.create(this.#resources.configmaps, namespace, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: ROOT_CA_CONFIGMAP,
            namespace,
            annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
          },
          data,
        });
        return undefined;
      }
      const current = (cm.data ?? {}) as Record<string, string>;
      const same =
        Object.keys(current).length === 1 &&
        current['ca.crt'] === data['ca.crt'] &&
        (cm.metadata.annotations?.['kubernetes.io/description'] ?? '') !== '';
      if (same) return undefined;
      await client.update(this.#resources.configmaps, namespace, {
        ...cm,
        metadata: {
          ...cm.metadata,
          annotations: { ...cm.metadata.annotations, 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
        },
        data,
      });
    } catch (e) {
      if (e instanceof ApiError && (e.reason === 'AlreadyExists' || e.reason === 'Conflict')) {
        // The informer has not seen the latest version yet; its event brings the namespace back.
        return undefined;
      }
      if (namespaceGone(e)) return undefined;
      throw e;
    }
    return undefined;
  }
}
