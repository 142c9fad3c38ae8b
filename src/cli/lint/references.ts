// `missing-reference`: what a pod names that the given files do not define. A Secret or ConfigMap (by
// secretKeyRef, configMapKeyRef, envFrom, a secret/configMap/projected volume), a key of one the files do
// define, a PersistentVolumeClaim, a ServiceAccount. Each one stops the startup until it exists: the container
// (CreateContainerConfigError), the volume (FailedMount), the pod (Pending), or its creation (the
// ServiceAccount admission refuses it). `optional: true` references are fine, as the kubelet treats them.

import type { KeyToPath } from 'kubernetes-types/core/v1.js';
import type { ManifestDocument } from '../../api/manifests.js';
import type { Rule } from './findings.js';
import { containersOf, describeContainer, describeSource, type PodSource } from './pod-specs.js';

type Report = (rule: Rule, field: string, message: string, fix: string) => void;

type RefKind = 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ServiceAccount';

/** Secrets, ConfigMaps, PVCs and ServiceAccounts the files define, by `Kind/namespace/name`, with their keys. */
export type DefinedObjects = ReadonlyMap<string, { keys?: ReadonlySet<string>; file: string; line: number }>;

export function definedObjects(docs: readonly ManifestDocument[]): DefinedObjects {
  const out = new Map<string, { keys?: ReadonlySet<string>; file: string; line: number }>();
  for (const d of docs) {
    const k = d.object.kind;
    if (k !== 'Secret' && k !== 'ConfigMap' && k !== 'PersistentVolumeClaim' && k !== 'ServiceAccount')
      continue;
    const o = d.object as unknown as Record<string, Record<string, unknown> | undefined>;
    const maps = k === 'Secret' ? [o.data, o.stringData] : k === 'ConfigMap' ? [o.data, o.binaryData] : [];
    const keys = maps.length > 0 ? new Set(maps.flatMap((m) => Object.keys(m ?? {}))) : undefined;
    out.set(`${k}/${d.object.metadata?.namespace || 'default'}/${d.object.metadata?.name}`, {
      ...(keys ? { keys } : {}),
      file: d.file,
      line: d.line,
    });
  }
  return out;
}

