// PodSpec validation: what pkg/apis/core/validation/validation.go (ValidatePodSpec and friends, Kubernetes v1.30)
// checks, with its field paths and wording. Works on defaulted objects; a field that defaulting fills in
// (restartPolicy, dnsPolicy, imagePullPolicy, protocol, …) is skipped when absent, so undefaulted input validates too.

import type {
  Container,
  ContainerPort,
  EnvVar,
  LifecycleHandler,
  PodSpec,
  PodTemplateSpec,
  Probe,
  VolumeMount,
} from 'kubernetes-types/core/v1.js';
import { validateEphemeralContainers } from './ephemeral.js';
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notFound,
  notSupported,
  required,
} from './field-error.js';
import { validateFieldRef } from './field-ref.js';
import { validateInitTimeoutAnnotations } from './init-timeout.js';
import { validateAnnotations, validateLabels } from './meta.js';
import {
  inclusiveRangeError,
  isCIdentifier,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isHTTPHeaderName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import { child, index, type Path } from './path.js';
import { validateLocalDescendingPath, validateVolume } from './pod-volume.js';
import { validateResourceRequirements } from './resources.js';

const MAX_INT32 = 2147483647;
const IS_NEGATIVE = 'must be greater than or equal to 0';
const INIT_FORBIDDEN = 'may not be set for init containers without restartPolicy=Always';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
// Whole label/annotation maps only in volumes; env vars take one entry with a subscript.
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
function nonNegative(value: number | undefined, path: Path): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, IS_NEGATIVE)] : [];
}

function dnsLabel(value: string, path: Path): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}

function enumValue(value: string | undefined, allowed: readonly string[], path: Path): FieldError[] {
  if (value === undefined) return [];
  if (value === '') return [required(path)];
  return allowed.includes(value) ? [] : [notSupported(path, value, allowed)];
}

export function validatePortNumOrName(port: number | string | undefined, path: Path): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  return isValidPortName(port ?? '').map((m) => invalid(path, port ?? '', m));
}

