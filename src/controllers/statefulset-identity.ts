// A StatefulSet's stable identities (pkg/controller/statefulset/stateful_set_utils.go): pod `<set>-<ordinal>`
// with hostname/subdomain, claims `<template>-<set>-<ordinal>`, and the ControllerRevisions that version the
// pod template (`<set>-<hash>`, data `{spec: {template: …, $patch: replace}}`).
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject, PersistentVolumeClaim, Pod, StatefulSet } from '../api/types.js';
import { type RevisionShape, templatePatch } from './history.js';
import { ownerReferenceTo } from './pods.js';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal of a pod named `<set>-<n>`, or undefined for a pod that is not one of the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function claimName(templateName: string, setName: string, ordinal: number): string {
  return `${templateName}-${setName}-${ordinal}`;
}

/** The revision's data: the template as a strategic-merge patch that replaces it (getPatch). */
export function revisionData(sts: StatefulSet): unknown {
  return templatePatch(sts.spec?.template);
}

/** How a StatefulSet's revisions are labelled: its selector's labels and the hash. */
export function revisionShape(sts: StatefulSet): RevisionShape {
  return {
    labels: (hash) => ({ ...(sts.spec?.selector?.matchLabels ?? {}), 'controller.kubernetes.io/hash': hash }),
    collisionCount: sts.status?.collisionCount ?? 0,
  };
}

/** The claims a pod of the set mounts, built from volumeClaimTemplates (getPersistentVolumeClaims). */
export function claimsFor(setObj: KubeObject, ordinal: number): PersistentVolumeClaim[] {
  const sts = setObj as unknown as StatefulSet;
  const setName = setObj.metadata.name ?? '';
  const selectorLabels = sts.spec?.selector?.matchLabels ?? {};
  const deleteWithSet = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return (sts.spec?.volumeClaimTemplates ?? []).map((t) => {
    const { status: _status, ...rest } = structuredClone(t);
    return {
      ...rest,
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
        name: claimName(t.metadata?.name ?? '', setName, ordinal),
        namespace: setObj.metadata.namespace,
        ...(deleteWithSet ? { ownerReferences: [{ ...ownerReferenceTo(setObj), controller: true }] } : {}),
      },
    } as PersistentVolumeClaim;
  });
}

/** The pod `<set>-<ordinal>` of a revision's template (newVersionedStatefulSetPod). */
export function podFor(
  setObj: KubeObject,
  template: PodTemplateSpec | undefined,
  revisionName: string,
  ordinal: number,
): Pod {
  const sts = setObj as unknown as StatefulSet;
  const setName = setObj.metadata.name ?? '';
  const name = `${setName}-${ordinal}`;
  const hash = revisionName.startsWith(`${setName}-`) ? revisionName.slice(setName.length + 1) : revisionName;
  const spec = structuredClone(template?.spec ?? { containers: [] });
  spec.hostname = name;
  if (sts.spec?.serviceName) spec.subdomain = sts.spec.serviceName;
  // Each claim template replaces a pod volume of its name (updateStorage).
  const templates = sts.spec?.volumeClaimTemplates ?? [];
  const claimVolumes = templates.map((t) => ({
    name: t.metadata?.name ?? '',
    persistentVolumeClaim: { claimName: claimName(t.metadata?.name ?? '', setName, ordinal) },
  }));
  spec.volumes = [
    ...(spec.volumes ?? []).filter((v) => !claimVolumes.some((c) => c.name === v.name)),
    ...claimVolumes,
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: setObj.metadata.namespace,
      labels: {
        ...(template?.metadata?.labels ?? {}),
        [REVISION_LABEL]: `${setName}-${hash}`,
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
      },
      ...(template?.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerReferenceTo(setObj)],
    },
    spec,
  };
}

/** The revision a pod was made from (its controller-revision-hash label holds the revision's name). */
export function revisionOfPod(pod: Pod): string {
  return pod.metadata?.labels?.[REVISION_LABEL] ?? '';
}
