import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import { formatPod } from '../../src/kubelet/pod-util.js';
import { linuxSecurity, verifyRunAsNonRoot } from '../../src/kubelet/security.js';

function pod(podSc: NonNullable<Pod['spec']>['securityContext'], container: Container): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'abc-123' },
    spec: { securityContext: podSc, containers: [container] },
  };
}

describe('linuxSecurity', () => {
  test('the container securityContext overrides the pod for user and group', () => {
    const c: Container = { name: 'app', securityContext: { runAsUser: 2000 } };
    const p = pod({ runAsUser: 1000, runAsGroup: 3000 }, c);
    assert.deepEqual(linuxSecurity(p, c), { runAsUser: 2000, runAsGroup: 3000 });
  });

  test('fsGroup comes first among supplemental groups, then the pod supplementalGroups', () => {
    const c: Container = { name: 'app' };
    const p = pod({ fsGroup: 2000, supplementalGroups: [4000, 5000] }, c);
    assert.deepEqual(linuxSecurity(p, c), { supplementalGroups: [2000, 4000, 5000] });
  });

  test('readOnlyRootFilesystem and privileged come from the container only', () => {
    const c: Container = { name: 'app', securityContext: { readOnlyRootFilesystem: true, privileged: true } };
    assert.deepEqual(linuxSecurity(pod(undefined, c), c), { readOnlyRootfs: true, privileged: true });
    const plain: Container = { name: 'app', securityContext: { readOnlyRootFilesystem: false } };
    assert.deepEqual(linuxSecurity(pod(undefined, plain), plain), {});
  });

  test('runAsUser 0 set explicitly is kept', () => {
    const c: Container = { name: 'app', securityContext: { runAsUser: 0 } };
    assert.deepEqual(linuxSecurity(pod({ runAsUser: 1000 }, c), c), { runAsUser: 0 });
  });

  test('without a runAsUser of its own the container gets the image user: uid as runAsUser, name as runAsUsername', () => {
    const c: Container = { name: 'app' };
    const p = pod({ runAsGroup: 3000 }, c);
    assert.deepEqual(linuxSecurity(p, c, { uid: 1000 }), { runAsUser: 1000, runAsGroup: 3000 });
    assert.deepEqual(linuxSecurity(p, c, { uid: 0 }), { runAsUser: 0, runAsGroup: 3000 });
    assert.deepEqual(linuxSecurity(p, c, { username: 'app' }), { runAsUsername: 'app', runAsGroup: 3000 });
    assert.deepEqual(linuxSecurity(pod({ runAsUser: 2000 }, c), c, { username: 'app' }), { runAsUser: 2000 });
    // On the host's filesystem there is no image user: nothing is synthesised.
    assert.deepEqual(linuxSecurity(p, c), { runAsGroup: 3000 });
  });
});

describe('verifyRunAsNonRoot', () => {
  const where = '(pod: "web_default(abc-123)", container: app)';

  test('formats the pod as name_namespace(uid)', () => {
    assert.equal(formatPod(pod(undefined, { name: 'app' })), 'web_default(abc-123)');
  });

  test('without runAsNonRoot anything goes', () => {
    const c: Container = { name: 'app' };
    assert.equal(verifyRunAsNonRoot(pod(undefined, c), c, 0), undefined);
    const off: Container = { name: 'app', securityContext: { runAsNonRoot: false } };
    assert.equal(verifyRunAsNonRoot(pod({ runAsNonRoot: true }, off), off, 0), undefined);
  });

  test('an explicit runAsUser 0 breaks the policy', () => {
    const c: Container = { name: 'app', securityContext: { runAsUser: 0 } };
    assert.equal(
      verifyRunAsNonRoot(pod({ runAsNonRoot: true }, c), c, 1000),
      `container's runAsUser breaks non-root policy ${where}`,
    );
  });

  test('an explicit non-zero runAsUser satisfies the policy whatever the image', () => {
    const c: Container = { name: 'app', securityContext: { runAsNonRoot: true } };
    assert.equal(verifyRunAsNonRoot(pod({ runAsUser: 1000 }, c), c, 0), undefined);
  });

  test('an image running as root, or naming no user, is refused', () => {
    const c: Container = { name: 'app', securityContext: { runAsNonRoot: true } };
    const p = pod(undefined, c);
    assert.equal(
      verifyRunAsNonRoot(p, c, 0),
      `container has runAsNonRoot and image will run as root ${where}`,
    );
    assert.equal(verifyRunAsNonRoot(p, c), `container has runAsNonRoot and image will run as root ${where}`);
    assert.equal(verifyRunAsNonRoot(p, c, 1000), undefined);
  });

  test('an image user id outside 1..2147483647 is refused', () => {
    const c: Container = { name: 'app', securityContext: { runAsNonRoot: true } };
    assert.equal(
      verifyRunAsNonRoot(pod(undefined, c), c, 4294967296),
      `container has runAsNonRoot and image has an invalid user id (4294967296). (Must be 1-(2147483647)): must be between 0 and 2147483647, inclusive ${where}`,
    );
  });

  test('an image with a non-numeric user cannot be verified', () => {
    const c: Container = { name: 'app', securityContext: { runAsNonRoot: true } };
    assert.equal(
      verifyRunAsNonRoot(pod(undefined, c), c, undefined, 'nobody'),
      `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root ${where}`,
    );
  });
});
