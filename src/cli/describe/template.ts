// DescribePodTemplate (k8s.io/kubectl/pkg/describe/describe.go, v1.32): a workload's pod template under
// `Pod Template:`, its containers and volumes indented by the template's two spaces and without statuses.
import type { PodSpec } from '../../api/types.js';
import { describeContainers, describeVolumes } from './pod.js';
import {
  type PrefixWriter,
  printAnnotationsMultiline,
  printLabelsMultiline,
  printTolerationsMultiline,
} from './writer.js';

export interface PodTemplateLike {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpec;
}

export function describePodTemplate(template: PodTemplateLike | undefined, w: PrefixWriter): void {
  w.write(0, 'Pod Template:\n');
  if (!template) {
    w.write(1, '<unset>');
    return;
  }
  const spec = template.spec ?? ({ containers: [] } as PodSpec);
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) {
    printAnnotationsMultiline(w, '  Annotations', template.metadata?.annotations);
  }
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) {
    describeContainers(undefined, 'Init Containers', spec.initContainers, undefined, w, '  ');
  }
  describeContainers(undefined, 'Containers', spec.containers ?? [], undefined, w, '  ');
  describeVolumes(spec.volumes, w, '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}
