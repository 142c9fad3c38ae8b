// Service defaulting and validation as SetDefaults_Service and ValidateService/ValidateServiceUpdate word it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError, validateUpdate } from '../../src/api/validation/index.js';
import { messages } from './helpers.js';

function svc(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec };
}

describe('Service defaults', () => {
  test('ClientIP affinity gets a 10800 s timeout; None drops the config', () => {
    const a = applyDefaults(svc({ sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }));
    assert.deepEqual((a.spec as Record<string, unknown>).sessionAffinityConfig, {
      clientIP: { timeoutSeconds: 10800 },
    });
    const b = applyDefaults(
      svc({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 80 }] }),
    );
    assert.equal((b.spec as Record<string, unknown>).sessionAffinityConfig, undefined);
  });

  test('internalTrafficPolicy only for the types with a ClusterIP; clusterIPs from clusterIP', () => {
    const x = applyDefaults(svc({ type: 'ExternalName', externalName: 'a.example' }));
    assert.equal((x.spec as Record<string, unknown>).internalTrafficPolicy, undefined);
    const c = applyDefaults(svc({ clusterIP: 'None', ports: [{ port: 80 }] }));
    assert.deepEqual((c.spec as Record<string, unknown>).clusterIPs, ['None']);
    const e = applyDefaults(svc({ externalIPs: ['192.0.2.1'], ports: [{ port: 80 }] }));
    assert.equal((e.spec as Record<string, unknown>).externalTrafficPolicy, 'Cluster');
  });
});

describe('Service validation', () => {
  test('ports: names required and unique when several, numbers, protocols, target ports', () => {
    assert.deepEqual(
      messages(
        svc({
          ports: [
            { name: 'http', port: 80, targetPort: 70000 },
            { name: 'http', port: 65536, protocol: 'ICMP', targetPort: 'web_port' },
            { port: 81 },
          ],
        }),
      ),
      [
        'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.ports[1].name: Duplicate value: "http"',
        'spec.ports[1].port: Invalid value: 65536: must be between 1 and 65535, inclusive',
        'spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        'spec.ports[1].targetPort: Invalid value: "web_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ports[2].name: Required value',
      ],
    );
    assert.deepEqual(messages(svc({ ports: [] })), ['spec.ports: Required value']);
    assert.deepEqual(messages(svc({ clusterIP: 'None' })), [], 'a headless Service may have no ports');
  });

  test('session affinity: the config is forbidden with None and its timeout is 1..86400', () => {
    assert.deepEqual(messages(svc({ sessionAffinity: 'Sticky', ports: [{ port: 80 }] })), [
      'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
    ]);
    assert.deepEqual(
      messages(
        svc({
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
          ports: [{ port: 80 }],
        }),
      ),
      [
        'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400',
      ],
    );
  });

  test('ExternalName: a DNS-1123 subdomain (a trailing dot allowed), no cluster IPs', () => {
    assert.deepEqual(messages(svc({ type: 'ExternalName', externalName: 'db.example.com.' })), []);
    assert.deepEqual(messages(svc({ type: 'ExternalName' })), ['spec.externalName: Required value']);
    assert.deepEqual(messages(svc({ type: 'ExternalName', externalName: 'x.com', clusterIP: '10.96.0.5' })), [
      'spec.clusterIPs: Forbidden: may not be set for ExternalName services',
    ]);
  });

  test('cluster IPs: valid addresses, None alone, not None for NodePort', () => {
    assert.deepEqual(messages(svc({ clusterIP: 'x.y', ports: [{ port: 80 }] })), [
      'spec.clusterIPs[0]: Invalid value: "x.y": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
    assert.deepEqual(messages(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] })), [
      'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
    ]);
    assert.deepEqual(
      messages(svc({ clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.6'], ports: [{ port: 80 }] })),
      ['spec.clusterIPs: Invalid value: []string{"10.96.0.6"}: first value must match `clusterIP`'],
    );
  });

  test('nodePort is forbidden on a ClusterIP Service', () => {
    assert.deepEqual(messages(svc({ ports: [{ port: 80, nodePort: 30080 }] })), [
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
  });

  test('update: the primary cluster IP may not change, except to or from ExternalName', () => {
    const old = applyDefaults(svc({ clusterIP: '10.96.0.5', ports: [{ port: 80 }] }));
    const changed = applyDefaults(svc({ clusterIP: '10.96.0.7', ports: [{ port: 80 }] }));
    (changed.spec as Record<string, unknown>).clusterIPs = ['10.96.0.7'];
    assert.deepEqual(validateUpdate(changed, old).map(formatFieldError), [
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.7"}: may not change once set',
    ]);
    const external = applyDefaults(svc({ type: 'ExternalName', externalName: 'example.com' }));
    assert.deepEqual(validateUpdate(external, old).map(formatFieldError), []);
  });
});
