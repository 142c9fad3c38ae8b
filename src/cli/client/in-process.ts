// `podrun up` with its own podrun in this process.
import type { Pod } from '../../api/types.js';
import { ApiError } from '../../apiserver/errors.js';
import type { Podrun } from '../../server/podrun.js';
import { type UpClient, warningLines } from './types.js';

export function inProcessClient(podrun: Podrun, stateDir: string): UpClient {
  const { registry } = podrun;
  return {
    description: `in-process podrun (state dir ${stateDir}, API at ${podrun.url})`,
    async apply(r, object) {
      const ns = r.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
      const { object: applied } = await registry.patch(r, ns, object.metadata.name ?? '', 'apply', object, {
        fieldManager: 'podrun',
        force: true,
        fieldValidation: 'Strict',
      });
      return applied;
    },
    get: (r, ns, name) => registry.find(r, r.namespaced ? ns : undefined, name),
    async delete(r, ns, name) {
      try {
        await registry.delete(r, r.namespaced ? ns : undefined, name, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    },
    async watchPods(ns, onEvent) {
      const w = await registry.watch('pods', ns, { resourceVersion: '0' }, (ev) => onEvent(ev));
      return () => w.stop();
    },
    async warnings(ns, name) {
      const { items } = await registry.list('events', ns, {
        fieldSelector: `involvedObject.name=${name},type=Warning`,
      });
      return warningLines(items);
    },
    async events(ns, name) {
      return (await registry.list('events', ns, { fieldSelector: `involvedObject.name=${name}` })).items;
    },
    async logTail(ns, name, container, tailLines, previous = false) {
      const pod = (await registry.find('pods', ns, name)) as Pod | undefined;
      if (!pod) return '';
      let text = '';
      try {
        await podrun.logs.containerLogs(
          pod,
          { container, tailLines, previous },
          (c: string) => {
            text += c;
          },
          AbortSignal.timeout(5000),
        );
      } catch {
        // No log yet (the container never started): the caller reports the waiting reason instead.
      }
      return text;
    },
    async pullsInProgress() {
      return podrun.runtime.pullsInProgress();
    },
    async close({ stopPods }) {
      if (stopPods) await podrun.shutdown();
      else await podrun.close();
    },
  };
}
