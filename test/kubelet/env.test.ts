import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigMap, Container, Pod, Secret, Service } from '../../src/api/types.js';
import { ContainerConfigError, makeEnvironment } from '../../src/kubelet/env.js';
import type { NodeAllocatable } from '../../src/kubelet/fieldpath.js';
import type { ObjectGetter } from '../../src/kubelet/types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function objects(
  configMaps: ConfigMap[] = [],
  secrets: Secret[] = [],
  services: Service[] = [],
): ObjectGetter & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getConfigMap(ns, name) {
      calls.push(`configmap ${ns}/${name}`);
      return configMaps.find((c) => c.metadata?.name === name && c.metadata?.namespace === ns);
    },
    async getSecret(ns, name) {
      calls.push(`secret ${ns}/${name}`);
      return secrets.find((s) => s.metadata?.name === name && s.metadata?.namespace === ns);
    },
    async listServices(ns) {
      return services.filter((s) => s.metadata?.namespace === ns);
    },
  };
}

const cm = (name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});
const secret = (name: string, data: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

function pod(container: Container, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: '1111-2222',
      labels: { app: 'web', tier: 'front' },
      annotations: { 'example.com/owner': 'team "a"' },
    },
    spec: { nodeName: 'node1', serviceAccountName: 'default', containers: [container], ...extra },
  };
}

const ALLOCATABLE: NodeAllocatable = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };

async function envOf(container: Container, getter: ObjectGetter, p = pod(container)) {
  const list = await makeEnvironment(p, container, getter, '10.0.0.5', '192.168.1.10', {
    allocatable: ALLOCATABLE,
  });
  return list;
}

