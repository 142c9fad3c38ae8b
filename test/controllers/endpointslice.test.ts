// The EndpointSlice controller: against the in-process registry (through the ControllerManager, as podrun runs
// it), and its pure reconciler for what takes many pods to show.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointSlice, KubeObject, Pod } from '../../src/api/types.js';
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import type { ControllerClient } from '../../src/controllers/client.js';
import { EndpointSliceController } from '../../src/controllers/endpointslice.js';
import { reconcileEndpointSlices } from '../../src/controllers/endpointslice-reconciler.js';
import { Informer } from '../../src/controllers/informer.js';
import { RESOURCE } from '../../src/controllers/kinds.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

const ES = 'endpointslices.discovery.k8s.io';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

let registry: Registry;
let manager: ControllerManager;
let clock: FakeClock;
/** Slice writes the controllers made: `create`, `update`, `delete`. */
let sliceWrites: string[];

beforeEach(async () => {
  clock = new FakeClock();
  registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
  const client = registryControllerClient(registry);
  sliceWrites = [];
  const counting: ControllerClient = {
    ...client,
    create: (r, ns, o) => {
      if (r.resource === 'endpointslices') sliceWrites.push('create');
      return client.create(r, ns, o);
    },
    update: (r, ns, o) => {
      if (r.resource === 'endpointslices') sliceWrites.push('update');
      return client.update(r, ns, o);
    },
    delete: (r, ns, n) => {
      if (r.resource === 'endpointslices') sliceWrites.push('delete');
      return client.delete(r, ns, n);
    },
  };
  manager = new ControllerManager({
    client: counting,
    clock,
    recorderFor: (component) => createEventRecorder(registry, { component, clock }),
  });
  await manager.start();
});

afterEach(() => manager.stop());

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await flushMicrotasks();
    await manager.settled();
  }
}

async function service(
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
): Promise<KubeObject> {
  const svc = await registry.create('services', 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
  });
  await settle();
  return svc;
}

interface PodOptions {
  labels?: Record<string, string>;
  /** The app container's named port `http`; false: no ports. */
  httpPort?: number | false;
  ip?: string;
  ready?: boolean;
  spec?: Record<string, unknown>;
}

/** A scheduled pod whose status a kubelet has written: Running with an IP, Ready or not. */
async function pod(name: string, o: PodOptions = {}): Promise<void> {
  const ports = o.httpPort === false ? [] : [{ name: 'http', containerPort: o.httpPort ?? 8080 }];
  const created = await registry.create('pods', 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: o.labels ?? { app: 'web' } },
    spec: {
      nodeName: 'podrun',
      containers: [{ name: 'app', image: 'busybox', ports }],
      ...o.spec,
    },
  });
  const now = new Date(clock.now()).toISOString();
  if (o.ip !== undefined) {
    await registry.updateStatus('pods', 'default', name, {
      ...created,
      status: {
        phase: 'Running',
        podIP: o.ip,
        podIPs: [{ ip: o.ip }],
        conditions: [
          { type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: now },
        ],
      },
    });
  }
  await settle();
}

async function slices(): Promise<EndpointSlice[]> {
  const items = (await registry.list(ES, 'default')).items as unknown as EndpointSlice[];
  return items.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
}

