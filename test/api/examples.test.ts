import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadManifests } from '../../src/api/manifests.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('examples', () => {
  test('each example opens with a comment header naming its pattern', () => {
    for (const f of files) {
      const first = readFileSync(join(dir, f), 'utf8').split('\n')[0]!;
      assert.match(first, /^# Pattern: /, f);
    }
  });

  test('the README lists every example and every broken manifest', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const f of files) assert.ok(readme.includes(`(${f})`), f);
    for (const f of readdirSync(join(dir, 'broken'))) assert.ok(readme.includes(`(broken/${f})`), f);
  });

  test('the examples cover the init-container patterns: a wait loop, migrations, assets, a gated sidecar, a Job', async () => {
    const load = await loadManifests([dir]);
    assert.deepEqual(load.errors, []);
    const specs = load.documents.flatMap((d) => {
      const o = d.object as { kind: string; spec?: { template?: { spec?: unknown } } };
      const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
      return spec ? [{ kind: o.kind, file: d.file, spec: spec as Record<string, unknown[]> }] : [];
    });
    const inits = specs.flatMap((s) => (s.spec.initContainers ?? []) as Record<string, unknown>[]);
    assert.ok(
      inits.some((c) => JSON.stringify(c.command).includes('/dev/tcp/')),
      'a /dev/tcp wait loop',
    );
    assert.ok(
      inits.some((c) => c.restartPolicy === 'Always' && c.startupProbe),
      'a native sidecar gated by a startupProbe',
    );
    assert.ok(
      inits.some((c) => JSON.stringify(c.env ?? []).includes('secretKeyRef')),
      'migrations with secretKeyRef credentials',
    );
    assert.ok(
      specs.some((s) => s.kind === 'Job'),
      'a Job',
    );
    assert.ok(
      specs.some((s) => s.kind === 'Deployment'),
      'a Deployment',
    );
  });
});
