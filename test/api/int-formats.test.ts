// The int32/int64 table the decoder enforces, and the decoder's integer bounds and wording.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeObject } from '../../src/api/decode.js';
import { INT_FORMATS } from '../../src/api/schema/int-formats.generated.js';
import { STRUCTS } from '../../src/api/schema/types.generated.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { MESSAGES } from '../../src/apiserver/protobuf/schema.generated.js';

describe('INT_FORMATS', () => {
  test('names a Go type for exactly the integer fields of the schema', () => {
    const ints: string[] = [];
    for (const [name, fields] of Object.entries(STRUCTS)) {
      for (const [field, type] of Object.entries(fields)) {
        if (type === 'int' || type.endsWith(']int')) ints.push(`${name}.${field}`);
      }
    }
    const formats = Object.entries(INT_FORMATS).flatMap(([name, fields]) =>
      Object.keys(fields).map((f) => `${name}.${f}`),
    );
    assert.deepEqual(formats.sort(), ints.sort());
  });

  test('agrees with the protobuf schema (generated apart, from v0.32) wherever both know a field', () => {
    let compared = 0;
    for (const [message, fields] of Object.entries(MESSAGES)) {
      const formats = INT_FORMATS[message.slice(message.lastIndexOf('.') + 1)];
      if (!formats) continue;
      for (const [name, type] of Object.values(fields)) {
        if (type !== 'int32' && type !== 'int64') continue;
        if (!(name in formats)) continue;
        assert.equal(formats[name], type, `${message}.${name}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `only ${compared} fields compared`);
  });

  test('has the fields the hostile-input review found stored out of range', () => {
    assert.equal(INT_FORMATS.DeploymentSpec?.replicas, 'int32');
    assert.equal(INT_FORMATS.DeploymentSpec?.revisionHistoryLimit, 'int32');
    assert.equal(INT_FORMATS.ContainerStatus?.restartCount, 'int32');
    assert.equal(INT_FORMATS.PodSpec?.terminationGracePeriodSeconds, 'int64');
    assert.equal(INT_FORMATS.ObjectMeta?.generation, 'int64');
  });
});

function deploymentErrors(spec: Record<string, unknown>): string[] {
  const r = decodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec });
  return r.errors.map(formatFieldError);
}

function podErrors(spec: Record<string, unknown>): string[] {
  const r = decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });
  return r.errors.map(formatFieldError);
}

describe('decodeObject and integer ranges', () => {
  test('int32 fields take -2^31 … 2^31-1 and refuse anything else in encoding/json words', () => {
    for (const ok of [0, 2147483647, -2147483648]) assert.deepEqual(deploymentErrors({ replicas: ok }), []);
    for (const [bad, shown] of [
      [2147483648, '2147483648'],
      [-2147483649, '-2147483649'],
      [1e308, '1e+308'],
      [1.5, '1.5'],
      [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ] as const) {
      assert.deepEqual(deploymentErrors({ replicas: bad }), [
        `spec.replicas: Invalid value: ${shown}: json: cannot unmarshal number ${shown} into Go struct field DeploymentSpec.spec.replicas of type int32`,
      ]);
    }
  });

  test('int64 fields take every integer a double holds below 2^63', () => {
    for (const ok of [Number.MAX_SAFE_INTEGER, -(2 ** 63), 2 ** 63 - 1024]) {
      assert.deepEqual(podErrors({ terminationGracePeriodSeconds: ok, containers: [] }), []);
    }
    for (const [bad, shown] of [
      [2 ** 63, '9223372036854776000'],
      [1e308, '1e+308'],
      [0.5, '0.5'],
    ] as const) {
      assert.deepEqual(podErrors({ terminationGracePeriodSeconds: bad, containers: [] }), [
        `spec.terminationGracePeriodSeconds: Invalid value: ${shown}: json: cannot unmarshal number ${shown} into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64`,
      ]);
    }
  });

  test('list items and nested structs name the innermost struct and the path without indexes', () => {
    assert.deepEqual(
      podErrors({
        securityContext: { supplementalGroups: [1, 2 ** 64] },
        containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 65536.5 }] }],
      }),
      [
        'spec.securityContext.supplementalGroups[1]: Invalid value: 18446744073709552000: json: cannot unmarshal number 18446744073709552000 into Go struct field PodSecurityContext.spec.securityContext.supplementalGroups of type int64',
        'spec.containers[0].ports[1].containerPort: Invalid value: 65536.5: json: cannot unmarshal number 65536.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
      ],
    );
  });

  test("an int-or-string's number is an int32 (IntOrString.IntVal)", () => {
    assert.deepEqual(deploymentErrors({ strategy: { rollingUpdate: { maxSurge: 2147483647 } } }), []);
    assert.deepEqual(deploymentErrors({ strategy: { rollingUpdate: { maxSurge: '25%' } } }), []);
    assert.deepEqual(deploymentErrors({ strategy: { rollingUpdate: { maxUnavailable: 1e10 } } }), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 10000000000: json: cannot unmarshal number 10000000000 into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable of type int32',
    ]);
  });

  test('a non-number keeps its type error', () => {
    assert.deepEqual(deploymentErrors({ replicas: '3' }), [
      'spec.replicas: Invalid value: "3": must be of type integer, not string',
    ]);
  });
});
