// YAML from users is read with bounded work (src/api/yaml-parse.ts): the first error, not every error of a
// broken document built before it, and repeated keys found in linear time; both for the API server's YAML
// bodies and for manifests. The small inputs are checked against the yaml library's own parseDocument and
// parseAllDocuments with `uniqueKeys: true`, whose messages and positions the callers showed before.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LineCounter, parseAllDocuments, parseDocument, YAMLParseError } from 'yaml';
import { MAX_ERRORS_PER_FILE, parseManifests } from '../../src/api/manifests.js';
import { parseYamlDocument, parseYamlDocuments } from '../../src/api/yaml-parse.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { readObjectBody, readPatchBody } from '../../src/apiserver/http/body.js';

function request(body: string, contentType: string): IncomingMessage {
  const req = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage;
  req.headers = { 'content-type': contentType };
  return req;
}

async function bodyError(read: Promise<unknown>): Promise<ApiError> {
  try {
    await read;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('the body was read');
}

/** `a: "` and `x` on each of `lines` lines, unindented, then `"`: two errors a line for the library. */
const brokenScalar = (lines: number) => `a: "${'x\n'.repeat(lines)}"`;

const configMap = (keys: number, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n${Array.from(
    { length: keys },
    (_, i) => `  k${i}: v`,
  ).join('\n')}\n${extra}`;

describe('a broken document stops at its first error', () => {
  it('a body with a million broken lines is one 400 that says where, as go-yaml answers', async () => {
    const text = brokenScalar(1_000_000);
    const e = await bodyError(readObjectBody(request(text, 'application/yaml')));
    assert.equal(e.code, 400);
    assert.equal(
      e.message,
      'the request body is not valid YAML: Missing closing "quote at line 1, column 6:\n\na: "x\n     ^\n',
    );
    // An apply patch goes through the same parser.
    const patch = await bodyError(
      readPatchBody(request(brokenScalar(100_000), 'application/apply-patch+yaml')),
    );
    assert.equal(patch.message, e.message);
  });

  it('one error is built, not one per line', () => {
    const text = brokenScalar(200_000);
    assert.throws(
      () => parseYamlDocument(text, { version: '1.1' }),
      (err: unknown) =>
        err instanceof YAMLParseError && err.code === 'MISSING_CHAR' && err.linePos?.[0].line === 1,
    );
    // Capped at one, the rest counted: the library stored none of them itself (the composer's errors go to
    // the sink; were it bypassed, they would be on the document again).
    const { documents } = parseYamlDocuments(text, { version: '1.1' }, 1);
    assert.equal(documents.length, 1);
    const [only] = documents;
    assert.equal(only!.errors.length, 1);
    assert.equal(only!.errors[0]!.message, 'Missing closing "quote');
    assert.ok(only!.more >= 200_000, `${only!.more} more errors`);
    assert.deepEqual(only!.doc.errors, []);
  });

  it('a stray `]` on each of a million lines is one 400 too', async () => {
    const e = await bodyError(
      readObjectBody(request(`a: 1\n${']\n'.repeat(1_000_000)}`, 'application/yaml')),
    );
    assert.equal(
      e.message,
      'the request body is not valid YAML: Unexpected flow-seq-end token in YAML stream: "]" at line 2, column 1:\n\na: 1\n]\n^\n',
    );
  });

  it('a manifest lists its first errors and counts the others exactly', () => {
    const lines = 200_000;
    const r = parseManifests(brokenScalar(lines), 'm.yaml');
    assert.equal(r.documents.length, 0);
    assert.equal(r.errors.length, MAX_ERRORS_PER_FILE + 1);
    assert.deepEqual(r.errors[0], {
      file: 'm.yaml',
      line: 1,
      col: 6,
      message: 'YAML: Missing closing "quote',
    });
    // Each unindented line is a key without a value and a line of the unclosed scalar: as many as before.
    const counted = parseAllDocuments(brokenScalar(1000), { version: '1.1', prettyErrors: false });
    const perLine = (counted as unknown as { errors: unknown[] }[])[0]!.errors.length / 1000;
    const last = r.errors.at(-1)!;
    assert.equal(last.omitted! + MAX_ERRORS_PER_FILE, Math.round(perLine * lines));
    assert.equal(last.message, `and ${last.omitted} more errors`);
  });
});

describe('repeated keys are found in linear time', () => {
  it('a ConfigMap of 100,000 keys is read, as a body and as a manifest', async () => {
    const text = configMap(100_000);
    const value = (await readObjectBody(request(text, 'application/yaml'))) as {
      data: Record<string, string>;
    };
    assert.equal(Object.keys(value.data).length, 100_000);
    assert.equal(value.data.k99999, 'v');
    const r = parseManifests(text, 'm.yaml');
    assert.deepEqual(r.errors, []);
    assert.equal(Object.keys(r.documents[0]!.object.data as object).length, 100_000);
  });

  it('a JSON apply patch of 40,000 keys is read (apply patches are YAML)', async () => {
    const data = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 'v']));
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    const { patch } = await readPatchBody(request(json, 'application/apply-patch+yaml'));
    assert.equal(Object.keys((patch as { data: object }).data).length, 40_000);
    const dup = `${json.slice(0, -2)},"k7":"again"}}`;
    const e = await bodyError(readPatchBody(request(dup, 'application/apply-patch+yaml')));
    assert.match(
      e.message,
      /^the request body is not valid YAML: Map keys must be unique at line 1, column \d+:/,
    );
  });

  it('a key repeated among 100,000 is reported at the repeat, as before', async () => {
    // k5 again on the line after the last key: line 5 + 100,000 + 1.
    const text = configMap(100_000, '  k5: again\n');
    const e = await bodyError(readObjectBody(request(text, 'application/yaml')));
    assert.equal(
      e.message,
      'the request body is not valid YAML: Map keys must be unique at line 100006, column 3:\n\n  k99999: v\n  k5: again\n  ^\n',
    );
    assert.deepEqual(
      parseManifests(text, 'm.yaml').errors.map((x) => [x.line, x.col, x.message]),
      [[100006, 3, 'YAML: Map keys must be unique']],
    );
  });

  it('an !!omap of 100,000 entries is read, and a repeated entry still refused', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => `  - k${i}: v`).join('\n');
    const { doc } = parseYamlDocument(`a: !!omap\n${entries}\n`, { version: '1.1' });
    assert.equal((doc.toJS() as { a: Map<string, string> }).a.size, 100_000);
    assert.throws(
      () => parseYamlDocument(`a: !!omap\n${entries}\n  - k3: again\n`, { version: '1.1' }),
      (e: unknown) =>
        e instanceof YAMLParseError &&
        e.message.startsWith('Ordered maps must not include duplicate keys: k3 at line 1, column 4:'),
    );
  });
});

describe('the same errors as the yaml library, for small inputs', () => {
  const inputs = [
    'a: 1\nb: 2\na: 3\n',
    'x: 1\nx: 2\ny: {p: 1, p: 2}\n',
    'k: {a: 1, a: 2}\nk: 1\n',
    '{a: 1, a: 2}',
    '[a: 1, a: 2]',
    '? a\n: 1\n? a\n: 2\n',
    '&x a: 1\n!!str a: 2\n',
    '1: a\n01: b\n',
    '0x1: a\n1: b\n',
    'yes: a\ntrue: b\n',
    '~: a\nnull: b\n',
    '.nan: a\n.nan: b\n',
    '"a": 1\na: 2\n',
    '<<: {a: 1}\n<<: {b: 2}\nc: 3\n',
    'a: 1 # c\nb: 2\nb: 3 # d\n',
    '!!omap\n- a: 1\n- a: 2\n',
    '!!set\n? a\n? a\n',
    'a: "x\nx\nx\n"',
    'a: 1\n  b: 2\n',
    'a: [1, 2\n',
    'a:\n  - b\n  c: d\n',
    '\ta: 1\n',
    'a: "\\xZZ"\n',
    'a: b: c\n',
    ']\n]\n',
    'a: 1\n]\n',
    'a: 1\n---\nb: 2\n',
    'a: 1\n...\nbb: 22\n',
    'a: 1\n--- ]\n--- ]\n',
    '%YAML 1.1\na: 1\n',
    ']\n---\na: 1\n',
    `${'k: [1\n'.repeat(30)}`,
    `${'x: 1\n'.repeat(30)}`,
    `- ${'x'.repeat(2000)}: 1\n`,
  ];

  it('parseYamlDocument throws the first error parseDocument reports, with its message', () => {
    for (const text of inputs) {
      const expected = parseDocument(text, {
        version: '1.1',
        uniqueKeys: true,
        lineCounter: new LineCounter(),
      }).errors[0]?.message;
      let actual: string | undefined;
      try {
        parseYamlDocument(text, { version: '1.1' });
      } catch (e) {
        actual = (e as Error).message;
      }
      assert.equal(actual, expected, JSON.stringify(text));
    }
  });

  // Position, then message: the order of errors found at one place is no part of what is shown.
  const byPlace = (a: YAMLParseError, b: YAMLParseError) =>
    a.pos[0] - b.pos[0] || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);

  it('parseYamlDocuments keeps the earliest errors of each document and counts them all', () => {
    for (const text of inputs) {
      const docs = parseAllDocuments(text, {
        version: '1.1',
        uniqueKeys: true,
        merge: true,
        prettyErrors: false,
      });
      const expected = (Array.isArray(docs) ? docs : []).map((d) => {
        const all = [...d.errors].sort(byPlace);
        return { count: all.length, first: all.slice(0, 20).map((e) => `${e.pos[0]} ${e.message}`) };
      });
      const actual = parseYamlDocuments(text, { version: '1.1', merge: true }, 20).documents.map((d) => ({
        count: d.errors.length + d.more,
        first: [...d.errors].sort(byPlace).map((e) => `${e.pos[0]} ${e.message}`),
      }));
      assert.deepEqual(actual, expected, JSON.stringify(text));
    }
  });
});
