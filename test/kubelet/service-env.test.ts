// Service environment variables, against k/k pkg/kubelet/envvars/envvars_test.go and the service cases of
// TestMakeEnvironmentVariables (pkg/kubelet/kubelet_pods_test.go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, EnvVar, Pod, Service } from '../../src/api/types.js';
import { makeEnvironment } from '../../src/kubelet/env.js';
import { fromServices, serviceEnvVarMap } from '../../src/kubelet/service-env.js';
import type { ObjectGetter } from '../../src/kubelet/types.js';

type Port = NonNullable<NonNullable<Service['spec']>['ports']>[number];

function svc(name: string, namespace: string, clusterIP: string, ports: Port[]): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { clusterIP, ports } };
}

describe('fromServices (TestFromServices)', () => {
  it('emits the host, ports and Docker-link variables of every service with a ClusterIP', () => {
    const services = [
      svc('foo-bar', 'default', '1.2.3.4', [{ port: 8080, protocol: 'TCP' }]),
      svc('abc-123', 'default', '5.6.7.8', [
        { name: 'u-d-p', port: 8081, protocol: 'UDP' },
        { name: 't-c-p', port: 8081, protocol: 'TCP' },
      ]),
      svc('q-u-u-x', 'default', '9.8.7.6', [
        { port: 8082, protocol: 'TCP' },
        { name: '8083', port: 8083, protocol: 'TCP' },
      ]),
      svc('svrc-clusterip-none', 'default', 'None', [{ port: 8082, protocol: 'TCP' }]),
      svc('svrc-clusterip-empty', 'default', '', [{ port: 8082, protocol: 'TCP' }]),
      svc('super-ipv6', 'default', '2001:DB8::', [
        { name: 'u-d-p', port: 8084, protocol: 'UDP' },
        { name: 't-c-p', port: 8084, protocol: 'TCP' },
      ]),
      svc('sctp-1', 'default', '1.2.3.4', [{ port: 777, protocol: 'SCTP' }]),
      // Protocol defaults to TCP.
      svc('no-proto', 'default', '1.2.3.9', [{ port: 80 }]),
    ];
    const expected: [string, string][] = [
      ['FOO_BAR_SERVICE_HOST', '1.2.3.4'],
      ['FOO_BAR_SERVICE_PORT', '8080'],
      ['FOO_BAR_PORT', 'tcp://1.2.3.4:8080'],
      ['FOO_BAR_PORT_8080_TCP', 'tcp://1.2.3.4:8080'],
      ['FOO_BAR_PORT_8080_TCP_PROTO', 'tcp'],
      ['FOO_BAR_PORT_8080_TCP_PORT', '8080'],
      ['FOO_BAR_PORT_8080_TCP_ADDR', '1.2.3.4'],
      ['ABC_123_SERVICE_HOST', '5.6.7.8'],
      ['ABC_123_SERVICE_PORT', '8081'],
      ['ABC_123_SERVICE_PORT_U_D_P', '8081'],
      ['ABC_123_SERVICE_PORT_T_C_P', '8081'],
      ['ABC_123_PORT', 'udp://5.6.7.8:8081'],
      ['ABC_123_PORT_8081_UDP', 'udp://5.6.7.8:8081'],
      ['ABC_123_PORT_8081_UDP_PROTO', 'udp'],
      ['ABC_123_PORT_8081_UDP_PORT', '8081'],
      ['ABC_123_PORT_8081_UDP_ADDR', '5.6.7.8'],
      ['ABC_123_PORT_8081_TCP', 'tcp://5.6.7.8:8081'],
      ['ABC_123_PORT_8081_TCP_PROTO', 'tcp'],
      ['ABC_123_PORT_8081_TCP_PORT', '8081'],
      ['ABC_123_PORT_8081_TCP_ADDR', '5.6.7.8'],
      ['Q_U_U_X_SERVICE_HOST', '9.8.7.6'],
      ['Q_U_U_X_SERVICE_PORT', '8082'],
      ['Q_U_U_X_SERVICE_PORT_8083', '8083'],
      ['Q_U_U_X_PORT', 'tcp://9.8.7.6:8082'],
      ['Q_U_U_X_PORT_8082_TCP', 'tcp://9.8.7.6:8082'],
      ['Q_U_U_X_PORT_8082_TCP_PROTO', 'tcp'],
      ['Q_U_U_X_PORT_8082_TCP_PORT', '8082'],
      ['Q_U_U_X_PORT_8082_TCP_ADDR', '9.8.7.6'],
      ['Q_U_U_X_PORT_8083_TCP', 'tcp://9.8.7.6:8083'],
      ['Q_U_U_X_PORT_8083_TCP_PROTO', 'tcp'],
      ['Q_U_U_X_PORT_8083_TCP_PORT', '8083'],
      ['Q_U_U_X_PORT_8083_TCP_ADDR', '9.8.7.6'],
      ['SUPER_IPV6_SERVICE_HOST', '2001:DB8::'],
      ['SUPER_IPV6_SERVICE_PORT', '8084'],
      ['SUPER_IPV6_SERVICE_PORT_U_D_P', '8084'],
      ['SUPER_IPV6_SERVICE_PORT_T_C_P', '8084'],
      ['SUPER_IPV6_PORT', 'udp://[2001:DB8::]:8084'],
      ['SUPER_IPV6_PORT_8084_UDP', 'udp://[2001:DB8::]:8084'],
      ['SUPER_IPV6_PORT_8084_UDP_PROTO', 'udp'],
      ['SUPER_IPV6_PORT_8084_UDP_PORT', '8084'],
      ['SUPER_IPV6_PORT_8084_UDP_ADDR', '2001:DB8::'],
      ['SUPER_IPV6_PORT_8084_TCP', 'tcp://[2001:DB8::]:8084'],
      ['SUPER_IPV6_PORT_8084_TCP_PROTO', 'tcp'],
      ['SUPER_IPV6_PORT_8084_TCP_PORT', '8084'],
      ['SUPER_IPV6_PORT_8084_TCP_ADDR', '2001:DB8::'],
      ['SCTP_1_SERVICE_HOST', '1.2.3.4'],
      ['SCTP_1_SERVICE_PORT', '777'],
      ['SCTP_1_PORT', 'sctp://1.2.3.4:777'],
      ['SCTP_1_PORT_777_SCTP', 'sctp://1.2.3.4:777'],
      ['SCTP_1_PORT_777_SCTP_PROTO', 'sctp'],
      ['SCTP_1_PORT_777_SCTP_PORT', '777'],
      ['SCTP_1_PORT_777_SCTP_ADDR', '1.2.3.4'],
      ['NO_PROTO_SERVICE_HOST', '1.2.3.9'],
      ['NO_PROTO_SERVICE_PORT', '80'],
      ['NO_PROTO_PORT', 'tcp://1.2.3.9:80'],
      ['NO_PROTO_PORT_80_TCP', 'tcp://1.2.3.9:80'],
      ['NO_PROTO_PORT_80_TCP_PROTO', 'tcp'],
      ['NO_PROTO_PORT_80_TCP_PORT', '80'],
      ['NO_PROTO_PORT_80_TCP_ADDR', '1.2.3.9'],
    ];
    assert.deepEqual(
      fromServices(services).map((e) => [e.name, e.value]),
      expected,
    );
  });
});