export function checkReferences(source: PodSource, defined: DefinedObjects, report: Report): void {
  const key = (kind: RefKind, name: string) => `${kind}/${source.namespace}/${name}`;
  const missing = (kind: RefKind, name: string | undefined, optional: boolean | undefined) =>
    !!name && !optional && !defined.has(key(kind, name));
  /** The keys of a defined Secret or ConfigMap that the reference names but it lacks. */
  const missingKeys = (kind: RefKind, name: string | undefined, keys: string[], optional?: boolean) => {
    const obj = name && !optional ? defined.get(key(kind, name)) : undefined;
    return obj?.keys ? keys.filter((k) => !obj.keys!.has(k)) : [];
  };
  const where = source.namespace === 'default' ? '' : ` in namespace ${source.namespace}`;
  const fix = (kind: RefKind, name: string, canBeOptional: boolean) =>
    `add the ${kind} "${name}"${where} to these files, or pass the file that defines it with another -f${canBeOptional ? '; if the pod may run without it, set optional: true' : ''}`;
  const keyFix = (kind: RefKind, name: string, k: string, canBeOptional: boolean) => {
    const obj = defined.get(key(kind, name))!;
    const has = [...(obj.keys ?? [])];
    return `add the key "${k}" to the ${kind} "${name}" (${obj.file}:${obj.line})${has.length > 0 ? `, or name one of its keys (${has.join(', ')})` : ''}${canBeOptional ? '; if the pod may run without it, set optional: true' : ''}`;
  };
  const consequence = (envVar: boolean) =>
    envVar
      ? 'the container will not start (CreateContainerConfigError) until it exists'
      : 'the pod will not start (FailedMount) until it exists';

  for (const c of containersOf(source)) {
    (c.container.env ?? []).forEach((e, j) => {
      const p = `${c.path}.env[${j}].valueFrom`;
      for (const [kind, ref, field] of [
        ['Secret', e.valueFrom?.secretKeyRef, 'secretKeyRef'],
        ['ConfigMap', e.valueFrom?.configMapKeyRef, 'configMapKeyRef'],
      ] as const) {
        if (!ref) continue;
        if (missing(kind, ref.name, ref.optional)) {
          report(
            'missing-reference',
            `${p}.${field}.name`,
            `${describeContainer(c)} reads ${e.name} from ${kind} "${ref.name}", which none of the given files defines: ${consequence(true)}`,
            fix(kind, ref.name!, true),
          );
        } else if (missingKeys(kind, ref.name, [ref.key], ref.optional).length > 0) {
          report(
            'missing-reference',
            `${p}.${field}.key`,
            `${describeContainer(c)} reads ${e.name} from key "${ref.key}" of ${kind} "${ref.name}", which has no such key: the container will not start (CreateContainerConfigError) until it has`,
            keyFix(kind, ref.name!, ref.key, true),
          );
        }
      }
    });
    (c.container.envFrom ?? []).forEach((e, j) => {
      const p = `${c.path}.envFrom[${j}]`;
      for (const [kind, field, ref] of [
        ['Secret', 'secretRef', e.secretRef],
        ['ConfigMap', 'configMapRef', e.configMapRef],
      ] as const) {
        if (!ref || !missing(kind, ref.name, ref.optional)) continue;
        report(
          'missing-reference',
          `${p}.${field}.name`,
          `${describeContainer(c)} takes its environment from ${kind} "${ref.name}", which none of the given files defines: ${consequence(true)}`,
          fix(kind, ref.name!, true),
        );
      }
    });
  }

  const volumeSource = (
    kind: 'Secret' | 'ConfigMap',
    name: string | undefined,
    optional: boolean | undefined,
    items: KeyToPath[] | undefined,
    path: string,
    nameField: string,
    volume: string,
    verb: string,
  ) => {
    if (missing(kind, name, optional)) {
      report(
        'missing-reference',
        `${path}.${nameField}`,
        `${volume} ${verb} ${kind} "${name}", which none of the given files defines: ${consequence(false)}`,
        fix(kind, name!, true),
      );
      return;
    }
    const keys = (items ?? []).map((i) => i.key);
    for (const k of missingKeys(kind, name, keys, optional)) {
      report(
        'missing-reference',
        `${path}.items[${keys.indexOf(k)}].key`,
        `${volume} ${verb} key "${k}" of ${kind} "${name}", which has no such key: the pod will not start (FailedMount) until it has`,
        keyFix(kind, name!, k, true),
      );
    }
  };
  (source.spec.volumes ?? []).forEach((v, i) => {
    const p = `${source.specPath}.volumes[${i}]`;
    const volume = `volume "${v.name}" of ${describeSource(source)}`;
    if (v.secret) {
      const s = v.secret;
      volumeSource(
        'Secret',
        s.secretName,
        s.optional,
        s.items,
        `${p}.secret`,
        'secretName',
        volume,
        'mounts',
      );
    }
    if (v.configMap) {
      const m = v.configMap;
      volumeSource('ConfigMap', m.name, m.optional, m.items, `${p}.configMap`, 'name', volume, 'mounts');
    }
    const claim = v.persistentVolumeClaim?.claimName;
    if (claim && missing('PersistentVolumeClaim', claim, false)) {
      report(
        'missing-reference',
        `${p}.persistentVolumeClaim.claimName`,
        `${volume} uses PersistentVolumeClaim "${claim}", which none of the given files defines: the pod stays Pending until it exists`,
        fix('PersistentVolumeClaim', claim, false),
      );
    }
    (v.projected?.sources ?? []).forEach((s, k) => {
      const sp = `${p}.projected.sources[${k}]`;
      if (s.secret) {
        const r = s.secret;
        volumeSource('Secret', r.name, r.optional, r.items, `${sp}.secret`, 'name', volume, 'projects');
      }
      if (s.configMap) {
        const r = s.configMap;
        volumeSource('ConfigMap', r.name, r.optional, r.items, `${sp}.configMap`, 'name', volume, 'projects');
      }
    });
  });

  // Every namespace has "default"; any other account must exist before a pod may name it.
  const account = source.spec.serviceAccountName || source.spec.serviceAccount;
  if (account && account !== 'default' && missing('ServiceAccount', account, false)) {
    const field = source.spec.serviceAccountName ? 'serviceAccountName' : 'serviceAccount';
    const refused =
      source.kind === 'Pod'
        ? 'the API server refuses the pod (error looking up service account)'
        : `the ${source.kind}'s pods are refused (error looking up service account) and none starts`;
    report(
      'missing-reference',
      `${source.specPath}.${field}`,
      `${describeSource(source)} runs as ServiceAccount "${account}", which none of the given files defines: ${refused} until it exists`,
      `${fix('ServiceAccount', account, false)}; or drop ${field} to run as "default"`,
    );
  }
}
