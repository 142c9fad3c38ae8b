// Node taints and Lease spec validation, with upstream's messages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { validateObject } from '../../src/api/validation/index.js';
import { messages } from './helpers.js';

const node = (taints: unknown[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'podrun' },
  spec: { taints },
});

describe('Node', () => {
  test('taints need a qualified key, a label value and a known effect', () => {
    assert.deepEqual(validateObject(node([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }])), []);
    assert.deepEqual(messages(node([{ key: 'bad key', value: 'v', effect: 'Sometimes' }])), [
      `spec.taints[0].key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
    assert.deepEqual(messages(node([{ key: 'k' }])), ['spec.taints[0].effect: Required value']);
  });

  test('taints are unique by key and effect', () => {
    const errs = messages(
      node([
        { key: 'k', value: 'a', effect: 'NoSchedule' },
        { key: 'k', value: 'b', effect: 'NoExecute' },
        { key: 'k', value: 'c', effect: 'NoSchedule' },
      ]),
    );
    assert.deepEqual(errs, [
      'spec.taints[2]: Duplicate value: core.Taint{Key:"k", Value:"c", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair',
    ]);
  });
});

describe('Lease', () => {
  const lease = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'podrun', namespace: 'kube-node-lease' },
    spec,
  });
  test('the duration is positive and the transitions are not negative', () => {
    assert.deepEqual(validateObject(lease({ holderIdentity: 'podrun', leaseDurationSeconds: 40 })), []);
    assert.deepEqual(messages(lease({ leaseDurationSeconds: 0, leaseTransitions: -1 })), [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});
