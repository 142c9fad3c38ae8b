// What a pod status write may not do (ValidatePodStatusUpdate, pkg/apis/core/validation/validation.go), and the
// one rule the kubelet's status manager checks itself before it writes (checkContainerStateTransition,
// pkg/kubelet/status/status_manager.go): a container that ended for good stays terminated.
import type { ContainerStatus, Pod, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, invalid } from './field-error.js';
import { isDNS1123Subdomain } from './names.js';

export type StatusList = 'containerStatuses' | 'initContainerStatuses' | 'ephemeralContainerStatuses';

export interface IllegalTransition {
  list: StatusList;
  /** The container's index in the old status's list (upstream's error path names it). */
  index: number;
  name: string;
}

/**
 * Containers whose old status is terminated for good and whose new status, under the same name, is not
 * terminated. Nothing is final under restartPolicy Always; under OnFailure a failure is not; a restartable init
 * container (a sidecar) always restarts; an ephemeral container never does (ValidateContainerStateTransition,
 * ValidateInitContainerStateTransition).
 */
export function illegalStateTransitions(
  old: PodStatus | undefined,
  next: PodStatus | undefined,
  spec: PodSpec | undefined,
): IllegalTransition[] {
  const policy = spec?.restartPolicy ?? 'Always';
  const sidecars = new Set(
    (spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  const out: IllegalTransition[] = [];
  const check = (list: StatusList, restartPolicy: string, restartable: (name: string) => boolean) => {
    if (restartPolicy === 'Always') return;
    const newer = next?.[list] ?? [];
    (old?.[list] ?? []).forEach((o: ContainerStatus, index) => {
      const terminated = o.state?.terminated;
      if (!terminated || restartable(o.name)) return;
      if ((terminated.exitCode ?? 0) !== 0 && restartPolicy === 'OnFailure') return;
      for (const n of newer) {
        if (n.name === o.name && !n.state?.terminated) out.push({ list, index, name: o.name });
      }
    });
  };
  check('containerStatuses', policy, () => false);
  check('initContainerStatuses', policy, (name) => sidecars.has(name));
  check('ephemeralContainerStatuses', 'Never', () => false);
  return out;
}

/**
 * The status part of ValidatePodStatusUpdate (the metadata part is validateObjectMetaUpdate's): a new
 * nominatedNodeName is a node name, and no container leaves the terminated state it may not leave.
 */
export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const nominated = pod.status?.nominatedNodeName ?? '';
  if (nominated !== '' && nominated !== (old.status?.nominatedNodeName ?? '')) {
    for (const msg of isDNS1123Subdomain(nominated)) {
      errs.push(invalid('status.nominatedNodeName', nominated, msg));
    }
  }
  for (const t of illegalStateTransitions(old.status, pod.status, old.spec)) {
    errs.push(
      forbidden(`status.${t.list}[${t.index}].state`, 'may not be transitioned to non-terminated state'),
    );
  }
  return errs;
}
