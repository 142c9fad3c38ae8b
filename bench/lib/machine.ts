// The machine a result was measured on, printed next to every result.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { podrunForm } from './podrun-form.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  kubectl: string;
  date: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews results. */
  loadavg: number;
  /**
   * What bin/podrun runs (and the fake-runtime server): the compiled dist/, or the TypeScript source through tsx
   * (~80 MB more, slower to start). Benchmarks that run podrun's code in their own process run the source.
   */
  podrun: 'dist' | 'source';
}

function kubectlVersion(): string {
  try {
    const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return (JSON.parse(out) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '?';
  } catch {
    return 'not found';
  }
}

export function machine(): Machine {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // os.cpus() is good enough.
  }
  return {
    nproc,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    kubectl: kubectlVersion(),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadavg: Math.round(loadavg()[0]! * 100) / 100,
    podrun: podrunForm(),
  };
}

export function describeMachine(m: Machine): string {
  return (
    `${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ` +
    `kubectl ${m.kubectl}, at ${m.date}, load average ${m.loadavg} at the start, bin/podrun ${m.podrun === 'dist' ? 'compiled (dist/)' : 'from source through tsx'}`
  );
}
