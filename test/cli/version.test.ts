// `podrun version` without a server: podrun's own version, as text, JSON or YAML, and exit 0 (there is no
// server version to print, which is not a failure). With a server: test/e2e/cli-kubectl.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { REPO, runPodrun } from '../e2e/support/serve.js';

const stateDir = mkdtempSync(join(tmpdir(), 'podrun-version-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

test('podrun version with no server on the state directory prints its own version and exits 0', async () => {
  const r = await runPodrun(['version', '--state-dir', stateDir]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Client Version: podrun ${version}\n`, '']);
  const client = await runPodrun(['version', '--client']);
  assert.deepEqual([client.code, client.stdout], [0, `Client Version: podrun ${version}\n`]);
});

test('podrun version -o json|yaml: the client version for scripts; --version prints the bare version', async () => {
  const json = await runPodrun(['version', '-o', 'json', '--state-dir', stateDir]);
  assert.equal(json.code, 0, json.stderr);
  assert.match(
    json.stdout,
    /^\{\n {2}"clientVersion": \{\n {4}"/,
    'indented by two spaces, as kubectl version',
  );
  assert.deepEqual(JSON.parse(json.stdout), {
    clientVersion: { podrunVersion: version, platform: `${process.platform}/${process.arch}` },
  });
  const yaml = await runPodrun(['version', '-o', 'yaml', '--client']);
  assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
  const bad = await runPodrun(['version', '-o', 'wide', '--client']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /argument 'wide' is invalid\. Allowed choices are json, yaml/);
  const flag = await runPodrun(['--version']);
  assert.deepEqual([flag.code, flag.stdout], [0, `${version}\n`]);
});