/** Each slice as [ports, addresses] with the ports as `name:port`. */
async function layout(): Promise<[string[], string[]][]> {
  return (await slices())
    .map((s): [string[], string[]] => [
      (s.ports ?? []).map((p) => `${p.name}:${p.port}`),
      (s.endpoints ?? []).flatMap((e) => e.addresses).sort(),
    ])
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function byIP(s: EndpointSlice, ip: string): Endpoint | undefined {
  return s.endpoints.find((e) => e.addresses.includes(ip));
}

describe('EndpointSlice controller', () => {
  test('a slice per Service: name, labels, owner, trigger time, ports, and endpoints with their conditions', async () => {
    const svc = await service('web', { selector: { app: 'web' } }, { team: 'a' });
    // Written first for a new Service: its creation is the change the placeholder reflects.
    const [placeholder] = await slices();
    assert.equal(
      placeholder!.metadata!.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'],
      svc.metadata.creationTimestamp,
    );
    await clock.advance(5000);
    await pod('web-a', { ip: '10.244.0.2' });
    // The next write carries the time of the pod's readiness, the change it reflects.
    assert.equal(
      (await slices())[0]!.metadata!.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'],
      new Date(clock.now()).toISOString().replace('.000Z', 'Z'),
    );
    await pod('web-b', { ip: '10.244.0.3', ready: false });
    await pod('web-c', { ip: '10.244.0.4' });
    await pod('web-pending');
    await pod('other', { ip: '10.244.0.9', labels: { app: 'other' } });
    // A graceful delete: web-c is terminating while its kubelet stops it.
    await registry.delete('pods', 'default', 'web-c');
    await settle();

    const all = await slices();
    assert.equal(all.length, 1);
    const s = all[0]!;
    assert.match(s.metadata!.name!, /^web-[a-z0-9]{5}$/);
    assert.equal(s.metadata!.generateName, 'web-');
    assert.deepEqual(s.metadata!.labels, {
      team: 'a',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
    });
    assert.deepEqual(s.metadata!.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        uid: svc.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(s.endpoints.length, 3);
    const a = byIP(s, '10.244.0.2')!;
    assert.deepEqual(a, {
      addresses: ['10.244.0.2'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: a.targetRef!.uid },
      nodeName: 'podrun',
    });
    assert.ok(a.targetRef!.uid);
    assert.deepEqual(byIP(s, '10.244.0.3')!.conditions, { ready: false, serving: false, terminating: false });
    assert.deepEqual(byIP(s, '10.244.0.4')!.conditions, { ready: false, serving: true, terminating: true });
  });

  test('publishNotReadyAddresses makes every endpoint ready, terminating ones too', async () => {
    await service('web', { selector: { app: 'web' }, publishNotReadyAddresses: true });
    await pod('web-b', { ip: '10.244.0.3', ready: false });
    await pod('web-c', { ip: '10.244.0.4' });
    await registry.delete('pods', 'default', 'web-c');
    await settle();
    const [s] = await slices();
    assert.deepEqual(byIP(s!, '10.244.0.3')!.conditions, { ready: true, serving: false, terminating: false });
    assert.deepEqual(byIP(s!, '10.244.0.4')!.conditions, { ready: true, serving: true, terminating: true });
  });

  test('a named targetPort is resolved per pod: one slice per distinct port set, sidecar ports included', async () => {
    await service('web', {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'metrics', port: 9100, targetPort: 9100 },
      ],
    });
    await pod('web-a', { ip: '10.244.0.2', httpPort: 8080 });
    await pod('web-b', { ip: '10.244.0.3', httpPort: 8080 });
    await pod('web-c', { ip: '10.244.0.4', httpPort: 9090 });
    // No port named http: this pod's port set lacks that service port.
    await pod('web-d', { ip: '10.244.0.5', httpPort: false });
    // A restartable init container (sidecar) that serves the named port.
    await pod('web-e', {
      ip: '10.244.0.6',
      httpPort: false,
      spec: {
        initContainers: [
          {
            name: 'proxy',
            image: 'busybox',
            restartPolicy: 'Always',
            ports: [{ name: 'http', containerPort: 15001 }],
          },
        ],
      },
    });
    assert.deepEqual(await layout(), [
      [['http:15001', 'metrics:9100'], ['10.244.0.6']],
      [
        ['http:8080', 'metrics:9100'],
        ['10.244.0.2', '10.244.0.3'],
      ],
      [['http:9090', 'metrics:9100'], ['10.244.0.4']],
      [['metrics:9100'], ['10.244.0.5']],
    ]);
  });

  test('a headless Service: the headless label, and hostnames for pods whose subdomain is the Service', async () => {
    await service('db', { selector: { app: 'db' }, clusterIP: 'None', ports: [] });
    await pod('db-0', {
      ip: '10.244.0.2',
      labels: { app: 'db' },
      spec: { hostname: 'db-0', subdomain: 'db' },
    });
    await pod('db-1', {
      ip: '10.244.0.3',
      labels: { app: 'db' },
      spec: { hostname: 'db-1', subdomain: 'elsewhere' },
    });
    const [s] = await slices();
    assert.equal(s!.metadata!.labels!['service.kubernetes.io/headless'], '');
    assert.deepEqual(s!.ports, []);
    assert.equal(byIP(s!, '10.244.0.2')!.hostname, 'db-0');
    assert.equal(byIP(s!, '10.244.0.3')!.hostname, undefined);
  });

  test('a Service without pods has one placeholder slice; it stays one slice as pods come and go', async () => {
    await service('web', { selector: { app: 'web' } });
    let all = await slices();
    assert.equal(all.length, 1);
    const name = all[0]!.metadata!.name;
    assert.deepEqual([all[0]!.endpoints, all[0]!.ports], [[], []]);

    await pod('web-a', { ip: '10.244.0.2' });
    all = await slices();
    assert.equal(all.length, 1);
    assert.equal(all[0]!.metadata!.name, name, 'the placeholder is updated into the slice');
    assert.deepEqual(await layout(), [[['http:8080'], ['10.244.0.2']]]);

    // Deleting the last pod for good (not gracefully) empties the slice back into a placeholder.
    await registry.delete('pods', 'default', 'web-a', { gracePeriodSeconds: 0 });
    await settle();
    all = await slices();
    assert.equal(all.length, 1);
    assert.equal(all[0]!.metadata!.name, name);
    assert.deepEqual([all[0]!.endpoints, all[0]!.ports], [[], []]);
  });

  test('nothing that leaves the slices as they are writes them again', async () => {
    await service('web', { selector: { app: 'web' } });
    await pod('web-a', { ip: '10.244.0.2' });
    await pod('web-b', { ip: '10.244.0.3' });
    const before = (await slices()).map((s) => s.metadata!.resourceVersion);
    const generation = (await slices())[0]!.metadata!.generation!;
    sliceWrites.length = 0;
    // A pod annotation, a Service annotation, a pod that matches nothing: syncs, but no slice write.
    const a = await registry.get('pods', 'default', 'web-a');
    await registry.update('pods', 'default', 'web-a', {
      ...a,
      metadata: { ...a.metadata, annotations: { note: 'x' } },
    });
    const svc = await registry.get('services', 'default', 'web');
    await registry.update('services', 'default', 'web', {
      ...svc,
      metadata: { ...svc.metadata, annotations: { note: 'y' } },
    });
    await pod('other', { ip: '10.244.0.9', labels: { app: 'other' } });
    await settle();
    assert.deepEqual(sliceWrites, []);
    assert.deepEqual(
      (await slices()).map((s) => s.metadata!.resourceVersion),
      before,
    );

    // A readiness change is one update of the slice, and only its endpoint changes.
    const b = (await registry.get('pods', 'default', 'web-b')) as unknown as Pod;
    await registry.updateStatus('pods', 'default', 'web-b', {
      ...b,
      status: { ...b.status, conditions: [{ type: 'Ready', status: 'False' }] },
    });
    await settle();
    assert.deepEqual(sliceWrites, ['update']);
    const [s] = await slices();
    assert.deepEqual(byIP(s!, '10.244.0.3')!.conditions, {
      ready: false,
      serving: false,
      terminating: false,
    });
    assert.equal(s!.metadata!.generation, generation + 1);
  });

  test('Service labels are copied to its slices, and follow their changes', async () => {
    await service('web', { selector: { app: 'web' } }, { team: 'a' });
    await pod('web-a', { ip: '10.244.0.2' });
    const svc = await registry.get('services', 'default', 'web');
    await registry.update('services', 'default', 'web', {
      ...svc,
      metadata: { ...svc.metadata, labels: { team: 'b', tier: 'front' } },
    });
    await settle();
    const [s] = await slices();
    assert.deepEqual(s!.metadata!.labels, {
      team: 'b',
      tier: 'front',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
    });
  });

  test('a managed slice someone else changes or deletes is put back', async () => {
    await service('web', { selector: { app: 'web' } });
    await pod('web-a', { ip: '10.244.0.2' });
    let [s] = await slices();
    await registry.update(ES, 'default', s!.metadata!.name!, { ...s, endpoints: [] });
    await settle();
    assert.deepEqual(await layout(), [[['http:8080'], ['10.244.0.2']]]);
    [s] = await slices();
    await registry.delete(ES, 'default', s!.metadata!.name!);
    await settle();
    assert.deepEqual(await layout(), [[['http:8080'], ['10.244.0.2']]]);
  });

  test('more than 100 endpoints are split over slices of at most 100', async () => {
    await service('web', { selector: { app: 'web' } });
    for (let i = 0; i < 130; i++) await pod(`web-${i}`, { ip: `10.244.${i >> 8}.${(i & 255) + 2}` });
    const sizes = (await slices()).map((s) => s.endpoints.length).sort((a, b) => a - b);
    assert.deepEqual(sizes, [30, 100]);
  });

  test('the slices go with their Service (garbage collection), and a Service without selector gets none', async () => {
    await service('web', { selector: { app: 'web' } });
    await pod('web-a', { ip: '10.244.0.2' });
    assert.equal((await slices()).length, 1);
    await registry.delete('services', 'default', 'web');
    await settle();
    assert.deepEqual(await slices(), []);

    // Without a selector, the slices are the user's: none are made, and the user's are left alone.
    await service('ext', { ports: [{ name: 'http', port: 80 }] });
    await registry.create(ES, 'default', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'ext-1', labels: { 'kubernetes.io/service-name': 'ext' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.10'] }],
      ports: [{ name: 'http', port: 8080 }],
    });
    await settle();
    assert.deepEqual(await layout(), [[['http:8080'], ['192.0.2.10']]]);
    assert.deepEqual(
      sliceWrites.filter((w) => w !== 'delete'),
      ['create', 'update'],
    );
  });
});