async function rejectsWith(promise: Promise<unknown>, message: string) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ContainerConfigError, `expected a ContainerConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.reason, 'CreateContainerConfigError');
    return true;
  });
}

describe('envFrom and env precedence', () => {
  test('env overrides envFrom, later envFrom sources override earlier ones, and order is first definition', async () => {
    const c: Container = {
      name: 'app',
      envFrom: [
        { configMapRef: { name: 'cfg' } },
        { secretRef: { name: 'db' }, prefix: 'DB_' },
        { configMapRef: { name: 'over' } },
      ],
      env: [
        { name: 'MODE', value: 'from-env' },
        { name: 'NEW', value: 'n' },
      ],
    };
    const env = await envOf(
      c,
      objects(
        [cm('cfg', { MODE: 'cfg', LEVEL: 'info' }), cm('over', { LEVEL: 'debug' })],
        [secret('db', { PASSWORD: 's3cret' })],
      ),
    );
    assert.deepEqual(env, [
      { name: 'MODE', value: 'from-env' },
      { name: 'LEVEL', value: 'debug' },
      { name: 'DB_PASSWORD', value: 's3cret' },
      { name: 'NEW', value: 'n' },
    ]);
  });

  test('$(VAR) in a value sees envFrom variables and earlier env entries only', async () => {
    const c: Container = {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      env: [
        { name: 'URL', value: 'http://$(HOST):$(PORT)/$(LATER)' },
        { name: 'LATER', value: 'x' },
        { name: 'ESCAPED', value: '$$(HOST)' },
        { name: 'SELF', value: '$(URL)!' },
      ],
    };
    const env = await envOf(c, objects([cm('cfg', { HOST: 'db', PORT: '5432' })]));
    const map = Object.fromEntries(env.map((e) => [e.name, e.value]));
    assert.equal(map.URL, 'http://db:5432/$(LATER)');
    assert.equal(map.ESCAPED, '$(HOST)');
    assert.equal(map.SELF, 'http://db:5432/$(LATER)!');
  });

  test('an env entry with neither value nor valueFrom is set to the empty string', async () => {
    const env = await envOf({ name: 'app', env: [{ name: 'EMPTY' }] }, objects());
    assert.deepEqual(env, [{ name: 'EMPTY', value: '' }]);
  });

  test('each referenced object is fetched once per container', async () => {
    const getter = objects([cm('cfg', { A: '1', B: '2' })]);
    await envOf(
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [
          { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'A' } } },
          { name: 'Y', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'B' } } },
        ],
      },
      getter,
    );
    assert.deepEqual(getter.calls, ['configmap default/cfg']);
  });

  test('envFrom keys that are not valid variable names are skipped with the kubelet warning', async () => {
    const warnings: string[] = [];
    const c: Container = { name: 'app', envFrom: [{ configMapRef: { name: 'cfg' } }] };
    const env = await makeEnvironment(
      pod(c),
      c,
      objects([cm('cfg', { '2alsobad': 'x', '1badkey': 'y', good: 'z', 'app.properties': 'w' })]),
      '',
      '',
      { allocatable: ALLOCATABLE, onWarning: (reason, message) => warnings.push(`${reason}: ${message}`) },
    );
    assert.deepEqual(env, [
      { name: 'good', value: 'z' },
      { name: 'app.properties', value: 'w' },
    ]);
    assert.deepEqual(warnings, [
      'InvalidEnvironmentVariableNames: Keys [1badkey, 2alsobad] from the EnvFrom configMap default/cfg were skipped since they are considered invalid environment variable names.',
    ]);
  });
});

describe('ConfigMap and Secret references', () => {
  test('secretKeyRef decodes base64 data, and stringData is honoured when present', async () => {
    const s: Secret = { ...secret('db', { password: 'p@ss' }), stringData: { user: 'admin' } };
    const env = await envOf(
      {
        name: 'app',
        env: [
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
        ],
      },
      objects([], [s]),
    );
    assert.deepEqual(env, [
      { name: 'PW', value: 'p@ss' },
      { name: 'USER', value: 'admin' },
    ]);
  });

  test('a missing Secret fails with the kubelet text', async () => {
    await rejectsWith(
      envOf(
        { name: 'app', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] },
        objects(),
      ),
      'secret "db" not found',
    );
    await rejectsWith(
      envOf({ name: 'app', envFrom: [{ secretRef: { name: 'db' } }] }, objects()),
      'secret "db" not found',
    );
  });

  test('a missing ConfigMap fails with the kubelet text', async () => {
    await rejectsWith(
      envOf(
        { name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }] },
        objects(),
      ),
      'configmap "cfg" not found',
    );
    await rejectsWith(
      envOf({ name: 'app', envFrom: [{ configMapRef: { name: 'cfg' } }] }, objects()),
      'configmap "cfg" not found',
    );
  });

  test('a missing key fails naming the key and the object', async () => {
    await rejectsWith(
      envOf(
        { name: 'app', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] },
        objects([], [secret('db', { other: 'x' })]),
      ),
      "couldn't find key password in Secret default/db",
    );
    await rejectsWith(
      envOf(
        { name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }] },
        objects([cm('cfg', { y: '1' })]),
      ),
      "couldn't find key x in ConfigMap default/cfg",
    );
  });

  test('optional references to missing objects or keys leave the variable out', async () => {
    const env = await envOf(
      {
        name: 'app',
        envFrom: [
          { configMapRef: { name: 'nope', optional: true } },
          { secretRef: { name: 'nope', optional: true } },
        ],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'a', optional: true } } },
          { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'missing', optional: true } } },
          { name: 'C', valueFrom: { secretKeyRef: { name: 'nope', key: 'c', optional: true } } },
          { name: 'D', valueFrom: { secretKeyRef: { name: 'db', key: 'missing', optional: true } } },
          { name: 'E', value: 'e' },
        ],
      },
      objects([cm('cfg', {})], [secret('db', {})]),
    );
    assert.deepEqual(env, [{ name: 'E', value: 'e' }]);
  });
});

describe('fieldRef and resourceFieldRef', () => {
  test('every pod field the downward API offers to env vars resolves', async () => {
    const fields = [
      'metadata.name',
      'metadata.namespace',
      'metadata.uid',
      "metadata.labels['app']",
      "metadata.annotations['example.com/owner']",
      "metadata.labels['absent']",
      'metadata.labels',
      'metadata.annotations',
      'spec.nodeName',
      'spec.serviceAccountName',
      'status.podIP',
      'status.podIPs',
      'status.hostIP',
      'status.hostIPs',
    ];
    const c: Container = {
      name: 'app',
      env: fields.map((f, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath: f } } })),
    };
    const env = await envOf(c, objects());
    assert.deepEqual(
      env.map((e) => e.value),
      [
        'web',
        'default',
        '1111-2222',
        'web',
        'team "a"',
        '',
        'app="web"\ntier="front"',
        'example.com/owner="team \\"a\\""',
        'node1',
        'default',
        '10.0.0.5',
        '10.0.0.5',
        '192.168.1.10',
        '192.168.1.10',
      ],
    );
  });

  test('an unsupported field path is a container config error', async () => {
    await rejectsWith(
      envOf(
        { name: 'app', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] },
        objects(),
      ),
      'field label not supported: spec.bogus',
    );
  });

  test('resource values are rounded up in divisor units, and unset limits report node allocatable', async () => {
    const c: Container = {
      name: 'app',
      resources: { limits: { cpu: '250m', memory: '129Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
      env: [
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_LIMIT_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        {
          name: 'MEM_LIMIT_MI',
          valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
        },
        { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
        {
          name: 'MEM_REQ_GI',
          valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Gi' } },
        },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        {
          name: 'EPH_LIMIT_GI',
          valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } },
        },
        { name: 'EPH_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.ephemeral-storage' } } },
      ],
    };
    const env = await envOf(c, objects());
    assert.deepEqual(Object.fromEntries(env.map((e) => [e.name, e.value])), {
      CPU_LIMIT: '1',
      CPU_LIMIT_M: '250',
      MEM_LIMIT_MI: '129',
      MEM_LIMIT: String(129 * 1024 * 1024),
      MEM_REQ_GI: '1',
      CPU_REQ_M: '100',
      EPH_LIMIT_GI: '100',
      EPH_REQ: '0',
    });
  });

  test('a container without limits sees the node allocatable as its limits', async () => {
    const c: Container = {
      name: 'app',
      env: [
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      ],
    };
    const env = await envOf(c, objects());
    assert.deepEqual(env, [
      { name: 'CPU', value: '4' },
      { name: 'MEM', value: '8192' },
    ]);
  });

  test('resourceFieldRef may name another container of the pod', async () => {
    const app: Container = {
      name: 'app',
      env: [
        {
          name: 'SIDE',
          valueFrom: {
            resourceFieldRef: { containerName: 'side', resource: 'limits.memory', divisor: '1Mi' },
          },
        },
      ],
    };
    const side: Container = { name: 'side', resources: { limits: { memory: '32Mi' } } };
    const p = pod(app, { containers: [app, side] });
    assert.deepEqual(await envOf(app, objects(), p), [{ name: 'SIDE', value: '32' }]);
    const bad: Container = {
      name: 'app',
      env: [
        { name: 'X', valueFrom: { resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } } },
      ],
    };
    await rejectsWith(envOf(bad, objects(), pod(bad)), 'container ghost not found');
  });

  test('an unsupported resource is a container config error', async () => {
    await rejectsWith(
      envOf(
        { name: 'app', env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] },
        objects(),
      ),
      'unsupported container resource : limits.gpu',
    );
  });
});
