// The API server's limits and its error path: requests that used to stall or kill the process (issue 12)
// are answered with a Status, and the server goes on serving.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { MAX_NESTING_DEPTH } from '../../src/api/nesting.js';
import { ApiError, invalid } from '../../src/apiserver/errors.js';
import { sendError } from '../../src/apiserver/http/respond.js';
import { MAX_OBJECT_BYTES } from '../../src/store/types.js';
import { call, pod, startTestServer, type TestServer, watch } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const CM = '/api/v1/namespaces/default/configmaps';

async function configMap(name: string): Promise<void> {
  const res = await call(t, 'POST', CM, {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } },
  });
  assert.equal(res.status, 201, res.text);
}

async function alive(): Promise<void> {
  const res = await call(t, 'GET', '/healthz', { token: null });
  assert.equal(res.status, 200);
}

describe('JSON patch limits over HTTP', () => {
  test('a 2 KB patch that copies annotations into themselves 25 times is a 422, and the server lives', async () => {
    await configMap('bomb');
    const ops: unknown[] = [{ op: 'add', path: '/metadata/annotations', value: { a: 'x'.repeat(40) } }];
    for (let i = 0; i < 25; i++) {
      ops.push({ op: 'copy', from: '/metadata/annotations', path: `/metadata/annotations/k${i}` });
    }
    const body = JSON.stringify(ops);
    assert.ok(body.length < 2300);
    const res = await call(t, 'PATCH', `${CM}/bomb`, {
      raw: body,
      contentType: 'application/json-patch+json',
    });
    assert.equal(res.status, 422, res.text.slice(0, 500));
    assert.equal(res.json.reason, 'Invalid');
    assert.match(
      res.json.message,
      /^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/,
    );
    const cm = await call(t, 'GET', `${CM}/bomb`);
    assert.equal(cm.json.metadata.annotations, undefined, 'nothing of the refused patch was written');
    await alive();
  });

  test('more than 10,000 operations is 413 RequestEntityTooLarge', async () => {
    await configMap('many-ops');
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/k', value: 'v' }));
    const res = await call(t, 'PATCH', `${CM}/many-ops`, {
      body: ops,
      contentType: 'application/json-patch+json',
    });
    assert.equal(res.status, 413);
    assert.equal(res.json.reason, 'RequestEntityTooLarge');
    assert.equal(
      res.json.message,
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
  });
});

describe('size limits', () => {
  test('a body over 3 MiB is 413 before it is parsed', async () => {
    const res = await call(t, 'POST', CM, { raw: `{"pad":"${'x'.repeat(3 * 1024 * 1024)}"}` });
    assert.equal(res.status, 413);
    assert.equal(res.json.message, 'Request entity too large: limit is 3145728');
    await alive();
  });

  test('an object over 1.5 MiB is refused as etcd refuses it, and the store goes on at the next revision', async () => {
    const before = await call(t, 'GET', CM);
    const big = pod('big', {});
    big.spec = { containers: [{ name: 'app', image: 'busybox', command: ['x'.repeat(MAX_OBJECT_BYTES)] }] };
    const res = await call(t, 'POST', '/api/v1/namespaces/default/pods', { body: big });
    assert.equal(res.status, 500, res.text.slice(0, 300));
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'etcdserver: request is too large',
      code: 500,
    });
    // The refused write took no revision: the next write gets the one after the last stored.
    await configMap('after-big');
    const cm = await call(t, 'GET', `${CM}/after-big`);
    assert.equal(Number(cm.json.metadata.resourceVersion), Number(before.json.metadata.resourceVersion) + 1);
    const gone = await call(t, 'GET', '/api/v1/namespaces/default/pods/big');
    assert.equal(gone.status, 404);
  });
});

describe('work in proportion to the request', () => {
  test('a 422 with 200,000 causes lists each message once, without comparing every pair', () => {
    // 150,000 invalid finalizers (a 3 MiB merge patch) kept the server busy 150 s deduplicating messages
    // with a list search. No timed assertion: at the old speed this runs into the runner's timeout.
    const causes = Array.from({ length: 200_000 }, (_, i) => ({
      reason: 'FieldValueInvalid',
      field: 'metadata.finalizers',
      body: `Invalid value: "f${i % 100_000}"`,
      full: `metadata.finalizers: Invalid value: "f${i % 100_000}"`,
    }));
    const e = invalid({ group: '', kind: 'ConfigMap' }, 'big', causes);
    assert.equal(e.status.code, 422);
    assert.equal(e.message.split('metadata.finalizers: ').length - 1, 100_000);
    assert.ok(
      e.message.startsWith('ConfigMap "big" is invalid: [metadata.finalizers: Invalid value: "f0", '),
    );
    assert.equal(e.status.details?.causes?.length, 200_000);
  });
});

