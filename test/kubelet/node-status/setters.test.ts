// The node status setters: capacity and allocatable from the readings, the pressure conditions' texts and
// transitions, Ready, and what counts as a change worth posting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { observePressure } from '../../../src/kubelet/node-status/pressure.js';
import { formatBinarySI, formatMilliCPU } from '../../../src/kubelet/node-status/quantities.js';
import {
  buildNodeStatus,
  defaultNodeLabels,
  nodeAllocatable,
  nodeCapacity,
  nodeStatusChanged,
  pressureSignals,
} from '../../../src/kubelet/node-status/setters.js';
import { CONFIG, GiB, readings, T0 } from './fixtures.js';

const calm = { memory: false, disk: false, pid: false };

describe('quantities', () => {
  test('bytes print as BinarySI: the largest exact binary suffix, else a plain number', () => {
    assert.equal(formatBinarySI(0), '0');
    assert.equal(formatBinarySI(1000), '1000');
    assert.equal(formatBinarySI(1024), '1Ki');
    assert.equal(formatBinarySI(8_145_568 * 1024), '8145568Ki');
    assert.equal(formatBinarySI(2 * 1024 ** 2), '2Mi');
    assert.equal(formatBinarySI(GiB), '1Gi');
    assert.equal(formatBinarySI(96_636_764_160 + 1), '96636764161');
    assert.throws(() => formatBinarySI(1.5), /not a whole number/);
    assert.equal(formatMilliCPU(2000), '2');
    assert.equal(formatMilliCPU(1500), '1500m');
  });
});

describe('capacity and allocatable', () => {
  test('capacity is the CPUs, nodefs size, huge pages, MemTotal and 110 pods, keys in Go map order', () => {
    const cap = nodeCapacity(readings(), CONFIG);
    assert.deepEqual(Object.entries(cap), [
      ['cpu', '2'],
      ['ephemeral-storage', '100Gi'],
      ['hugepages-1Gi', '0'],
      ['hugepages-2Mi', '0'],
      ['memory', '8145568Ki'],
      ['pods', '110'],
    ]);
  });

  test('allocatable takes the hard eviction thresholds off memory (100Mi) and ephemeral-storage (10%)', () => {
    const alloc = nodeAllocatable(readings(), CONFIG);
    assert.equal(alloc.memory, `${8_145_568 - 102_400}Ki`);
    assert.equal(alloc['ephemeral-storage'], '90Gi');
    // 10% of a capacity that is no round number is truncated, leaving a plain byte count.
    const fs = { ...readings().nodefs, capacityBytes: 102_384_008 * 1024 };
    assert.equal(nodeCapacity(readings({ nodefs: fs }), CONFIG)['ephemeral-storage'], '102384008Ki');
    assert.equal(nodeAllocatable(readings({ nodefs: fs }), CONFIG)['ephemeral-storage'], '94357101773');
    assert.equal(alloc.cpu, '2');
    assert.equal(alloc.pods, '110');
  });

  test('huge pages come off allocatable memory, and nothing goes below 0', () => {
    const r = readings({ hugePages: { '2097152': 512 } });
    assert.equal(nodeCapacity(r, CONFIG)['hugepages-2Mi'], '1Gi');
    assert.equal(nodeAllocatable(r, CONFIG).memory, `${8_145_568 - 102_400 - 1024 * 1024}Ki`);
    const tiny = readings({ memoryCapacityBytes: 50 * 1024 * 1024 });
    assert.equal(nodeAllocatable(tiny, CONFIG).memory, '0');
  });

  test('labels: hostname, os and arch (with their beta twins) and the control-plane role', () => {
    assert.deepEqual(defaultNodeLabels(CONFIG, readings({ architecture: 'arm64' })), {
      'beta.kubernetes.io/arch': 'arm64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'arm64',
      'kubernetes.io/hostname': 'podrun',
      'kubernetes.io/os': 'linux',
      'node-role.kubernetes.io/control-plane': '',
      'node.kubernetes.io/exclude-from-external-load-balancers': '',
    });
  });
});

describe('pressure signals', () => {
  test('memory below 100Mi available, nodefs below 10% or inodes below 5%, pids below 5% of pid_max', () => {
    assert.deepEqual(pressureSignals(readings(), CONFIG), calm);
    assert.equal(pressureSignals(readings({ memoryAvailableBytes: 99 * 1024 * 1024 }), CONFIG).memory, true);
    const fs = readings().nodefs;
    assert.equal(
      pressureSignals(readings({ nodefs: { ...fs, availableBytes: 9 * GiB } }), CONFIG).disk,
      true,
    );
    assert.equal(pressureSignals(readings({ nodefs: { ...fs, inodesFree: 40_000 } }), CONFIG).disk, true);
    assert.equal(pressureSignals(readings({ pids: { running: 31_500, max: 32_768 } }), CONFIG).pid, true);
    assert.equal(pressureSignals(readings({ pids: { running: 30_000, max: 32_768 } }), CONFIG).pid, false);
  });

  test('a pressure stays reported for the transition period after its signal clears', () => {
    const period = 5 * 60_000;
    let o = observePressure({}, { ...calm, memory: true }, T0, period);
    assert.equal(o.reported.memory, true);
    o = observePressure(o.observations, calm, T0 + period - 1, period);
    assert.equal(o.reported.memory, true);
    o = observePressure(o.observations, calm, T0 + period, period);
    assert.equal(o.reported.memory, false);
    assert.deepEqual(o.observations, {});
  });
});