describe('reconcileEndpointSlices', () => {
  const svc: Service = {
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' },
    spec: {
      clusterIP: '10.96.0.20',
      selector: { app: 'web' },
      ports: [{ name: '', port: 80, targetPort: 8080 }],
    },
  };
  const pods = (n: number, from = 0): Pod[] =>
    Array.from({ length: n }, (_, k) => {
      const i = from + k;
      return {
        metadata: { name: `p${i}`, namespace: 'default', uid: `u${i}` },
        spec: { containers: [] },
        status: {
          phase: 'Running',
          podIP: `10.1.${i >> 8}.${i & 255}`,
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      };
    });
  let nextName = 0;
  /** What the API server would have stored: the creates named. */
  const stored = (created: EndpointSlice[]) =>
    created.map((s) => ({ ...s, metadata: { ...s.metadata, name: `web-${nextName++}` } }));

  test('250 pods make slices of 100, 100 and 50', () => {
    const c = reconcileEndpointSlices(svc, pods(250), []);
    assert.deepEqual(
      c.create.map((s) => s.endpoints.length),
      [100, 100, 50],
    );
    assert.deepEqual([c.update, c.delete], [[], []]);
  });

  test('removing pods rewrites only the slices that held them; new ones fill a changed slice first', () => {
    const existing = stored(reconcileEndpointSlices(svc, pods(250), []).create);
    // p0 (first slice) goes, p250 comes: the first slice is rewritten and takes p250; the others stay.
    const next = [...pods(250).slice(1), ...pods(1, 250)];
    const c = reconcileEndpointSlices(svc, next, existing);
    assert.deepEqual(c.create, []);
    assert.deepEqual(c.delete, []);
    assert.deepEqual(
      c.update.map((s) => s.metadata?.name),
      [existing[0]!.metadata.name],
    );
    assert.equal(c.update[0]!.endpoints.length, 100);
    assert.ok(c.update[0]!.endpoints.some((e) => e.addresses[0] === '10.1.0.250'));
    assert.deepEqual(reconcileEndpointSlices(svc, pods(250), existing), {
      create: [],
      update: [],
      delete: [],
    });
  });

  test('a few new pods go into the unchanged slice they fill closest to full', () => {
    const existing = stored(reconcileEndpointSlices(svc, pods(250), []).create);
    const c = reconcileEndpointSlices(svc, [...pods(250), ...pods(10, 300)], existing);
    assert.deepEqual(c.create, []);
    assert.deepEqual(
      c.update.map((s) => [s.metadata?.name, s.endpoints.length]),
      [[existing[2]!.metadata.name, 60]],
    );
  });

  test('a slice of an older Service of the same name is deleted', () => {
    const [old] = stored(
      reconcileEndpointSlices({ ...svc, metadata: { ...svc.metadata, uid: 'old' } }, pods(1), []).create,
    );
    const c = reconcileEndpointSlices(svc, pods(1), [old!]);
    assert.deepEqual(
      c.delete.map((s) => s.metadata?.name),
      [old!.metadata.name],
    );
    assert.equal(c.create.length, 1);
  });
});

describe('EndpointSliceController and a lagging cache', () => {
  /** A client whose lists are fixed and whose watches never deliver: the caches never see the writes. */
  function frozenClient(objects: Record<string, KubeObject[]>) {
    const writes: KubeObject[] = [];
    let rv = 10;
    const client: ControllerClient = {
      list: async (r) => ({ items: objects[r.resource] ?? [], resourceVersion: '1' }),
      watch: () => () => {},
      create: async (_r, _ns, o) => {
        const created = {
          ...o,
          metadata: { ...o.metadata, name: `web-${rv}`, resourceVersion: String(rv++) },
        };
        writes.push(created);
        return created;
      },
      update: async (_r, _ns, o) => o,
      updateStatus: async (_r, _ns, o) => o,
      delete: async () => {},
    };
    return { client, writes };
  }

  test('a sync before the cache shows the slice it created waits instead of creating it twice', async () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', uid: 's1', creationTimestamp: '2026-12-04T10:00:00Z' },
      spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] },
    };
    const { client, writes } = frozenClient({ services: [svc] });
    const informer = (resource: string) =>
      new Informer(client, { ...RESOURCE.pods, resource } as typeof RESOURCE.pods);
    const services = informer('services');
    const pods = informer('pods');
    const endpointSlices = informer('endpointslices');
    for (const i of [services, pods, endpointSlices]) await i.start();
    const controller = new EndpointSliceController({ client, services, pods, endpointSlices });

    assert.equal(await controller.sync('default', 'web'), undefined);
    assert.equal(writes.length, 1);
    assert.deepEqual(await controller.sync('default', 'web'), { requeueAfterMs: 1000 });
    assert.equal(writes.length, 1, 'no second placeholder');
    // Once the slice is known to be gone, the Service gets a new one.
    controller.observe('DELETED', writes[0]!);
    assert.equal(await controller.sync('default', 'web'), undefined);
    assert.equal(writes.length, 2);
  });
});
