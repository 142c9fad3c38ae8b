// Starting a worker thread on a module of this package: from the compiled package it is the .js beside the
// caller; from a checkout run through tsx (tests, `bin/podrun` from source) a worker does not inherit the
// loader that `register()` installed, so a small script registers tsx in the worker before importing the .ts.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `name` is the module's file name without its extension, beside `callerUrl` (the caller's import.meta.url). */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (callerUrl.endsWith('.js')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  // execArgv: [] so that a parent's `--import tsx` is not applied twice.
  return new Worker(script, { ...options, eval: true, execArgv: [] });
}