// TestMakeEnvironmentVariables' services.
const SERVICES: Service[] = [
  svc('kubernetes', 'default', '1.2.3.1', [{ protocol: 'TCP', port: 8081 }]),
  svc('test', 'test1', '1.2.3.3', [{ protocol: 'TCP', port: 8083 }]),
  svc('kubernetes', 'test2', '1.2.3.4', [{ protocol: 'TCP', port: 8084 }]),
  svc('test', 'test2', '1.2.3.5', [{ protocol: 'TCP', port: 8085 }]),
  svc('test', 'test2', 'None', [{ protocol: 'TCP', port: 8085 }]),
  svc('test', 'test2', '', [{ protocol: 'TCP', port: 8085 }]),
  svc('not-special', 'default', '1.2.3.8', [{ protocol: 'TCP', port: 8088 }]),
  svc('not-special', 'default', 'None', [{ protocol: 'TCP', port: 8088 }]),
  svc('not-special', 'default', '', [{ protocol: 'TCP', port: 8088 }]),
];

function linkVars(prefix: string, ip: string, port: number): [string, string][] {
  const url = `tcp://${ip}:${port}`;
  return [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(port)],
    [`${prefix}_PORT`, url],
    [`${prefix}_PORT_${port}_TCP`, url],
    [`${prefix}_PORT_${port}_TCP_PROTO`, 'tcp'],
    [`${prefix}_PORT_${port}_TCP_PORT`, String(port)],
    [`${prefix}_PORT_${port}_TCP_ADDR`, ip],
  ];
}

function getter(services: Service[]): ObjectGetter {
  return {
    getConfigMap: async () => undefined,
    getSecret: async () => undefined,
    listServices: async (ns) => services.filter((s) => s.metadata?.namespace === ns),
  };
}

async function envOf(ns: string, enableServiceLinks: boolean, env: EnvVar[] = [], services = SERVICES) {
  const container: Container = { name: 'c', image: 'busybox', env };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'dapi-test-pod-name', namespace: ns, uid: 'u' },
    spec: { containers: [container], enableServiceLinks },
  };
  const list = await makeEnvironment(pod, container, getter(services), '10.0.0.5', '192.168.1.10');
  return list.map((e): [string, string] => [e.name, e.value]);
}

