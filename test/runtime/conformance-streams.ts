// Streaming cases of the conformance suite: exec (`kubectl exec`) and attach (`kubectl attach`, `run -i`),
// the CRI's Exec and Attach. The host runtime runs them with real processes and pseudo-terminals; the fake
// runs the contract cases.
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import type { ContainerStream } from '../../src/runtime/types.js';
import type { ConformanceContext } from './conformance-context.js';
import { rejectsWith } from './conformance-contract.js';
import { waitFor } from './conformance-support.js';

export const STREAM_TESTS = {
  streamNotRunning: 'exec and attach in a container that is not running fail with NotRunning',
  execStream: 'exec streams stdout and stderr apart, takes stdin to its end, and resolves with the exit code',
  execStreamSignal: 'exec of a command killed by a signal ends with 128 + the signal; close() kills it',
  execStreamMissing:
    'exec of a command that does not exist fails to start (RunContainerError), not an exit code',
  execStreamTty:
    'exec with a tty runs on /dev/pts/N as controlling terminal, owned by its user, with the size given at the start and the size the client sets',
  execStreamTtyImage:
    "exec with a tty in an image's container gets a terminal of the container's own /dev/pts",
  attachStdin:
    "attach with stdinOnce: input reaches the main process, its stdin closes with the client's, output follows",
  attachTty: "attach to a tty container: its output, input and the client's window size",
  attachTtyImage: "a tty container made from an image runs on its own devpts's first terminal",
} as const;

function collect(stream: Readable | null): Promise<string> {
  if (!stream) return Promise.resolve('');
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))));
}

/** Reads a stream until `pattern` matches what has come so far. */
function until(stream: Readable | null, pattern: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    if (!stream) return reject(new Error('no stream'));
    const onData = (c: Buffer) => {
      text += c.toString('utf8');
      if (pattern.test(text)) {
        stream.off('data', onData);
        resolve(text);
      }
    };
    stream.on('data', onData);
    stream.on('end', () => reject(new Error(`stream ended without ${pattern}: ${JSON.stringify(text)}`)));
  });
}

