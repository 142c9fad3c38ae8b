// The controllers' client over the API server's registry: the same defaulting, validation, resourceVersion
// checks and watch semantics that kubectl gets, without HTTP.

import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import type { ControllerClient } from '../controllers/client.js';

// The field manager of the controllers' writes: upstream's controllers write as kube-controller-manager (the
// prefix of their User-Agent).
const CONTROLLER_MANAGER = 'kube-controller-manager';
const CONTROLLER_WRITE = { fieldValidation: 'Strict', fieldManager: CONTROLLER_MANAGER } as const;

export function registryControllerClient(registry: Registry): ControllerClient {
  return {
    list: (r, ns) => registry.list(r, ns),
    watch(r, resourceVersion, onEvent, onError) {
      let stopped = false;
      let stop: (() => void) | undefined;
      registry
        // Informers hand their cache's objects to the controllers, which copy what they change (client-go's
        // rule): the store's frozen objects, not a copy per watch per event.
        .watch(r, undefined, { resourceVersion, shared: true }, (ev) => {
          if (!stopped) onEvent(ev.type, ev.object);
        })
        .then(
          (w) => {
            if (stopped) w.stop();
            else stop = () => w.stop();
          },
          (err: unknown) => {
            if (!stopped) onError(err);
          },
        );
      return () => {
        stopped = true;
        stop?.();
      };
    },
    create: (r, ns, obj) => registry.create(r, ns, obj, CONTROLLER_WRITE),
    update: (r, ns, obj) => registry.update(r, ns, obj.metadata.name ?? '', obj, CONTROLLER_WRITE),
    updateStatus: (r, ns, obj) =>
      registry.updateStatus(r, ns, obj.metadata.name ?? '', obj, { fieldManager: CONTROLLER_MANAGER }),
    async delete(r, ns, name) {
      try {
        await registry.delete(r, ns, name, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    },
  };
}
