import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateStatusUpdate, validateUpdate } from '../../src/api/validation/index.js';
import { UPDATABLE_POD_SPEC_FIELDS } from '../../src/api/validation/update.js';

function stored(obj: KubeObject): KubeObject {
  const o = applyDefaults(obj);
  o.metadata = { ...o.metadata, uid: 'uid-1', namespace: o.metadata.namespace ?? 'default' };
  return o;
}

function updateMessages(next: KubeObject, old: KubeObject): string[] {
  return validateUpdate(next, old).map(formatFieldError);
}

const basePod = () =>
  stored({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      containers: [{ name: 'app', image: 'nginx:1.27', command: ['nginx'] }],
      activeDeadlineSeconds: 100,
      tolerations: [{ key: 'a', operator: 'Exists' }],
    },
  });

type PodLike = KubeObject & {
  spec: Record<string, unknown> & {
    containers: Record<string, unknown>[];
    initContainers: Record<string, unknown>[];
  };
};

describe('validateUpdate', () => {
  test('images of containers and init containers may change', () => {
    const old = basePod();
    const next = structuredClone(old) as PodLike;
    next.spec.containers[0]!.image = 'nginx:1.28';
    next.spec.initContainers[0]!.image = 'busybox:1.37';
    assert.deepEqual(updateMessages(next, old), []);
  });

  test('other pod spec changes are forbidden with the upstream list of updatable fields', () => {
    const old = basePod();
    const next = structuredClone(old) as PodLike;
    next.spec.containers[0]!.command = ['httpd'];
    const msgs = updateMessages(next, old);
    assert.equal(msgs.length, 1);
    assert.ok(
      msgs[0]!.startsWith(
        'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
      ),
      msgs[0],
    );
    assert.match(
      msgs[0]!,
      /- spec\.containers\[0\]\.command\[0\]: "nginx"\n\+ spec\.containers\[0\]\.command\[0\]: "httpd"/,
    );
    assert.equal(UPDATABLE_POD_SPEC_FIELDS.length, 5);
  });

  test('containers may not be added or removed', () => {
    const old = basePod();
    const next = structuredClone(old) as PodLike;
    next.spec.containers.push({ ...next.spec.containers[0], name: 'two' });
    assert.deepEqual(updateMessages(next, old), [
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
  });

  test('activeDeadlineSeconds may only shrink, and tolerations may only be added', () => {
    const old = basePod();
    const shorter = structuredClone(old) as PodLike;
    shorter.spec.activeDeadlineSeconds = 50;
    (shorter.spec.tolerations as unknown[]).push({ key: 'b', operator: 'Exists' });
    assert.deepEqual(updateMessages(shorter, old), []);
    const longer = structuredClone(old) as PodLike;
    longer.spec.activeDeadlineSeconds = 200;
    assert.deepEqual(updateMessages(longer, old), [
      'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
    ]);
    const removed = structuredClone(old) as PodLike;
    removed.spec.tolerations = [];
    assert.deepEqual(updateMessages(removed, old), [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
  });

  test('metadata name, namespace and uid are immutable', () => {
    const old = basePod();
    const next = structuredClone(old);
    next.metadata = { ...next.metadata, namespace: 'other', uid: 'uid-2' };
    assert.deepEqual(updateMessages(next, old), [
      'metadata.namespace: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "uid-2": field is immutable',
    ]);
  });

  test('a Deployment selector is immutable, shown as a Go LabelSelector', () => {
    const old = stored({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', v: '2' } },
          spec: { containers: [{ name: 'c', image: 'x:1' }] },
        },
      },
    });
    const next = structuredClone(old) as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    next.spec.selector.matchLabels = { app: 'web', v: '2' };
    assert.deepEqual(updateMessages(next, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  test('an immutable ConfigMap keeps its data and its immutable flag', () => {
    const old = stored({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      immutable: true,
      data: { a: '1' },
    });
    const next = structuredClone(old);
    next.data = { a: '2' };
    next.immutable = false;
    assert.deepEqual(updateMessages(next, old), [
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    const mutable = stored({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: '1' },
    });
    assert.deepEqual(updateMessages({ ...mutable, data: { a: '2' } }, mutable), []);
  });

  test('a Secret type is immutable', () => {
    const old = stored({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    assert.deepEqual(
      updateMessages({ ...old, type: 'kubernetes.io/basic-auth', stringData: { username: 'u' } }, old),
      ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable'],
    );
  });
});

describe('validateStatusUpdate', () => {
  test("a pod's status write is checked on its metadata, not on the spec it carries over (ValidatePodStatusUpdate)", () => {
    // A pod stored before a rule it breaks: its status is still written, as upstream's.
    const old = basePod() as PodLike;
    old.spec.containers[0]!.name = 'Not_A_Name';
    const next = structuredClone(old) as KubeObject;
    next.status = { phase: 'Running' };
    assert.ok(validateUpdate(next, old).length > 0, 'the spec breaks a rule');
    assert.deepEqual(validateStatusUpdate(next, old), []);
    const renamed = { ...next, metadata: { ...next.metadata, uid: 'uid-2' } };
    assert.deepEqual(validateStatusUpdate(renamed, old).map(formatFieldError), [
      'metadata.uid: Invalid value: "uid-2": field is immutable',
    ]);
    const badLabel = structuredClone(next);
    badLabel.metadata.labels = { 'bad key!': 'x' };
    assert.equal(validateStatusUpdate(badLabel, old).length, 1);
  });
});
