// A long-lived Perl process that mounts and unmounts the kubelet's tmpfs volumes with mount(2)/umount2(2),
// served over a pipe as the host runtime's shim server serves its requests. Spawning mount(8) for every
// secret or projected volume forked the whole podrun process (a few hundred megabytes) on its event loop,
// twice per pod (mount, then unmount): with 1,000 pods that was a tenth of podrun's CPU. Node cannot call
// mount(2) itself; perl-base is Essential on Debian and its `syscall` can.
//
// Protocol: requests `<id> <op> <byte length>\n<target>\0<data>` on stdin (op `mount`: a tmpfs on target, data
// its options; op `umount`: target, no data); replies `<id> ok` or `<id> err <errno> <text>` a line on stdout.
// The helper ends when its stdin closes, i.e. when podrun goes.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** mount and umount2 by Node's `process.arch`: the architectures the host runtime supports. */
const SYSCALLS: Record<string, { mount: number; umount2: number }> = {
  x64: { mount: 165, umount2: 166 },
  arm64: { mount: 40, umount2: 39 },
};

// No modules (not even strict): the helper starts once, and perl-base is all Debian guarantees.
const SCRIPT = String.raw`
$SIG{PIPE} = 'IGNORE';
my ($SYS_MOUNT, $SYS_UMOUNT2) = @ARGV;
my $buf = '';
for (;;) {
  my $r = sysread(STDIN, my $chunk, 65536);
  if (!defined $r) { next if $! == 4; last; }
  last if $r == 0;
  $buf .= $chunk;
  for (;;) {
    my $nl = index($buf, "\n");
    last if $nl < 0;
    my ($id, $op, $len) = split / /, substr($buf, 0, $nl);
    last if length($buf) < $nl + 1 + $len;
    my ($target, $data) = split /\0/, substr($buf, $nl + 1, $len), 2;
    substr($buf, 0, $nl + 1 + $len) = '';
    my $rc;
    if ($op eq 'mount') {
      # syscall takes its string arguments as writable buffers: variables, not literals.
      my ($src, $fs) = ('tmpfs', 'tmpfs');
      if (defined $data && length $data) { $rc = syscall($SYS_MOUNT, $src, $target, $fs, 0, $data); }
      else { $rc = syscall($SYS_MOUNT, $src, $target, $fs, 0, 0); }
    } elsif ($op eq 'umount') {
      $rc = syscall($SYS_UMOUNT2, $target, 0);
    } else {
      $! = 22; $rc = -1;
    }
    if ($rc == 0) { syswrite(STDOUT, "$id ok\n"); }
    else { my $n = $! + 0; my $t = "$!"; $t =~ s/\n/ /g; syswrite(STDOUT, "$id err $n $t\n"); }
  }
}
`;

const PERL = '/usr/bin/perl';

export class MountHelperError extends Error {
  constructor(
    message: string,
    /** errno of the failed call. */
    readonly errno: number,
  ) {
    super(message);
    this.name = 'MountHelperError';
  }
}

interface Helper {
  child: ChildProcess;
  stdout: Readable;
  pending: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
  buffer: string;
  gone: boolean;
}

/** Serves tmpfs mounts and unmounts through one helper process, started on first use. */
export class MountHelper {
  #helper: Helper | undefined;
  #nextId = 1;

  /** Whether the helper can run here (a known architecture and perl); otherwise callers use mount(8). */
  static available(): boolean {
    return process.arch in SYSCALLS && existsSync(PERL);
  }

  /** mount -t tmpfs [-o options] tmpfs target. */
  mountTmpfs(target: string, options: string): Promise<void> {
    return this.#request('mount', `${target}\0${options}`);
  }

  /** umount target. */
  unmount(target: string): Promise<void> {
    return this.#request('umount', target);
  }

  #request(op: 'mount' | 'umount', payload: string): Promise<void> {
    if (payload.split('\0', 1)[0]!.includes('\n')) {
      // The framing carries the length, so a newline would work; refused anyway, as no volume path has one.
      return Promise.reject(new Error(`cannot ${op} a path with a newline: ${JSON.stringify(payload)}`));
    }
    let helper: Helper;
    try {
      helper = this.#ensure();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      if (helper.pending.size === 0) {
        // Keep podrun alive while a request is out; otherwise the helper must not hold the event loop.
        helper.child.ref();
        (helper.stdout as Readable & { ref?: () => void }).ref?.();
      }
      helper.pending.set(id, { resolve, reject });
      helper.child.stdin?.write(`${id} ${op} ${Buffer.byteLength(payload)}\n${payload}`);
    });
  }

  #ensure(): Helper {
    if (this.#helper && !this.#helper.gone) return this.#helper;
    const sys = SYSCALLS[process.arch];
    if (!sys) throw new Error(`the mount helper supports x64 and arm64, not ${process.arch}`);
    const child = spawn(PERL, ['-e', SCRIPT, String(sys.mount), String(sys.umount2)], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: {},
    });
    const { stdout, stdin } = child;
    if (!stdout || !stdin) throw new Error('the mount helper has no pipes');
    const helper: Helper = { child, stdout, pending: new Map(), buffer: '', gone: false };
    const fail = (why: string) => {
      if (helper.gone) return;
      helper.gone = true;
      for (const p of helper.pending.values()) p.reject(new Error(why));
      helper.pending.clear();
    };
    stdin.on('error', () => {
      // the helper died; 'close' or 'error' fails its pending requests
    });
    child.on('error', (e) => fail(`cannot run ${PERL} for the mount helper: ${e.message}`));
    child.on('close', (code, signal) =>
      fail(`the mount helper exited (${signal ?? `status ${code}`}) before answering`),
    );
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => this.#onData(helper, chunk));
    child.unref();
    (stdout as Readable & { unref?: () => void }).unref?.();
    this.#helper = helper;
    return helper;
  }

  #onData(helper: Helper, chunk: string): void {
    helper.buffer += chunk;
    for (let nl = helper.buffer.indexOf('\n'); nl >= 0; nl = helper.buffer.indexOf('\n')) {
      const line = helper.buffer.slice(0, nl);
      helper.buffer = helper.buffer.slice(nl + 1);
      const [idText, status, errno, ...text] = line.split(' ');
      const id = Number(idText);
      const p = helper.pending.get(id);
      if (!p) continue;
      helper.pending.delete(id);
      if (status === 'ok') p.resolve();
      else p.reject(new MountHelperError(text.join(' ') || 'failed', Number(errno)));
      if (helper.pending.size === 0) {
        helper.child.unref();
        (helper.stdout as Readable & { unref?: () => void }).unref?.();
      }
    }
  }
}
