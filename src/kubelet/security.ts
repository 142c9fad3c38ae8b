// A container's Linux identity and restrictions, from the pod's and the container's securityContext
// (securitycontext.DetermineEffectiveSecurityContext and kuberuntime's determineEffectiveSecurityContext), and
// the runAsNonRoot check the kubelet makes before creating a container.

import type { Container, Pod } from '../api/types.js';
import type { LinuxContainerSecurity } from '../runtime/types.js';
import { formatPod } from './pod-util.js';

interface EffectiveSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
}

/** The container's own securityContext with the pod-level identity fields filled in where it sets none. */
export function effectiveSecurityContext(pod: Pod, container: Container): EffectiveSecurityContext {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const out: EffectiveSecurityContext = {};
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  if (sc.privileged !== undefined) out.privileged = sc.privileged;
  if (sc.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = sc.readOnlyRootFilesystem;
  return out;
}

/** The user an image runs as, from its CRI ImageStatus: a uid when numeric, else a name (getImageUser). */
export interface ImageUser {
  uid?: number;
  username?: string;
}

/**
 * What the runtime applies to the container (determineEffectiveSecurityContext). Supplemental groups are the
 * pod's fsGroup first, then pod.spec.securityContext.supplementalGroups, as upstream. When the pod sets no
 * runAsUser, the image's user is passed on as the kubelet does: a uid as runAsUser (0 for an image that names
 * no user), a name as runAsUsername for the runtime to resolve in the rootfs. Without `imageUser` (a container
 * on the host's filesystem) the runtime's own user stands.
 */
export function linuxSecurity(pod: Pod, container: Container, imageUser?: ImageUser): LinuxContainerSecurity {
  const eff = effectiveSecurityContext(pod, container);
  const podSc = pod.spec?.securityContext;
  const out: LinuxContainerSecurity = {};
  if (eff.runAsUser !== undefined) out.runAsUser = eff.runAsUser;
  else if (imageUser?.uid !== undefined) out.runAsUser = imageUser.uid;
  else if (imageUser?.username) out.runAsUsername = imageUser.username;
  if (eff.runAsGroup !== undefined) out.runAsGroup = eff.runAsGroup;
  const groups: number[] = [];
  if (podSc?.fsGroup !== undefined) groups.push(podSc.fsGroup);
  groups.push(...(podSc?.supplementalGroups ?? []));
  if (groups.length > 0) out.supplementalGroups = groups;
  if (eff.readOnlyRootFilesystem) out.readOnlyRootfs = true;
  if (eff.privileged) out.privileged = true;
  return out;
}

const MAX_INT32 = 2147483647;

/**
 * The kubelet's verifyRunAsNonRoot: `undefined` when the container may run, else the exact error text (the
 * container then waits with CreateContainerConfigError). `imageUid` is the user the image runs as; like the
 * kubelet, an image that names no user (neither uid nor `imageUsername`) runs as root.
 */
export function verifyRunAsNonRoot(
  pod: Pod,
  container: Container,
  imageUid?: number,
  imageUsername?: string,
): string | undefined {
  const eff = effectiveSecurityContext(pod, container);
  if (!eff.runAsNonRoot) return undefined;
  const where = `(pod: "${formatPod(pod)}", container: ${container.name})`;
  if (eff.runAsUser !== undefined) {
    return eff.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  }
  if (imageUid === undefined && imageUsername) {
    return `container has runAsNonRoot and image has non-numeric user (${imageUsername}), cannot verify user is non-root ${where}`;
  }
  const uid = imageUid ?? 0;
  if (uid === 0) return `container has runAsNonRoot and image will run as root ${where}`;
  if (uid < 0 || uid > MAX_INT32 || !Number.isInteger(uid)) {
    return `container has runAsNonRoot and image has an invalid user id (${uid}). (Must be 1-(${MAX_INT32})): must be between 0 and ${MAX_INT32}, inclusive ${where}`;
  }
  return undefined;
}
