// The fake runtime's test-facing types: what a scripted container does, the calls it records, its options.

import type { Readable, Writable } from 'node:stream';
import type { Clock } from '../../util/clock.js';
import type { ImageProcess } from '../image-process.js';
import type { ExecResult, TerminalSize } from '../types.js';

/** What one container instance does once started. */
export interface FakeBehaviour {
  /** Exits on its own after this long; omitted: runs until stopped. */
  exitAfterMs?: number;
  /** Exit code of the natural exit (default 0). */
  exitCode?: number;
  /** The natural exit is an OOM kill: exit 137, reason OOMKilled. */
  oom?: boolean;
  /** createContainer fails with CreateContainerError and this message. */
  failCreate?: string;
  /** startContainer fails with RunContainerError and this message (the instance ends StartError, 128). */
  failStart?: string;
  /** On SIGTERM: exit after exitAfterMs (default 0) with exitCode (default 143), or 'ignore' until SIGKILL. */
  onSigterm?: { exitAfterMs?: number; exitCode?: number } | 'ignore';
}

export interface FakeScriptContext {
  name: string;
  image: string;
  /** The kubelet's restart count for this instance (0 for the first). */
  attempt: number;
  podUid: string;
}

export type FakeScript = FakeBehaviour | ((ctx: FakeScriptContext) => FakeBehaviour);

export type FakeCallOp =
  | 'runPodSandbox'
  | 'stopPodSandbox'
  | 'removePodSandbox'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'pullImage'
  | 'execSync'
  | 'exec'
  | 'attach'
  | 'setServiceRules';

export interface FakeCall {
  op: FakeCallOp;
  /** Container name (container ops), pod name (sandbox ops), or image (pulls). */
  target: string;
  /** ms on the clock when the call was made */
  at: number;
  /** Extra facts: the stop timeout in seconds, the exec command. */
  detail?: string;
}

export interface FakeRuntimeOptions {
  clock: Clock;
  /** Behaviour by container name. Unscripted containers run until stopped. */
  scripts?: Record<string, FakeScript>;
  /** Images present before any pull (references, without a config: addImage gives one). */
  images?: string[];
  /** pullImage fails with ErrImagePull and this message. */
  pullErrors?: Record<string, string>;
  /** Answers execSync; default exit 0 with no output. */
  exec?: (containerName: string, cmd: string[]) => ExecResult | Promise<ExecResult>;
  /**
   * Runs a streaming exec (`kubectl exec`): gets the client's streams, returns the exit code, throws a
   * RuntimeError for a command that cannot start. Default: the execSync answer, written out.
   */
  execStream?: (containerName: string, cmd: string[], io: FakeExecIO) => number | Promise<number>;
}

/** What a fake streaming exec gets: stdin (when asked for), the outputs (stderr is stdout under a tty). */
export interface FakeExecIO {
  stdin: Readable | null;
  stdout: Writable;
  stderr: Writable;
  tty: boolean;
  /** Terminal sizes the client sent, in order. */
  resizes: TerminalSize[];
  /** Aborted when the client leaves (the command would be killed). */
  signal: AbortSignal;
}

/** What the container runs: for rootfs `image` as containerd derives it from the image config. */
export type FakeProcess = ImageProcess;
