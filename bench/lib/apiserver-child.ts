// The stand-in for `podrun serve` while the CLI does not have it: the same store, registry and HTTP server,
// without controllers, scheduler or kubelet. Usage: node --import tsx bench/lib/apiserver-child.ts STATE_DIR
// Writes STATE_DIR/kubeconfig when ready; exits on SIGTERM/SIGINT.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry, startApiServer, writeKubeconfig } from '../../src/apiserver/index.js';
import { type ContainerLogSource, LogError } from '../../src/kubelet/types.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { systemClock } from '../../src/util/clock.js';

const stateDir = process.argv[2];
if (!stateDir) {
  process.stderr.write('usage: apiserver-child.ts STATE_DIR\n');
  process.exit(2);
}
const store = openSqliteStore(join(stateDir, 'store.db'));
const registry = await createRegistry({ store, clock: systemClock, nodeName: 'podrun' });
// No kubelet here, so there are no container logs to serve.
const logs: ContainerLogSource = {
  containerLogs: async () => {
    throw new LogError('the benchmark stand-in server has no kubelet');
  },
};
const api = await startApiServer({ registry, address: '127.0.0.1', port: 0, stateDir, logs });
await writeKubeconfig(join(stateDir, 'kubeconfig'), {
  url: api.url,
  caData: await readFile(api.caFile, 'utf8'),
  token: api.token,
});
const stop = async () => {
  await api.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
