// What a pod status write may not do (ValidatePodStatusUpdate, pkg/apis/core/validation/validation.go), and the
// one rule the kubelet's status manager checks itself before it writes (checkContainerStateTransition,
// pkg/kubelet/status/status_manager.go): a container that ended for good stays terminated.
import type { ContainerStatus, Pod, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, GoValue, goQuote, invalid } from './field-error.js';
import { parseIPSloppy } from './ip.js';
import { isDNS1123Subdomain, isQualifiedName } from './names.js';

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
 * nominatedNodeName is a node name, no container leaves the terminated state it may not leave, a condition
 * type of the pod's own is a qualified name, the QoS class does not change, and the pod's and host's IPs are
 * addresses, at most one of each family (validatePodIPs, validateHostIPs).
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
  // validatePodConditions: a condition type of the pod's own (a readiness gate's) is a qualified name.
  (pod.status?.conditions ?? []).forEach((c, i) => {
    if (SYSTEM_CONDITIONS.has(c.type)) return;
    for (const msg of isQualifiedName(c.type ?? ''))
      errs.push(invalid(`status.conditions[${i}].Type`, c.type, msg));
  });
  // The QoS class is set at creation and never changes.
  const qos = pod.status?.qosClass ?? '';
  if (qos !== (old.status?.qosClass ?? '')) errs.push(invalid('status.qosClass', qos, 'field is immutable'));
  errs.push(...validateIPList('podIPs', pod.status?.podIPs, old.status?.podIPs));
  const hostIPs = pod.status?.hostIPs ?? [];
  const first = hostIPs[0]?.ip ?? '';
  if (hostIPs.length > 0 && (pod.status?.hostIP ?? '') !== first) {
    errs.push(invalid('status.hostIPs[0].ip', first, 'must be equal to `hostIP`'));
  }
  errs.push(...validateIPList('hostIPs', hostIPs, old.status?.hostIPs));
  return errs;
}

const VALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
const SYSTEM_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized']);

/**
 * validatePodIPs / validateHostIPs: each new address parses (one the stored status already has may stay), and
 * two or more are one of each family.
 */
function validateIPList(
  field: 'podIPs' | 'hostIPs',
  ips: ReadonlyArray<{ ip?: string }> | undefined,
  oldIPs: ReadonlyArray<{ ip?: string }> | undefined,
): FieldError[] {
  const list = ips ?? [];
  const kept = new Set((oldIPs ?? []).map((a) => a.ip ?? ''));
  const errs: FieldError[] = [];
  const parsed = list.map((a) => parseIPSloppy(a.ip ?? ''));
  list.forEach((a, i) => {
    if (!parsed[i] && !kept.has(a.ip ?? ''))
      errs.push(invalid(`status.${field}[${i}]`, a.ip ?? '', VALID_IP));
  });
  if (list.length > 1) {
    const v4 = parsed.some((b) => b?.length === 4);
    const v6 = parsed.some((b) => b?.length === 16);
    const dualStack = parsed.every((b) => b !== undefined) && v4 && v6;
    if (!dualStack || list.length > 2) {
      const type = field === 'podIPs' ? 'core.PodIP' : 'core.HostIP';
      const shown = `[]${type}{${list.map((a) => `${type}{IP:${goQuote(a.ip ?? '')}}`).join(', ')}}`;
      errs.push(
        invalid(
          `status.${field}`,
          new GoValue(list, shown),
          'may specify no more than one IP for each IP family',
        ),
      );
    }
  }
  return errs;
}
