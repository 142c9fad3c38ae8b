// A small seeded generator for fuzzing (fast-check is not a dependency): random JSON values, mutations of
// valid objects, random patches of every type and byte-level mutations of YAML text. Every case is a pure
// function of (seed, case number), so a failure names both and reproduces with
// PODRUN_FUZZ_SEED=<seed> (PODRUN_FUZZ_RUNS scales the number of cases).

export interface Rng {
  /** In [0, 1). */
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: tiny, fast and good enough to spread cases. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

/** The seed for a run: fixed unless PODRUN_FUZZ_SEED says otherwise. */
export function fuzzSeed(fallback: number): number {
  const env = process.env.PODRUN_FUZZ_SEED;
  return env && /^\d+$/.test(env) ? Number(env) : fallback;
}

/** `n` scaled by PODRUN_FUZZ_RUNS (a factor, default 1). */
export function fuzzRuns(n: number): number {
  const f = Number(process.env.PODRUN_FUZZ_RUNS ?? '1');
  return Math.max(1, Math.round(n * (Number.isFinite(f) && f > 0 ? f : 1)));
}

/** Keys that have tripped JavaScript code before: prototype members, JSON pointer escapes, empty. */
export const NASTY_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  '~',
  '~0',
  '~1',
  'a/b',
  '$patch',
  '$retainKeys',
  '$setElementOrder/containers',
  '$deleteFromPrimitiveList/finalizers',
  'name',
  'metadata',
  'spec',
  'containers',
  'ports',
  'env',
  'labels',
  'data',
  'key.with.dots',
  'é',
  '\u0000',
];

const NASTY_STRINGS = [
  '',
  ' ',
  'a',
  'busybox',
  '-',
  '0',
  '1e309',
  'true',
  'null',
  '\u0000',
  '\ud800',
  '💥',
  'é'.repeat(40),
  'x'.repeat(300),
  '../../etc/passwd',
  '%zz',
  '$(VAR)',
  '*',
  '100Mi',
  '0.5',
  '-1',
  'Always',
  'TCP',
  'ClusterIP',
  'merge',
  'replace',
  'delete',
  '2024-01-01T00:00:00Z',
];

const NASTY_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  65535,
  65536,
  2 ** 31,
  2 ** 53 + 1,
  -(2 ** 63),
  1e308,
  1e-300,
  3.14,
];

export function randomString(r: Rng): string {
  if (r.chance(0.6)) return r.pick(NASTY_STRINGS);
  const len = r.int(12);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(r.chance(0.9) ? 0x20 + r.int(95) : r.int(0x3000));
  return s;
}

export function randomKey(r: Rng): string {
  return r.chance(0.5) ? r.pick(NASTY_KEYS) : randomString(r);
}

/** A random JSON value at most `depth` levels deep. */
export function randomJson(r: Rng, depth = 3): unknown {
  const roll = r.int(depth > 0 ? 8 : 5);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick(NASTY_NUMBERS);
    case 3:
    case 4:
      return randomString(r);
    case 5:
    case 6: {
      const out: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) setOwn(out, randomKey(r), randomJson(r, depth - 1));
      return out;
    }
    default:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth - 1));
  }
}

function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

type Container = Record<string, unknown> | unknown[];

/** Every container (object or array) in `value` with the path to it, iteratively. */
function containers(value: unknown): Array<{ node: Container; path: string[] }> {
  const out: Array<{ node: Container; path: string[] }> = [];
  const stack: Array<{ node: unknown; path: string[] }> = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    out.push({ node: node as Container, path });
    for (const [k, v] of Object.entries(node)) stack.push({ node: v, path: [...path, k] });
  }
  return out;
}

/** A deep copy of `value` with one to three random changes. */
export function mutate(r: Rng, value: unknown): unknown {
  const copy = structuredCopy(value);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const all = containers(copy);
    if (all.length === 0) return randomJson(r);
    const { node } = r.pick(all);
    const keys = Object.keys(node);
    const key =
      keys.length > 0 && r.chance(0.7)
        ? r.pick(keys)
        : Array.isArray(node)
          ? String(node.length)
          : randomKey(r);
    // Own properties only: `node['__proto__']` would otherwise hand Object.prototype to the mutations.
    const current = Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    switch (r.int(7)) {
      case 0:
        if (Array.isArray(node)) node.splice(Number(key), 1);
        else delete (node as Record<string, unknown>)[key];
        break;
      case 1:
        put(node, key, randomJson(r, 2));
        break;
      case 2:
        // The same value in another type: a string where a number was, an array where an object was.
        put(
          node,
          key,
          typeof current === 'string'
            ? Number(current) || 7
            : typeof current === 'object'
              ? [current]
              : String(current),
        );
        break;
      case 3:
        put(node, key, null);
        break;
      case 4:
        if (Array.isArray(node) && node.length > 0) node.push(structuredCopy(r.pick(node)));
        else put(node, randomKey(r), randomJson(r, 2));
        break;
      case 5:
        put(node, key, randomString(r));
        break;
      default:
        put(node, key, r.pick(NASTY_NUMBERS));
        break;
    }
  }
  return copy;
}

