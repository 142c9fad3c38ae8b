// Renderings of a Timeline: a text Gantt chart fitted to a width, Chrome trace-event JSON (Perfetto,
// chrome://tracing) and a standalone SVG. Pure.
import type { Phase, PhaseKind, Timeline } from './phases.js';

/** `0s`, `450ms`, `1.2s`, `12s`, `1m05s`: short enough for a column, precise where the data is. */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const FILL: Record<PhaseKind, string> = {
  scheduling: '█',
  sandbox: '█',
  pull: '█',
  run: '█',
  runs: '▒',
  backoff: '░',
  probe: '░',
  marker: '◆',
};

function bar(p: Phase, t: Timeline, width: number): string {
  const total = Math.max(1, t.end - t.origin);
  const from = Math.min(width - 1, Math.floor(((p.start - t.origin) / total) * width));
  if (p.kind === 'marker') return `${' '.repeat(from)}◆`.padEnd(width);
  const to = Math.max(from + 1, Math.min(width, Math.ceil(((p.end - t.origin) / total) * width)));
  const fill = p.failed ? '▓' : FILL[p.kind];
  return `${' '.repeat(from)}${fill.repeat(to - from)}${' '.repeat(width - to)}`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * ```
 * LANE          PHASE           START   TOOK  |0s                     12s|
 * pod           scheduling         0s   12ms  |█                         |
 * ```
 * `width`: the terminal's columns; the bar takes what the columns of text leave (at least 10).
 */
export function renderText(t: Timeline, width = 80): string {
  const lanes = t.phases.map((p) => p.lane);
  let laneW = Math.min(24, Math.max(4, ...lanes.map((l) => l.length)));
  let nameW = Math.min(28, Math.max(5, ...t.phases.map((p) => p.name.length + (p.open ? 2 : 0))));
  // Separators, START and TOOK, the bar's borders; the bar keeps at least 10 columns, names give way first.
  const numbers = 2 + 2 + 6 + 2 + 6 + 2 + 2;
  const over = laneW + nameW + numbers + 10 - width;
  if (over > 0) {
    const fromName = Math.min(over, nameW - 8);
    nameW -= Math.max(0, fromName);
    laneW = Math.max(6, laneW - (over - Math.max(0, fromName)));
  }
  const barW = Math.max(10, width - laneW - nameW - numbers);
  const total = t.end - t.origin;
  const head = `pod ${t.namespace}/${t.pod}: created ${new Date(t.origin).toISOString()}, ${span(total)} shown`;
  const axis = `0s${span(total).padStart(barW - 2)}`;
  const lines = [
    head,
    `${'LANE'.padEnd(laneW)}  ${'PHASE'.padEnd(nameW)}  ${'START'.padStart(6)}  ${'TOOK'.padStart(6)}  |${axis}|`,
  ];
  for (const p of t.phases) {
    const name = p.open ? `${p.name} …` : p.name;
    const took =
      p.kind === 'marker' ? '' : p.coarse && p.end - p.start < 1000 ? '<1s' : span(p.end - p.start);
    lines.push(
      `${cut(p.lane, laneW)}  ${cut(name, nameW)}  ${span(p.start - t.origin).padStart(6)}  ${took.padStart(6)}  |${bar(p, t, barW)}|`,
    );
  }
  lines.push('█ work  ▓ failed run  ░ waiting (back-off, probes)  ▒ earlier runs  ◆ moment  … still going');
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/**
 * Chrome's trace-event format (the JSON object form): one complete event (`ph: 'X'`, `ts`/`dur` in µs since
 * the pod's creation) per phase, a thread per lane (named by `thread_name` metadata), the pod as the process.
 */
export function renderTrace(t: Timeline): string {
  const tid = (lane: string) => t.lanes.indexOf(lane) + 1;
  const us = (ms: number) => Math.round(ms * 1000);
  const events: Record<string, unknown>[] = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: `pod ${t.namespace}/${t.pod}` } },
    ...t.lanes.map((lane) => ({
      name: 'thread_name',
      ph: 'M',
      pid: 1,
      tid: tid(lane),
      args: { name: lane },
    })),
    ...t.lanes.map((lane) => ({
      name: 'thread_sort_index',
      ph: 'M',
      pid: 1,
      tid: tid(lane),
      args: { sort_index: tid(lane) },
    })),
    ...t.phases.map((p) => ({
      name: p.name,
      cat: p.kind,
      ph: 'X',
      ts: us(p.start - t.origin),
      dur: us(p.end - p.start),
      pid: 1,
      tid: tid(p.lane),
      args: {
        lane: p.lane,
        start: new Date(p.start).toISOString(),
        ...(p.open ? { stillGoing: true } : {}),
        ...(p.failed ? { failed: true } : {}),
      },
    })),
  ];
  return `${JSON.stringify(
    {
      traceEvents: events,
      displayTimeUnit: 'ms',
      otherData: { pod: `${t.namespace}/${t.pod}`, created: new Date(t.origin).toISOString() },
    },
    null,
    1,
  )}\n`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLOUR: Record<PhaseKind, string> = {
  scheduling: '#8e8e8e',
  sandbox: '#6b7fa8',
  pull: '#3b82c4',
  run: '#2e9e5b',
  runs: '#b5a642',
  backoff: '#e0b04a',
  probe: '#c9a0dc',
  marker: '#333333',
};

/** A chart for a README or a bug report: a row per phase, labels on the left, a time axis on top. */
export function renderSvg(t: Timeline): string {
  const labelW = 300;
  const chartW = 600;
  const rowH = 20;
  const top = 40;
  const width = labelW + chartW + 20;
  const height = top + t.phases.length * rowH + 20;
  const total = Math.max(1, t.end - t.origin);
  const x = (ms: number) => labelW + ((ms - t.origin) / total) * chartW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    `<title>${esc(`startup of pod ${t.namespace}/${t.pod}`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="16" font-weight="bold">${esc(`pod ${t.namespace}/${t.pod}: ${span(total)} from creation`)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const at = t.origin + (total * i) / 4;
    out.push(
      `<line x1="${x(at).toFixed(1)}" y1="${top - 10}" x2="${x(at).toFixed(1)}" y2="${height - 16}" stroke="#dddddd"/>`,
      `<text x="${x(at).toFixed(1)}" y="${top - 14}" text-anchor="middle" fill="#555555">${esc(span(at - t.origin))}</text>`,
    );
  }
  t.phases.forEach((p, i) => {
    const y = top + i * rowH;
    out.push(`<text x="8" y="${y + 14}">${esc(`${p.lane}  ${p.name}${p.open ? ' …' : ''}`)}</text>`);
    if (p.kind === 'marker') {
      const cx = x(p.start);
      out.push(
        `<path d="M${cx.toFixed(1)} ${y + 3} l6 7 l-6 7 l-6 -7 z" fill="${COLOUR.marker}"><title>${esc(`${p.name} at ${span(p.start - t.origin)}`)}</title></path>`,
      );
      return;
    }
    const w = Math.max(1, x(p.end) - x(p.start));
    out.push(
      `<rect x="${x(p.start).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${p.failed ? '#d64545' : COLOUR[p.kind]}"><title>${esc(`${p.lane} ${p.name}: ${span(p.start - t.origin)} + ${span(p.end - p.start)}`)}</title></rect>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
