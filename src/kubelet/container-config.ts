// generatePodSandboxConfig and generateContainerConfig (kuberuntime_sandbox.go, kuberuntime_container.go): the
// CRI configs, with the labels and annotations a restarted kubelet reads back (restart count, spec hash,
// grace period, kind).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { quantityOrZero as quantity } from '../api/quantity.js';
import type { Container, Pod } from '../api/types.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_CONTAINER_KIND,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_GRACE,
  type ContainerConfig,
  type KeyValue,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type LinuxContainerSecurity,
  type Mount,
  type PodSandboxConfig,
  type PortMapping,
} from '../runtime/types.js';
import { containerLogPath, podLogDirectory } from './logs/paths.js';
import { type ContainerKind, containerHash } from './pod-util.js';

export function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata?.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata?.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata?.namespace ?? '',
    [LABEL_POD_UID]: pod.metadata?.uid ?? '',
  };
}

export interface SandboxConfigExtras {
  /** The kernel hostname (GetNodenameForKernel); default spec.hostname or the pod name. */
  hostname?: string;
  /** The pod's resolv.conf (the DNS Configurer's GetPodDNS). */
  dns?: PodSandboxConfig['dns'];
}

export function sandboxConfig(
  pod: Pod,
  attempt: number,
  rootDir: string,
  extras: SandboxConfigExtras = {},
): PodSandboxConfig {
  const portMappings: PortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      const m: PortMapping = {
        protocol: (p.protocol as PortMapping['protocol']) ?? 'TCP',
        containerPort: p.containerPort,
      };
      if (p.hostPort) m.hostPort = p.hostPort;
      if (p.hostIP) m.hostIp = p.hostIP;
      portMappings.push(m);
    }
  }
  const config: PodSandboxConfig = {
    metadata: {
      name: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? '',
      uid: pod.metadata?.uid ?? '',
      attempt,
    },
    hostname: extras.hostname ?? pod.spec?.hostname ?? pod.metadata?.name ?? '',
    logDirectory: podLogDirectory(rootDir, pod),
    labels: podLabels(pod),
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    portMappings,
  };
  if (pod.spec?.hostAliases?.length) {
    config.hostAliases = pod.spec.hostAliases.map((h) => ({ ip: h.ip ?? '', hostnames: h.hostnames ?? [] }));
  }
  if (extras.dns) config.dns = extras.dns;
  return config;
}

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  kind: ContainerKind;
  restartCount: number;
  image: string;
  /** `image`: on the image's filesystem (the runtime applies its config); `host`: on the host's. */
  rootfs: 'image' | 'host';
  command: string[];
  args: string[];
  envs: KeyValue[];
  mounts: Mount[];
  security: LinuxContainerSecurity;
}

export function containerConfig(input: ContainerConfigInput): ContainerConfig {
  const { pod, container } = input;
  const limits = container.resources?.limits ?? {};
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt: input.restartCount },
    image: input.image,
    rootfs: input.rootfs,
    command: input.command,
    args: input.args,
    envs: input.envs,
    mounts: input.mounts,
    labels: {
      [LABEL_POD_NAME]: pod.metadata?.name ?? '',
      [LABEL_POD_NAMESPACE]: pod.metadata?.namespace ?? '',
      [LABEL_POD_UID]: pod.metadata?.uid ?? '',
      [LABEL_CONTAINER_NAME]: container.name,
    },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(input.restartCount),
      [ANNOTATION_CONTAINER_HASH]: containerHash(container),
      [ANNOTATION_TERMINATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
      [ANNOTATION_CONTAINER_KIND]: input.kind,
    },
    logPath: containerLogPath(container.name, input.restartCount),
    linux: {
      security: input.security,
      memoryLimitBytes: Math.round(quantity(limits.memory)),
      cpuMillis: Math.round(quantity(limits.cpu) * 1000),
    },
  };
  if (container.workingDir) config.workingDir = container.workingDir;
  if (container.stdin) config.stdin = true;
  if (container.stdinOnce) config.stdinOnce = true;
  if (container.tty) config.tty = true;
  return config;
}

/**
 * calcRestartCountByLogDir: with no runtime record left, the next restart count is the highest `N.log` in the
 * container's log directory + 1, so a wiped runtime does not overwrite old logs.
 */
export function restartCountFromLogDir(rootDir: string, pod: Pod, name: string): number {
  const dir = path.join(podLogDirectory(rootDir, pod), name);
  // A first start has no directory yet: tested without readdir's exception, which costs far more.
  if (!existsSync(dir)) return 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  let count = 0;
  for (const e of entries) {
    const m = /^(\d+)\.log(\..*)?$/.exec(e);
    if (m) count = Math.max(count, Number(m[1]) + 1);
  }
  return count;
}
