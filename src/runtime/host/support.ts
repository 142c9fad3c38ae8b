// Whether this machine can run the host runtime, and if not, what is missing and what to do instead.

import { existsSync } from 'node:fs';
import { findIp } from './host-setup.js';
import { run } from './proc.js';
import { supportedArch, syscallEntries } from './spec.js';

export type SupportResult = { ok: true } | { ok: false; problem: string; hint: string };

const HINT_DOCKER = 'or run pods in containers with `--runtime docker`';

export async function checkHostRuntimeSupport(perl = '/usr/bin/perl'): Promise<SupportResult> {
  if (process.platform !== 'linux') {
    return {
      ok: false,
      problem: `the host runtime runs pods as Linux processes, and this is ${process.platform}`,
      hint: `run podrun on Linux, ${HINT_DOCKER}`,
    };
  }
  if (!supportedArch()) {
    return {
      ok: false,
      problem: `the host runtime supports x64 and arm64, and this is ${process.arch}`,
      hint: `use \`--runtime docker\``,
    };
  }
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) {
    return {
      ok: false,
      problem: `the host runtime needs root (it creates namespaces, mounts, veth pairs and cgroups) and podrun runs as uid ${uid}; rootless operation is not supported`,
      hint: `run podrun as root (sudo podrun …), ${HINT_DOCKER}`,
    };
  }
  if (!existsSync(perl)) {
    return {
      ok: false,
      problem: `${perl} is missing (the host runtime's shim is a Perl script)`,
      hint: `install perl-base (apt-get install perl-base), ${HINT_DOCKER}`,
    };
  }
  const ip = findIp();
  if (ip === 'ip') {
    return {
      ok: false,
      problem: 'the `ip` command is missing (pods get their network with it)',
      hint: `install iproute2 (apt-get install iproute2), ${HINT_DOCKER}`,
    };
  }
  // Creating namespaces can still be refused (a container without CAP_SYS_ADMIN, seccomp): try it once.
  const nums = Object.fromEntries(syscallEntries().map(([, name, n]) => [name, n]));
  const probe = await run(perl, [
    '-e',
    `syscall(${nums.unshare}, 0x40000000 | 0x04000000 | 0x08000000 | 0x00020000) == 0 or die "unshare: $!\\n"; exit 0`,
  ]).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
  if (probe.code !== 0) {
    return {
      ok: false,
      problem: `this process may not create namespaces (${probe.stderr.trim() || `exit status ${probe.code}`})`,
      hint: `run podrun as root on the host (not in an unprivileged container), ${HINT_DOCKER}`,
    };
  }
  return { ok: true };
}
