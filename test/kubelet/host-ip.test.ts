// The node's address in pods' status: status.hostIP and hostIPs follow the Node's InternalIP when it changes
// (a laptop moving networks), as upstream's kubelet reads the node's addresses at every status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basePod, UID } from './fixtures.js';
import { Harness } from './harness.js';

const pod = basePod({ spec: { initContainers: [] } });

test("a new node address reaches a running pod's status.hostIP and hostIPs", async () => {
  const h = new Harness();
  await h.run(pod);
  const running = await h.until(UID, (s) => s.phase === 'Running', 30_000);
  assert.equal(running.hostIP, '192.168.1.10');
  h.kubelet.setHostIP('192.168.7.20');
  const moved = await h.until(UID, (s) => s.hostIP === '192.168.7.20', 30_000);
  assert.deepEqual(moved.hostIPs, [{ ip: '192.168.7.20' }]);
  assert.equal(moved.phase, 'Running');
  await h.stop();
});
