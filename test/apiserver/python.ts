// The official Python client (Debian's python3-kubernetes) run against a test server: a script gets the
// server's URL, token and CA file as argv[1..3] and prints one JSON document.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { TestServer } from './helpers.js';

export const PYTHON = '/usr/bin/python3';
export const hasPythonClient =
  spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;

/** Runs `script` against `t`; fails with its stderr unless it exits 0; returns what it printed, parsed. */
export async function runPythonScript(t: TestServer, script: string): Promise<unknown> {
  const child = spawn(PYTHON, ['-c', script, t.server.url, t.server.token, t.server.caFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}
