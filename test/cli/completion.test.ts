// `podrun completion bash`: the script bash accepts, and what it completes, run in a real bash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPodrun } from '../e2e/support/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'podrun-completion-'));
const script = join(dir, 'podrun.bash');

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _podrun_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

describe('podrun completion bash', () => {
  before(async () => {
    const out = await runPodrun(['completion', 'bash']);
    assert.equal(out.code, 0, out.stderr);
    writeFileSync(script, out.stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('bash -n accepts the script', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('commands, subcommands with aliases, options and resource types complete', () => {
    assert.deepEqual(complete('podrun', 'g'), ['get']);
    assert.deepEqual(complete('podrun', 'de').sort(), ['delete', 'describe']);
    assert.deepEqual(complete('podrun', 'image', 'l'), ['ls', 'list', 'load']);
    assert.deepEqual(complete('podrun', 'image', 'list', '-').sort(), [
      '--help',
      '--quiet',
      '--state-dir',
      '-q',
    ]);
    assert.deepEqual(complete('podrun', 'get', 'deploy'), ['deploy', 'deployment', 'deployments']);
    assert.deepEqual(complete('podrun', '-n', 'x', 'logs', '--ta'), ['--tail']);
    assert.deepEqual(complete('podrun', 'completion', ''), ['bash', 'fish', 'zsh', '--help']);
    assert.deepEqual(complete('podrun', 'l').sort(), ['lint', 'logs']);
    assert.deepEqual(complete('podrun', 'lint', '--f').sort(), ['--filename', '--format']);
    assert.deepEqual(complete('podrun', 'res'), ['restart']);
    assert.deepEqual(complete('podrun', 'restart', '--g'), ['--grace-period']);
  });

  test('an unknown shell is refused with the choices', async () => {
    const out = await runPodrun(['completion', 'tcsh']);
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      /value 'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish\./,
    );
  });
});
