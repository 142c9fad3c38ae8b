// Large YAML bodies are parsed off the server's thread: another request is answered while one is parsed, the
// answer is the one the inline parse gives, and the value crosses back whole (own `__proto__` keys too).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiError } from '../../src/apiserver/errors.js';
import { parseYamlBodyText } from '../../src/apiserver/http/yaml-body.js';
import {
  INLINE_YAML_MAX,
  parseYamlBody,
  terminateYamlWorker,
  yamlParsedInline,
} from '../../src/apiserver/http/yaml-body-pool.js';
import { call, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

function inlineError(text: string): string {
  try {
    parseYamlBodyText(text);
  } catch (e) {
    return (e as ApiError).message;
  }
  return 'no error';
}

test('a large broken body gets the inline parse’s 400, and other requests are answered meanwhile', async () => {
  const broken = `a: "${'x\n'.repeat(1_000_000)}"\n`;
  const order: string[] = [];
  const big = call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
    raw: broken,
    contentType: 'application/yaml',
  }).then((res) => {
    order.push('yaml');
    return res;
  });
  // Sent once the big body is on its way: answered while the worker parses.
  await new Promise((r) => setTimeout(r, 200));
  const live = await call(t, 'GET', '/livez').then((res) => {
    order.push('livez');
    return res;
  });
  const res = await big;
  assert.equal(live.status, 200);
  assert.deepEqual(order, ['livez', 'yaml']);
  assert.equal(res.status, 400);
  assert.equal(res.json.message, inlineError(broken));
});

test('a large body’s value crosses back whole, own __proto__ keys included', async () => {
  const filler = Array.from({ length: 4000 }, (_, i) => `  k${i}: "${'v'.repeat(20)}"`).join('\n');
  const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  __proto__: "own"\n${filler}\n`;
  assert.ok(text.length > INLINE_YAML_MAX);
  const value = (await parseYamlBody(text)) as { data: Record<string, string> };
  assert.ok(Object.hasOwn(value.data, '__proto__'));
  assert.equal(Object.getPrototypeOf(value.data), Object.prototype);
  assert.deepEqual(value, parseYamlBodyText(text));
  const res = await call(t, 'POST', '/api/v1/namespaces/default/configmaps', {
    raw: text,
    contentType: 'application/yaml',
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(Object.keys(res.json.data).length, 4001);
});

test('a refused large body is an ApiError with the inline parse’s Status', async () => {
  const text = `a: 1\n${']\n'.repeat(40_000)}`;
  await assert.rejects(
    Promise.resolve(parseYamlBody(text)),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === inlineError(text),
  );
});

test('a worker that dies fails only the body it was parsing; the bodies behind it go to a new worker', async () => {
  const list = (n: number) => `items:\n${Array.from({ length: n }, (_, i) => `  - k${i}: v`).join('\n')}\n`;
  // A worker that has come up and answered.
  await parseYamlBody(list(5_000));
  const first = Promise.resolve(parseYamlBody(list(150_000)));
  const second = Promise.resolve(parseYamlBody(list(20_000)));
  // Ended while it parses the first (as running out of memory ends it).
  await new Promise((r) => setTimeout(r, 100));
  await terminateYamlWorker();
  await assert.rejects(first, (e: unknown) => e instanceof ApiError && e.code === 400);
  const value = (await second) as { items: unknown[] };
  assert.equal(value.items.length, 20_000);
  // Not given up on: the next large body is parsed by a worker again.
  assert.equal(yamlParsedInline(), false);
  const third = (await parseYamlBody(list(5_000))) as { items: unknown[] };
  assert.equal(third.items.length, 5_000);
});
