// kube-controller-manager's ClusterRole aggregation controller (pkg/controller/clusterroleaggregation): a
// ClusterRole with an aggregationRule gets, as its rules, the rules of every other ClusterRole its selectors
// match, in name order and each rule once. Any ClusterRole change re-computes every aggregated role, so
// labelling a role `rbac.authorization.k8s.io/aggregate-to-view: "true"` extends view, edit and admin.
import { jsonEqual } from '../api/json-equal.js';
import { resourceByName } from '../api/resources.js';
import { labelSelectorFromObject } from '../api/selectors.js';
import type { ClusterRole, KubeObject, PolicyRule } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import { Informer } from './informer.js';
import { WorkQueue } from './queue.js';

const CLUSTER_ROLES = resourceByName('rbac.authorization.k8s.io', 'clusterroles')!;

/** The rules `role` aggregates from `all` (the ClusterRoles there are), or undefined if it aggregates nothing. */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return undefined;
  const matched = new Map<string, ClusterRole>();
  for (const s of selectors) {
    let selector: ReturnType<typeof labelSelectorFromObject>;
    try {
      selector = labelSelectorFromObject(s);
    } catch {
      continue;
    }
    for (const other of all) {
      const name = other.metadata?.name ?? '';
      if (name === role.metadata?.name) continue;
      if (selector.matches(other as unknown as KubeObject)) matched.set(name, other);
    }
  }
  const rules: PolicyRule[] = [];
  for (const name of [...matched.keys()].sort()) {
    for (const r of matched.get(name)!.rules ?? []) {
      if (!rules.some((x) => jsonEqual(x, r))) rules.push(r);
    }
  }
  return rules;
}

export class ClusterRoleAggregationController {
  readonly #client: ControllerClient;
  readonly #roles: Informer;
  readonly #queue: WorkQueue;

  constructor(options: {
    client: ControllerClient;
    clock: Clock;
    onError?: (controller: string, key: string, err: unknown) => void;
  }) {
    this.#client = options.client;
    this.#roles = new Informer(options.client, CLUSTER_ROLES);
    this.#queue = new WorkQueue({
      clock: options.clock,
      sync: (name) => this.#sync(name),
      onError: (key, err) => options.onError?.('clusterrole-aggregation', key, err),
    });
    this.#roles.onChange(() => {
      for (const r of this.#roles.list()) {
        if ((r as unknown as ClusterRole).aggregationRule) this.#queue.add(r.metadata.name ?? '');
      }
    });
  }

  async start(): Promise<void> {
    await this.#roles.start();
  }

  async settled(): Promise<void> {
    await this.#queue.settled();
  }

  stop(): void {
    this.#queue.shutDown();
    this.#roles.stop();
  }

  async #sync(name: string): Promise<undefined> {
    const role = this.#roles.get('', name) as unknown as ClusterRole | undefined;
    if (!role) return undefined;
    const all = this.#roles.list() as unknown as ClusterRole[];
    const rules = aggregatedRules(role, all);
    if (rules === undefined || jsonEqual(rules, role.rules ?? [])) return undefined;
    try {
      await this.#client.update(CLUSTER_ROLES, '', { ...(role as unknown as KubeObject), rules });
    } catch (e) {
      // A newer version is on its way through the informer, which queues the role again.
      if (isStaleWrite(e)) return undefined;
      throw e;
    }
    return undefined;
  }
}