describe('serviceEnvVarMap (getServiceEnvVarMap)', () => {
  it('the master service always; the namespace services with enableServiceLinks; headless skipped', () => {
    assert.deepEqual(
      [...serviceEnvVarMap(SERVICES, 'test1', false)],
      linkVars('KUBERNETES', '1.2.3.1', 8081),
    );
    assert.deepEqual(
      [...serviceEnvVarMap(SERVICES, 'test1', true)],
      [...linkVars('KUBERNETES', '1.2.3.1', 8081), ...linkVars('TEST', '1.2.3.3', 8083)],
    );
  });
  it("a namespace's own `kubernetes` service replaces the master one, in either listing order", () => {
    for (const list of [SERVICES, [...SERVICES].reverse()]) {
      assert.deepEqual(
        [...serviceEnvVarMap(list, 'test2', true)],
        [...linkVars('KUBERNETES', '1.2.3.4', 8084), ...linkVars('TEST', '1.2.3.5', 8085)],
      );
    }
    // Without service links the namespace's services are not read: the master service stays.
    assert.deepEqual(
      [...serviceEnvVarMap(SERVICES, 'test2', false)],
      linkVars('KUBERNETES', '1.2.3.1', 8081),
    );
  });
});

describe('makeEnvironment with services (TestMakeEnvironmentVariables)', () => {
  const testVars = linkVars('TEST', '1.2.3.3', 8083);
  const kube = linkVars('KUBERNETES', '1.2.3.1', 8081);

  it('api server = Y, kubelet = Y: the container defines them itself, the master service follows', async () => {
    const env = [{ name: 'FOO', value: 'BAR' }, ...testVars.map(([name, value]) => ({ name, value }))];
    assert.deepEqual(await envOf('test1', false), kube);
    assert.deepEqual(await envOf('test1', false, env), [['FOO', 'BAR'], ...testVars, ...kube]);
  });
  it('api server = N; kubelet = Y: the container env first, then the service variables', async () => {
    assert.deepEqual(await envOf('test1', false, [{ name: 'FOO', value: 'BAZ' }]), [['FOO', 'BAZ'], ...kube]);
    assert.deepEqual(await envOf('test1', true, [{ name: 'FOO', value: 'BAZ' }]), [
      ['FOO', 'BAZ'],
      ...kube,
      ...testVars,
    ]);
  });
  it('master service in pod ns', async () => {
    assert.deepEqual(await envOf('test2', false, [{ name: 'FOO', value: 'ZAP' }]), [['FOO', 'ZAP'], ...kube]);
    assert.deepEqual(await envOf('test2', true, [{ name: 'FOO', value: 'ZAP' }]), [
      ['FOO', 'ZAP'],
      ...linkVars('KUBERNETES', '1.2.3.4', 8084),
      ...linkVars('TEST', '1.2.3.5', 8085),
    ]);
  });
  it('pod in master service ns', async () => {
    assert.deepEqual(await envOf('default', false), kube);
    assert.deepEqual(await envOf('default', true), [...kube, ...linkVars('NOT_SPECIAL', '1.2.3.8', 8088)]);
  });
  it('env expansion, service env vars: $(VAR) reads service variables; a container variable wins', async () => {
    const got = await envOf('test1', true, [
      { name: 'SERVICE_VAR_TEST', value: '$(TEST_SERVICE_HOST):$(TEST_SERVICE_PORT)' },
      { name: 'TEST_SERVICE_PORT', value: '9999' },
      { name: 'AFTER', value: '$(TEST_SERVICE_PORT)' },
      { name: 'TEST_UNDEFINED', value: '$(UNDEFINED_VAR)' },
    ]);
    assert.deepEqual(got, [
      ['SERVICE_VAR_TEST', '1.2.3.3:8083'],
      ['TEST_SERVICE_PORT', '9999'],
      ['AFTER', '9999'],
      ['TEST_UNDEFINED', '$(UNDEFINED_VAR)'],
      ...kube,
      ...testVars.filter(([n]) => n !== 'TEST_SERVICE_PORT'),
    ]);
  });
  it('enableServiceLinks unset means true (the API default)', async () => {
    const container: Container = { name: 'c', image: 'busybox' };
    const pod: Pod = { metadata: { name: 'p', namespace: 'test1' }, spec: { containers: [container] } };
    const list = await makeEnvironment(pod, container, getter(SERVICES), '', '');
    assert.deepEqual(
      list.map((e) => [e.name, e.value]),
      [...kube, ...testVars],
    );
  });
  it('a failed Service list is a CreateContainerConfigError', async () => {
    const container: Container = { name: 'c', image: 'busybox' };
    const pod: Pod = { metadata: { name: 'p', namespace: 'test1' }, spec: { containers: [container] } };
    const objects: ObjectGetter = {
      ...getter([]),
      listServices: async () => {
        throw new Error('etcd is down');
      },
    };
    await assert.rejects(makeEnvironment(pod, container, objects, '', ''), {
      name: 'ContainerConfigError',
      message: 'failed to list services when setting up env vars',
    });
  });
});
