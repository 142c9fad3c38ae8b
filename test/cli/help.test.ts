// `--help` of every podrun command, walked from the command tree itself: each command that runs something shows
// examples, and every option an example uses is one its command has (a renamed flag breaks this test, not the
// reader who copies the example).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from '@commander-js/extra-typings';
import { podrunProgram } from '../../src/cli/program.js';

// biome-ignore lint/suspicious/noExplicitAny: commands of every option and argument type are walked alike
type AnyCommand = Command<any, any, any>;

function leaves(cmd: AnyCommand, path: string[] = []): { path: string[]; cmd: AnyCommand }[] {
  const subs = cmd.commands as AnyCommand[];
  if (subs.length === 0) return [{ path, cmd }];
  return subs.flatMap((c) => leaves(c, [...path, c.name()]));
}

function helpOf(cmd: AnyCommand): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

const commands = leaves(podrunProgram() as AnyCommand);

test('the tree has the commands the issue names', () => {
  const names = commands.map((c) => c.path.join(' '));
  for (const want of ['up', 'down', 'get', 'describe', 'logs', 'delete', 'events', 'timeline', 'lint'])
    assert.ok(names.includes(want), names.join(', '));
  assert.ok(names.includes('image pull') && names.includes('completion') && names.includes('version'));
});

for (const { path, cmd } of commands) {
  const name = path.join(' ');
  test(`podrun ${name} --help shows examples that use its own options`, () => {
    const help = helpOf(cmd);
    const [, section] = help.split('\nExamples:\n');
    assert.ok(section, `no Examples: in podrun ${name} --help:\n${help}`);
    const lines = section.split('\n').map((l) => l.trim());
    const runs = lines.filter((l) => l.startsWith(`podrun ${name}`) || l.includes(`| podrun ${name}`));
    assert.ok(runs.length > 0, `no example runs podrun ${name}:\n${section}`);
    const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)));
    flags.add('--help');
    for (const run of runs) {
      const args = run.slice(run.indexOf(`podrun ${name}`) + `podrun ${name}`.length).split(/\s+/);
      for (const arg of args) {
        if (!arg.startsWith('-') || arg === '-') continue;
        const flag = arg.split('=')[0]!;
        // `--no-headers`-style negations are registered as such.
        assert.ok(
          flags.has(flag),
          `podrun ${name}: the example "${run}" uses ${flag}, which it does not have`,
        );
      }
    }
  });
}
