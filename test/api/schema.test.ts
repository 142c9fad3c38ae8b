import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateStructs } from '../../src/api/schema/generate.js';
import { STRUCTS } from '../../src/api/schema/types.generated.js';

describe('the generated schema', () => {
  test('matches the installed kubernetes-types (regenerate with src/api/schema/generate.ts)', () => {
    assert.deepEqual(generateStructs(), STRUCTS);
  });

  test('covers the fields real manifests use, status included', () => {
    const has = (struct: string, ...fields: string[]) => {
      for (const f of fields) assert.ok(STRUCTS[struct]?.[f], `${struct}.${f}`);
    };
    has(
      'ObjectMeta',
      'labels',
      'annotations',
      'generateName',
      'ownerReferences',
      'finalizers',
      'managedFields',
    );
    has(
      'PodSpec',
      'tolerations',
      'affinity',
      'nodeSelector',
      'securityContext',
      'dnsPolicy',
      'serviceAccountName',
      'priorityClassName',
      'topologySpreadConstraints',
      'imagePullSecrets',
      'hostAliases',
      'ephemeralContainers',
      'schedulingGates',
      'resourceClaims',
    );
    has(
      'Container',
      'ports',
      'env',
      'envFrom',
      'resources',
      'volumeMounts',
      'livenessProbe',
      'lifecycle',
      'securityContext',
      'stdin',
      'tty',
      'terminationMessagePath',
      'terminationMessagePolicy',
      'imagePullPolicy',
      'restartPolicy',
      'workingDir',
    );
    has(
      'Volume',
      'emptyDir',
      'configMap',
      'secret',
      'hostPath',
      'downwardAPI',
      'projected',
      'persistentVolumeClaim',
    );
    has(
      'PodStatus',
      'phase',
      'conditions',
      'initContainerStatuses',
      'containerStatuses',
      'podIPs',
      'startTime',
    );
    has('DeploymentStatus', 'replicas', 'readyReplicas', 'conditions');
    has('JobStatus', 'succeeded', 'completionTime', 'uncountedTerminatedPods');
    assert.equal(STRUCTS.Secret?.data, 'map[string]bytes');
    assert.equal(STRUCTS.ServicePort?.targetPort, 'intOrString');
    assert.equal(STRUCTS.ResourceRequirements?.limits, 'map[string]quantity');
  });
});
