import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStatus, Pod } from '../../../src/api/types.js';
import { selectLogTarget } from '../../../src/kubelet/logs/index.js';
import { LogError } from '../../../src/kubelet/types.js';

function pod(statuses: ContainerStatus[], init: ContainerStatus[] = []): Pod {
  return {
    metadata: { name: 'mypod', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'app' }] },
    status: { containerStatuses: statuses, initContainerStatuses: init },
  };
}

function cs(state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name: 'app', image: 'busybox', imageID: '', ready: false, restartCount: 0, state, ...extra };
}

const terminatedWith = (id: string) => ({ terminated: { exitCode: 1, containerID: id } });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LogError, 'a LogError');
    return err.message;
  }
  assert.fail('expected an error');
}

describe('log container selection (validateContainerLogStatus)', () => {
  it('an unknown container is not available', () => {
    assert.equal(
      errorOf(() => selectLogTarget(pod([]), 'app', false)),
      'container "app" in pod "mypod" is not available',
    );
  });

  it('previous without a last terminated instance is not found', () => {
    assert.equal(
      errorOf(() => selectLogTarget(pod([cs({ running: {} }, { containerID: 'host://c1' })]), 'app', true)),
      'previous terminated container "app" in pod "mypod" not found',
    );
  });

  it('previous reads the last terminated instance', () => {
    const p = pod([
      cs(
        { running: {} },
        { containerID: 'host://c2', restartCount: 1, lastState: terminatedWith('host://c1') },
      ),
    ]);
    assert.deepEqual(selectLogTarget(p, 'app', true), { containerID: 'host://c1', restartCount: 0 });
    assert.deepEqual(selectLogTarget(p, 'app', false), { containerID: 'host://c2', restartCount: 1 });
  });

  it('a terminated container shows its own logs, or the last run when it has no id, or is terminated', () => {
    assert.deepEqual(
      selectLogTarget(pod([cs(terminatedWith('host://c3'), { restartCount: 2 })]), 'app', false),
      {
        containerID: 'host://c3',
        restartCount: 2,
      },
    );
    const noId = cs(
      { terminated: { exitCode: 0 } },
      { restartCount: 2, lastState: terminatedWith('host://c2') },
    );
    assert.deepEqual(selectLogTarget(pod([noId]), 'app', false), {
      containerID: 'host://c2',
      restartCount: 1,
    });
    assert.equal(
      errorOf(() => selectLogTarget(pod([cs({ terminated: { exitCode: 0 } })]), 'app', false)),
      'container "app" in pod "mypod" is terminated',
    );
  });

  it('a crash-looping init container shows the last attempt without --previous', () => {
    const init = cs(
      { waiting: { reason: 'CrashLoopBackOff' } },
      { name: 'init1', restartCount: 3, lastState: terminatedWith('host://i3') },
    );
    assert.deepEqual(selectLogTarget(pod([], [init]), 'init1', false), {
      containerID: 'host://i3',
      restartCount: 3,
    });
    assert.deepEqual(selectLogTarget(pod([], [init]), 'init1', true), {
      containerID: 'host://i3',
      restartCount: 3,
    });
  });

  it('a waiting container with a last state that has no id is terminated', () => {
    const c = cs({ waiting: { reason: 'CrashLoopBackOff' } }, { lastState: { terminated: { exitCode: 1 } } });
    assert.equal(
      errorOf(() => selectLogTarget(pod([c]), 'app', false)),
      'container "app" in pod "mypod" is terminated',
    );
  });

  it('a waiting container names its reason, with special texts for image pulls', () => {
    const msg = (reason: string) =>
      errorOf(() => selectLogTarget(pod([cs({ waiting: { reason } })]), 'app', false));
    assert.equal(
      msg('PodInitializing'),
      'container "app" in pod "mypod" is waiting to start: PodInitializing',
    );
    assert.equal(
      msg('ContainerCreating'),
      'container "app" in pod "mypod" is waiting to start: ContainerCreating',
    );
    assert.equal(
      msg('ErrImagePull'),
      `container "app" in pod "mypod" is waiting to start: image can't be pulled`,
    );
    assert.equal(
      msg('ImagePullBackOff'),
      'container "app" in pod "mypod" is waiting to start: trying and failing to pull image',
    );
  });

  it('a container with no state at all has no logs yet', () => {
    assert.equal(
      errorOf(() => selectLogTarget(pod([cs({})]), 'app', false)),
      'container "app" in pod "mypod" is waiting to start - no logs yet',
    );
  });

  it('app statuses are searched before init statuses', () => {
    const app = cs({ running: {} }, { name: 'x', containerID: 'host://app' });
    const init = cs({ running: {} }, { name: 'x', containerID: 'host://init' });
    assert.equal(selectLogTarget(pod([app], [init]), 'x', false).containerID, 'host://app');
  });
});
