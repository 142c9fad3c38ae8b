// The kubelet's side of pods/portforward: the pod's ready sandbox, and the runtime's PortForward into it,
// with the kubelet's error words (pkg/kubelet/cri/streaming/portforward/httpstream.go), which kubectl shows
// as `an error occurred forwarding 8080 -> 9090: error forwarding port 9090 to pod …`.
import type { Duplex } from 'node:stream';
import type { Pod } from '../api/types.js';
import { LABEL_POD_UID, type PortForwardReader, type RuntimeService } from '../runtime/types.js';

export interface PodPortDialer {
  /**
   * A connection to `port` on the pod's localhost; rejects with the message to put on the error stream. What
   * the pod sends goes to `onData`, not to 'data' events (see RuntimeService.portForward).
   */
  dial(pod: Pod, port: number, onData: PortForwardReader): Promise<Duplex>;
}

export function runtimePortDialer(runtime: RuntimeService): PodPortDialer {
  return {
    async dial(pod, port, onData) {
      const uid = pod.metadata?.uid ?? '';
      const name = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      if (!runtime.portForward) throw new Error(`the ${runtime.name} runtime cannot forward ports into pods`);
      const sandboxes = await runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: uid } });
      const ready = sandboxes.filter((s) => s.state === 'ready').at(-1);
      // The streaming server is reached with the sandbox's id, as the kubelet's GetPortForward asks the CRI.
      if (!ready) throw new Error(`pod ${name} has no running sandbox on this node (uid ${uid})`);
      try {
        return await runtime.portForward(ready.id, port, onData);
      } catch (e) {
        throw new Error(`error forwarding port ${port} to pod ${ready.id}, uid : ${(e as Error).message}`);
      }
    },
  };
}