function validateHandler(h: LifecycleHandler & Probe, path: Path, lifecycle: boolean): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const kinds = lifecycle
    ? (['exec', 'httpGet', 'tcpSocket', 'sleep'] as const)
    : (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const);
  for (const k of kinds) {
    const v = (h as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const p = child(path, k);
    if (n > 0) {
      errs.push(forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    switch (k) {
      case 'exec':
        if ((h.exec!.command ?? []).length === 0) errs.push(required(child(p, 'command')));
        break;
      case 'httpGet': {
        const g = h.httpGet!;
        if (g.path === '') errs.push(required(child(p, 'path')));
        errs.push(...validatePortNumOrName(g.port, child(p, 'port')));
        if (g.scheme !== undefined && !HTTP_SCHEMES.includes(g.scheme)) {
          errs.push(notSupported(child(p, 'scheme'), g.scheme, HTTP_SCHEMES));
        }
        for (const header of g.httpHeaders ?? []) {
          for (const m of isHTTPHeaderName(header.name))
            errs.push(invalid(child(p, 'httpHeaders'), header.name, m));
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(h.tcpSocket!.port, child(p, 'port')));
        break;
      case 'grpc':
        for (const m of isValidPortNum(h.grpc!.port)) errs.push(invalid(child(p, 'port'), h.grpc!.port, m));
        break;
      case 'sleep': {
        const s = h.sleep!.seconds;
        if (s <= 0) errs.push(invalid(child(p, 'seconds'), s, 'must be greater than 0'));
        break;
      }
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(
  probe: Probe | undefined,
  path: Path,
  kind: 'liveness' | 'readiness' | 'startup',
): FieldError[] {
  if (!probe) return [];
  const errs = validateHandler(probe, path, false);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    errs.push(...nonNegative(probe[f], child(path, f)));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (kind === 'readiness') {
    if (tgps !== undefined) {
      errs.push(
        invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'),
      );
    }
  } else {
    if (tgps !== undefined && tgps <= 0) {
      errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
    }
    if (probe.successThreshold !== undefined && probe.successThreshold !== 1) {
      errs.push(invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
    }
  }
  return errs;
}

function validateLifecycle(c: Container, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle?.postStart)
    errs.push(...validateHandler(c.lifecycle.postStart, child(path, 'postStart'), true));
  if (c.lifecycle?.preStop) errs.push(...validateHandler(c.lifecycle.preStop, child(path, 'preStop'), true));
  return errs;
}

function validatePorts(ports: ContainerPort[], path: Path, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) for (const m of msgs) errs.push(invalid(child(p, 'name'), port.name, m));
      else if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(child(p, 'containerPort')));
    else
      for (const m of isValidPortNum(port.containerPort))
        errs.push(invalid(child(p, 'containerPort'), port.containerPort, m));
    if (port.hostPort) {
      for (const m of isValidPortNum(port.hostPort))
        errs.push(invalid(child(p, 'hostPort'), port.hostPort, m));
      if (hostNetwork && port.hostPort !== port.containerPort) {
        errs.push(
          invalid(
            child(p, 'hostPort'),
            port.hostPort,
            'must match `containerPort` when `hostNetwork` is true',
          ),
        );
      }
    }
    errs.push(...enumValue(port.protocol, PROTOCOLS, child(p, 'protocol')));
  });
  return errs;
}

function validateEnv(env: EnvVar[], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((ev, i) => {
    const p = index(path, i);
    if (!ev.name) errs.push(required(child(p, 'name')));
    else for (const m of isEnvVarName(ev.name)) errs.push(invalid(child(p, 'name'), ev.name, m));
    const from = ev.valueFrom;
    if (!from) return;
    const fp = child(p, 'valueFrom');
    let sources = 0;
    if (from.fieldRef) {
      sources++;
      errs.push(...validateFieldRef(from.fieldRef, ENV_FIELD_PATHS, child(fp, 'fieldRef')));
    }
    if (from.resourceFieldRef) {
      sources++;
      if (!from.resourceFieldRef.resource) errs.push(required(child(fp, 'resourceFieldRef', 'resource')));
    }
    for (const which of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = from[which];
      if (!ref) continue;
      sources++;
      const rp = child(fp, which);
      for (const m of isDNS1123Subdomain(ref.name ?? ''))
        errs.push(invalid(child(rp, 'name'), ref.name ?? '', m));
      if (!ref.key) errs.push(required(child(rp, 'key')));
      else for (const m of isConfigMapKey(ref.key)) errs.push(invalid(child(rp, 'key'), ref.key, m));
    }
    if (sources === 0) {
      errs.push(
        invalid(
          fp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (ev.value) {
      errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: VolumeMount[], volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  mounts.forEach((m, i) => {
    const p = index(path, i);
    if (!m.name) errs.push(required(child(p, 'name')));
    if (!volumes.has(m.name ?? '')) errs.push(notFound(child(p, 'name'), m.name ?? ''));
    if (!m.mountPath) errs.push(required(child(p, 'mountPath')));
    if (mountPoints.has(m.mountPath))
      errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, child(path, 'subPath')));
    if (m.subPathExpr) {
      if (m.subPath)
        errs.push(
          invalid(child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'),
        );
      errs.push(...validateLocalDescendingPath(m.subPathExpr, child(path, 'subPathExpr')));
    }
    errs.push(
      ...enumValue(
        m.mountPropagation,
        ['Bidirectional', 'HostToContainer', 'None'],
        child(p, 'mountPropagation'),
      ),
    );
  });
  return errs;
}

/** validateContainerCommon: what holds for every container, init or regular. */
function validateContainerCommon(
  c: Container,
  volumes: Set<string>,
  path: Path,
  hostNetwork: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const namePath = child(path, 'name');
  if (!c.name) errs.push(required(namePath));
  else errs.push(...dnsLabel(c.name, namePath));
  if (!c.image) errs.push(required(child(path, 'image')));
  if (c.terminationMessagePolicy === '') {
    errs.push(required(child(path, 'terminationMessagePolicy')));
  } else {
    errs.push(
      ...enumValue(
        c.terminationMessagePolicy,
        TERMINATION_MESSAGE_POLICIES,
        child(path, 'terminationMessagePolicy'),
      ),
    );
  }
  errs.push(...validatePorts(c.ports ?? [], child(path, 'ports'), hostNetwork));
  errs.push(...validateEnv(c.env ?? [], child(path, 'env')));
  (c.envFrom ?? []).forEach((ef, i) => {
    const p = index(child(path, 'envFrom'), i);
    if (ef.prefix)
      for (const m of isCIdentifier(ef.prefix)) errs.push(invalid(child(p, 'prefix'), ef.prefix, m));
    const refs = (['configMapRef', 'secretRef'] as const).filter((k) => ef[k] !== undefined);
    if (refs.length === 0) errs.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (refs.length > 1)
      errs.push(invalid(p, '', 'may not have more than one field specified at a time'));
    for (const k of refs) {
      const name = ef[k]!.name ?? '';
      for (const m of isDNS1123Subdomain(name)) errs.push(invalid(child(p, k, 'name'), name, m));
    }
  });
  errs.push(...validateVolumeMounts(c.volumeMounts ?? [], volumes, child(path, 'volumeMounts')));
  errs.push(...enumValue(c.imagePullPolicy, PULL_POLICIES, child(path, 'imagePullPolicy')));
  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources')));
  if (c.tty && !c.stdin) {
    errs.push(invalid(child(path, 'tty'), true, '`tty` requires `stdin` to be set'));
  }
  return errs;
}

/** ValidatePodSpec. `path` is `spec` for a Pod, `spec.template.spec` for a workload. */
export function validatePodSpec(spec: PodSpec, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const hostNetwork = spec.hostNetwork === true;

  // Volumes first: a volume with errors is left out of the set, so its mounts also report Not found (as upstream).
  const volumes = new Set<string>();
  const seenVolumes = new Set<string>();
  (spec.volumes ?? []).forEach((vol, i) => {
    const p = index(child(path, 'volumes'), i);
    const namePath = child(p, 'name');
    const el = validateVolume(vol, p);
    if (!vol.name) el.push(required(namePath));
    else el.push(...dnsLabel(vol.name, namePath));
    if (seenVolumes.has(vol.name)) el.push(duplicate(namePath, vol.name));
    seenVolumes.add(vol.name);
    if (el.length === 0) volumes.add(vol.name);
    errs.push(...el);
  });

  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  const cPath = child(path, 'containers');
  if (containers.length === 0) errs.push(required(cPath));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = index(cPath, i);
    errs.push(...validateContainerCommon(c, volumes, p, hostNetwork));
    // Collisions with init container names are reported on the init container.
    if (names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    else names.add(c.name);
    errs.push(...validateLifecycle(c, child(p, 'lifecycle')));
    errs.push(...validateProbe(c.livenessProbe, child(p, 'livenessProbe'), 'liveness'));
    errs.push(...validateProbe(c.readinessProbe, child(p, 'readinessProbe'), 'readiness'));
    errs.push(...validateProbe(c.startupProbe, child(p, 'startupProbe'), 'startup'));
    if (c.restartPolicy !== undefined)
      errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, cPath));

  const iPath = child(path, 'initContainers');
  initContainers.forEach((c, i) => {
    const p = index(iPath, i);
    errs.push(...validateContainerCommon(c, volumes, p, hostNetwork));
    let restartAlways = false;
    if (c.restartPolicy !== undefined) {
      errs.push(...enumValue(c.restartPolicy, ['Always'], child(p, 'restartPolicy')));
      restartAlways = c.restartPolicy === 'Always';
    }
    if (names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], iPath));
    if (restartAlways) {
      errs.push(...validateLifecycle(c, child(p, 'lifecycle')));
      errs.push(...validateProbe(c.livenessProbe, child(p, 'livenessProbe'), 'liveness'));
      errs.push(...validateProbe(c.readinessProbe, child(p, 'readinessProbe'), 'readiness'));
      errs.push(...validateProbe(c.startupProbe, child(p, 'startupProbe'), 'startup'));
    } else {
      if (c.lifecycle) errs.push(forbidden(child(p, 'lifecycle'), INIT_FORBIDDEN));
      if (c.livenessProbe) errs.push(forbidden(child(p, 'livenessProbe'), INIT_FORBIDDEN));
      if (c.readinessProbe) errs.push(forbidden(child(p, 'readinessProbe'), INIT_FORBIDDEN));
      if (c.startupProbe) errs.push(forbidden(child(p, 'startupProbe'), INIT_FORBIDDEN));
    }
    if ((c.resizePolicy ?? []).length > 0) {
      errs.push(invalid(child(p, 'resizePolicy'), c.resizePolicy, 'must not be set for init containers'));
    }
  });

  errs.push(
    ...validateEphemeralContainers(spec, names, path, (c, p) =>
      validateContainerCommon(c, volumes, p, hostNetwork),
    ),
  );

  errs.push(...enumValue(spec.restartPolicy, RESTART_POLICIES, child(path, 'restartPolicy')));
  errs.push(...enumValue(spec.dnsPolicy, DNS_POLICIES, child(path, 'dnsPolicy')));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) {
    errs.push(required(child(path, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  if (spec.serviceAccountName) {
    for (const m of isDNS1123Subdomain(spec.serviceAccountName)) {
      errs.push(invalid(child(path, 'serviceAccountName'), spec.serviceAccountName, m));
    }
  }
  if (spec.hostname) errs.push(...dnsLabel(spec.hostname, child(path, 'hostname')));
  if (spec.subdomain) errs.push(...dnsLabel(spec.subdomain, child(path, 'subdomain')));
  if (spec.schedulerName) {
    for (const m of isDNS1123Subdomain(spec.schedulerName))
      errs.push(invalid(child(path, 'schedulerName'), spec.schedulerName, m));
  }
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds;
    if (v < 1 || v > MAX_INT32)
      errs.push(invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  errs.push(...nonNegative(spec.terminationGracePeriodSeconds, child(path, 'terminationGracePeriodSeconds')));
  (spec.tolerations ?? []).forEach((t, i) => {
    const p = index(child(path, 'tolerations'), i);
    if (t.key) for (const m of isQualifiedName(t.key)) errs.push(invalid(child(p, 'key'), t.key, m));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(
        invalid(
          child(p, 'operator'),
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(
        invalid(
          child(p, 'effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    if (t.operator !== undefined && t.operator !== '' && !TOLERATION_OPERATORS.includes(t.operator)) {
      errs.push(notSupported(child(p, 'operator'), t.operator, TOLERATION_OPERATORS));
    }
    if (t.operator === 'Exists' && t.value) {
      errs.push(invalid(child(p, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect))
      errs.push(notSupported(child(p, 'effect'), t.effect, TAINT_EFFECTS));
  });
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) errs.push(required(child(index(child(path, 'imagePullSecrets'), i), 'name')));
  });
  return errs;
}

function checkHostPortConflicts(containers: Container[], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const k = `${port.hostIP ?? ''}/${port.protocol ?? 'TCP'}/${port.hostPort}`;
      if (seen.has(k)) errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), k));
      seen.add(k);
    });
  });
  return errs;
}

/** ValidatePodTemplateSpec: template labels and annotations (at upstream's `<path>.labels`), then the spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: Path): FieldError[] {
  if (!t) return [required(path)];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(t.metadata?.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(t.metadata?.annotations, child(path, 'annotations')));
  errs.push(...validatePodSpec(t.spec ?? ({} as PodSpec), child(path, 'spec')));
  errs.push(...validateInitTimeoutAnnotations(t.metadata?.annotations, t.spec, child(path, 'annotations')));
  return errs;
}
