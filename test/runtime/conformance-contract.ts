// Contract cases of the conformance suite that hold for every runtime, processes or not: what listing,
// removing, starting twice and failing calls do, and which events follow. The fake runs them as the host does.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { RuntimeError, type RuntimeErrorReason, type RuntimeEvent } from '../../src/runtime/types.js';
import type { ConformanceContext } from './conformance-context.js';
import { waitFor } from './conformance-support.js';

export const CONTRACT_TESTS = {
  listAndRemove:
    'listContainers filters by sandbox and labels; removeContainer forgets the container and is idempotent',
  logOutlives: "removeContainer keeps the container's log file: logs outlive instances",
  removeRunning: 'removing a running container stops it and removes it',
  uniqueName: 'a container name and attempt is taken in its sandbox until that container is removed',
  startTwice: 'only a created container starts: starting a running or exited one is RunContainerError',
  emptyCommand:
    'a container with no command and no args fails to be created: CreateContainerError "no command specified"',
  errorReasons:
    'failing calls reject with a RuntimeError whose reason is from the union: NotFound, NotRunning, CreateContainerError, RunContainerError',
  eventsOnStop:
    'stopContainer, removeContainer and stopPodSandbox are followed by ContainerStopped, ContainerDeleted and SandboxStopped',
} as const;

/** Every RuntimeErrorReason; `satisfies` makes this list fail to compile when the union changes. */
export const RUNTIME_ERROR_REASONS = Object.keys({
  NotFound: true,
  NotRunning: true,
  Unsupported: true,
  CreatePodSandboxError: true,
  CreateContainerError: true,
  RunContainerError: true,
  ErrImagePull: true,
  ImageNotFound: true,
  InvalidImageName: true,
  ImageInUse: true,
} satisfies Record<RuntimeErrorReason, true>) as RuntimeErrorReason[];

