// What the end-to-end tests need from the machine. Locally, a machine without it skips them with the reason;
// in CI (CI=true) a missing piece fails the run instead, because CI must run them.
import { spawnSync } from 'node:child_process';
import { KUBECTL } from './kubectl.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

function missing(): string[] {
  const out: string[] = [];
  if (process.platform !== 'linux') out.push('Linux');
  if (process.getuid?.() !== 0) out.push('root (namespaces, veths, mounts, cgroups)');
  for (const cmd of [KUBECTL, 'python3', 'perl', 'ip', 'findmnt', 'sh']) if (!has(cmd)) out.push(cmd);
  // Services (nft) and the tools the Services examples and tests run as host binaries.
  for (const cmd of ['nft', 'nc', 'dig', 'busybox', 'psql', 'redis-server', 'redis-cli', 'nginx'])
    if (!has(cmd)) out.push(cmd);
  // Images: loopback registries, and images pushed to them.
  for (const cmd of ['docker-registry', 'skopeo', 'htpasswd']) if (!has(cmd)) out.push(cmd);
  return out;
}

const lacking = missing();
if (lacking.length > 0 && process.env.CI === 'true') {
  throw new Error(
    `the end-to-end tests need ${lacking.join(', ')}; CI must provide them (see docs/testing.md)`,
  );
}

/** A reason to skip (this machine lacks something), or false. Never a reason in CI: there it throws above. */
export const E2E_SKIP: string | false =
  lacking.length > 0 ? `this machine lacks ${lacking.join(', ')}` : false;