describe('conditions', () => {
  test('a first status has the three pressures False and Ready True, with kubelet’s reasons, messages and events', () => {
    const { status, events } = buildNodeStatus({
      readings: readings(),
      config: CONFIG,
      previous: undefined,
      pressure: calm,
      readyErrors: [],
      now: T0,
    });
    const at = '2026-12-05T12:00:00Z';
    assert.deepEqual(status.conditions, [
      {
        type: 'MemoryPressure',
        status: 'False',
        lastHeartbeatTime: at,
        lastTransitionTime: at,
        reason: 'KubeletHasSufficientMemory',
        message: 'kubelet has sufficient memory available',
      },
      {
        type: 'DiskPressure',
        status: 'False',
        lastHeartbeatTime: at,
        lastTransitionTime: at,
        reason: 'KubeletHasNoDiskPressure',
        message: 'kubelet has no disk pressure',
      },
      {
        type: 'PIDPressure',
        status: 'False',
        lastHeartbeatTime: at,
        lastTransitionTime: at,
        reason: 'KubeletHasSufficientPID',
        message: 'kubelet has sufficient PID available',
      },
      {
        type: 'Ready',
        status: 'True',
        lastHeartbeatTime: at,
        lastTransitionTime: at,
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
      },
    ]);
    assert.deepEqual(events, [
      'NodeHasSufficientMemory',
      'NodeHasNoDiskPressure',
      'NodeHasSufficientPID',
      'NodeReady',
    ]);
    assert.deepEqual(status.addresses, [
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'Hostname', address: 'podrun' },
    ]);
    assert.deepEqual(status.nodeInfo, {
      machineID: 'm-id',
      systemUUID: 'S-UUID',
      bootID: 'b-id',
      kernelVersion: '6.1.0-18-amd64',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      containerRuntimeVersion: 'host://0.1.0',
      kubeletVersion: 'v1.32.0-podrun',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    });
    assert.deepEqual(status.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  });

  test('later heartbeats move only lastHeartbeatTime; a flip moves the transition time and records its event', () => {
    const first = buildNodeStatus({
      readings: readings(),
      config: CONFIG,
      previous: undefined,
      pressure: calm,
      readyErrors: [],
      now: T0,
    });
    const later = buildNodeStatus({
      readings: readings(),
      config: CONFIG,
      previous: first.status,
      pressure: calm,
      readyErrors: [],
      now: T0 + 10_000,
    });
    assert.deepEqual(later.events, []);
    const mem = later.status.conditions![0]!;
    assert.equal(mem.lastHeartbeatTime, '2026-12-05T12:00:10Z');
    assert.equal(mem.lastTransitionTime, '2026-12-05T12:00:00Z');
    assert.equal(nodeStatusChanged(first.status, later.status), false, 'a heartbeat alone is no change');

    const pressed = buildNodeStatus({
      readings: readings(),
      config: CONFIG,
      previous: later.status,
      pressure: { memory: true, disk: true, pid: true },
      readyErrors: ['container runtime is down'],
      now: T0 + 20_000,
    });
    assert.deepEqual(pressed.events, [
      'NodeHasInsufficientMemory',
      'NodeHasDiskPressure',
      'NodeHasInsufficientPID',
      'NodeNotReady',
    ]);
    const [m, d, p, r] = pressed.status.conditions!;
    assert.deepEqual(
      [m, d, p, r].map((c) => [c!.status, c!.reason, c!.message, c!.lastTransitionTime]),
      [
        [
          'True',
          'KubeletHasInsufficientMemory',
          'kubelet has insufficient memory available',
          '2026-12-05T12:00:20Z',
        ],
        ['True', 'KubeletHasDiskPressure', 'kubelet has disk pressure', '2026-12-05T12:00:20Z'],
        [
          'True',
          'KubeletHasInsufficientPID',
          'kubelet has insufficient PID available',
          '2026-12-05T12:00:20Z',
        ],
        ['False', 'KubeletNotReady', 'container runtime is down', '2026-12-05T12:00:20Z'],
      ],
    );
    assert.equal(nodeStatusChanged(later.status, pressed.status), true);
  });

  test('several readiness errors print as errors.NewAggregate does; other conditions are kept after the kubelet’s', () => {
    const { status } = buildNodeStatus({
      readings: readings(),
      config: CONFIG,
      previous: {
        conditions: [{ type: 'KernelDeadlock', status: 'False', reason: 'KernelHasNoDeadlock' }],
      },
      pressure: calm,
      readyErrors: ['container runtime is down', 'network plugin not ready'],
      now: T0,
    });
    assert.equal(status.conditions![3]!.message, '[container runtime is down, network plugin not ready]');
    assert.equal(status.conditions![4]!.type, 'KernelDeadlock');
  });

  test('a machine without a routable address reports only its Hostname', () => {
    const { status } = buildNodeStatus({
      readings: readings({ internalIP: undefined }),
      config: CONFIG,
      previous: undefined,
      pressure: calm,
      readyErrors: [],
      now: T0,
    });
    assert.deepEqual(status.addresses, [{ type: 'Hostname', address: 'podrun' }]);
  });
});
