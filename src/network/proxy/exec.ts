// The proxy's helper commands (nft, ip), run to completion, optionally inside another network namespace
// (`nsenter --net=<path>`), failing with an execa-style error: the command line, its exit code and its stderr.

import { spawn } from 'node:child_process';

export interface CommandOptions {
  /** Standard input (nft reads its transaction from `-f -`). */
  input?: string;
  /** A network namespace file (`/run/netns/<name>`, `/proc/<pid>/ns/net`): run the command inside it. */
  netnsPath?: string;
}

export interface CommandResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A helper command that could not start or exited non-zero; `message` says which, with its stderr. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    /** The exit code; -1 when the command could not be started. */
    readonly exitCode: number,
    readonly stderr: string,
    readonly stdout: string,
    detail?: string,
  ) {
    super(
      `Command failed with exit code ${exitCode}: ${command}${detail ? `\n${detail}` : ''}${stderr.trim() ? `\n${stderr.trim()}` : ''}`,
    );
  }
}

// nft and ip live in /usr/sbin, which a non-login PATH may lack.
const PATH = [process.env.PATH, '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']
  .filter(Boolean)
  .join(':');

/** Runs `file args…`; resolves with its output whatever its exit code; rejects only when it cannot start. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const argv = options.netnsPath ? ['nsenter', `--net=${options.netnsPath}`, file, ...args] : [file, ...args];
  const command = argv.map(quoteArg).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH, LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new CommandError(command, -1, '', '', `cannot run ${argv[0]}: ${e.message}`)),
    );
    child.on('close', (code, signal) =>
      resolve({
        command,
        exitCode: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `killed by ${signal}\n` : ''),
      }),
    );
    // nft may exit before reading all of a large input (a syntax error early on): that is reported by its exit.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** runCommand, rejecting with a CommandError on a non-zero exit. */
export async function runChecked(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const res = await runCommand(file, args, options);
  if (res.exitCode !== 0) throw new CommandError(res.command, res.exitCode, res.stderr, res.stdout);
  return res;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
