// PortForward cases of the runtime conformance suite: a connection made inside the pod's network namespace
// (a server bound to the pod's 127.0.0.1 only is reached, which no dial from the host could do), a refused
// port in containerd's words, and the errors for sandboxes that are gone or stopped.
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import type { RuntimeService } from '../../src/runtime/types.js';
import type { ConformanceContext } from './conformance-context.js';
import { rejectsWith } from './conformance-contract.js';
import { sleep } from './conformance-support.js';

export const PORT_FORWARD_TESTS = {
  portForwardLoopback:
    "portForward reaches a server bound to the pod's own 127.0.0.1, and two connections at once",
  portForwardRefused: "portForward to a port nothing listens on fails with containerd's connection refused",
  portForwardSandbox: 'portForward to an unknown sandbox is NotFound, to a stopped one NotRunning',
  portForwardReader:
    "portForward with a reader hands it every byte in order, pauses on false until resume(), and still ends with 'end'",
} as const;

/** 3 MiB of a 16-byte pattern: several reads' worth, and any lost, doubled or reordered read shows. */
const PATTERN = '0123456789abcdef';
const PATTERN_BYTES = 3 * 1024 * 1024;

/**
 * What a reader sees of a connection: copies of the chunks (the runtime may reuse their memory), with every
 * third chunk answered false and the connection resumed a moment later.
 */
export function readThroughReader(
  dial: (onData: (chunk: Buffer) => boolean) => Promise<Duplex>,
): Promise<{ data: Buffer; pauses: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let pauses = 0;
    let conn: Duplex | undefined;
    // The first chunks may come before dial's promise settles.
    const resumeLater = (): void => {
      setTimeout(() => (conn ? conn.resume() : resumeLater()), 5);
    };
    const onData = (chunk: Buffer): boolean => {
      chunks.push(Buffer.from(chunk));
      if (chunks.length % 3 !== 0) return true;
      pauses++;
      resumeLater();
      return false;
    };
    dial(onData).then((c) => {
      conn = c;
      c.on('end', () => resolve({ data: Buffer.concat(chunks), pauses }));
      c.on('error', reject);
    }, reject);
  });
}

/** Checks a reader's result against PATTERN_BYTES of PATTERN. */
export function assertPattern(got: { data: Buffer; pauses: number }): void {
  assert.equal(got.data.length, PATTERN_BYTES);
  assert.ok(got.data.equals(Buffer.from(PATTERN.repeat(PATTERN_BYTES / PATTERN.length))), 'bytes in order');
  assert.ok(got.pauses > 0, 'the reader paused the connection at least once');
}

export const PATTERN_SERVER_BODY = { pattern: PATTERN, bytes: PATTERN_BYTES };

/** A server on the pod's loopback only: it answers each connection with its line, then echoes one line. */
const LOOPBACK_SERVER = (port: number) => [
  'perl',
  '-MIO::Socket::INET',
  '-e',
  `$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => ${port}, Listen => 5, ReuseAddr => 1) or die "listen: $!"; while ($c = $s->accept) { if (fork() == 0) { print $c "hello from " . \`uname -n\`; $l = <$c>; print $c "echo $l"; close $c; exit 0 } close $c }`,
];

function readAll(socket: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.on('data', (b: Buffer) => {
      data += b.toString();
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** Retries while the server in the pod starts; the first refusal is expected. */
async function dialRetry(rt: RuntimeService, sandboxId: string, port: number): Promise<Duplex> {
  const portForward = rt.portForward?.bind(rt);
  assert.ok(portForward, `the ${rt.name} runtime implements portForward`);
  for (let i = 0; ; i++) {
    try {
      return await portForward(sandboxId, port);
    } catch (e) {
      if (i > 200) throw e;
      await sleep(50);
    }
  }
}

export function portForwardCases(ctx: ConformanceContext): void {
  const { it, newPod, containerConfig, run } = ctx;

  it(PORT_FORWARD_TESTS.portForwardLoopback, ['processes', 'network'], async () => {
    const rt = ctx.rt();
    const pod = await newPod('forwarded');
    await run(pod, containerConfig('server', LOOPBACK_SERVER(8081)));
    const a = await dialRetry(rt, pod.id, 8081);
    const b = await dialRetry(rt, pod.id, 8081);
    const [outA, outB] = [readAll(a), readAll(b)];
    b.write('second\n');
    a.write('first\n');
    assert.equal(await outA, 'hello from forwarded\necho first\n');
    assert.equal(await outB, 'hello from forwarded\necho second\n');
  });

  it(PORT_FORWARD_TESTS.portForwardReader, ['processes', 'network'], async () => {
    const rt = ctx.rt();
    const pod = await newPod('reader');
    const count = PATTERN_BYTES / PATTERN.length;
    await run(
      pod,
      containerConfig('server', [
        'perl',
        '-MIO::Socket::INET',
        '-e',
        `$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 8082, Listen => 5, ReuseAddr => 1) or die "listen: $!"; while ($c = $s->accept) { print $c ("${PATTERN}" x ${count}); close $c }`,
      ]),
    );
    await dialRetry(rt, pod.id, 8082).then((probe) => probe.destroy());
    assertPattern(await readThroughReader((onData) => rt.portForward!(pod.id, 8082, onData)));
  });

  it(PORT_FORWARD_TESTS.portForwardRefused, [], async () => {
    const rt = ctx.rt();
    const pod = await newPod('closed-port');
    await assert.rejects(rt.portForward!(pod.id, 9090), (e: Error) => {
      assert.equal(
        e.message,
        `failed to connect to localhost:9090 inside namespace ${JSON.stringify(pod.id)}, IPv4: dial tcp4 127.0.0.1:9090: connect: connection refused IPv6 dial tcp6 [::1]:9090: connect: connection refused `,
      );
      return true;
    });
  });

  it(PORT_FORWARD_TESTS.portForwardSandbox, [], async () => {
    const rt = ctx.rt();
    await rejectsWith(rt.portForward!('no-such-sandbox', 80), 'NotFound');
    const pod = await newPod('stopped-sandbox');
    await rt.stopPodSandbox(pod.id);
    await rejectsWith(rt.portForward!(pod.id, 80), 'NotRunning');
  });
}

export const PID_TARGET_TESTS = {
  pidTarget:
    "a container with pidNamespaceTargetId shares that container's PID namespace (its command is PID 1); others get their own",
} as const;

export function pidTargetCases(ctx: ConformanceContext): void {
  const { it, newPod, containerConfig, run, runToEnd } = ctx;

  it(PID_TARGET_TESTS.pidTarget, ['processes', 'namespaces'], async () => {
    const pod = await newPod('pid-target');
    const target = await run(pod, containerConfig('app', ['sleep', '600']));
    const show = ['sh', '-c', "tr '\\0' ' ' < /proc/1/cmdline; echo"];
    const joined = await runToEnd(
      pod,
      containerConfig('dbg', show, { linux: { pidNamespaceTargetId: target } }),
    );
    assert.equal(joined.out, 'sleep 600 \n');
    const own = await runToEnd(pod, containerConfig('other', show));
    assert.equal(own.out, "sh -c tr '\\0' ' ' < /proc/1/cmdline; echo \n");
  });
}