describe('the error path', () => {
  test('an error whose Status cannot be serialized is answered with a plain 500', () => {
    const written: { code?: number; body?: string } = {};
    const res = {
      headersSent: false,
      writeHead(code: number) {
        written.code = code;
        this.headersSent = true;
        return this;
      },
      end(body?: string) {
        written.body = body;
      },
      destroy() {
        written.code = -1;
      },
    };
    // A BigInt makes JSON.stringify throw, as a string past V8's length limit does.
    const err = new ApiError(422, 'Invalid', 'unserializable', { causes: [{ message: 'x' }] });
    (err.status.details as Record<string, unknown>).extra = 1n;
    assert.doesNotThrow(() => sendError(res as unknown as ServerResponse, err));
    assert.equal(written.code, 500);
    const status = JSON.parse(written.body ?? '');
    assert.equal(status.kind, 'Status');
    assert.equal(status.code, 500);
    assert.equal(status.reason, 'InternalError');
  });

  test('a handler failing with a value that cannot even be printed is a 500, and the server lives', async () => {
    await configMap('unprintable');
    const registry = t.registry as unknown as { get: (...args: unknown[]) => unknown };
    const get = registry.get;
    // Not an Error, and String() of it throws: building the InternalError Status fails too.
    registry.get = () => {
      throw {
        toString() {
          throw new Error('no string for this');
        },
      };
    };
    try {
      const res = await call(t, 'GET', `${CM}/unprintable`);
      assert.equal(res.status, 500);
      assert.equal(res.json.reason, 'InternalError');
    } finally {
      registry.get = get;
    }
    await alive();
    assert.equal((await call(t, 'GET', `${CM}/unprintable`)).status, 200);
  });

  test('a path with a broken %-escape is 400 BadRequest, not a 500', async () => {
    for (const path of ['/api/v1/namespaces/%zz/pods', '/api/v1/namespaces/default/pods/%E0%A4%A']) {
      const res = await call(t, 'GET', path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.json.reason, 'BadRequest');
      assert.match(res.json.message, /invalid URL escape in the path segment/);
    }
  });
});

describe('query parameters as upstream reads them', () => {
  test('watch=True (the Python client) and watch= are watches; watch=False and watch=0 are lists', async () => {
    for (const v of ['True', 'TRUE', '1', 'yes', '']) {
      const w = watch(t, `${CM}?watch=${v}&resourceVersion=0`);
      assert.equal(await w.status, 200);
      const ev = await w.next();
      assert.equal(ev.type, 'ADDED', `watch=${v}`);
      w.close();
    }
    for (const v of ['False', 'false', '0']) {
      const res = await call(t, 'GET', `${CM}?watch=${v}`);
      assert.equal(res.json.kind, 'ConfigMapList', `watch=${v}`);
    }
  });

  test('an integer that strconv.ParseInt refuses is 400 with its message', async () => {
    const res = await call(t, 'GET', `${CM}?watch=true&timeoutSeconds=ten`);
    assert.equal(res.status, 400);
    assert.equal(res.json.message, 'strconv.ParseInt: parsing "ten": invalid syntax');
  });

  test('a 100 KB label selector is served (Go takes 1 MiB of headers); past 1 MiB it is 431', async () => {
    const values = Array.from({ length: 9000 }, (_, i) => `value-${i}`).join(',');
    const selector = encodeURIComponent(`app in (${values})`);
    assert.ok(selector.length > 100_000);
    const res = await call(t, 'GET', `${CM}?labelSelector=${selector}`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.json.kind, 'ConfigMapList');
    const tooLong = await call(t, 'GET', `${CM}?labelSelector=${'a'.repeat(1 << 20)}`);
    assert.equal(tooLong.status, 431);
    await alive();
  });
});

