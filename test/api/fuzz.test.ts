// Bad input, generated (issue 12, "Bad input"): tens of thousands of mutated manifests, patches of every type
// and mangled YAML, each checked to be refused with field errors or a 4xx, never a crash, and patches to
// stay within upstream's growth limits. Seeded and reproducible: a failure names its seed and case.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeObject } from '../../src/api/decode.js';
import { applyDefaults } from '../../src/api/defaults.js';
import { parseManifests } from '../../src/api/manifests.js';
import { ACCUMULATED_COPY_SIZE_LIMIT } from '../../src/api/patch/json-patch.js';
import type { KubeObject } from '../../src/api/types.js';
import { formatFieldError, validateObject } from '../../src/api/validation/index.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { applyPatch, type PatchType } from '../../src/apiserver/patching.js';
import {
  fuzzRuns,
  fuzzSeed,
  mutate,
  mutateText,
  randomJsonPatch,
  randomMergePatch,
  rng,
  structuredCopy,
} from '../support/fuzz.js';
import { CORPUS, TEXTS } from '../support/fuzz-corpus.js';

const filter = (kinds: string[]) => CORPUS.filter((o) => kinds.includes(String(o.kind)));
assert.ok(
  filter(['Pod', 'Deployment', 'Job', 'ConfigMap', 'Service', 'Secret']).length >= 6,
  'the corpus covers the main kinds',
);

/** Runs `n` cases; a case that throws fails the test with its seed and number, so it can be replayed. */
function cases(
  name: string,
  seed: number,
  n: number,
  body: (r: ReturnType<typeof rng>, i: number) => void,
): void {
  for (let i = 0; i < n; i++) {
    const r = rng(seed * 1_000_003 + i);
    try {
      body(r, i);
    } catch (e) {
      const err = e as Error;
      assert.fail(`${name}: case ${i} of seed ${seed} failed: ${err.stack ?? err}`);
    }
  }
}

describe('fuzzing manifests and patches', () => {
  test('mutated manifests decode, default and validate without throwing; every error names a field', () => {
    const seed = fuzzSeed(1);
    let refused = 0;
    cases('manifests', seed, fuzzRuns(10_000), (r) => {
      const input = mutate(r, r.pick(CORPUS));
      const decoded = decodeObject(input);
      for (const e of decoded.errors) assert.equal(typeof formatFieldError(e), 'string');
      if (!decoded.object) {
        refused++;
        return;
      }
      const errors = validateObject(applyDefaults(decoded.object));
      for (const e of errors) {
        assert.equal(typeof e.field, 'string');
        assert.equal(typeof formatFieldError(e), 'string');
      }
      if (errors.length > 0) refused++;
    });
    // The mutations are meant to break things: most cases must be refused, or the fuzzer tests nothing.
    assert.ok(refused > fuzzRuns(10_000) / 3, `only ${refused} refusals`);
  });

  for (const type of ['json', 'merge', 'strategic', 'apply'] as const satisfies readonly PatchType[]) {
    test(`${type} patches apply or are refused with a 4xx, and stay within the growth limit`, () => {
      const seed = fuzzSeed(2);
      const outcomes = new Map<number, number>();
      cases(`${type} patch`, seed, fuzzRuns(5_000), (r) => {
        const base = structuredCopy(r.pick(CORPUS)) as KubeObject;
        const patch =
          type === 'json'
            ? randomJsonPatch(r, base)
            : randomMergePatch(
                r,
                type === 'apply' && r.chance(0.5) ? base : (base as unknown),
                type === 'strategic',
              );
        const original = type === 'apply' && r.chance(0.1) ? undefined : base;
        let result: unknown;
        try {
          result = applyPatch(type, original, patch, String(base.kind ?? 'Pod'));
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          const code = e.status.code;
          assert.ok([400, 413, 422].includes(code), `${code}: ${e.message}`);
          outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
          return;
        }
        const size = JSON.stringify(result)?.length ?? 0;
        const bound =
          JSON.stringify(base).length + JSON.stringify(patch).length + ACCUMULATED_COPY_SIZE_LIMIT;
        assert.ok(size <= bound, `the patched object grew to ${size} bytes`);
        // What the API server does next with it: a 400 or a 422 with field errors, or a 200.
        const decoded = decodeObject(result);
        const code =
          decoded.object === undefined
            ? 400
            : validateObject(applyDefaults(decoded.object)).length > 0
              ? 422
              : 200;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      });
      assert.ok((outcomes.get(200) ?? 0) > 0, `no ${type} patch applied: ${[...outcomes]}`);
      assert.ok(outcomes.size > 1, `no ${type} patch was refused: ${[...outcomes]}`);
    });
  }

  test('mangled YAML is parsed into documents or located errors, never a throw or a process warning', async () => {
    const seed = fuzzSeed(3);
    let errors = 0;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    cases('yaml', seed, fuzzRuns(1_000), (r) => {
      const load = parseManifests(mutateText(r, r.pick(TEXTS)), 'fuzz.yaml');
      for (const e of load.errors) {
        assert.equal(e.file, 'fuzz.yaml');
        assert.ok(e.line >= 0 && e.col >= 0);
        assert.doesNotMatch(e.message, /Maximum call stack|RangeError|TypeError/);
      }
      if (load.errors.length > 0) errors++;
    });
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(warnings.slice(0, 3), []);
    assert.ok(errors > 0);
  });
});