export function streamCases(ctx: ConformanceContext): void {
  const { it, newPod, containerConfig, run } = ctx;
  const rt = () => ctx.rt();
  const exec = (
    id: string,
    cmd: string[],
    o: Partial<{ stdin: boolean; tty: boolean; size: { width: number; height: number } }> = {},
  ) => {
    const r = rt();
    assert.ok(r.exec, 'the runtime implements exec');
    const options = { stdin: o.stdin ?? false, stdout: true, stderr: !o.tty, tty: o.tty ?? false };
    return r.exec(id, cmd, o.size ? { ...options, size: o.size } : options);
  };

  it(STREAM_TESTS.streamNotRunning, [], async () => {
    const pod = await newPod('stream-stopped');
    const id = await rt().createContainer(pod.id, containerConfig('c', ['sleep', '600']), pod.config);
    await rejectsWith(exec(id, ['true']), 'NotRunning');
    const r = rt();
    assert.ok(r.attach, 'the runtime implements attach');
    await rejectsWith(r.attach(id, { stdin: false, stdout: true, stderr: true, tty: false }), 'NotRunning');
  });

  it(STREAM_TESTS.execStream, ['processes'], async () => {
    const pod = await newPod('exec-stream');
    // Non-ASCII text in the environment and the command line arrives as UTF-8, unchanged.
    const id = await run(
      pod,
      containerConfig('c', ['sleep', '600'], { envs: [{ name: 'WHO', value: 'mé' }] }),
    );
    const s = await exec(id, ['sh', '-c', 'cat; echo "$WHO"; echo "ünï" >&2; exit 3'], { stdin: true });
    const out = collect(s.stdout);
    const err = collect(s.stderr);
    s.stdin?.end('a\nb\n');
    assert.equal(await s.done, 3);
    assert.equal(await out, 'a\nb\nmé\n');
    assert.equal(await err, 'ünï\n');
  });

  it(STREAM_TESTS.execStreamSignal, ['processes'], async () => {
    const pod = await newPod('exec-signal');
    const id = await run(pod, containerConfig('c', ['sleep', '600']));
    const killed = await exec(id, ['sh', '-c', 'kill -9 $$']);
    assert.equal(await killed.done, 137);
    const long = await exec(id, ['sleep', '600']);
    long.close();
    assert.equal(await long.done, 137);
    assert.equal((await rt().containerStatus(id)).state, 'running', 'the container goes on');
  });

  it(STREAM_TESTS.execStreamMissing, ['processes'], async () => {
    const pod = await newPod('exec-missing');
    const id = await run(pod, containerConfig('c', ['sleep', '600']));
    await rejectsWith(
      exec(id, ['no-such-binary-here']),
      'RunContainerError',
      /executable file not found in \$PATH/,
    );
  });

  it(STREAM_TESTS.execStreamTty, ['processes', 'namespaces'], async () => {
    const pod = await newPod('exec-tty');
    const id = await run(pod, containerConfig('c', ['sleep', '600']));
    const s = await exec(id, ['sh', '-c', 'read x; tty; stty size; exit 4'], { stdin: true, tty: true });
    assert.equal(s.stderr, null);
    const out = collect(s.stdout);
    s.resize({ width: 100, height: 40 });
    s.stdin?.write('go\n');
    assert.equal(await s.done, 4);
    // The terminal echoes the input and ends lines with CRLF.
    assert.match(await out, /^go\r\n\/dev\/pts\/\d+\r\n40 100\r\n$/);
    // A size given at the start is the terminal's before the command runs.
    const sized = await exec(id, ['stty', 'size'], { tty: true, size: { width: 120, height: 50 } });
    const sizedOut = collect(sized.stdout);
    assert.equal(await sized.done, 0);
    assert.equal(await sizedOut, '50 120\r\n');
    // The terminal belongs to the user the command runs as, who may reopen it by name.
    const user = await run(
      pod,
      containerConfig('u', ['sleep', '600'], { linux: { security: { runAsUser: 65534 } } }),
    );
    const mine = await exec(user, ['sh', '-c', 'id -u; test -w "$(tty)" && echo writable'], { tty: true });
    const mineOut = collect(mine.stdout);
    assert.equal(await mine.done, 0);
    assert.equal(await mineOut, '65534\r\nwritable\r\n');
  });

  it(STREAM_TESTS.execStreamTtyImage, ['processes', 'namespaces', 'images'], async () => {
    const pod = await newPod('exec-tty-image');
    const layered = await ctx.image('layered');
    const id = await run(
      pod,
      containerConfig('c', ['/bin/sleep', '600'], { rootfs: 'image', image: layered.name }),
    );
    const s = await exec(id, ['/bin/sh', '-c', 'read x; tty; stty size'], { tty: true, stdin: true });
    const out = collect(s.stdout);
    s.resize({ width: 80, height: 24 });
    s.stdin?.write('go\n');
    assert.equal(await s.done, 0);
    // The container's own devpts: its first terminal.
    assert.match(await out, /^go\r\n\/dev\/pts\/0\r\n24 80\r\n$/);
  });

  it(STREAM_TESTS.attachStdin, ['processes'], async () => {
    const pod = await newPod('attach-stdin');
    const id = await run(
      pod,
      containerConfig('c', ['sh', '-c', 'while read l; do echo "got $l"; done; echo end; echo bye >&2'], {
        stdin: true,
        stdinOnce: true,
      }),
    );
    const r = rt();
    assert.ok(r.attach);
    const s: ContainerStream = await r.attach(id, { stdin: true, stdout: true, stderr: true, tty: false });
    const out = collect(s.stdout);
    const err = collect(s.stderr);
    s.stdin?.write('hi\n');
    s.stdin?.end();
    await s.done;
    assert.equal(await out, 'got hi\nend\n');
    assert.equal(await err, 'bye\n');
    const status = await ctx.waitExit(id);
    assert.equal(status.exitCode, 0);
  });

  it(STREAM_TESTS.attachTty, ['processes', 'namespaces'], async () => {
    const pod = await newPod('attach-tty');
    const id = await run(
      pod,
      containerConfig('c', ['sh', '-c', 'read l; tty; stty size; read l; exit 5'], {
        stdin: true,
        tty: true,
      }),
    );
    const r = rt();
    assert.ok(r.attach);
    const s = await r.attach(id, { stdin: true, stdout: true, stderr: true, tty: true });
    assert.equal(s.stderr, null, 'a terminal has one output');
    s.resize({ width: 90, height: 30 });
    // The resize and the input go through one socket, in order.
    s.stdin?.write('x\n');
    const seen = await until(s.stdout, /\d+ \d+\r\n/);
    assert.match(seen, /\/dev\/pts\/\d+\r\n30 90\r\n/);
    s.stdin?.write('y\n');
    await s.done;
    await waitFor(async () => (await rt().containerStatus(id)).state === 'exited');
    assert.equal((await rt().containerStatus(id)).exitCode, 5);
  });

  it(STREAM_TESTS.attachTtyImage, ['processes', 'namespaces', 'images'], async () => {
    const pod = await newPod('attach-tty-image');
    const layered = await ctx.image('layered');
    const id = await run(
      pod,
      containerConfig('c', ['/bin/sh', '-c', 'read l; tty'], {
        rootfs: 'image',
        image: layered.name,
        stdin: true,
        tty: true,
      }),
    );
    const r = rt();
    assert.ok(r.attach);
    const s = await r.attach(id, { stdin: true, stdout: true, stderr: false, tty: true });
    const out = collect(s.stdout);
    s.stdin?.write('x\n');
    await s.done;
    assert.match(await out, /^x\r\n\/dev\/pts\/0\r\n$/);
  });
}