/** Asserts `promise` rejects with a RuntimeError of this reason (from the union) whose message matches. */
export async function rejectsWith(promise: Promise<unknown>, reason: RuntimeErrorReason, message?: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof RuntimeError, `a RuntimeError, not ${String(e)}`);
    assert.ok(RUNTIME_ERROR_REASONS.includes(e.reason), `reason ${e.reason} is in the union`);
    assert.equal(e.reason, reason, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

export function contractCases(ctx: ConformanceContext): void {
  const { it, newPod, containerConfig, run } = ctx;

  it(CONTRACT_TESTS.listAndRemove, [], async () => {
    const rt = ctx.rt();
    const a = await newPod('list-a');
    const b = await newPod('list-b');
    const c1 = await run(a, containerConfig('one', ['sleep', '600'], { labels: { tier: 'x' } }));
    const c2 = await run(a, containerConfig('two', ['sleep', '600']));
    const c3 = await run(b, containerConfig('three', ['sleep', '600'], { labels: { tier: 'x' } }));
    const ofA = await rt.listContainers({ podSandboxId: a.id });
    assert.deepEqual(ofA.map((c) => c.id).sort(), [c1, c2].sort());
    const tierX = await rt.listContainers({ labelSelector: { tier: 'x' } });
    assert.deepEqual(tierX.map((c) => c.id).sort(), [c1, c3].sort());
    await rt.stopContainer(c1, 0);
    await rt.removeContainer(c1);
    await rt.removeContainer(c1);
    await rejectsWith(rt.containerStatus(c1), 'NotFound');
    const left = await rt.listContainers({ labelSelector: { tier: 'x' } });
    assert.deepEqual(
      left.map((c) => c.id),
      [c3],
    );
  });

  it(CONTRACT_TESTS.logOutlives, ['processes', 'files'], async () => {
    const rt = ctx.rt();
    const pod = await newPod('log-outlives');
    const { id } = await ctx.runToEnd(pod, containerConfig('c', ['sh', '-c', 'echo kept']));
    const log = (await rt.containerStatus(id)).logPath;
    await rt.removeContainer(id);
    assert.equal(existsSync(log), true, 'the log outlives the container');
    assert.match(readFileSync(log, 'utf8'), /stdout F kept\n$/);
  });

  it(CONTRACT_TESTS.removeRunning, [], async () => {
    const rt = ctx.rt();
    const pod = await newPod('remove-running');
    const id = await run(pod, containerConfig('c', ['sleep', '600']));
    assert.equal((await rt.containerStatus(id)).state, 'running');
    await rt.removeContainer(id);
    await rejectsWith(rt.containerStatus(id), 'NotFound');
    assert.deepEqual(await rt.listContainers({ podSandboxId: pod.id }), []);
    // Its name is free again, and the sandbox goes on.
    const again = await run(pod, containerConfig('c', ['sleep', '600']));
    assert.equal((await rt.containerStatus(again)).state, 'running');
  });

  it(CONTRACT_TESTS.uniqueName, [], async () => {
    const rt = ctx.rt();
    const pod = await newPod('unique-name');
    const first = await rt.createContainer(pod.id, containerConfig('c', ['sleep', '600']), pod.config);
    await rejectsWith(
      rt.createContainer(pod.id, containerConfig('c', ['sleep', '600']), pod.config),
      'CreateContainerError',
      /already in use/,
    );
    const next = { ...containerConfig('c', ['sleep', '600']), metadata: { name: 'c', attempt: 1 } };
    const second = await rt.createContainer(pod.id, next, pod.config);
    assert.notEqual(second, first);
    const other = await newPod('unique-name-other');
    await rt.createContainer(other.id, containerConfig('c', ['sleep', '600']), other.config);
    await rt.removeContainer(first);
    await rt.createContainer(pod.id, containerConfig('c', ['sleep', '600']), pod.config);
  });

  it(CONTRACT_TESTS.startTwice, [], async () => {
    const rt = ctx.rt();
    const pod = await newPod('start-twice');
    const id = await run(pod, containerConfig('c', ['sleep', '600']));
    await rejectsWith(rt.startContainer(id), 'RunContainerError');
    assert.equal((await rt.containerStatus(id)).state, 'running', 'the running instance goes on');
    await rt.stopContainer(id, 0);
    await rejectsWith(rt.startContainer(id), 'RunContainerError');
    const s = await rt.containerStatus(id);
    assert.deepEqual([s.state, s.exitCode], ['exited', 137], 'an exited instance stays as it ended');
  });

  it(CONTRACT_TESTS.emptyCommand, [], async () => {
    const rt = ctx.rt();
    const pod = await newPod('empty-command');
    await rejectsWith(
      rt.createContainer(pod.id, containerConfig('c', []), pod.config),
      'CreateContainerError',
      /no command specified/,
    );
    assert.deepEqual(await rt.listContainers({ podSandboxId: pod.id }), [], 'nothing was created');
  });

  it(CONTRACT_TESTS.errorReasons, [], async () => {
    const rt = ctx.rt();
    const pod = await newPod('error-reasons');
    const missing = 'f'.repeat(64);
    await rejectsWith(rt.containerStatus(missing), 'NotFound');
    await rejectsWith(rt.podSandboxStatus(missing), 'NotFound');
    await rejectsWith(rt.stopContainer(missing, 0), 'NotFound');
    await rejectsWith(rt.startContainer(missing), 'NotFound');
    await rejectsWith(rt.execSync(missing, ['true'], 5), 'NotFound');
    await rejectsWith(
      rt.createContainer(missing, containerConfig('c', ['sleep', '600']), pod.config),
      'CreateContainerError',
      new RegExp(missing),
    );
    const id = await run(pod, containerConfig('c', ['sleep', '600']));
    await rt.stopContainer(id, 0);
    await rejectsWith(rt.execSync(id, ['true'], 5), 'NotRunning');
    await rt.stopPodSandbox(pod.id);
    await rejectsWith(
      rt.createContainer(pod.id, containerConfig('late', ['sleep', '600']), pod.config),
      'CreateContainerError',
      /not ready/,
    );
    // Calls the contract makes idempotent do not fail.
    await rt.removeContainer(missing);
    await rt.stopPodSandbox(missing);
    await rt.removePodSandbox(missing);
  });

  it(CONTRACT_TESTS.eventsOnStop, [], async () => {
    const rt = ctx.rt();
    if (!rt.onEvent) return;
    const pod = await newPod('events-on-stop');
    const seen: RuntimeEvent[] = [];
    const off = rt.onEvent((e) => seen.push(e));
    const saw = (type: RuntimeEvent['type'], containerId?: string) =>
      seen.some((e) => e.type === type && e.podSandboxId === pod.id && e.containerId === containerId);
    try {
      const id = await run(pod, containerConfig('c', ['sleep', '600']));
      await waitFor(() => saw('ContainerCreated', id) && saw('ContainerStarted', id));
      await rt.stopContainer(id, 0);
      await waitFor(() => saw('ContainerStopped', id));
      await rt.removeContainer(id);
      await waitFor(() => saw('ContainerDeleted', id));
      await rt.stopPodSandbox(pod.id);
      await waitFor(() => saw('SandboxStopped'));
      const stopped = seen.find((e) => e.type === 'SandboxStopped' && e.podSandboxId === pod.id);
      assert.equal(stopped?.podUid, pod.config.metadata.uid);
      assert.equal(
        seen.filter((e) => e.type === 'ContainerStopped' && e.containerId === id).length,
        1,
        'one exit, one event',
      );
    } finally {
      off();
    }
  });
}
