// What must be undone if the benchmark is interrupted (Ctrl-C, SIGTERM): servers to stop, pod processes to
// kill, temporary directories to remove. Each benchmark registers its cleanups and removes them once done.

type Task = () => Promise<void> | void;
const tasks: Task[] = [];

/** Registers `task`; returns the function that unregisters it (call it once the task ran normally). */
export function deferCleanup(task: Task): () => void {
  tasks.push(task);
  return () => {
    const i = tasks.lastIndexOf(task);
    if (i >= 0) tasks.splice(i, 1);
  };
}

/** Runs every registered cleanup, newest first; errors are reported and do not stop the rest. */
export async function runCleanups(report: (line: string) => void): Promise<void> {
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    try {
      await task();
    } catch (err) {
      report(`cleanup failed: ${(err as Error).message}`);
    }
  }
}
