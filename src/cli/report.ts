// How the CLI reports a failure: one line that says what failed, then the cause's own words, exit 1.
export function fail(err: unknown, what: string): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`podrun: ${what}: ${message}\n`);
  if (process.env.PODRUN_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
