// The bootstrap roles and bindings every cluster has (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/
// policy.go, testdata/cluster-roles.yaml and cluster-role-bindings.yaml): the user-facing roles
// (cluster-admin, and admin, edit and view built by aggregation from system:aggregate-to-*), and the roles
// every authenticated (or anonymous) client needs for discovery, health and self-reviews.
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from '../../api/types.js';

const GROUP = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function rule(apiGroups: string[], resources: string[], verbs: string[]): PolicyRule {
  return { apiGroups, resources, verbs };
}

const BOOTSTRAP_META = {
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
};

function clusterRole(
  name: string,
  rules: PolicyRule[] | undefined,
  extra: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): ClusterRole {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: {
      name,
      annotations: { ...BOOTSTRAP_META.annotations },
      labels: { ...BOOTSTRAP_META.labels, ...extra.labels },
    },
    ...(extra.aggregateFrom
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [extra.aggregateFrom]: 'true' } }] } }
      : {}),
    ...(rules ? { rules } : {}),
  };
}

export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

export const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { nonResourceURLs: ['*'], verbs: ['*'] }]),
  clusterRole('admin', undefined, { aggregateFrom: AGGREGATE_TO_ADMIN }),
  clusterRole('edit', undefined, {
    aggregateFrom: AGGREGATE_TO_EDIT,
    labels: { [AGGREGATE_TO_ADMIN]: 'true' },
  }),
  clusterRole('view', undefined, {
    aggregateFrom: AGGREGATE_TO_VIEW,
    labels: { [AGGREGATE_TO_EDIT]: 'true' },
  }),
  clusterRole(
    'system:aggregate-to-admin',
    [
      rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
      rule([GROUP], ['rolebindings', 'roles'], READ_WRITE),
    ],
    { labels: { [AGGREGATE_TO_ADMIN]: 'true' } },
  ),
  clusterRole(
    'system:aggregate-to-edit',
    [
      rule(
        [''],
        ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
        READ,
      ),
      rule([''], ['serviceaccounts'], ['impersonate']),
      rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
      rule([''], ['pods/eviction'], ['create']),
      rule(
        [''],
        [
          'configmaps',
          'events',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
        WRITE,
      ),
      rule([''], ['serviceaccounts/token'], ['create']),
      rule(
        ['apps'],
        [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'replicasets',
          'replicasets/scale',
          'statefulsets',
          'statefulsets/scale',
        ],
        WRITE,
      ),
      rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
      rule(['batch'], ['cronjobs', 'jobs'], WRITE),
      rule(
        ['extensions'],
        [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'ingresses',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicationcontrollers/scale',
        ],
        WRITE,
      ),
      rule(['policy'], ['poddisruptionbudgets'], WRITE),
      rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
      rule(['coordination.k8s.io'], ['leases'], READ_WRITE),
    ],
    { labels: { [AGGREGATE_TO_EDIT]: 'true' } },
  ),
  clusterRole(
    'system:aggregate-to-view',
    [
      rule(
        [''],
        [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
        ],
        READ,
      ),
      rule(
        [''],
        [
          'bindings',
          'events',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'replicationcontrollers/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
        READ,
      ),
      rule([''], ['namespaces'], READ),
      rule(['discovery.k8s.io'], ['endpointslices'], READ),
      rule(
        ['apps'],
        [
          'controllerrevisions',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'statefulsets',
          'statefulsets/scale',
          'statefulsets/status',
        ],
        READ,
      ),
      rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
      rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
      rule(
        ['extensions'],
        [
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'ingresses',
          'ingresses/status',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'replicationcontrollers/scale',
        ],
        READ,
      ),
      rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
      rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
    ],
    { labels: { [AGGREGATE_TO_VIEW]: 'true' } },
  ),
  clusterRole('system:basic-user', [
    rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']),
    rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create']),
  ]),
  clusterRole('system:discovery', [
    {
      nonResourceURLs: [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/healthz',
        '/livez',
        '/openapi',
        '/openapi/*',
        '/readyz',
        '/version',
        '/version/',
      ],
      verbs: ['get'],
    },
  ]),
  clusterRole('system:public-info-viewer', [
    { nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] },
  ]),
  clusterRole('system:auth-delegator', [
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
  ]),
];

function binding(name: string, role: string, groups: string[]): ClusterRoleBinding {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: {
      name,
      annotations: { ...BOOTSTRAP_META.annotations },
      labels: { ...BOOTSTRAP_META.labels },
    },
    roleRef: { apiGroup: GROUP, kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ apiGroup: GROUP, kind: 'Group', name: g })),
  };
}

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', ['system:masters']),
  binding('system:basic-user', 'system:basic-user', ['system:authenticated']),
  binding('system:discovery', 'system:discovery', ['system:authenticated']),
  binding('system:public-info-viewer', 'system:public-info-viewer', [
    'system:authenticated',
    'system:unauthenticated',
  ]),
];
