// The controller manager over a real registry on an in-memory store and a fake clock, as several controller
// tests run it, and the wait until it has nothing left to do.
import { createEventRecorder } from '../../src/apiserver/events.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

export interface ManagerHarness {
  registry: Registry;
  manager: ControllerManager;
  clock: FakeClock;
  /** Until the manager's queues are idle, a few rounds over (a write may queue more work). */
  settle(): Promise<void>;
}

export async function startManagerHarness(): Promise<ManagerHarness> {
  const clock = new FakeClock();
  const registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
  const manager = new ControllerManager({
    client: registryControllerClient(registry),
    clock,
    recorderFor: (component) => createEventRecorder(registry, { component, clock }),
  });
  await manager.start();
  return {
    registry,
    manager,
    clock,
    async settle() {
      for (let i = 0; i < 6; i++) {
        await flushMicrotasks();
        await manager.settled();
      }
    },
  };
}
