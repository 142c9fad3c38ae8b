import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSecretJson, redactedJsonError } from '../../src/util/json-error.js';

test("a failed parse of a secret's text says what went wrong without quoting the text", () => {
  for (const text of [
    'hunter2',
    'ghp_SuperSecretToken_0123456789',
    '{"auths": {"x": hunter2}}',
    '{"a":1} trailing',
  ]) {
    assert.throws(
      () => parseSecretJson(text),
      (e: Error) =>
        !e.message.includes('hunter2') && !e.message.includes('SuperSecret') && e.message.length > 0,
    );
  }
  assert.equal(redactedJsonError(new Error('Unexpected end of JSON input')), 'Unexpected end of JSON input');
  assert.throws(() => parseSecretJson('{"auths": {"x": hunter2}}'), { message: "Unexpected token 'h'" });
  assert.deepEqual(parseSecretJson('{"auths":{}}'), { auths: {} });
});
