// printEndpointSlice: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, three items then ` + N more...`, `<unset>` for none.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { printerFor } from '../../src/printers/index.js';
import { ago, NOW } from './pod-fixtures.js';

function slice(rest: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-7xkqp', namespace: 'default', creationTimestamp: ago(180) },
    addressType: 'IPv4',
    ...rest,
  };
}

function cells(obj: KubeObject): unknown[] {
  return printerFor('EndpointSlice')!([obj], NOW).rows[0]!.cells;
}

const eps = (...ips: string[]) => ips.map((ip) => ({ addresses: [ip] }));

describe('EndpointSlice printer', () => {
  test("the columns are upstream's", () => {
    const defs = printerFor('EndpointSlice')!([], NOW).columnDefinitions;
    assert.deepEqual(
      defs.map((c) => [c.name, c.type, c.priority, c.format]),
      [
        ['Name', 'string', 0, 'name'],
        ['AddressType', 'string', 0, ''],
        ['Ports', 'string', 0, ''],
        ['Endpoints', 'string', 0, ''],
        ['Age', 'string', 0, ''],
      ],
    );
    assert.match(defs[3]!.description, /^endpoints is a list of unique endpoints in this slice/);
  });

  test('ports and endpoints list the first three, then how many more', () => {
    const ports = [8080, 8081, 8082, 8083, 8084].map((port) => ({ name: `p${port}`, port, protocol: 'TCP' }));
    assert.deepEqual(
      cells(slice({ ports, endpoints: eps('10.244.0.7', '10.244.0.8', '10.244.0.9', '10.244.0.10') })),
      [
        'web-7xkqp',
        'IPv4',
        '8080,8081,8082 + 2 more...',
        '10.244.0.7,10.244.0.8,10.244.0.9 + 1 more...',
        '3m',
      ],
    );
    assert.deepEqual(
      cells(slice({ ports: ports.slice(0, 3), endpoints: eps('10.0.0.1', '10.0.0.2', '10.0.0.3') })),
      ['web-7xkqp', 'IPv4', '8080,8081,8082', '10.0.0.1,10.0.0.2,10.0.0.3', '3m'],
    );
  });

  test('every address counts, ready or not, several per endpoint too', () => {
    const endpoints = [
      { addresses: ['10.0.0.1', '10.0.0.2'], conditions: { ready: false } },
      { addresses: ['10.0.0.3'], conditions: { ready: true } },
      { addresses: ['10.0.0.4', '10.0.0.5'], conditions: { ready: true } },
    ];
    assert.equal(cells(slice({ endpoints, ports: [] }))[3], '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...');
  });

  test('a port without a number prints its name, without either `*`', () => {
    assert.equal(cells(slice({ ports: [{ name: 'http' }, {}, { name: '', port: 53 }] }))[2], 'http,*,53');
  });

  test('a placeholder slice prints <unset> for ports and endpoints', () => {
    assert.deepEqual(cells(slice({ endpoints: [], ports: [] })), [
      'web-7xkqp',
      'IPv4',
      '<unset>',
      '<unset>',
      '3m',
    ]);
    assert.deepEqual(cells(slice({})), ['web-7xkqp', 'IPv4', '<unset>', '<unset>', '3m']);
  });
});
