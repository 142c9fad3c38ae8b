// printHorizontalPodAutoscaler and formatHPAMetrics (pkg/printers/internalversion/printers.go, v1.32).
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import { DESCRIPTIONS } from '../api/schema/descriptions.generated.js';
import type { KubeObject } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, NAME_COLUMN } from './meta.js';
import type { PrintedTable, TableColumnDefinition } from './types.js';

const spec = (f: string) => DESCRIPTIONS.HorizontalPodAutoscalerSpec?.fields[f] ?? '';

export const hpaColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Reference', 'string', spec('scaleTargetRef')),
  column('Targets', 'string', spec('metrics')),
  column('MinPods', 'string', spec('minReplicas')),
  column('MaxPods', 'integer', spec('maxReplicas')),
  column('Replicas', 'integer', DESCRIPTIONS.HorizontalPodAutoscalerStatus?.fields.currentReplicas ?? ''),
  AGE_COLUMN,
];

const q = (v: string | number | undefined): string => (v === undefined ? '<unknown>' : String(v));

/** The TARGETS cell: each metric's current and target, two at most (`cpu: 45%/50%`, `<unknown>/10 (avg)`). */
export function formatHPAMetrics(
  specs: MetricSpec[] | undefined,
  statuses: MetricStatus[] | undefined,
): string {
  if (!specs || specs.length === 0) return '<none>';
  const st = statuses ?? [];
  const list: string[] = [];
  specs.forEach((s, i) => {
    switch (s.type) {
      case 'External': {
        const cur = st[i]?.external?.current;
        if (s.external?.target.averageValue !== undefined)
          list.push(`${q(cur?.averageValue)}/${s.external.target.averageValue} (avg)`);
        else list.push(`${st[i]?.external ? q(cur?.value) : '<unknown>'}/${q(s.external?.target.value)}`);
        break;
      }
      case 'Pods':
        list.push(
          `${st[i]?.pods ? q(st[i]?.pods?.current.averageValue) : '<unknown>'}/${q(s.pods?.target.averageValue)}`,
        );
        break;
      case 'Object': {
        const cur = st[i]?.object?.current;
        if (s.object?.target.averageValue !== undefined)
          list.push(`${q(cur?.averageValue)}/${s.object.target.averageValue} (avg)`);
        else list.push(`${st[i]?.object ? q(cur?.value) : '<unknown>'}/${q(s.object?.target.value)}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = s.type === 'Resource' ? s.resource : s.containerResource;
        const cur = s.type === 'Resource' ? st[i]?.resource : st[i]?.containerResource;
        const name = src?.name ?? '';
        if (src?.target.averageValue !== undefined) {
          list.push(`${name}: ${cur ? q(cur.current.averageValue) : '<unknown>'}/${src.target.averageValue}`);
        } else {
          const current =
            cur?.current.averageUtilization !== undefined
              ? `${cur.current.averageUtilization}%`
              : '<unknown>';
          const target =
            src?.target.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : '<auto>';
          list.push(`${name}: ${current}/${target}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  const maximum = 2;
  if (list.length > maximum) return `${list.slice(0, maximum).join(', ')} + ${list.length - maximum} more...`;
  return list.join(', ');
}

export function printHorizontalPodAutoscalers(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: hpaColumnDefinitions,
    rows: objects.map((object) => {
      const hpa = object as unknown as HorizontalPodAutoscaler;
      const ref = hpa.spec?.scaleTargetRef;
      return {
        cells: [
          hpa.metadata?.name ?? '',
          `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
          formatHPAMetrics(hpa.spec?.metrics, hpa.status?.currentMetrics),
          hpa.spec?.minReplicas !== undefined ? String(hpa.spec.minReplicas) : '<unset>',
          hpa.spec?.maxReplicas ?? 0,
          hpa.status?.currentReplicas ?? 0,
          translateTimestampSince(hpa.metadata?.creationTimestamp, now),
        ],
        object,
      };
    }),
  };
}
