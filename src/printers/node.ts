// printNode and printLease (pkg/printers/internalversion/printers.go, v1.32): NAME STATUS ROLES AGE VERSION, and
// under -o wide INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME; leases NAME HOLDER AGE.
import type { KubeObject, Lease, Node } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, compareGoStrings, NAME_COLUMN } from './meta.js';
import type { PrintedTable, TableColumnDefinition } from './types.js';

// NodeStatus / NodeSystemInfo swagger docs (kubernetes-types' copies of them).
const ADDRESSES_DOC =
  "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).";

export const nodeColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Status', 'string', 'The status of the node'),
  column('Roles', 'string', 'The roles of the node'),
  AGE_COLUMN,
  column('Version', 'string', 'Kubelet Version reported by the node.'),
  column('Internal-IP', 'string', ADDRESSES_DOC, 1),
  column('External-IP', 'string', ADDRESSES_DOC, 1),
  column(
    'OS-Image',
    'string',
    'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
    1,
  ),
  column(
    'Kernel-Version',
    'string',
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    1,
  ),
  column(
    'Container-Runtime',
    'string',
    'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    1,
  ),
];

const LABEL_NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_LABEL_ROLE = 'kubernetes.io/role';

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and a non-empty `kubernetes.io/role` value, sorted. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(LABEL_NODE_ROLE_PREFIX)) {
      const role = k.slice(LABEL_NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_LABEL_ROLE && v !== '') roles.add(v);
  }
  return [...roles].sort(compareGoStrings);
}

/** The STATUS cell: Ready / NotReady (Unknown without a Ready condition), then SchedulingDisabled if cordoned. */
export function nodeStatusCell(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export function printNodes(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: nodeColumnDefinitions,
    rows: objects.map((object) => {
      const node = object as unknown as Node;
      const info = node.status?.nodeInfo;
      return {
        cells: [
          node.metadata?.name ?? '',
          nodeStatusCell(node),
          nodeRoles(node).join(',') || '<none>',
          translateTimestampSince(node.metadata?.creationTimestamp, now),
          info?.kubeletVersion ?? '',
          address(node, 'InternalIP'),
          address(node, 'ExternalIP'),
          info?.osImage || '<unknown>',
          info?.kernelVersion || '<unknown>',
          info?.containerRuntimeVersion || '<unknown>',
        ],
        object,
      };
    }),
  };
}

export const leaseColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
  AGE_COLUMN,
];

export function printLeases(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: leaseColumnDefinitions,
    rows: objects.map((object) => {
      const lease = object as unknown as Lease;
      return {
        cells: [
          lease.metadata?.name ?? '',
          lease.spec?.holderIdentity ?? '<unknown>',
          translateTimestampSince(lease.metadata?.creationTimestamp, now),
        ],
        object,
      };
    }),
  };
}
