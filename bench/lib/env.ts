// Benchmark sizes from the environment (BENCH_PODS=50 …): a positive integer, or the full-size default.
export function positiveIntFromEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const parsed = Number(v);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name}=${v}: must be a positive integer`);
  return parsed;
}
