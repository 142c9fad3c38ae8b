import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function podrun(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'podrun'), ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('podrun validate', () => {
  test('every example is valid: exit 0 and one line per file', () => {
    const r = podrun(['validate', '-f', 'examples']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const files = readdirSync(join(root, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    assert.ok(files.length >= 6, 'the examples are there');
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/: \d+ objects? valid$/, '')),
      files.map((f) => `examples/${f}`),
    );
    assert.match(r.stdout, /^examples\/wait-for-port\.yaml: 2 objects valid$/m);
  });

  test('the broken examples fail with file:line:col for each error and a summary', () => {
    const r = podrun(['validate', '-f', 'examples/broken']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    for (const expected of [
      'examples/broken/init-containers.yaml:9:7: spec.initContainers[0].name: Duplicate value: "app"',
      'examples/broken/init-containers.yaml:12:7: spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'examples/broken/init-containers.yaml:15:7: spec.initContainers[1].image: Required value',
      'examples/broken/init-containers.yaml:20:7: spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
      'examples/broken/init-containers.yaml:23:11: spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
      'examples/broken/init-containers.yaml:25:11: spec.containers[0].volumeMounts[0].name: Not found: "data"',
      'examples/broken/fields.yaml:9:7: unknown field "spec.containers[0].imagee"',
      'examples/broken/fields.yaml:12:11: spec.containers[0].ports[0].containerPort: Invalid value: "8080": must be of type integer, not string',
      'examples/broken/fields.yaml:20:5: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]) {
      assert.ok(lines.includes(expected), `missing: ${expected}\nin:\n${r.stderr}`);
    }
    assert.ok(
      lines.some((l) =>
        l.startsWith('examples/broken/fields.yaml:27:1: no matches for kind "Frobnicator" in version "v1"'),
      ),
    );
    assert.ok(
      lines.some((l) =>
        l.startsWith('examples/broken/init-containers.yaml:6:3: metadata.name: Invalid value: "Broken_Init"'),
      ),
    );
    assert.equal(lines.at(-1), '11 errors in 2 files; nothing is valid until all are fixed');
  });

  test('several -f flags and stdin combine, and one bad input fails the run', () => {
    const ok = podrun(
      ['validate', '-f', 'examples/deployment.yaml', '-f', '-'],
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n',
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'examples/deployment.yaml: 2 objects valid\n<stdin>: 1 object valid\n');
    const bad = podrun(
      ['validate', '-f', 'examples/deployment.yaml', '-f', '-'],
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Dev\n',
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^<stdin>:4:3: metadata\.name: Invalid value: "Dev": /m);
  });

  test('a nonexistent path is a clear error', () => {
    const r = podrun(['validate', '-f', 'no/such.yaml']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'no/such.yaml: the path "no/such.yaml" does not exist\n1 error in 1 file; nothing is valid until all are fixed\n',
    );
  });

  test('without -f it says what is missing', () => {
    const r = podrun(['validate']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /required option '-f, --filename <path>' not specified/);
  });
});
