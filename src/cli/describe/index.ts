// The describers by kind: `podrun describe` looks one up, and says which kinds it has when there is none.
import type { Event, KubeObject, Pod, Role, RoleBinding, Service } from '../../api/types.js';
import type { KubeClient } from '../client/kube.js';
import { describePod } from './pod.js';
import { describeRole, describeRoleBinding } from './rbac.js';
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
};

export function describerFor(kind: string): Describer | undefined {
  return Object.hasOwn(DESCRIBERS, kind) ? DESCRIBERS[kind] : undefined;
}
