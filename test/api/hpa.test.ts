// HorizontalPodAutoscaler: defaulting, upstream's validation messages, the autoscaling/v1 conversion, the
// `kubectl get hpa` row, and the OpenAPI descriptions `kubectl explain` prints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import { hpaV1ToV2, hpaV2ToV1 } from '../../src/api/hpa.js';
import { RESOURCES } from '../../src/api/resources.js';
import { DESCRIPTIONS } from '../../src/api/schema/descriptions.generated.js';
import { STRUCTS } from '../../src/api/schema/types.generated.js';
import type { KubeObject } from '../../src/api/types.js';
import { openApiDocument } from '../../src/apiserver/http/openapi.js';
import { formatHPAMetrics, printHorizontalPodAutoscalers } from '../../src/printers/hpa.js';
import { messages } from './helpers.js';

const hpa = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    maxReplicas: 3,
    ...spec,
  },
});

test('defaults: minReplicas 1 and an 80% CPU target; behavior is filled only when given', () => {
  const d = applyDefaults(hpa({})).spec as Record<string, unknown>;
  assert.equal(d.minReplicas, 1);
  assert.deepEqual(d.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
  ]);
  assert.equal(d.behavior, undefined);
  const b = applyDefaults(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } })).spec as {
    behavior: unknown;
  };
  assert.deepEqual(b.behavior, {
    scaleDown: {
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      stabilizationWindowSeconds: 60,
    },
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    },
  });
});

test("validation speaks upstream's words", () => {
  assert.deepEqual(messages(hpa({})), []);
  assert.deepEqual(messages(hpa({ minReplicas: 5 })), [
    'spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`',
  ]);
  assert.deepEqual(messages(hpa({ maxReplicas: 0, minReplicas: 0 })), [
    'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
    'spec.maxReplicas: Invalid value: 0: must be greater than 0',
  ]);
  assert.deepEqual(messages(hpa({ scaleTargetRef: { kind: 'Deployment' } })), [
    'spec.scaleTargetRef.name: Required value',
  ]);
  assert.deepEqual(
    messages(
      hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }),
    ),
    [
      'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    ],
  );
  assert.deepEqual(messages(hpa({ metrics: [{ type: 'Pods' }] })), [
    'spec.metrics[0].pods: Required value: must populate information for the given metric source',
  ]);
  assert.deepEqual(
    messages(hpa({ behavior: { scaleUp: { policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }] } } })),
    [
      'spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero',
      'spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
    ],
  );
});

test('autoscaling/v1 converts to the stored v2 and back through the CPU utilization metric', () => {
  const v1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 3,
      targetCPUUtilizationPercentage: 50,
    },
  };
  const v2 = hpaV1ToV2(v1) as KubeObject;
  assert.deepEqual(v2.spec, {
    scaleTargetRef: { kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 3,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
      },
    ],
  });
  v2.status = {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 75, averageValue: '75m' } },
      },
    ],
  };
  const back = hpaV2ToV1(v2);
  assert.deepEqual(back.spec, v1.spec);
  assert.deepEqual(back.status, {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentCPUUtilizationPercentage: 75,
  });
});

test('kubectl get hpa: REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS', () => {
  const obj = applyDefaults(
    hpa({
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    }),
  );
  const now = Date.UTC(2026, 0, 1);
  const table = printHorizontalPodAutoscalers(
    [{ ...obj, metadata: { ...obj.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } }],
    now + 65_000,
  );
  assert.deepEqual(
    table.columnDefinitions.map((c) => c.name),
    ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'],
  );
  assert.deepEqual(table.rows[0]?.cells, ['web', 'Deployment/web', 'cpu: <unknown>/50%', '1', 3, 0, '65s']);
  assert.equal(
    formatHPAMetrics(
      [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
        },
        {
          type: 'Pods',
          pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } },
        },
      ],
      [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12 } } }],
    ),
    'cpu: 12%/50%, memory: <unknown>/100Mi + 1 more...',
  );
});

test('every kind in the resource table has its description, and the OpenAPI carries them for explain', () => {
  for (const r of RESOURCES) {
    assert.ok(STRUCTS[r.kind], `${r.kind} has a schema (run src/api/schema/generate.ts)`);
    assert.ok(
      DESCRIPTIONS[r.kind]?.description,
      `${r.kind} has a description (run src/api/schema/generate.ts)`,
    );
  }
  const doc = JSON.parse(openApiDocument('api/v1')!) as {
    components: {
      schemas: Record<string, { description?: string; properties: Record<string, { description?: string }> }>;
    };
  };
  const spec = doc.components.schemas['io.k8s.api.core.v1.PodSpec']!;
  assert.match(
    spec.properties.initContainers?.description ?? '',
    /^List of initialization containers belonging to the pod\./,
  );
  assert.match(
    doc.components.schemas['io.k8s.api.core.v1.Pod']?.description ?? '',
    /^Pod is a collection of containers/,
  );
});
