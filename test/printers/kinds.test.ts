// The Table rows of every kind podrun serves besides Pod, as upstream's printers.go prints them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { formatRFC3339 } from '../../src/printers/default.js';
import { defaultPrinter, printerFor, tablePrinterFor } from '../../src/printers/index.js';
import { formatLabelSelector, formatLabels } from '../../src/printers/meta.js';
import { ago, NOW } from './pod-fixtures.js';

function object(
  apiVersion: string,
  kind: string,
  name: string,
  rest: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: 'default', creationTimestamp: ago(300) },
    ...rest,
  };
}

function cells(kind: string, obj: KubeObject): unknown[] {
  const table = printerFor(kind)!([obj], NOW);
  assert.equal(table.rows[0]!.cells.length, table.columnDefinitions.length, `${kind}: one cell per column`);
  return table.rows[0]!.cells;
}

function columns(kind: string): [string, string, number][] {
  return printerFor(kind)!([], NOW).columnDefinitions.map((c) => [c.name, c.type, c.priority]);
}

describe('Namespace, ConfigMap, Secret', () => {
  test('a Namespace row is NAME STATUS AGE', () => {
    assert.deepEqual(columns('Namespace'), [
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const ns = object('v1', 'Namespace', 'default', { status: { phase: 'Active' } });
    assert.deepEqual(cells('Namespace', ns), ['default', 'Active', '5m']);
  });

  test('a ConfigMap row counts data and binaryData keys', () => {
    assert.deepEqual(columns('ConfigMap'), [
      ['Name', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const cm = object('v1', 'ConfigMap', 'cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } });
    assert.deepEqual(cells('ConfigMap', cm), ['cfg', 3, '5m']);
    assert.deepEqual(cells('ConfigMap', object('v1', 'ConfigMap', 'empty')), ['empty', 0, '5m']);
  });

  test('a Secret row is NAME TYPE DATA AGE, counting keys as stored data', () => {
    assert.deepEqual(columns('Secret'), [
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const s = object('v1', 'Secret', 'creds', {
      type: 'kubernetes.io/basic-auth',
      data: { username: 'YQ==', password: 'Yg==' },
    });
    assert.deepEqual(cells('Secret', s), ['creds', 'kubernetes.io/basic-auth', 2, '5m']);
    const withStringData = object('v1', 'Secret', 'mixed', {
      data: { a: 'YQ==' },
      stringData: { a: 'x', b: 'y' },
    });
    assert.deepEqual(cells('Secret', withStringData), ['mixed', 'Opaque', 2, '5m']);
  });

  test('a ServiceAccount row is NAME SECRETS AGE, counting secrets but not imagePullSecrets', () => {
    assert.deepEqual(columns('ServiceAccount'), [
      ['Name', 'string', 0],
      ['Secrets', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const sa = object('v1', 'ServiceAccount', 'builder', {
      secrets: [{ name: 'a' }, { name: 'b' }],
      imagePullSecrets: [{ name: 'pull' }],
    });
    assert.deepEqual(cells('ServiceAccount', sa), ['builder', 2, '5m']);
    assert.deepEqual(cells('ServiceAccount', object('v1', 'ServiceAccount', 'bare')), ['bare', 0, '5m']);
  });
});

describe('Service and Endpoints', () => {
  test('a ClusterIP Service prints port/protocol, <none> external IP and its selector under wide', () => {
    assert.deepEqual(columns('Service'), [
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Cluster-IP', 'string', 0],
      ['External-IP', 'string', 0],
      ['Port(s)', 'string', 0],
      ['Age', 'string', 0],
      ['Selector', 'string', 1],
    ]);
    const svc = object('v1', 'Service', 'web', {
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { tier: 'front', app: 'web' },
      },
    });
    assert.deepEqual(cells('Service', svc), [
      'web',
      'ClusterIP',
      '10.96.0.10',
      '<none>',
      '80/TCP,53/UDP',
      '5m',
      'app=web,tier=front',
    ]);
  });

  test('a NodePort Service prints port:nodePort/protocol; no ports and no selector print <none>', () => {
    const svc = object('v1', 'Service', 'np', {
      spec: {
        type: 'NodePort',
        clusterIPs: ['10.96.0.11'],
        ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }],
      },
    });
    assert.deepEqual(cells('Service', svc).slice(1, 5), ['NodePort', '10.96.0.11', '<none>', '80:30080/TCP']);
    const bare = object('v1', 'Service', 'bare', { spec: { type: 'ClusterIP', clusterIP: 'None' } });
    assert.deepEqual(cells('Service', bare), [
      'bare',
      'ClusterIP',
      'None',
      '<none>',
      '<none>',
      '5m',
      '<none>',
    ]);
  });

  test('a LoadBalancer Service shows <pending> until it has ingress, then all addresses (the server prints wide)', () => {
    const pending = object('v1', 'Service', 'lb', {
      spec: {
        type: 'LoadBalancer',
        clusterIPs: ['1.3.4.5'],
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 7777, protocol: 'SCTP' },
        ],
      },
    });
    assert.deepEqual(cells('Service', pending).slice(3, 5), ['<pending>', '80/TCP,7777/SCTP']);
    const ready = object('v1', 'Service', 'lb', {
      spec: {
        type: 'LoadBalancer',
        clusterIPs: ['1.5.6.7'],
        ports: [{ port: 80, protocol: 'TCP' }],
        externalIPs: ['9.9.9.9'],
      },
      status: {
        loadBalancer: {
          ingress: [
            { ip: '2.3.4.5' },
            { ip: '3.4.5.6' },
            { ip: '5.6.7.8', hostname: 'h' },
            { hostname: 'lb.example' },
          ],
        },
      },
    });
    assert.equal(cells('Service', ready)[3], '2.3.4.5,3.4.5.6,5.6.7.8,lb.example,9.9.9.9');
  });

  test('an ExternalName Service shows the external name', () => {
    const svc = object('v1', 'Service', 'ext', {
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    });
    assert.deepEqual(cells('Service', svc).slice(1, 5), [
      'ExternalName',
      '<none>',
      'db.example.com',
      '<none>',
    ]);
  });

  test('Endpoints print up to three ip:port, then + N more...', () => {
    assert.deepEqual(columns('Endpoints'), [
      ['Name', 'string', 0],
      ['Endpoints', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const many = object('v1', 'Endpoints', 'web', {
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
          ports: [
            { port: 80, protocol: 'TCP' },
            { port: 443, protocol: 'TCP' },
          ],
        },
        { addresses: [{ ip: 'fd00::5' }], ports: [{ port: 8080 }] },
      ],
    });
    assert.deepEqual(cells('Endpoints', many), [
      'web',
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...',
      '5m',
    ]);
    const few = object('v1', 'Endpoints', 'v6', {
      subsets: [{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 8080 }] }],
    });
    assert.equal(cells('Endpoints', few)[1], '[fd00::5]:8080');
    const headless = object('v1', 'Endpoints', 'hl', { subsets: [{ addresses: [{ ip: '10.0.0.7' }] }] });
    assert.equal(cells('Endpoints', headless)[1], '10.0.0.7');
    assert.equal(cells('Endpoints', object('v1', 'Endpoints', 'none'))[1], '<none>');
  });
});

describe('Event', () => {
  const base = {
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod web_default(uid)\n',
    type: 'Warning',
    source: { component: 'kubelet', host: 'local' },
  };

  test('the Event columns are upstream eventColumnDefinitions, wide ones at priority 1', () => {
    assert.deepEqual(columns('Event'), [
      ['Last Seen', 'string', 0],
      ['Type', 'string', 0],
      ['Reason', 'string', 0],
      ['Object', 'string', 0],
      ['Subobject', 'string', 1],
      ['Source', 'string', 1],
      ['Message', 'string', 0],
      ['First Seen', 'string', 1],
      ['Count', 'string', 1],
      ['Name', 'string', 1],
    ]);
  });

  test('an Event row: times since last and first seen, kind/name lower-cased, trimmed message, count', () => {
    const ev = object('v1', 'Event', 'web.17f', {
      ...base,
      firstTimestamp: ago(600),
      lastTimestamp: ago(10),
      count: 5,
    });
    assert.deepEqual(cells('Event', ev), [
      '10s',
      'Warning',
      'BackOff',
      'pod/web',
      'spec.containers{app}',
      'kubelet, local',
      'Back-off restarting failed container app in pod web_default(uid)',
      '10m',
      5,
      'web.17f',
    ]);
  });

  test('a new-style Event falls back to eventTime, series and the reporting controller', () => {
    const ev = object('v1', 'Event', 'e', {
      ...base,
      involvedObject: { kind: 'Node', name: '' },
      source: {},
      reportingComponent: 'scheduler',
      eventTime: '2026-11-24T22:05:15.000000Z',
      series: { count: 4, lastObservedTime: ago(3) },
    });
    const c = cells('Event', ev);
    assert.deepEqual([c[0], c[3], c[5], c[7], c[8]], ['3s', 'node', 'scheduler', '5m', 4]);
    const singleton = object('v1', 'Event', 's', { ...base, eventTime: ago(20) });
    const s = cells('Event', singleton);
    assert.deepEqual([s[0], s[7], s[8]], ['20s', '20s', 1]);
  });
});

describe('Deployment and ReplicaSet', () => {
  const template = {
    spec: {
      containers: [
        { name: 'api', image: 'api:2' },
        { name: 'proxy', image: 'envoy:1' },
      ],
    },
  };

  test('a Deployment row is NAME READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR', () => {
    assert.deepEqual(columns('Deployment'), [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Up-to-date', 'string', 0],
      ['Available', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    const d = object('apps/v1', 'Deployment', 'api', {
      spec: {
        replicas: 3,
        selector: {
          matchLabels: { app: 'api' },
          matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }],
        },
        template,
      },
      status: { replicas: 3, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
    });
    assert.deepEqual(cells('Deployment', d), [
      'api',
      '1/3',
      2,
      1,
      '5m',
      'api,proxy',
      'api:2,envoy:1',
      'app=api,env in (dev,prod)',
    ]);
  });

  test('a Deployment with no status yet shows 0/replicas and zeros; an empty selector prints empty', () => {
    const d = object('apps/v1', 'Deployment', 'new', { spec: { replicas: 2, selector: {}, template } });
    assert.deepEqual(cells('Deployment', d).slice(1, 4), ['0/2', 0, 0]);
    assert.equal(cells('Deployment', d)[7], '');
  });

  test('a ReplicaSet row is NAME DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR', () => {
    assert.deepEqual(columns('ReplicaSet'), [
      ['Name', 'string', 0],
      ['Desired', 'integer', 0],
      ['Current', 'integer', 0],
      ['Ready', 'integer', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    const rs = object('apps/v1', 'ReplicaSet', 'api-5d8f', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'api', 'pod-template-hash': '5d8f' } }, template },
      status: { replicas: 3, readyReplicas: 2 },
    });
    assert.deepEqual(cells('ReplicaSet', rs), [
      'api-5d8f',
      3,
      3,
      2,
      '5m',
      'api,proxy',
      'api:2,envoy:1',
      'app=api,pod-template-hash=5d8f',
    ]);
    const noSelector = object('apps/v1', 'ReplicaSet', 'x', { spec: { replicas: 0, template } });
    assert.deepEqual(cells('ReplicaSet', noSelector).slice(1, 4), [0, 0, 0]);
    assert.equal(cells('ReplicaSet', noSelector)[7], '<none>');
  });
});

describe('Job', () => {
  const template = { spec: { containers: [{ name: 'work', image: 'busybox' }] } };
  const job = (rest: Record<string, unknown>, meta: Record<string, unknown> = {}) => {
    const j = object('batch/v1', 'Job', 'pi', {
      spec: { template, selector: { matchLabels: { 'job-name': 'pi' } } },
      ...rest,
    });
    return { ...j, metadata: { ...j.metadata, ...meta } } as KubeObject;
  };
  const cond = (type: string, status = 'True') => ({ type, status });

  test('the Job columns are NAME STATUS COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR', () => {
    assert.deepEqual(columns('Job'), [
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Completions', 'string', 0],
      ['Duration', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
  });

  test('a complete Job: Complete, succeeded/completions, start-to-completion duration', () => {
    const j = job({
      spec: { completions: 3, template, selector: { matchLabels: { 'job-name': 'pi' } } },
      status: {
        succeeded: 3,
        startTime: ago(200),
        completionTime: ago(80),
        conditions: [cond('SuccessCriteriaMet'), cond('Complete')],
      },
    });
    assert.deepEqual(cells('Job', j), [
      'pi',
      'Complete',
      '3/3',
      '2m',
      '5m',
      'work',
      'busybox',
      'job-name=pi',
    ]);
  });

  test('a running Job: Running, duration so far; without completions 0/1, or 0/1 of N in parallel', () => {
    const running = job({ status: { active: 1, startTime: ago(45) } });
    assert.deepEqual(cells('Job', running).slice(1, 4), ['Running', '0/1', '45s']);
    const parallel = job({
      spec: { parallelism: 4, template, selector: {} },
      status: { active: 4, succeeded: 1, startTime: ago(5) },
    });
    assert.deepEqual(cells('Job', parallel).slice(1, 4), ['Running', '1/1 of 4', '5s']);
    assert.equal(cells('Job', job({}))[3], '', 'no start time, no duration');
  });

  test('Job STATUS precedence: Complete, Failed, Terminating, Suspended, FailureTarget, else Running (v1.32)', () => {
    const status = (conditions: object[], meta: Record<string, unknown> = {}) =>
      cells('Job', job({ status: { conditions } }, meta))[1];
    assert.equal(status([cond('Failed'), cond('Complete')]), 'Complete');
    assert.equal(status([cond('FailureTarget'), cond('Failed')]), 'Failed');
    assert.equal(status([cond('Failed')], { deletionTimestamp: ago(1) }), 'Failed');
    assert.equal(status([cond('Suspended')], { deletionTimestamp: ago(1) }), 'Terminating');
    assert.equal(status([cond('Suspended')]), 'Suspended');
    assert.equal(status([cond('Suspended', 'False'), cond('FailureTarget')]), 'FailureTarget');
    assert.equal(status([cond('SuccessCriteriaMet')]), 'Running');
    assert.equal(status([cond('Complete', 'False')]), 'Running');
  });
});

describe('fallback and helpers', () => {
  test('kinds without a printer of their own get the API server default: NAME and CREATED AT', () => {
    assert.equal(printerFor('Widget'), undefined);
    assert.equal(tablePrinterFor('Widget'), defaultPrinter);
    const t = defaultPrinter([object('example.com/v1', 'Widget', 'l1')], NOW);
    assert.deepEqual(
      t.columnDefinitions.map((c) => [c.name, c.type]),
      [
        ['Name', 'string'],
        ['Created At', 'date'],
      ],
    );
    assert.deepEqual(t.rows[0]!.cells, ['l1', '2026-11-24T22:05:15Z']);
    assert.equal(formatRFC3339(undefined), '0001-01-01T00:00:00Z');
    assert.equal(formatRFC3339('2026-01-02T03:04:05.678+02:00'), '2026-01-02T01:04:05Z');
  });

  test('labels and selectors format as apimachinery does', () => {
    assert.equal(formatLabels({}), '<none>');
    assert.equal(formatLabels({ b: '2', a: '1', 'a.b': 'x' }), 'a.b=x,a=1,b=2');
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(
      formatLabelSelector({
        matchLabels: { zone: 'a' },
        matchExpressions: [
          { key: 'tier', operator: 'NotIn', values: ['cache'] },
          { key: 'gpu', operator: 'Exists' },
          { key: 'spot', operator: 'DoesNotExist' },
        ],
      }),
      'gpu,!spot,tier notin (cache),zone=a',
    );
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'k', operator: 'Near' }] }), '<error>');
  });
});

describe('Node and Lease', () => {
  const node = (rest: Record<string, unknown>, labels: Record<string, string> = {}) => ({
    ...object('v1', 'Node', 'box', rest),
    metadata: { name: 'box', labels, creationTimestamp: ago(300) },
  });
  const info = {
    kubeletVersion: 'v1.32.0-podrun',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    kernelVersion: '6.1.0-18-amd64',
    containerRuntimeVersion: 'host://0.1.0',
  };

  test('a Node row is NAME STATUS ROLES AGE VERSION, with the wide columns after them', () => {
    assert.deepEqual(columns('Node'), [
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Roles', 'string', 0],
      ['Age', 'string', 0],
      ['Version', 'string', 0],
      ['Internal-IP', 'string', 1],
      ['External-IP', 'string', 1],
      ['OS-Image', 'string', 1],
      ['Kernel-Version', 'string', 1],
      ['Container-Runtime', 'string', 1],
    ]);
    const ready = node(
      {
        status: {
          conditions: [
            { type: 'MemoryPressure', status: 'False' },
            { type: 'Ready', status: 'True' },
          ],
          addresses: [
            { type: 'InternalIP', address: '10.0.0.5' },
            { type: 'Hostname', address: 'box' },
          ],
          nodeInfo: info,
        },
      },
      {
        'node-role.kubernetes.io/control-plane': '',
        'kubernetes.io/role': 'edge',
        'kubernetes.io/os': 'linux',
      },
    );
    assert.deepEqual(cells('Node', ready), [
      'box',
      'Ready',
      'control-plane,edge',
      '5m',
      'v1.32.0-podrun',
      '10.0.0.5',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0-18-amd64',
      'host://0.1.0',
    ]);
  });

  test('a Node without a Ready condition is Unknown, a cordoned one adds SchedulingDisabled', () => {
    const bare = node({ spec: { unschedulable: true } });
    assert.deepEqual(cells('Node', bare), [
      'box',
      'Unknown,SchedulingDisabled',
      '<none>',
      '5m',
      '',
      '<none>',
      '<none>',
      '<unknown>',
      '<unknown>',
      '<unknown>',
    ]);
    const notReady = node({ status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    assert.equal(cells('Node', notReady)[1], 'NotReady');
  });

  test('a Lease row is NAME HOLDER AGE', () => {
    assert.deepEqual(columns('Lease'), [
      ['Name', 'string', 0],
      ['Holder', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const lease = object('coordination.k8s.io/v1', 'Lease', 'box', { spec: { holderIdentity: 'box' } });
    assert.deepEqual(cells('Lease', lease), ['box', 'box', '5m']);
    assert.deepEqual(cells('Lease', object('coordination.k8s.io/v1', 'Lease', 'free')), [
      'free',
      '<unknown>',
      '5m',
    ]);
  });
});