function put(node: Container, key: string, v: unknown): void {
  if (Array.isArray(node)) {
    const i = Number(key);
    if (Number.isInteger(i) && i >= 0 && i <= node.length) node[i] = v;
    else node.push(v);
  } else {
    setOwn(node, key, v);
  }
}

/** JSON round trip that keeps `__proto__` keys (JSON.parse makes them own properties). */
export function structuredCopy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** A JSON pointer into `value`: usually to something there, sometimes one level past, sometimes nonsense. */
export function randomPointer(r: Rng, value: unknown): string {
  const all = containers(value);
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  if (all.length === 0 || r.chance(0.1))
    return r.pick(['', '/', '/-', 'no-slash', '/~2', '/a~', `/${randomKey(r)}`]);
  const { node, path } = r.pick(all);
  const keys = Object.keys(node);
  const last =
    keys.length > 0 && r.chance(0.6)
      ? r.pick(keys)
      : Array.isArray(node)
        ? r.pick(['-', '0', '99', '-1', '01'])
        : randomKey(r);
  return `/${[...path, last].map(esc).join('/')}`;
}

/** A JSON patch (RFC 6902) of a few operations against `target`, valid or not. */
export function randomJsonPatch(r: Rng, target: unknown): unknown {
  if (r.chance(0.05)) return randomJson(r, 2);
  return Array.from({ length: 1 + r.int(4) }, () => {
    const op = r.pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus']);
    const out: Record<string, unknown> = { op, path: randomPointer(r, target) };
    if (op === 'move' || op === 'copy' || r.chance(0.05)) out.from = randomPointer(r, target);
    if (['add', 'replace', 'test'].includes(op) || r.chance(0.05)) out.value = randomJson(r, 2);
    if (r.chance(0.05)) delete out.path;
    return out;
  });
}

/** A merge or strategic merge patch: a mutated copy of part of `target`, with directives sometimes. */
export function randomMergePatch(r: Rng, target: unknown, strategic: boolean): unknown {
  if (r.chance(0.05)) return randomJson(r, 2);
  const patch = mutate(r, target) as Record<string, unknown>;
  if (typeof patch !== 'object' || patch === null) return patch;
  if (strategic && r.chance(0.5)) {
    const all = containers(patch).filter((c) => !Array.isArray(c.node));
    const { node } = r.pick(all.length > 0 ? all : [{ node: patch as Container, path: [] }]);
    const directive = r.pick([
      ['$patch', r.pick(['replace', 'delete', 'merge', 'bogus'])],
      ['$retainKeys', r.chance(0.7) ? Object.keys(node) : randomJson(r, 1)],
      [
        `$setElementOrder/${r.pick(['containers', 'ports', 'env', 'volumes', 'finalizers', 'x'])}`,
        randomJson(r, 2),
      ],
      [`$deleteFromPrimitiveList/${r.pick(['finalizers', 'args', 'x'])}`, randomJson(r, 1)],
    ] as const);
    put(node, directive[0], directive[1]);
  }
  return patch;
}

/** YAML text with one to three byte-level changes: characters that mean something to YAML, spans cut or doubled. */
export function mutateText(r: Rng, text: string): string {
  let s = text;
  const TOKENS = [
    '[',
    ']',
    '{',
    '}',
    '- ',
    ': ',
    '&a ',
    '*a',
    '!!binary ',
    '---\n',
    '\t',
    '\u0000',
    '\ufeff',
    '"',
    "'",
    '#',
    '|',
    '>',
    '? ',
    '<<: *a\n',
    '%YAML 1.1\n',
    '\n  ',
    '\\',
  ];
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(s.length + 1);
    switch (r.int(4)) {
      case 0:
        s = s.slice(0, at) + r.pick(TOKENS) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + r.int(20));
        break;
      case 2: {
        const span = s.slice(at, at + r.int(80));
        s = s.slice(0, at) + span + span + s.slice(at);
        break;
      }
      default:
        s = s.slice(0, at) + String.fromCharCode(r.int(0x80)) + s.slice(at + 1);
        break;
    }
  }
  return s;
}
