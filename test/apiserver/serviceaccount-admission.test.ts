// The ServiceAccount admission plugin, on its own and through a registry: the default name, the refusal of a
// missing ServiceAccount with upstream's words, the kube-api-access volume and its mounts, and the opt-outs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject, Pod, ServiceAccount } from '../../src/api/types.js';
import { ApiError } from '../../src/apiserver/errors.js';
import {
  DEFAULT_API_TOKEN_MOUNT_PATH,
  serviceAccountAdmission,
} from '../../src/apiserver/serviceaccount/admission.js';
import { newRegistry, pod } from './helpers.js';

function account(name: string, extra: Partial<ServiceAccount> = {}): ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'default' }, ...extra };
}

function admission(accounts: ServiceAccount[], lookups: string[] = []) {
  return serviceAccountAdmission({
    getServiceAccount: async (ns, name) => {
      lookups.push(`${ns}/${name}`);
      return accounts.find((a) => a.metadata?.name === name && a.metadata?.namespace === ns);
    },
    sleep: async () => {},
    volumeName: () => 'x7k2q',
  });
}

function podObject(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
  };
}

const MOUNT = { name: 'kube-api-access-x7k2q', readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };

describe('ServiceAccount admission', () => {
  test('defaults the ServiceAccount and mounts the projected token volume in every container', async () => {
    const obj = podObject({
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [
        { name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        { name: 'side', image: 'busybox' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    });
    await admission([account('default')])(obj, false);
    const spec = (obj as unknown as Pod).spec!;
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.serviceAccount, 'default');
    assert.deepEqual(spec.initContainers?.[0]?.volumeMounts, [MOUNT]);
    assert.deepEqual(spec.containers[0]?.volumeMounts, [{ name: 'data', mountPath: '/data' }, MOUNT]);
    assert.deepEqual(spec.containers[1]?.volumeMounts, [MOUNT]);
    assert.deepEqual(spec.volumes, [
      { name: 'data', emptyDir: {} },
      {
        name: 'kube-api-access-x7k2q',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
    ]);
  });

  test('a container with its own mount at the token path keeps it, and an existing volume is reused', async () => {
    const own = { name: 'mine', mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    const obj = podObject({
      containers: [
        { name: 'app', image: 'busybox', volumeMounts: [own] },
        { name: 'b', image: 'busybox' },
      ],
      volumes: [
        { name: 'mine', emptyDir: {} },
        { name: 'kube-api-access-abcde', projected: { sources: [] } },
      ],
    });
    await admission([account('default')])(obj, false);
    const spec = (obj as unknown as Pod).spec!;
    assert.deepEqual(spec.containers[0]?.volumeMounts, [own]);
    assert.deepEqual(spec.containers[1]?.volumeMounts, [{ ...MOUNT, name: 'kube-api-access-abcde' }]);
    assert.equal(spec.volumes?.length, 2);
  });

  test('automountServiceAccountToken: the pod wins over the ServiceAccount, which wins over the default', async () => {
    const cases: Array<[boolean | undefined, boolean | undefined, boolean]> = [
      [undefined, undefined, true],
      [undefined, false, false],
      [true, false, true],
      [false, true, false],
      [false, undefined, false],
    ];
    for (const [onPod, onSA, mounted] of cases) {
      const obj = podObject(onPod === undefined ? {} : { automountServiceAccountToken: onPod });
      const sa = account('default', onSA === undefined ? {} : { automountServiceAccountToken: onSA });
      await admission([sa])(obj, false);
      const spec = (obj as unknown as Pod).spec!;
      assert.equal((spec.volumes ?? []).length === 1, mounted, `pod ${onPod}, sa ${onSA}`);
      assert.equal(spec.containers[0]?.volumeMounts !== undefined, mounted, `pod ${onPod}, sa ${onSA}`);
    }
  });

  test("a ServiceAccount that does not exist is refused with upstream's words; default is looked up 10 times", async () => {
    const lookups: string[] = [];
    const obj = podObject({ serviceAccountName: 'ghost' });
    await assert.rejects(admission([], lookups)(obj, false), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 403);
      assert.equal(
        e.message,
        'pods "web" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found',
      );
      return true;
    });
    assert.deepEqual(lookups, ['default/ghost']);
    lookups.length = 0;
    await assert.rejects(admission([], lookups)(podObject({}), false), /serviceaccount "default" not found/);
    assert.equal(lookups.length, 10);
  });

  test('default appearing during the lookups is found (the controller was a moment late)', async () => {
    const accounts: ServiceAccount[] = [];
    let calls = 0;
    const admit = serviceAccountAdmission({
      getServiceAccount: async (_ns, name) => {
        if (++calls === 3) accounts.push(account('default'));
        return accounts.find((a) => a.metadata?.name === name);
      },
      sleep: async () => {},
    });
    const obj = podObject({});
    await admit(obj, false);
    assert.equal(calls, 3);
    assert.match((obj as unknown as Pod).spec?.volumes?.[0]?.name ?? '', /^kube-api-access-[a-z0-9]{5}$/);
  });

  test("the ServiceAccount's imagePullSecrets go to a pod that names none; mirror pods are left alone", async () => {
    const sa = account('default', { imagePullSecrets: [{ name: 'regcred' }] });
    const a = podObject({});
    await admission([sa])(a, false);
    assert.deepEqual((a as unknown as Pod).spec?.imagePullSecrets, [{ name: 'regcred' }]);
    const b = podObject({ imagePullSecrets: [{ name: 'own' }] });
    await admission([sa])(b, false);
    assert.deepEqual((b as unknown as Pod).spec?.imagePullSecrets, [{ name: 'own' }]);
    const mirror = podObject({});
    mirror.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' };
    await admission([])(mirror, false);
    assert.equal((mirror as unknown as Pod).spec?.serviceAccountName, undefined);
  });

  test('kubernetes.io/enforce-mountable-secrets limits the pod to the secrets the ServiceAccount lists', async () => {
    const sa = account('default', {
      metadata: {
        name: 'default',
        namespace: 'default',
        annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' },
      },
      secrets: [{ name: 'ok' }],
      imagePullSecrets: [{ name: 'pull' }],
    });
    const refusal = async (spec: Record<string, unknown>, why: string) =>
      assert.rejects(admission([sa])(podObject(spec), false), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.equal(e.message, `pods "web" is forbidden: ${why}`);
        return true;
      });
    const notReferenced = 'is not allowed because service account default does not reference that secret';
    await refusal(
      { volumes: [{ name: 'v', secret: { secretName: 'other' } }] },
      `volume with secret.secretName="other" ${notReferenced}`,
    );
    await refusal(
      {
        initContainers: [
          {
            name: 'i',
            image: 'busybox',
            env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }],
          },
        ],
      },
      `init container i with envVar PW referencing secret.secretName="db" ${notReferenced}`,
    );
    await refusal(
      { containers: [{ name: 'app', image: 'busybox', envFrom: [{ secretRef: { name: 'db' } }] }] },
      `container app with envFrom referencing secret.secretName="db" ${notReferenced}`,
    );
    await refusal(
      { imagePullSecrets: [{ name: 'pull' }, { name: 'other' }] },
      'imagePullSecrets[1].name="other" is not allowed because service account default does not reference that imagePullSecret',
    );
    // Listed secrets pass, and the pull secrets copied from the ServiceAccount do too.
    const fine = podObject({ volumes: [{ name: 'v', secret: { secretName: 'ok' } }] });
    await admission([sa])(fine, false);
    assert.deepEqual((fine as unknown as Pod).spec?.imagePullSecrets, [{ name: 'pull' }]);
    // Without the annotation nothing is checked.
    await admission([account('default', { secrets: [] })])(
      podObject({ volumes: [{ name: 'v', secret: { secretName: 'other' } }] }),
      false,
    );
  });

  test('through the registry: the stored pod carries the volume, defaulted and valid', async () => {
    const registry = await newRegistry();
    registry.addAdmission(
      'pods',
      serviceAccountAdmission({
        getServiceAccount: async (ns, name) =>
          (await registry.find('serviceaccounts', ns, name)) as ServiceAccount | undefined,
        sleep: async () => {},
      }),
    );
    await assert.rejects(
      registry.create('pods', 'default', pod('early')),
      /serviceaccount "default" not found/,
    );
    await registry.create('serviceaccounts', 'default', account('default'));
    const created = (await registry.create('pods', 'default', pod('web'))) as unknown as Pod;
    const volume = created.spec?.volumes?.[0];
    assert.match(volume?.name ?? '', /^kube-api-access-/);
    assert.equal(volume?.projected?.sources?.[0]?.serviceAccountToken?.expirationSeconds, 3607);
    assert.equal(created.spec?.containers[0]?.volumeMounts?.[0]?.mountPath, DEFAULT_API_TOKEN_MOUNT_PATH);
    // generateName pods are named in the refusal by their prefix.
    await assert.rejects(
      registry.create('pods', 'default', {
        ...pod(''),
        metadata: { generateName: 'web-' },
        spec: { serviceAccountName: 'nope', containers: [{ name: 'a', image: 'busybox' }] },
      }),
      /^ApiError: pods "web-" is forbidden: error looking up service account default\/nope/,
    );
    await registry.store.close();
  });
});
