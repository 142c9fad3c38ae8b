import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeObject } from '../../src/api/decode.js';
import { applyDefaults } from '../../src/api/defaults.js';
import { knownKindNames } from '../../src/api/kinds.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateObject } from '../../src/api/validation/index.js';

describe('decodeObject', () => {
  test('unknown fields are listed by path and removed from the object', () => {
    const r = decodeObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labelz: { a: 'b' } },
      spec: {
        containers: [{ name: 'a', image: 'x', imagee: 'y', ports: [{ containerPort: 80, hostport: 1 }] }],
      },
      extra: true,
    });
    assert.deepEqual(r.unknownFields, [
      'metadata.labelz',
      'spec.containers[0].imagee',
      'spec.containers[0].ports[0].hostport',
      'extra',
    ]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80 }] }] },
    });
  });

  test('type mismatches are FieldValueTypeInvalid errors at their path, and no object is returned', () => {
    const r = decodeObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { version: 1.5 } },
      spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: '80' }], tty: 'yes' }] },
    });
    assert.equal(r.object, undefined);
    assert.deepEqual(r.errors.map(formatFieldError), [
      'metadata.labels[version]: Invalid value: 1.5: must be of type string, not number',
      'spec.containers[0].ports[0].containerPort: Invalid value: "80": must be of type integer, not string',
      'spec.containers[0].tty: Invalid value: "yes": must be of type boolean, not string',
    ]);
    assert.ok(r.errors.every((e) => e.type === 'FieldValueTypeInvalid'));
  });

  test('null means unset, as in Go', () => {
    const r = decodeObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', labels: null },
      data: null,
    });
    assert.deepEqual(r.object, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
  });

  test('int-or-string and quantity fields accept both forms; bad quantities get upstream wording', () => {
    const ok = decodeObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } },
        template: {
          spec: { containers: [{ name: 'a', resources: { limits: { cpu: 1, memory: '64Mi' } } }] },
        },
      },
    });
    assert.deepEqual(ok.errors, []);
    const bad = decodeObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', resources: { requests: { memory: '64 MB' } } }] },
    });
    assert.deepEqual(bad.errors.map(formatFieldError), [
      `spec.containers[0].resources.requests[memory]: Invalid value: "64 MB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ]);
  });

  test('Secret data must be base64', () => {
    const r = decodeObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: 'aGVsbG8=', b: 'not base64!' },
    });
    assert.deepEqual(r.errors.map(formatFieldError), [
      // Bytes are opaque (a Secret's values): the error names the field, never the content.
      'data[b]: Invalid value: illegal base64 data at input byte 3',
    ]);
  });

  test('an unknown kind lists the known ones; a known kind in another version names the served version', () => {
    const kind = decodeObject({ apiVersion: 'v1', kind: 'Frob', metadata: { name: 'x' } });
    assert.equal(kind.errors.length, 1);
    for (const k of ['Pod', 'ConfigMap', 'Deployment', 'StatefulSet'])
      assert.ok(knownKindNames().includes(k), k);
    assert.equal(
      formatFieldError(kind.errors[0]!),
      // Every kind podrun decodes, sorted, as Go's NotSupported lists them.
      `kind: Unsupported value: "Frob": supported values: ${[...knownKindNames()]
        .sort()
        .map((k) => `"${k}"`)
        .join(', ')}`,
    );
    const version = decodeObject({
      apiVersion: 'extensions/v1beta1',
      kind: 'Deployment',
      metadata: { name: 'x' },
    });
    assert.deepEqual(version.errors.map(formatFieldError), [
      'apiVersion: Unsupported value: "extensions/v1beta1": supported values: "apps/v1"',
    ]);
    const missing = decodeObject({ metadata: { name: 'x' } });
    assert.deepEqual(missing.errors.map(formatFieldError), [
      'apiVersion: Required value',
      'kind: Required value',
    ]);
  });

  test('objects read back with status decode and re-validate cleanly', () => {
    const stored = applyDefaults({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'default',
        uid: '5b0c8d8e-0000-4000-8000-000000000001',
        resourceVersion: '12',
        creationTimestamp: '2026-11-24T10:00:00Z',
        managedFields: [
          { manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
        ],
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true },
        ],
      },
      spec: { containers: [{ name: 'a', image: 'x' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-24T10:00:05Z' }],
        containerStatuses: [
          {
            name: 'a',
            image: 'x',
            imageID: '',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: '2026-11-24T10:00:04Z' } },
            lastState: {},
          },
        ],
        podIP: '10.0.0.5',
        podIPs: [{ ip: '10.0.0.5' }],
        qosClass: 'BestEffort',
        startTime: '2026-11-24T10:00:01Z',
      },
    });
    const r = decodeObject(JSON.parse(JSON.stringify(stored)));
    assert.deepEqual(r.unknownFields, []);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object, stored);
    assert.deepEqual(validateObject(r.object!), []);
  });
});
