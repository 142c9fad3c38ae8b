// The live board as lines of text, each cut to the terminal's width (never wrapped: a wrapped line would move
// every line below it and the in-place redraw would leave debris), coloured only when asked:
//
//   NAME                     STATUS                 TIME  RESTARTS
//   fails-init               Init:CrashLoopBackOff   21s         2
//   ├─ init/migrate          CrashLoopBackOff        <1s         2  exit 3, retry in 7s
//   │    db unreachable: connection refused
//   └─ app                   PodInitializing
//
// Pure: model in, strings out.
import { formatDuration } from '../options.js';
import type { BoardModel, ContainerRow, PodRow, Tone } from './model.js';
import { pullNote } from './model.js';

interface Segment {
  text: string;
  style?: Tone | 'head' | 'dim';
}

export interface RenderOptions {
  /** Terminal columns; every line is cut to one less, so that no line ever reaches the last column. */
  columns: number;
  /** Terminal rows: the board keeps to one less, so it can always be redrawn in place. */
  rows?: number;
  color: boolean;
  /** The first line: what `up` is doing (`podrun up · 12.4s · 1/2 pods ready`). */
  title: string;
}

const SGR: Record<NonNullable<Segment['style']>, string> = {
  good: '32',
  bad: '31',
  busy: '33',
  idle: '2',
  dim: '2',
  head: '1',
};

/** `<1s`, `4s`, `1m30s`: the TIME column. */
export function shortDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? '<1s' : formatDuration(Math.floor(ms / 1000) * 1000);
}

/** Cuts segments to `width` characters, the last one a `…` when anything was cut. */
export function fitSegments(segments: Segment[], width: number): Segment[] {
  const total = segments.reduce((n, s) => n + [...s.text].length, 0);
  if (total <= width) return segments;
  const out: Segment[] = [];
  let room = Math.max(0, width - 1);
  for (const s of segments) {
    if (room <= 0) break;
    const chars = [...s.text];
    out.push({ ...s, text: chars.slice(0, room).join('') });
    room -= Math.min(room, chars.length);
  }
  if (width > 0) out.push({ text: '…' });
  return out;
}

function paint(segments: Segment[], color: boolean): string {
  // Trailing blanks (padding of a last cell) are dropped before colouring, so coloured and plain lines end alike.
  const trimmed = segments.map((s) => ({ ...s }));
  while (trimmed.length > 0) {
    const last = trimmed[trimmed.length - 1]!;
    last.text = last.text.replace(/ +$/, '');
    if (last.text !== '') break;
    trimmed.pop();
  }
  return trimmed
    .map((s) => (color && s.style && s.text ? `\x1b[${SGR[s.style]}m${s.text}\x1b[0m` : s.text))
    .join('');
}

function podLabel(p: PodRow): string {
  return p.namespace === 'default' ? p.name : `${p.namespace}/${p.name}`;
}

function containerLabel(c: ContainerRow): string {
  return c.kind === 'app' ? c.name : `${c.kind}/${c.name}`;
}

export function renderBoard(model: BoardModel, options: RenderOptions): string[] {
  const nameWidth = Math.max(
    4,
    ...model.pods.map((p) => podLabel(p).length),
    ...model.pods.flatMap((p) => p.containers.map((c) => 3 + containerLabel(c).length)),
  );
  const stateWidth = Math.max(
    6,
    ...model.pods.flatMap((p) => [p.status.length, ...p.containers.map((c) => c.state.length)]),
  );
  const lines: Segment[][] = [[{ text: options.title, style: 'head' }]];
  lines.push([
    {
      text: `${'NAME'.padEnd(nameWidth)}  ${'STATUS'.padEnd(stateWidth)}  ${'TIME'.padStart(5)}  RESTARTS`,
      style: 'dim',
    },
  ]);
  const columns = (time: string, restarts: string) => ` ${time.padStart(6)}  ${restarts.padStart(8)}`;
  for (const p of model.pods) {
    lines.push([
      { text: `${podLabel(p).padEnd(nameWidth)}  ` },
      { text: p.status.padEnd(stateWidth), style: p.tone },
      { text: `${columns(shortDuration(p.elapsedMs), String(p.restarts))}  ` },
      { text: `ready ${p.ready}`, style: p.tone === 'good' ? 'good' : 'dim' },
    ]);
    p.containers.forEach((c, i) => {
      const last = i === p.containers.length - 1;
      const line: Segment[] = [
        { text: last ? '└─ ' : '├─ ', style: 'dim' },
        { text: `${containerLabel(c).padEnd(nameWidth - 3)}  ` },
        { text: c.state.padEnd(stateWidth), style: c.tone },
        {
          text: columns(
            shortDuration(c.ranMs),
            c.ranMs !== undefined || c.restarts > 0 ? String(c.restarts) : '',
          ),
        },
      ];
      c.notes.forEach((n, j) => {
        line.push({ text: j === 0 ? '  ' : ', ' }, { text: n.text, style: n.tone });
      });
      lines.push(line);
      for (const l of c.logTail) lines.push([{ text: last ? '     ' : '│    ', style: 'dim' }, { text: l }]);
    });
  }
  for (const pull of model.otherPulls) lines.push([{ text: pullNote(pull), style: 'busy' }]);
  const rows = options.rows ?? Number.POSITIVE_INFINITY;
  if (lines.length > rows - 1 && rows > 2) {
    const hidden = lines.length - (rows - 2);
    lines.length = rows - 2;
    lines.push([{ text: `… ${hidden} more line(s): make the terminal taller to see them`, style: 'dim' }]);
  }
  const width = Math.max(1, options.columns - 1);
  return lines.map((l) => paint(fitSegments(l, width), options.color));
}

/** What is left of a painted line once its colours are taken out (for tests and the plain summary). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
