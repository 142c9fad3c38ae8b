// The describers by kind: `podrun describe` looks one up, and says which kinds it has when there is none.
import type {
  ConfigMap,
  Deployment,
  Event,
  KubeObject,
  Node,
  Pod,
  ReplicaSet,
  Role,
  RoleBinding,
  Secret,
  Service,
} from '../../api/types.js';
import type { KubeClient } from '../client/kube.js';
import { describeConfigMap, describeSecret } from './config.js';
import { describeDeployment } from './deployment.js';
import { describeNode } from './node.js';
import { describePod } from './pod.js';
import { describeRole, describeRoleBinding } from './rbac.js';
import { describeReplicaSet } from './replicaset.js';
import { describeService } from './service.js';

export interface DescribeContext {
  client: KubeClient;
  /** The object's events; undefined with --show-events=false (then no Events section). */
  events: Event[] | undefined;
  now: number;
}

export type Describer = (object: KubeObject, ctx: DescribeContext) => Promise<string>;

const DESCRIBERS: Readonly<Record<string, Describer>> = {
  Pod: async (o, ctx) => describePod(o as unknown as Pod, ctx.events, ctx.now),
  Service: (o, ctx) => describeService(o as unknown as Service, ctx.events, ctx.client, ctx.now),
  Role: async (o) => describeRole(o as unknown as Role),
  ClusterRole: async (o) => describeRole(o as unknown as Role),
  RoleBinding: async (o) => describeRoleBinding(o as unknown as RoleBinding),
  ClusterRoleBinding: async (o) => describeRoleBinding(o as unknown as RoleBinding),
  ReplicaSet: (o, ctx) => describeReplicaSet(o as unknown as ReplicaSet, ctx.events, ctx.client, ctx.now),
  ConfigMap: async (o, ctx) => describeConfigMap(o as unknown as ConfigMap, ctx.events, ctx.now),
  // kubectl's secret describer shows no events.
  Secret: async (o) => describeSecret(o as unknown as Secret),
  // The node asks for its events itself (by UID and by name).
  Node: (o, ctx) => describeNode(o as unknown as Node, ctx.events !== undefined, ctx.client, ctx.now),
  Deployment: (o, ctx) => describeDeployment(o as unknown as Deployment, ctx.events, ctx.client, ctx.now),
};

export function describerFor(kind: string): Describer | undefined {
  return Object.hasOwn(DESCRIBERS, kind) ? DESCRIBERS[kind] : undefined;
}
