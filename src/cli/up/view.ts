// What `podrun up` shows while it follows the pods: the live board on a terminal, or (no terminal, CI set, or
// --output plain) one timestamped line per change, in causal order. Either way, `--logs` lines and the
// command's own messages go through here, so that nothing written beside the board breaks its redraw.
import type { KubeObject, Pod } from '../../api/types.js';
import { podStatusReason } from '../../printers/index.js';
import type { PullProgress } from '../../runtime/types.js';
import { LiveBoard } from '../board/live.js';
import type { UpClient } from '../client/types.js';
import { type LiveOutput, liveOutput } from '../progress/live.js';
import { formatTransition, podTransitions, subjectsOf } from '../progress/transitions.js';

export interface UpView {
  readonly board: boolean;
  /** A pod as the watch saw it (`before`: the last sight, undefined the first time). */
  pod(before: Pod | undefined, after: Pod): void;
  deleted(pod: Pod): void;
  /** Whole log lines (`--logs`). */
  log(text: string): void;
  /** A message of the command itself (`stopping pods…`): stderr, or above the board. */
  note(text: string): void;
  /** Where the pull follower writes (the board shows pulls in its rows instead). */
  readonly pulls: LiveOutput;
  /** Ends the view; the board stays on the terminal as the summary with this title. */
  close(title: string): void;
}

export interface ViewOptions {
  plain: boolean;
  color: boolean;
  applied: KubeObject[];
  started: number;
  pods: () => Pod[];
  pullsNow: () => PullProgress[];
  client: UpClient;
  title: (now: number) => string;
}

/** `plain`: `--output plain`, `CI` set, or stdout not a terminal. */
export function plainOutput(output: string, env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean }): boolean {
  return output === 'plain' || !!env.CI || !stdout.isTTY;
}

/** Colour only on a terminal, and never with NO_COLOR set and not empty (no-color.org: an empty one is unset). */
export function useColor(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean }): boolean {
  return !!stdout.isTTY && !env.NO_COLOR;
}

export function upView(o: ViewOptions): UpView {
  const elapsed = () => `${((Date.now() - o.started) / 1000).toFixed(1).padStart(6)}s`;
  if (o.plain) {
    const out = liveOutput(process.stdout, { plain: true });
    const widths = columnWidths(o.applied);
    return {
      board: false,
      pod(before, after) {
        for (const t of podTransitions(before, after)) {
          widths.pod = Math.max(widths.pod, t.pod.length);
          widths.subject = Math.max(widths.subject, t.subject.length);
          out.line(`${elapsed()}  ${formatTransition(t, widths)}`);
        }
      },
      deleted(pod) {
        // From the status it ended with: a pod that finished before its deletion was Completed, not Terminating.
        const from = podStatusReason(pod);
        const t = { pod: pod.metadata?.name ?? '', subject: 'pod', from, to: 'deleted' };
        out.line(`${elapsed()}  ${formatTransition(t, widths)}`);
      },
      log: (text) => process.stdout.write(text),
      note: (text) => process.stderr.write(`${text}\n`),
      pulls: out,
      close: () => {},
    };
  }
  const board = new LiveBoard(
    process.stdout,
    {
      pods: o.pods,
      pulls: o.pullsNow,
      logTail: (ns, pod, container) => o.client.logTail(ns, pod, container, 3),
    },
    { color: o.color, title: o.title },
  );
  let closed = false;
  return {
    board: true,
    pod: () => board.update(),
    deleted: () => board.update(),
    log: (text) => (closed ? process.stdout.write(text) : board.log(text)),
    note: (text) => (closed ? process.stderr.write(`${text}\n`) : board.log(`${text}\n`)),
    // The board reads the pulls itself; the follower only keeps them current.
    pulls: { live: true, line: () => {}, status: () => board.update() },
    close(title) {
      closed = true;
      board.close(title);
    },
  };
}

/** Column widths from what was applied, so lines line up from the first one (generated names add 17). */
function columnWidths(applied: KubeObject[]): { pod: number; subject: number } {
  const widths = { pod: 3, subject: 3 };
  for (const o of applied) {
    const spec = (
      o.kind === 'Pod' ? o.spec : (o.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec
    ) as Pod['spec'];
    if (!spec) continue;
    const generated = o.kind === 'Deployment' ? 17 : o.kind === 'Pod' ? 0 : 6;
    widths.pod = Math.max(widths.pod, (o.metadata.name ?? '').length + generated);
    for (const s of subjectsOf(spec)) widths.subject = Math.max(widths.subject, s.length);
  }
  return widths;
}
