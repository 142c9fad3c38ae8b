// EndpointSlice (discovery.k8s.io/v1): defaulting, validation with upstream's field paths and wording, and the
// address type's immutability.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.js';
import { resolveKind } from '../../src/api/kinds.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError } from '../../src/api/validation/field-error.js';
import { validateUpdate } from '../../src/api/validation/index.js';
import { messages } from './helpers.js';

function slice(rest: Record<string, unknown> = {}, name = 'web-abcde'): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default' },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 8080 }],
    ...rest,
  };
}

const LABEL_DETAIL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('EndpointSlice resource', () => {
  test('discovery.k8s.io/v1 EndpointSlice is a known kind', () => {
    const r = resolveKind('discovery.k8s.io/v1', 'EndpointSlice');
    assert.ok(r.ok);
    assert.equal(r.resource.resource, 'endpointslices');
    assert.equal(r.resource.namespaced, true);
    assert.deepEqual(resolveKind('discovery.k8s.io/v1beta1', 'EndpointSlice'), {
      ok: false,
      reason: 'version',
      apiVersions: ['discovery.k8s.io/v1'],
    });
  });

  test('a port without name or protocol gets "" and TCP', () => {
    const out = applyDefaults(slice({ ports: [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
    assert.deepEqual(out.ports, [
      { name: '', port: 80, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]);
  });
});

describe('EndpointSlice validation', () => {
  test('a slice as the controller writes it, and an empty placeholder, are valid', () => {
    assert.deepEqual(messages(slice()), []);
    assert.deepEqual(messages(slice({ endpoints: [], ports: [] }, '')), [
      'metadata.name: Required value: name or generateName is required',
    ]);
    const placeholder = slice({ endpoints: [], ports: [] });
    placeholder.metadata = { generateName: 'web-', namespace: 'default' };
    assert.deepEqual(messages(placeholder), []);
  });

  test('addressType is required and one of FQDN, IPv4, IPv6', () => {
    assert.deepEqual(messages(slice({ addressType: '' })), ['addressType: Required value']);
    assert.deepEqual(messages(slice({ addressType: 'IP' })), [
      'addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
  });

  test('addresses are checked against the address type, and special ranges are refused', () => {
    const eps = (...addresses: string[]) => [{ addresses }];
    assert.deepEqual(messages(slice({ endpoints: [{ addresses: [] }] })), [
      'endpoints[0].addresses: Required value: must contain at least 1 address',
    ]);
    assert.deepEqual(messages(slice({ endpoints: eps('fd00::1') })), [
      'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    ]);
    assert.deepEqual(messages(slice({ endpoints: eps('10.0.0.1', '127.0.0.1', '169.254.1.1', '0.0.0.0') })), [
      'endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'endpoints[0].addresses[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      'endpoints[0].addresses[3]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
    ]);
    assert.deepEqual(messages(slice({ endpoints: eps('nonsense') })), [
      'endpoints[0].addresses[0]: Invalid value: "nonsense": must be a valid IPv4 address',
      'endpoints[0].addresses[0]: Invalid value: "nonsense": must be a valid IP address',
    ]);
    assert.deepEqual(messages(slice({ addressType: 'IPv6', endpoints: eps('fd00::1', '::1', 'fe80::2') })), [
      'endpoints[0].addresses[1]: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'endpoints[0].addresses[2]: Invalid value: "fe80::2": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
    ]);
    assert.deepEqual(messages(slice({ addressType: 'FQDN', endpoints: eps('db.example.com', 'db') })), [
      'endpoints[0].addresses[1]: Invalid value: "db": should be a domain with at least two segments separated by dots',
    ]);
    const many = Array.from({ length: 101 }, (_, i) => `10.0.${i >> 8}.${(i & 255) + 1}`);
    assert.deepEqual(messages(slice({ endpoints: [{ addresses: many }] })), [
      'endpoints[0].addresses: Too many: 101: must have at most 100 items',
    ]);
  });

  test('at most 1000 endpoints', () => {
    const endpoints = Array.from({ length: 1001 }, (_, i) => ({ addresses: [`10.1.${i >> 8}.${i & 255}`] }));
    assert.deepEqual(messages(slice({ endpoints })), [
      'endpoints: Too many: 1001: must have at most 1000 items',
    ]);
    assert.deepEqual(messages(slice({ endpoints: endpoints.slice(0, 1000) })), []);
  });

  test('hostname, nodeName and zone hints are checked', () => {
    const endpoints = [
      {
        addresses: ['10.0.0.1'],
        hostname: 'DB_0',
        nodeName: 'node_1',
        hints: { forZones: [{ name: 'a' }, { name: 'a' }] },
      },
    ];
    assert.deepEqual(messages(slice({ endpoints })), [
      `endpoints[0].nodeName: Invalid value: "node_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      `endpoints[0].hostname: Invalid value: "DB_0": ${LABEL_DETAIL}`,
      'endpoints[0].hints.forZones[1].name: Duplicate value: "a"',
    ]);
  });

  test('ports: unique names (the empty one too), DNS labels, supported protocols, qualified appProtocol', () => {
    assert.deepEqual(
      messages(
        slice({
          ports: [
            { port: 80 },
            { port: 81 },
            { name: 'Web', port: 82 },
            { name: 'dns', port: 53, protocol: 'ICMP' },
            { name: 'h2', port: 83, appProtocol: 'kubernetes.io/h2c' },
            { name: 'h3', port: 84, appProtocol: 'not/a/name' },
          ],
        }),
      ),
      [
        'ports[1].name: Duplicate value: ""',
        `ports[2].name: Invalid value: "Web": ${LABEL_DETAIL}`,
        'ports[3].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        `ports[5].appProtocol: Invalid value: "not/a/name": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    );
  });

  test('addressType is immutable', () => {
    const old = applyDefaults(slice());
    const changed = applyDefaults(slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::5'] }] }));
    assert.deepEqual(validateUpdate(changed, old).map(formatFieldError), [
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
    const moreEndpoints = applyDefaults(slice({ endpoints: [{ addresses: ['10.0.0.7'] }] }));
    assert.deepEqual(validateUpdate(moreEndpoints, old), []);
  });
});
