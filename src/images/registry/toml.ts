// The TOML subset registries.conf uses: comments, `key = value` (basic and literal strings, booleans,
// integers, arrays, inline tables), `[table]` and `[[array.of.tables]]` headers with dotted names. Errors
// name the line. Written here rather than taken from npm to keep the pull path free of dependencies.

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {}

/**
 * A table without a prototype: keys are the file's (`[__proto__]` or `constructor = 1` are plain keys, and
 * neither reads nor writes reach Object.prototype).
 */
function newTable(): TomlTable {
  return Object.create(null) as TomlTable;
}

export function parseToml(text: string, source = 'TOML'): TomlTable {
  const root = newTable();
  let current = root;
  const p = new Parser(text, source);
  while (p.skipBlank()) {
    const line = p.line;
    if (p.peek('[[')) {
      p.pos += 2;
      const path = p.keyPath();
      p.expect(']]');
      const parent = walk(root, path.slice(0, -1), p, line);
      const last = path[path.length - 1] ?? '';
      const arr = parent[last] ?? [];
      if (!Array.isArray(arr)) p.fail(`${path.join('.')} is not an array of tables`, line);
      const table = newTable();
      (arr as TomlValue[]).push(table);
      parent[last] = arr;
      current = table;
    } else if (p.peek('[')) {
      p.pos += 1;
      const path = p.keyPath();
      p.expect(']');
      current = walk(root, path, p, line);
    } else {
      const path = p.keyPath();
      p.expect('=');
      const value = p.value();
      const parent = walk(current, path.slice(0, -1), p, line);
      const last = path[path.length - 1] ?? '';
      if (last in parent) p.fail(`key ${path.join('.')} is defined twice`, line);
      parent[last] = value;
    }
    p.endOfLine();
  }
  return root;
}

/** Descends (creating tables); an array of tables descends into its last element, as TOML says. */
function walk(from: TomlTable, path: string[], p: Parser, line: number): TomlTable {
  let t = from;
  for (const k of path) {
    let next = t[k];
    if (next === undefined) {
      next = newTable();
      t[k] = next;
    }
    if (Array.isArray(next)) next = next[next.length - 1] as TomlValue;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) p.fail(`${k} is not a table`, line);
    t = next as TomlTable;
  }
  return t;
}

class Parser {
  pos = 0;
  constructor(
    private readonly s: string,
    private readonly source: string,
  ) {}

  get line(): number {
    return this.s.slice(0, this.pos).split('\n').length;
  }

  fail(msg: string, line = this.line): never {
    throw new TomlError(`${this.source}: line ${line}: ${msg}`);
  }

  peek(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }

  expect(t: string): void {
    this.ws();
    if (!this.peek(t)) this.fail(`expected ${JSON.stringify(t)}`);
    this.pos += t.length;
  }

  ws(): void {
    while (this.pos < this.s.length && (this.s[this.pos] === ' ' || this.s[this.pos] === '\t')) this.pos++;
  }

  /** Skips blank lines and comments; false at the end of input. */
  skipBlank(): boolean {
    for (;;) {
      this.ws();
      const c = this.s[this.pos];
      if (c === undefined) return false;
      if (c === '#') while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
      else if (c === '\n' || c === '\r') this.pos++;
      else return true;
    }
  }

  /** Whitespace, newlines and comments inside arrays. */
  skipAll(): void {
    this.skipBlank();
  }

  endOfLine(): void {
    this.ws();
    if (this.peek('#')) while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
    if (this.peek('\r')) this.pos++;
    if (this.pos < this.s.length && !this.peek('\n')) this.fail('expected the end of the line');
  }

  keyPath(): string[] {
    const out: string[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.pos];
      if (c === '"' || c === "'") out.push(this.string());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.pos));
        if (!m) this.fail('expected a key');
        out.push(m[0]);
        this.pos += m[0].length;
      }
      this.ws();
      if (!this.peek('.')) return out;
      this.pos++;
    }
  }

  string(): string {
    const q = this.s[this.pos];
    if (this.s.startsWith(q === '"' ? '"""' : "'''", this.pos))
      this.fail('multi-line strings are not supported here');
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === q) return out;
      if (c === '\\' && q === '"') {
        const e = this.s[this.pos++];
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          '"': '"',
          '\\': '\\',
          b: '\b',
          f: '\f',
        };
        if (e !== undefined && simple[e] !== undefined) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          out += String.fromCodePoint(Number.parseInt(this.s.slice(this.pos, this.pos + n), 16));
          this.pos += n;
        } else this.fail(`invalid escape \\${e ?? ''}`);
      } else out += c;
    }
  }

  value(): TomlValue {
    this.ws();
    const c = this.s[this.pos];
    if (c === '"' || c === "'") return this.string();
    if (c === '[') {
      this.pos++;
      const arr: TomlValue[] = [];
      for (;;) {
        this.skipAll();
        if (this.peek(']')) {
          this.pos++;
          return arr;
        }
        arr.push(this.value());
        this.skipAll();
        if (this.peek(',')) this.pos++;
        else if (!this.peek(']')) this.fail('expected , or ] in an array');
      }
    }
    if (c === '{') {
      this.pos++;
      const t = newTable();
      this.ws();
      if (this.peek('}')) {
        this.pos++;
        return t;
      }
      for (;;) {
        const path = this.keyPath();
        this.expect('=');
        const v = this.value();
        const parent = walk(t, path.slice(0, -1), this, this.line);
        parent[path[path.length - 1] ?? ''] = v;
        this.ws();
        if (this.peek(',')) this.pos++;
        else if (this.peek('}')) {
          this.pos++;
          return t;
        } else this.fail('expected , or } in an inline table');
      }
    }
    const m = /^(true|false|[+-]?[0-9][0-9_]*)(?=[\s,\]}#]|$)/.exec(this.s.slice(this.pos));
    if (!m) this.fail('expected a string, boolean, integer, array or inline table');
    this.pos += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    return Number(m[0].replace(/_/g, ''));
  }
}