describe('resourceVersions the server has not reached', () => {
  test('a list at a future resourceVersion waits, then is 504 Too large resource version with its cause', async () => {
    const list = await call(t, 'GET', CM);
    const current = Number(list.json.metadata.resourceVersion);
    const res = await call(t, 'GET', `${CM}?resourceVersion=${current + 1000}`);
    assert.equal(res.status, 504);
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Timeout: Too large resource version: ${current + 1000}, current: ${current}`,
      reason: 'Timeout',
      details: {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      },
      code: 504,
    });
  });

  test('a list at the next resourceVersion is answered once a write reaches it', async () => {
    const list = await call(t, 'GET', CM);
    const next = Number(list.json.metadata.resourceVersion) + 1;
    const pending = call(t, 'GET', `${CM}?resourceVersion=${next}`);
    await configMap('reaches-next');
    const res = await pending;
    assert.equal(res.status, 200, res.text);
    assert.ok(Number(res.json.metadata.resourceVersion) >= next);
  });

  test('a watch from a future resourceVersion sends only the changes after it, as the watch cache does', async () => {
    const list = await call(t, 'GET', CM);
    const from = Number(list.json.metadata.resourceVersion) + 2;
    const w = watch(t, `${CM}?watch=true&resourceVersion=${from}`);
    assert.equal(await w.status, 200);
    await configMap('future-1');
    await configMap('future-2');
    await configMap('future-3');
    const ev = await w.next();
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.metadata.name, 'future-3');
    assert.equal(Number(ev.object.metadata.resourceVersion), from + 1);
    w.close();
  });
});

describe('bodies that used to overflow the stack or lose keys', () => {
  test('nesting 10,000 deep in an object or a merge patch is 400, not a stack overflow', async () => {
    await configMap('deep');
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const create = await call(t, 'POST', CM, {
      raw: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","annotations":{"a":${deep}}}}`,
    });
    assert.equal(create.status, 400, create.text.slice(0, 300));
    assert.match(
      create.json.message,
      new RegExp(`nests objects and lists deeper than ${MAX_NESTING_DEPTH} levels`),
    );
    for (const contentType of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
      const res = await call(t, 'PATCH', `${CM}/deep`, {
        raw: `{"metadata":{"labels":{"a":${deep}}}}`,
        contentType,
      });
      assert.equal(res.status, 400, `${contentType}: ${res.text.slice(0, 300)}`);
      assert.equal(res.json.reason, 'BadRequest');
    }
    const applied = await call(t, 'PATCH', `${CM}/deep?fieldManager=test`, {
      raw: `metadata:\n  labels:\n    a: ${deep}\n`,
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(applied.status, 400, applied.text.slice(0, 300));
    await alive();
  });

  test('JSON and YAML bodies nesting exactly the limit are read; one level more is a 400', async () => {
    // The top-level object is level 1; `zzz` is an unknown field, dropped once the body is read.
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const cm = (name: string, levels: number) =>
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"zzz":${nested(levels)}}`;
    for (const contentType of ['application/json', 'application/yaml']) {
      const suffix = contentType.endsWith('yaml') ? 'yaml' : 'json';
      const at = await call(t, 'POST', CM, {
        raw: cm(`at-limit-${suffix}`, MAX_NESTING_DEPTH - 1),
        contentType,
      });
      assert.equal(at.status, 201, `${contentType}: ${at.text.slice(0, 300)}`);
      const past = await call(t, 'POST', CM, {
        raw: cm(`past-limit-${suffix}`, MAX_NESTING_DEPTH),
        contentType,
      });
      assert.equal(past.status, 400, `${contentType}: ${past.text.slice(0, 300)}`);
      assert.match(
        past.json.message,
        /^the request body nests objects and lists deeper than \d+ levels \(at byte \d+\)/,
      );
    }
  });

  test('deep YAML of every shape is refused before it is parsed, however often it is sent', async () => {
    // Each of these took the YAML parser to the end of the stack; a few of them in a row aborted the whole
    // process (V8: "RegExpCompiler Allocation failed - process out of memory").
    const shapes: Record<string, (d: number) => string> = {
      'flow sequences': (d) => `metadata:\n  labels:\n    a: ${'['.repeat(d)}${']'.repeat(d)}\n`,
      'flow mappings': (d) => `metadata:\n  labels:\n    a: ${'{k: '.repeat(d)}1${'}'.repeat(d)}\n`,
      'JSON-style mappings': (d) => `{"metadata":{"labels":{"a":${'{"k":'.repeat(d)}1${'}'.repeat(d)}}}}`,
      'block sequences on one line': (d) => `metadata:\n  labels:\n    a:\n      ${'- '.repeat(d)}x\n`,
      'indented mappings': (d) =>
        `metadata:\n  labels:\n${Array.from({ length: d }, (_, i) => `${' '.repeat(i + 4)}k:`).join('\n')} 1\n`,
    };
    await configMap('deep-yaml');
    for (const [shape, text] of Object.entries(shapes)) {
      for (const depth of [MAX_NESTING_DEPTH + 1, 800, 1000, 2000]) {
        for (let round = 0; round < 3; round++) {
          const res = await call(t, 'PATCH', `${CM}/deep-yaml?fieldManager=test`, {
            raw: text(depth),
            contentType: 'application/apply-patch+yaml',
          });
          assert.equal(res.status, 400, `${shape}, ${depth} deep: ${res.text.slice(0, 300)}`);
          assert.match(res.json.message, /nests objects and lists deeper than/, shape);
        }
      }
    }
    await alive();
  });

  test('a protobuf body whose FieldsV1 holds JSON nested past the limit is a 400', async () => {
    // The JSON inside a FieldsV1 (or a RawExtension) is free of the schema's nesting.
    const varint = (n: number): number[] => {
      const out: number[] = [];
      for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
      return [...out, n];
    };
    const bytes = (num: number, b: number[]) => [...varint(num * 8 + 2), ...varint(b.length), ...b];
    const str = (num: number, s: string) => bytes(num, [...Buffer.from(s)]);
    const deep = 20_000;
    const fields = [...Buffer.from(`${'{"f:a":'.repeat(deep)}{}${'}'.repeat(deep)}`)];
    const entry = [
      ...str(1, 'test'),
      ...str(2, 'Update'),
      ...str(3, 'v1'),
      ...str(6, 'FieldsV1'),
      ...bytes(7, bytes(1, fields)),
    ];
    const meta = [...str(1, 'proto-deep'), ...bytes(17, entry)];
    const body = Buffer.from([
      ...[0x6b, 0x38, 0x73, 0x00],
      ...bytes(1, [...str(1, 'v1'), ...str(2, 'ConfigMap')]),
      ...bytes(2, bytes(1, meta)),
      ...str(3, ''),
      ...str(4, ''),
    ]);
    const res = await new Promise<{ status: number; json: { message: string } }>((resolve, reject) => {
      const req = httpsRequest(
        new URL(CM, t.server.url),
        {
          method: 'POST',
          ca: t.ca,
          headers: {
            Authorization: `Bearer ${t.server.token}`,
            'Content-Type': 'application/vnd.kubernetes.protobuf',
            Accept: 'application/json',
          },
        },
        (r) => {
          let text = '';
          r.on('data', (c) => {
            text += c;
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(res.status, 400, res.json.message);
    assert.match(res.json.message, /nests objects and lists deeper than \d+ levels \(in protobuf\)/);
    await alive();
  });

  test('a YAML key that is a mapping, a sequence or binary data is a 400, as go-yaml refuses it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const [key, line] of [
        ['{a: 1}', 6],
        ['[a, b]', 6],
        ['!!binary aGk=', 6],
        ['? - x\n    : v', 6],
      ] as const) {
        const res = await call(t, 'POST', CM, {
          raw: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd-key\ndata:\n  ${key}: v\n`,
          contentType: 'application/yaml',
        });
        assert.equal(res.status, 400, `${key}: ${res.text.slice(0, 300)}`);
        assert.match(res.json.message, new RegExp(`invalid map key at line ${line}: a key must be a string`));
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    // The yaml library printed a process warning for each such key, a way to flood the server's log.
    assert.deepEqual(warnings, []);
  });

  test('unknown fields with any name are warned about, never a 500', async () => {
    // Found by the HTTP fuzzer: the Warning header named the field, and Node refused the character.
    const res = await call(t, 'POST', `${CM}?fieldValidation=Warn`, {
      raw: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"odd-fields"},"|મo":1,"a\\nb":2,"q\\"":3}',
    });
    assert.equal(res.status, 201, res.text);
    // Node joins repeated headers with ", "; the bytes are UTF-8, as a Go client reads them. The field with
    // a newline is not named (upstream drops a warning with a control character).
    const warning = Buffer.from(String(res.headers.warning), 'latin1').toString('utf8');
    assert.equal(warning, '299 - "unknown field \\"|મo\\"", 299 - "unknown field \\"q\\"\\""');
  });

  test('a ConfigMap key named __proto__ is kept', async () => {
    const res = await call(t, 'POST', CM, {
      raw: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"proto"},"data":{"__proto__":"x","a":"b"}}',
    });
    assert.equal(res.status, 201, res.text);
    const got = await call(t, 'GET', `${CM}/proto`);
    assert.equal(got.text.includes('"__proto__":"x"'), true, got.text);
    assert.deepEqual(Object.keys(got.json.data).sort(), ['__proto__', 'a']);
  });
});
