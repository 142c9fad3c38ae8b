// mknod(2) and lsetxattr(2), which node:fs lacks. One python3 helper per unpack serves them over a pipe
// (python3 is already a podrun host requirement; its os module has both calls), started only when a layer
// has a device, fifo, whiteout, opaque dir or xattr, so most layers never start it.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

const helperSource = String.raw`
import base64, errno, json, os, stat, sys
for line in sys.stdin:
    r = json.loads(line)
    try:
        if r["op"] == "mknod":
            kind = {"c": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}[r["kind"]]
            os.mknod(r["path"], kind | r["mode"], os.makedev(r["major"], r["minor"]))
        else:
            os.setxattr(r["path"], r["name"], base64.b64decode(r["value"]), follow_symlinks=False)
        sys.stdout.write("ok\n")
    except OSError as e:
        sys.stdout.write("err %s %s\n" % (errno.errorcode.get(e.errno, "EIO"), e.strerror))
    sys.stdout.flush()
`;

export class SyscallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Syscalls {
  private child: ChildProcessWithoutNullStreams | undefined;
  private lines: Interface | undefined;
  private waiting: Array<(line: string) => void> = [];
  private failure: Error | undefined;

  private start(): void {
    const child = spawn('python3', ['-c', helperSource], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const fail = (why: string) => {
      this.failure = new Error(`the mknod/setxattr helper (python3) failed: ${why}`);
      for (const w of this.waiting.splice(0)) w('');
    };
    child.on('error', (err) => fail(err.message));
    child.on('close', (code) => {
      if (this.child === child) fail(stderr.trim() || `exit ${code}`);
    });
    child.stdin.on('error', () => {});
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    this.child = child;
  }

  private async call(req: Record<string, unknown>): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.child === undefined) this.start();
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.child!.stdin.write(`${JSON.stringify(req)}\n`);
    });
    if (this.failure) throw this.failure;
    if (line === 'ok') return;
    const m = /^err (\S+) (.*)$/.exec(line);
    throw new SyscallError(m?.[1] ?? 'EIO', `${req.op} ${String(req.path)}: ${m?.[2] ?? line}`);
  }

  mknod(path: string, kind: 'c' | 'b' | 'p', mode: number, major: number, minor: number): Promise<void> {
    return this.call({ op: 'mknod', path, kind, mode, major, minor });
  }

  lsetxattr(path: string, name: string, value: Buffer): Promise<void> {
    return this.call({ op: 'setxattr', path, name, value: value.toString('base64') });
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    this.lines?.close();
    child?.stdin.end();
  }
}
