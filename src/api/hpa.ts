// HorizontalPodAutoscaler defaulting (pkg/apis/autoscaling/v2/defaults.go, v1.32) and the autoscaling/v1
// conversion (pkg/apis/autoscaling/v1/conversion.go): v1 carries only a CPU utilization target, so an object
// stored as v2 reads as v1 with its CPU Resource metric, and a v1 object is written as v2 with that metric.

import type {
  HorizontalPodAutoscaler,
  HPAScalingRules,
  MetricSpec,
} from 'kubernetes-types/autoscaling/v2.js';
import type { KubeObject } from './types.js';

/** autoscaling.DefaultCPUUtilization. */
export const DEFAULT_CPU_UTILIZATION = 80;

const DEFAULT_SCALE_UP: HPAScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};

// No stabilization window: the controller's --horizontal-pod-autoscaler-downscale-stabilization (5m) applies.
const DEFAULT_SCALE_DOWN: HPAScalingRules = {
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function withDefaults(rules: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  const out: HPAScalingRules = structuredClone(defaults);
  if (!rules) return out;
  if (rules.selectPolicy !== undefined) out.selectPolicy = rules.selectPolicy;
  if (rules.stabilizationWindowSeconds !== undefined)
    out.stabilizationWindowSeconds = rules.stabilizationWindowSeconds;
  if (rules.policies !== undefined) out.policies = rules.policies;
  return out;
}

export function cpuUtilizationMetric(averageUtilization: number): MetricSpec {
  return {
    type: 'Resource',
    resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } },
  };
}

export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): void {
  if (!hpa.spec) return;
  hpa.spec.minReplicas ??= 1;
  if (!hpa.spec.metrics || hpa.spec.metrics.length === 0)
    hpa.spec.metrics = [cpuUtilizationMetric(DEFAULT_CPU_UTILIZATION)];
  if (hpa.spec.behavior) {
    hpa.spec.behavior.scaleUp = withDefaults(hpa.spec.behavior.scaleUp, DEFAULT_SCALE_UP);
    hpa.spec.behavior.scaleDown = withDefaults(hpa.spec.behavior.scaleDown, DEFAULT_SCALE_DOWN);
  }
}

/** The scaling rules the controller follows when the object has none (the defaults, 5 min down window). */
export function effectiveBehavior(
  hpa: HorizontalPodAutoscaler,
  downscaleStabilizationSeconds = 300,
): { scaleUp: HPAScalingRules; scaleDown: HPAScalingRules } {
  const up = withDefaults(hpa.spec?.behavior?.scaleUp, DEFAULT_SCALE_UP);
  const down = withDefaults(hpa.spec?.behavior?.scaleDown, DEFAULT_SCALE_DOWN);
  down.stabilizationWindowSeconds ??= downscaleStabilizationSeconds;
  return { scaleUp: up, scaleDown: down };
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An autoscaling/v1 HorizontalPodAutoscaler body as v2 (what is validated and stored). */
export function hpaV1ToV2(body: unknown): unknown {
  if (!isObj(body)) return body;
  const { spec, status, ...rest } = body;
  const out: Obj = { ...rest, apiVersion: 'autoscaling/v2' };
  if (isObj(spec)) {
    const { targetCPUUtilizationPercentage, ...s } = spec;
    out.spec = {
      ...s,
      ...(typeof targetCPUUtilizationPercentage === 'number'
        ? { metrics: [cpuUtilizationMetric(targetCPUUtilizationPercentage)] }
        : {}),
    };
  } else if (spec !== undefined) out.spec = spec;
  if (isObj(status)) {
    const { currentCPUUtilizationPercentage, ...st } = status;
    out.status = {
      ...st,
      ...(typeof currentCPUUtilizationPercentage === 'number'
        ? {
            currentMetrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', current: { averageUtilization: currentCPUUtilizationPercentage } },
              },
            ],
          }
        : {}),
    };
  }
  return out;
}

/** A stored (v2) HorizontalPodAutoscaler as autoscaling/v1 shows it. */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const hpa = obj as unknown as HorizontalPodAutoscaler;
  const cpu = hpa.spec?.metrics?.find(
    (m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization',
  );
  const current = hpa.status?.currentMetrics?.find(
    (m) => m.type === 'Resource' && m.resource?.name === 'cpu',
  );
  const spec: Obj = {
    scaleTargetRef: hpa.spec?.scaleTargetRef,
    ...(hpa.spec?.minReplicas !== undefined ? { minReplicas: hpa.spec.minReplicas } : {}),
    maxReplicas: hpa.spec?.maxReplicas,
    ...(cpu?.resource?.target.averageUtilization !== undefined
      ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization }
      : {}),
  };
  const st = hpa.status;
  const status: Obj | undefined = st
    ? {
        ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
        ...(st.lastScaleTime !== undefined ? { lastScaleTime: st.lastScaleTime } : {}),
        currentReplicas: st.currentReplicas ?? 0,
        desiredReplicas: st.desiredReplicas ?? 0,
        ...(current?.resource?.current.averageUtilization !== undefined
          ? { currentCPUUtilizationPercentage: current.resource.current.averageUtilization }
          : {}),
      }
    : undefined;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: obj.metadata,
    spec,
    ...(status ? { status } : {}),
  } as KubeObject;
}
