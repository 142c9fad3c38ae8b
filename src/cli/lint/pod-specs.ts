// The pods a set of manifests makes: a Pod's own spec, or a workload's template (Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job, CronJob), each with the field path of its spec so that findings point into the
// file, and what the checks need to know about where it runs (namespace, replicas, annotations).
import type { ManifestDocument } from '../../api/manifests.js';
import type { Container, PodSpec } from '../../api/types.js';

export interface PodSource {
  doc: ManifestDocument;
  kind: string;
  name: string;
  /** The namespace its pods run in; manifests without one go to `default` here, as `podrun up` applies them. */
  namespace: string;
  spec: PodSpec;
  /** Field path of `spec` in the object: `spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`. */
  specPath: string;
  /** The pods' annotations (a Pod's, or its template's). */
  podAnnotations: Record<string, string>;
  /** How many pods run it at once: spec.replicas of a Deployment, ReplicaSet or StatefulSet; else 1. */
  replicas: number;
  /** A HorizontalPodAutoscaler of the files that scales it, and how far. */
  autoscaler?: { name: string; maxReplicas: number };
  /** Rules turned off by podrun.dev/lint-ignore on the object or its template. */
  ignored: ReadonlySet<string>;
}

/** A container with its list and the field path of its item. */
export interface ContainerAt {
  container: Container;
  list: 'initContainers' | 'containers';
  index: number;
  path: string;
  /** A regular init container (not a sidecar, not an app container). */
  regularInit: boolean;
}

interface Templated {
  metadata?: { annotations?: Record<string, string> };
  spec?: PodSpec;
}

function templateOf(doc: ManifestDocument): { template: Templated; path: string } | undefined {
  const o = doc.object as unknown as {
    kind: string;
    spec?: { template?: Templated; jobTemplate?: { spec?: { template?: Templated } } };
  };
  switch (o.kind) {
    case 'Pod':
      return {
        template: { metadata: doc.object.metadata, spec: (o as { spec?: PodSpec }).spec },
        path: 'spec',
      };
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return o.spec?.template ? { template: o.spec.template, path: 'spec.template.spec' } : undefined;
    case 'CronJob': {
      const t = o.spec?.jobTemplate?.spec?.template;
      return t ? { template: t, path: 'spec.jobTemplate.spec.template.spec' } : undefined;
    }
    default:
      return undefined;
  }
}

function ignoredRules(...annotations: (Record<string, string> | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const a of annotations) {
    for (const rule of (a?.['podrun.dev/lint-ignore'] ?? '').split(',')) {
      if (rule.trim()) out.add(rule.trim());
    }
  }
  return out;
}

interface Autoscaler {
  metadata?: { name?: string; namespace?: string };
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; maxReplicas?: number };
}

/** The HorizontalPodAutoscalers of the files, by the `Kind/namespace/name` they scale. */
function autoscalers(docs: readonly ManifestDocument[]): Map<string, { name: string; maxReplicas: number }> {
  const out = new Map<string, { name: string; maxReplicas: number }>();
  for (const doc of docs) {
    if (doc.object.kind !== 'HorizontalPodAutoscaler') continue;
    const hpa = doc.object as unknown as Autoscaler;
    const target = hpa.spec?.scaleTargetRef;
    if (!target?.kind || !target.name) continue;
    out.set(`${target.kind}/${hpa.metadata?.namespace || 'default'}/${target.name}`, {
      name: hpa.metadata?.name ?? '',
      maxReplicas: hpa.spec?.maxReplicas ?? 1,
    });
  }
  return out;
}

export function podSources(docs: readonly ManifestDocument[]): PodSource[] {
  const out: PodSource[] = [];
  const scaledBy = autoscalers(docs);
  for (const doc of docs) {
    const found = templateOf(doc);
    if (!found?.template.spec) continue;
    const replicated = ['Deployment', 'ReplicaSet', 'StatefulSet'].includes(doc.object.kind);
    const replicas = replicated
      ? ((doc.object as unknown as { spec?: { replicas?: number } }).spec?.replicas ?? 1)
      : 1;
    const podAnnotations = found.template.metadata?.annotations ?? {};
    const namespace = doc.object.metadata?.namespace || 'default';
    const autoscaler = replicated
      ? scaledBy.get(`${doc.object.kind}/${namespace}/${doc.object.metadata?.name}`)
      : undefined;
    out.push({
      doc,
      kind: doc.object.kind,
      name: doc.object.metadata?.name ?? '',
      namespace,
      ...(autoscaler ? { autoscaler } : {}),
      spec: found.template.spec,
      specPath: found.path,
      podAnnotations,
      replicas,
      ignored: ignoredRules(doc.object.metadata?.annotations, podAnnotations),
    });
  }
  return out;
}

export function containersOf(source: PodSource): ContainerAt[] {
  const inits = (source.spec.initContainers ?? []).map(
    (container, index): ContainerAt => ({
      container,
      list: 'initContainers',
      index,
      path: `${source.specPath}.initContainers[${index}]`,
      regularInit: container.restartPolicy !== 'Always',
    }),
  );
  const apps = (source.spec.containers ?? []).map(
    (container, index): ContainerAt => ({
      container,
      list: 'containers',
      index,
      path: `${source.specPath}.containers[${index}]`,
      regularInit: false,
    }),
  );
  return [...inits, ...apps];
}

/** `Deployment "api"`, `Pod "web"`: how a finding names what it is about. */
export function describeSource(s: PodSource): string {
  return `${s.kind} "${s.name}"`;
}

/** `init container "migrate"`, `container "app"`. */
export function describeContainer(c: ContainerAt): string {
  if (c.list === 'containers') return `container "${c.container.name}"`;
  return c.regularInit ? `init container "${c.container.name}"` : `sidecar "${c.container.name}"`;
}
