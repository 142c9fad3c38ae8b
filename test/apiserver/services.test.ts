// Services through the registry: ClusterIP allocation on create, immutability on update, release on
// delete and on failed writes, the system Services, and the rebuild at start.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { parseIPv4 } from '../../src/apiserver/service-ip/config.js';
import { ensureSystemServices } from '../../src/apiserver/service-ip/system-services.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { systemClock } from '../../src/util/clock.js';
import { newRegistry } from './helpers.js';

function svc(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
  };
}

async function create(reg: Registry, name: string, spec: Record<string, unknown> = {}): Promise<Service> {
  return (await reg.create('services', 'default', svc(name, spec))) as unknown as Service;
}

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('the write was accepted');
}

describe('Service create', () => {
  test('a ClusterIP Service gets an address of the upper band and the fields a cluster returns', async () => {
    const reg = await newRegistry();
    const s = await create(reg, 'web');
    const ip = s.spec?.clusterIP ?? '';
    const n = parseIPv4(ip) ?? 0;
    assert.ok(n > (parseIPv4('10.96.1.0') ?? 0) && n < (parseIPv4('10.112.0.0') ?? 0), ip);
    assert.deepEqual(s.spec, {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      clusterIP: ip,
      clusterIPs: [ip],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
    assert.deepEqual(s.status, { loadBalancer: {} });
  });

  test('an explicit clusterIP is honoured once; a second Service asking for it gets upstream’s error', async () => {
    const reg = await newRegistry();
    const a = await create(reg, 'a', { clusterIP: '10.96.0.5' });
    assert.deepEqual(a.spec?.clusterIPs, ['10.96.0.5']);
    assert.equal(
      await refused(create(reg, 'b', { clusterIP: '10.96.0.5' })),
      'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated',
    );
    assert.equal(
      await refused(create(reg, 'c', { clusterIP: '192.168.0.5' })),
      'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.5"}: failed to allocate IP 192.168.0.5: the provided IP (192.168.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    assert.equal(
      await refused(create(reg, 'd', { clusterIP: '10.96.0.500' })),
      'Service "d" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.500": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    );
  });

  test('a create that fails after allocating gives the address back (validation, name taken)', async () => {
    const reg = await newRegistry();
    assert.match(
      await refused(create(reg, 'bad', { clusterIP: '10.96.0.6', ports: [{ port: 0 }] })),
      /spec\.ports\[0\]\.port: Invalid value: 0/,
    );
    await create(reg, 'taken', { clusterIP: '10.96.0.7' });
    assert.match(
      await refused(create(reg, 'taken', { clusterIP: '10.96.0.6' })),
      /services "taken" already exists/,
    );
    const ok = await create(reg, 'ok', { clusterIP: '10.96.0.6' });
    assert.equal(ok.spec?.clusterIP, '10.96.0.6');
  });

  test('a dry-run create takes nothing', async () => {
    const reg = await newRegistry();
    const dry = (await reg.create('services', 'default', svc('d', { clusterIP: '10.96.0.8' }), {
      dryRun: true,
    })) as unknown as Service;
    assert.equal(dry.spec?.clusterIP, '10.96.0.8');
    assert.equal((await create(reg, 'real', { clusterIP: '10.96.0.8' })).spec?.clusterIP, '10.96.0.8');
  });

  test('headless, ExternalName and NodePort Services', async () => {
    const reg = await newRegistry();
    const h = await create(reg, 'h', { clusterIP: 'None' });
    assert.deepEqual(h.spec?.clusterIPs, ['None']);
    assert.deepEqual(h.spec?.ipFamilies, ['IPv4']);
    assert.equal(h.spec?.ipFamilyPolicy, 'SingleStack');
    const hs = await create(reg, 'hs', { clusterIP: 'None', selector: undefined, ports: undefined });
    assert.equal(hs.spec?.ipFamilyPolicy, 'RequireDualStack', 'headless without selector, as upstream');
    assert.deepEqual(hs.spec?.ipFamilies, ['IPv4', 'IPv6']);

    const x = await create(reg, 'x', { type: 'ExternalName', externalName: 'db.example.com.', ports: [] });
    assert.equal(x.spec?.clusterIP, undefined);
    assert.equal(x.spec?.ipFamilies, undefined);
    assert.equal(
      await refused(create(reg, 'y', { type: 'ExternalName', externalName: 'Not_A_Host' })),
      `Service "y" is invalid: spec.externalName: Invalid value: "Not_A_Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );

    const np = await create(reg, 'np', { type: 'NodePort' });
    assert.ok(np.spec?.clusterIP);
    const nodePort = np.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    assert.equal(np.spec?.externalTrafficPolicy, 'Cluster');
    assert.equal(
      await refused(create(reg, 'np2', { type: 'NodePort', ports: [{ port: 80, nodePort: nodePort }] })),
      `Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${nodePort}: provided port is already allocated`,
    );
    const lb = await create(reg, 'lb', { type: 'LoadBalancer' });
    assert.ok(lb.spec?.clusterIP && lb.spec.ports?.[0]?.nodePort);
  });

  test('session affinity ClientIP defaults its timeout to 10800 and checks its range', async () => {
    const reg = await newRegistry();
    const s = await create(reg, 's', { sessionAffinity: 'ClientIP' });
    assert.deepEqual(s.spec?.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    assert.equal(
      await refused(
        create(reg, 't', {
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } },
        }),
      ),
      'Service "t" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400',
    );
  });
});

describe('Service update and delete', () => {
  test('the ClusterIP may not change; a PUT without it keeps the allocated one', async () => {
    const reg = await newRegistry();
    const a = await create(reg, 'a', { clusterIP: '10.96.0.5' });
    assert.equal(
      await refused(
        reg.update('services', 'default', 'a', { ...a, spec: { ...a.spec, clusterIP: '10.96.0.9' } }),
      ),
      'Service "a" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.9"}: may not change once set',
    );
    const resubmitted = svc('a', { ports: [{ port: 81 }] });
    const b = (await reg.update('services', 'default', 'a', resubmitted)) as unknown as Service;
    assert.equal(b.spec?.clusterIP, '10.96.0.5');
    assert.deepEqual(b.spec?.clusterIPs, ['10.96.0.5']);
    assert.equal(b.spec?.ports?.[0]?.port, 81);
  });

  test('to ExternalName releases the address, back to ClusterIP allocates one', async () => {
    const reg = await newRegistry();
    const a = await create(reg, 'a', { clusterIP: '10.96.0.5' });
    const x = (await reg.update('services', 'default', 'a', {
      ...a,
      spec: { ...a.spec, type: 'ExternalName', externalName: 'example.com' },
    })) as unknown as Service;
    assert.equal(x.spec?.clusterIP, undefined);
    assert.equal(x.spec?.clusterIPs, undefined);
    assert.equal((await create(reg, 'b', { clusterIP: '10.96.0.5' })).spec?.clusterIP, '10.96.0.5');
    const back = (await reg.update('services', 'default', 'a', {
      ...x,
      spec: { ...x.spec, type: 'ClusterIP', externalName: undefined },
    })) as unknown as Service;
    assert.ok(back.spec?.clusterIP && back.spec.clusterIP !== '10.96.0.5');
  });

  test('delete releases the address and the NodePorts', async () => {
    const reg = await newRegistry();
    await create(reg, 'a', {
      type: 'NodePort',
      clusterIP: '10.96.0.5',
      ports: [{ port: 80, nodePort: 30080 }],
    });
    await reg.delete('services', 'default', 'a');
    const b = await create(reg, 'b', {
      type: 'NodePort',
      clusterIP: '10.96.0.5',
      ports: [{ port: 80, nodePort: 30080 }],
    });
    assert.equal(b.spec?.ports?.[0]?.nodePort, 30080);
  });

  test('a Service held by a finalizer keeps its address until the finalizer goes', async () => {
    const reg = await newRegistry();
    const a = (await reg.create('services', 'default', {
      ...svc('a', { clusterIP: '10.96.0.5' }),
      metadata: { name: 'a', finalizers: ['example.com/hold'] },
    })) as unknown as Service;
    await reg.delete('services', 'default', 'a');
    assert.match(await refused(create(reg, 'b', { clusterIP: '10.96.0.5' })), /already allocated/);
    const held = await reg.get('services', 'default', 'a');
    await reg.update('services', 'default', 'a', { ...held, metadata: { ...held.metadata, finalizers: [] } });
    assert.equal(await reg.find('services', 'default', 'a'), undefined);
    assert.equal((await create(reg, 'b', { clusterIP: a.spec?.clusterIP })).spec?.clusterIP, '10.96.0.5');
  });

  test('NodePort to ClusterIP gives the NodePorts back', async () => {
    const reg = await newRegistry();
    const np = await create(reg, 'np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    const back = (await reg.update('services', 'default', 'np', {
      ...np,
      spec: { ...np.spec, type: 'ClusterIP', externalTrafficPolicy: undefined },
    })) as unknown as Service;
    assert.equal(back.spec?.ports?.[0]?.nodePort, undefined);
    const other = await create(reg, 'other', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    assert.equal(other.spec?.ports?.[0]?.nodePort, 30080);
  });

  test('a Service deleted with its namespace gives its address back', async () => {
    const reg = await newRegistry();
    await reg.create('namespaces', undefined, { metadata: { name: 'team' } });
    await reg.create('services', 'team', svc('a', { clusterIP: '10.96.0.5' }));
    await reg.delete('namespaces', undefined, 'team');
    await reg.waitForChange(async () => !(await reg.find('namespaces', undefined, 'team')));
    assert.equal((await create(reg, 'b', { clusterIP: '10.96.0.5' })).spec?.clusterIP, '10.96.0.5');
  });
});

describe('restarts and the system Services', () => {
  const open = (store: Store, serviceCIDR?: string, errors: string[] = []) =>
    createRegistry({
      store,
      clock: systemClock,
      ...(serviceCIDR ? { serviceCIDR } : {}),
      onBackgroundError: (e) => errors.push((e as Error).message),
    });

  test('a registry reopened over the store knows which addresses are taken', async () => {
    const store = openSqliteStore(':memory:');
    const first = await open(store);
    const a = await create(first, 'a');
    const second = await open(store);
    const ip = a.spec?.clusterIP ?? '';
    assert.match(await refused(create(second, 'b', { clusterIP: ip })), /provided IP is already allocated/);
  });

  test('kubernetes and kube-dns are created at .1 and .10, once', async () => {
    const reg = await newRegistry();
    await ensureSystemServices(reg);
    await ensureSystemServices(reg);
    const k = (await reg.get('services', 'default', 'kubernetes')) as unknown as Service;
    assert.deepEqual(k.metadata?.labels, { component: 'apiserver', provider: 'kubernetes' });
    assert.deepEqual(k.spec?.clusterIPs, ['10.96.0.1']);
    assert.deepEqual(k.spec?.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    assert.equal(k.spec?.selector, undefined);
    const dns = (await reg.get('services', 'kube-system', 'kube-dns')) as unknown as Service;
    assert.deepEqual(dns.spec?.clusterIPs, ['10.96.0.10']);
    assert.equal(dns.metadata?.labels?.['k8s-app'], 'kube-dns');
    assert.equal(dns.metadata?.labels?.['kubernetes.io/name'], 'CoreDNS');
    assert.equal(dns.spec?.selector, undefined);
    assert.deepEqual(
      dns.spec?.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`),
      ['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP'],
    );
  });

  test('after a change of service CIDR: user Services are reported, the system ones move', async () => {
    const store = openSqliteStore(':memory:');
    const first = await open(store);
    await ensureSystemServices(first);
    await create(first, 'a', { clusterIP: '10.96.0.5' });
    const errors: string[] = [];
    const second = await open(store, '10.43.0.0/16', errors);
    assert.ok(
      errors.includes(
        'service allocator: Cluster IP 10.96.0.5 of service default/a is not within the service CIDR 10.43.0.0/16; please recreate the service',
      ),
      errors.join('\n'),
    );
    const logs: string[] = [];
    await ensureSystemServices(second, '10.43.0.0/16', (m) => logs.push(m));
    const dns = (await second.get('services', 'kube-system', 'kube-dns')) as unknown as Service;
    assert.equal(dns.spec?.clusterIP, '10.43.0.10');
    assert.ok(logs.some((l) => l.includes('kube-system/kube-dns has ClusterIP 10.96.0.10, not 10.43.0.10')));
    // The old Service still works and still holds its address.
    assert.equal(
      ((await second.get('services', 'default', 'a')) as unknown as Service).spec?.clusterIP,
      '10.96.0.5',
    );
  });
});
