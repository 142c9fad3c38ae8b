// `podrun completion bash|zsh|fish`: the scripts each shell accepts, and what they complete, run in the real shells.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPodrun } from '../e2e/support/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'podrun-completion-'));
const script = join(dir, 'podrun.bash');
after(() => rmSync(dir, { recursive: true, force: true }));

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

/** Runs `program -c code`; the shell must be installed (.ci/run installs zsh and fish). */
function shell(program: string, code: string): string {
  const r = spawnSync(program, ['-c', code], { encoding: 'utf8' });
  assert.equal(r.error, undefined, `${program} is not installed (apt-get install zsh fish)`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('podrun completion zsh and fish, run in a real zsh and fish', () => {
  const zshScript = join(dir, '_podrun');
  const fishScript = join(dir, 'podrun.fish');
  before(async () => {
    for (const [which, file] of [
      ['zsh', zshScript],
      ['fish', fishScript],
    ] as const) {
      const out = await runPodrun(['completion', which]);
      assert.equal(out.code, 0, out.stderr);
      writeFileSync(file, out.stdout);
    }
  });

  /**
   * What the zsh function offers for the words typed so far: compadd only works inside zsh's completion
   * system, so it is replaced by one that prints its words, and `words`/`CURRENT` are set as zle sets them.
   */
  function zsh(...words: string[]): string[] {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const code = `source ${zshScript}; compadd() { [[ "$1" == "--" ]] && shift; print -l -- "$@"; }; words=(${quoted}); CURRENT=${words.length}; _podrun`;
    return shell('zsh', code).split('\n').filter(Boolean);
  }

  /** What fish itself completes for a command line (`complete -C`), the last word being completed. */
  function fish(line: string): string[] {
    return shell('fish', `source ${fishScript}; complete -C${JSON.stringify(line)}`)
      .split('\n')
      .filter(Boolean);
  }

  test('both scripts parse (zsh -n, fish --no-execute)', () => {
    assert.equal(spawnSync('zsh', ['-n', zshScript]).status, 0);
    assert.equal(spawnSync('fish', ['--no-execute', fishScript]).status, 0);
  });

  test('zsh offers commands, subcommands and options by the command path', () => {
    assert.ok(zsh('podrun', '').includes('get'));
    assert.deepEqual(zsh('podrun', 'completion', ''), ['bash', 'fish', 'zsh', '--help']);
    assert.ok(zsh('podrun', 'image', '').includes('pull'));
    assert.ok(zsh('podrun', 'image', 'list', '').includes('--quiet'));
    assert.ok(zsh('podrun', 'lint', '').includes('--format'));
  });

  test('fish completes commands, subcommands and options by the command path', () => {
    assert.deepEqual(fish('podrun comp'), ['completion']);
    assert.deepEqual(fish('podrun completion '), ['bash', 'fish', 'zsh', '--help']);
    assert.deepEqual(fish('podrun image l').sort(), ['list', 'load', 'ls']);
    assert.ok(fish('podrun restart --').includes('--grace-period'));
  });
});
