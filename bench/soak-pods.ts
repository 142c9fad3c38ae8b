// The soak benchmark's pods: three kinds, in turn, whose containers keep exiting and being restarted, so that
// every path a long-running podrun takes per restart (start, exit, status, events, logs, cgroups, backoff)
// runs thousands of times. Each container exits after a time that differs per run: the host's uptime in
// seconds when it starts picks it (dash has no $RANDOM, and the shell is PID 1 of its own PID namespace).
import type { KubeObjectLike } from './lib/kube-client.js';

export const SOAK_GRACE_SECONDS = 2;

/** Sets `r` to the host's uptime in whole seconds (read by the shell itself, no process). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template.
const PICK = 'read up rest < /proc/uptime; r=${up%.*}';
/** 1 + plus to n + plus seconds, picked by `r`. */
const seconds = (n: number, plus = 0) => `$(( r % ${n} + ${1 + plus} ))`;

/** What each kind of pod does, for the report. */
export const SOAK_POD_KINDS = [
  '`crasher` (restartPolicy Always): one container with a memory limit (so it has a cgroup) that prints a line, sleeps 1–4 s and exits 0 or 1',
  '`sidecar`: two init containers (`true`, `sleep 0.2`), a native sidecar that runs 10–29 s and exits 0, and an app that sleeps 2–6 s and exits 1',
  '`onfailure` (restartPolicy OnFailure): an app that sleeps 1–5 s and exits 1, next to a steady container that prints a line every 30 s',
] as const;

export type SoakPodKind = 'crasher' | 'sidecar' | 'onfailure';

export function soakPodKind(i: number): SoakPodKind {
  return (['crasher', 'sidecar', 'onfailure'] as const)[i % 3]!;
}

/** Pod `i`; every process carries PODRUN_BENCH=<marker> and `: <marker>` in its command line, to be found later. */
export function soakPod(namespace: string, i: number, marker: string): KubeObjectLike {
  const kind = soakPodKind(i);
  const name = `soak-${kind}-${String(i).padStart(4, '0')}`;
  const env = [{ name: 'PODRUN_BENCH', value: marker }];
  const image = 'busybox:1.36';
  const sh = (script: string) => ['sh', '-c', `: ${marker}; ${PICK}; ${script}`];
  const base = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'soak', kind } },
  };
  if (kind === 'crasher') {
    return {
      ...base,
      spec: {
        terminationGracePeriodSeconds: SOAK_GRACE_SECONDS,
        restartPolicy: 'Always',
        containers: [
          {
            name: 'app',
            image,
            env,
            command: sh(`echo run $r; sleep ${seconds(4)}; exit $(( r % 2 ))`),
            // A memory limit only: a CPU limit is also a request, and 1,000 pods' requests must fit 2 CPUs.
            resources: { limits: { memory: '32Mi' } },
          },
        ],
      },
    };
  }
  if (kind === 'sidecar') {
    return {
      ...base,
      spec: {
        terminationGracePeriodSeconds: SOAK_GRACE_SECONDS,
        initContainers: [
          { name: 'first', image, env, command: ['true'] },
          { name: 'second', image, env, command: sh('sleep 0.2') },
          {
            name: 'side',
            image,
            env,
            restartPolicy: 'Always',
            command: sh(`trap "exit 0" TERM; echo side $r; sleep ${seconds(20, 9)}; exit 0`),
          },
        ],
        containers: [
          {
            name: 'app',
            image,
            env,
            command: sh(`echo app $r; sleep ${seconds(5, 1)}; exit 1`),
          },
        ],
      },
    };
  }
  return {
    ...base,
    spec: {
      terminationGracePeriodSeconds: SOAK_GRACE_SECONDS,
      restartPolicy: 'OnFailure',
      containers: [
        { name: 'app', image, env, command: sh(`echo app $r; sleep ${seconds(5)}; exit 1`) },
        {
          name: 'steady',
          image,
          env,
          command: sh('trap "exit 0" TERM; while :; do echo tick; sleep 30 & wait $!; done'),
        },
      ],
    },
  };
}
