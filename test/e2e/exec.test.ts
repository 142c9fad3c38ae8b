// Real kubectl (and the Python client) against `podrun serve` for the streaming subresources: exec (exit
// codes, stdin, a TTY through `script`, the refusals) over WebSocket and over SPDY, cp both ways, run --rm -i,
// attach, and debug -it with an ephemeral container at a terminal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { KUBECTL } from './support/kubectl.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker } from './support/run-id.js';
import { poll, pollPod } from './support/watch.js';

const MARK = `: ${marker('e2e-exec-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;
const IDLE = 'trap "exit 0" TERM; while :; do sleep 1; done';
const work = mkdtempSync(join(tmpdir(), 'podrun-e2e-exec-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** kubectl with extra environment and stdin, for what Kubectl.run does not cover. */
async function kubectlWith(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number; holdStdin?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, {
    stdio: [options.input === undefined && !options.holdStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: cluster.serve.kubeconfig, NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
  });
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  child.stdin?.on('error', () => {});
  if (!options.holdStdin) child.stdin?.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A command under a pseudo-terminal (util-linux `script`), as a user at a terminal runs it. */
// script's stdin is held open: at its end, script writes the terminal's EOF character into the pty, which
// kubectl (its terminal raw by then, or not yet) forwarded to the container now and then as a stray ^@.
const underTerminal = (shell: string) =>
  kubectlWith('script', ['-q', '-e', '-c', shell, '/dev/null'], { holdStdin: true });

const running = (p: Pod) =>
  p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready) === true;

describe('kubectl exec, cp, run -i and attach', { skip: E2E_SKIP }, () => {
  before(async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: x}
spec:
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${MARK} ${IDLE}']
    - name: side
      image: busybox
      command: [sh, -c, '${MARK} exit 0']
  restartPolicy: Never
`);
    await pollPod(
      k(),
      'x',
      (p) =>
        p.status?.containerStatuses?.find((c) => c.name === 'main')?.ready === true &&
        p.status?.containerStatuses?.find((c) => c.name === 'side')?.state?.terminated !== undefined,
      'pod x: main running, side done',
    );
  });

  test("exec: stdout and stderr apart, and the exit code is kubectl's", async () => {
    const r = await k().run(['exec', 'x', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\ncommand terminated with exit code 3\n');
    const killed = await k().run(['exec', 'x', '-c', 'main', '--', 'sh', '-c', 'kill -9 $$']);
    assert.equal(killed.code, 137);
    assert.equal((await k().run(['exec', 'x', '-c', 'main', '--', 'true'])).code, 0);
  });

  test('exec -i: stdin reaches the command and its end closes it', async () => {
    const r = await k().run(['exec', '-i', 'x', '-c', 'main', '--', 'sh', '-c', 'cat; echo done'], {
      input: 'a\nb\n',
    });
    assert.deepEqual([r.code, r.stdout], [0, 'a\nb\ndone\n']);
  });

  test("exec -t: a real terminal in the container, sized as the client's", async () => {
    const cmd = `stty rows 40 cols 100; ${KUBECTL} exec -it x -c main -- sh -c 'tty; stty size; exit 4'`;
    const r = await underTerminal(cmd);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+\r\n40 100\r\n/);
  });

  test('the refusals: a wrong token, a container not in the pod, one not running, a missing command, a completed pod', async () => {
    const anonymous = await k().run(['--token=wrong', 'exec', 'x', '-c', 'main', '--', 'true']);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /You must be logged in to the server/);
    const nope = await k().run(['exec', 'x', '-c', 'nope', '--', 'true']);
    assert.equal(nope.code, 1);
    assert.equal(nope.stderr, 'Error from server (BadRequest): container nope is not valid for pod x\n');
    const stopped = await k().run(['exec', 'x', '-c', 'side', '--', 'true']);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, 'error: Internal error occurred: container not found ("side")\n');
    const missing = await k().run(['exec', 'x', '-c', 'main', '--', 'no-such-binary']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error: Internal error occurred: error executing command in container: .*exec: "no-such-binary": executable file not found in \$PATH: unknown\n$/,
    );
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: finished}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [sh, -c, '${MARK} exit 0']}]
`);
    await pollPod(k(), 'finished', (p) => p.status?.phase === 'Succeeded', 'pod finished to succeed');
    const done = await k().run(['exec', 'finished', '--', 'true']);
    assert.equal(done.code, 1);
    assert.match(done.stderr, /cannot exec into a container in a completed pod; current phase is Succeeded/);
  });

  test('over SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false): exit codes, stdin, a terminal, attach, cp, the refusals', async () => {
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const exec = (args: string[], input?: string) =>
      kubectlWith(KUBECTL, ['exec', ...args], { env: spdy, ...(input === undefined ? {} : { input }) });
    // The POST upgrade is what ran, not a WebSocket.
    const proof = await exec(['-v=6', 'x', '-c', 'main', '--', 'true']);
    assert.equal(proof.code, 0, proof.stderr);
    assert.match(proof.stderr, /POST https:\/\/\S+\/pods\/x\/exec\?\S+ 101 Switching Protocols/);
    assert.doesNotMatch(proof.stderr, /GET https:\/\/\S+\/exec|websocket/i);
    const r = await exec(['x', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\ncommand terminated with exit code 3\n' });
    assert.equal((await exec(['x', '-c', 'main', '--', 'sh', '-c', 'kill -9 $$'])).code, 137);
    const piped = await exec(['-i', 'x', '-c', 'main', '--', 'sh', '-c', 'cat; echo done'], 'a\nb\n');
    assert.deepEqual([piped.code, piped.stdout], [0, 'a\nb\ndone\n']);
    const cmd = `stty rows 40 cols 100; KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false ${KUBECTL} exec -it x -c main -- sh -c 'tty; stty size; exit 4'`;
    const tty = await underTerminal(cmd);
    assert.equal(tty.code, 4, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\/dev\/pts\/\d+\r\n40 100\r\n/);
    // The kubelet refuses a container that is not running before the switch, in plain text.
    const stopped = await exec(['x', '-c', 'side', '--', 'true']);
    assert.deepEqual(
      [stopped.code, stopped.stderr],
      [1, 'error: unable to upgrade connection: container not found ("side")\n'],
    );
    const nope = await exec(['x', '-c', 'nope', '--', 'true']);
    assert.equal(nope.stderr, 'Error from server (BadRequest): container nope is not valid for pod x\n');
    const missing = await exec(['x', '-c', 'main', '--', 'no-such-binary']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Internal error occurred: .*executable file not found in \$PATH/);
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: att-spdy}
spec:
  restartPolicy: Never
  containers:
    - name: c
      image: busybox
      stdin: true
      stdinOnce: true
      command: [sh, -c, '${MARK} while read l; do echo "got $l"; done; echo end']
`);
    await pollPod(k(), 'att-spdy', running, 'pod att-spdy to run');
    const att = await kubectlWith(KUBECTL, ['attach', '-i', 'att-spdy'], { env: spdy, input: 'hi\n' });
    assert.deepEqual([att.code, att.stdout], [0, 'got hi\nend\n']);
    // cp is tar through exec: into the pod it needs stdin's end (its stream's FIN).
    const src = join(work, 'spdy.bin');
    const back = join(work, 'spdy-back.bin');
    writeFileSync(src, randomBytes(1024 * 1024));
    for (const args of [
      ['cp', '-c', 'main', src, 'x:/tmp/spdy.bin'],
      ['cp', '-c', 'main', 'x:/tmp/spdy.bin', back],
    ]) {
      const r = await kubectlWith(KUBECTL, args, { env: spdy });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.ok(readFileSync(src).equals(readFileSync(back)));
  });

  test('debug -it --target: a shell in an ephemeral container at a terminal, over WebSocket and SPDY', async () => {
    for (const [name, websockets] of [
      ['dbg-ws', 'true'],
      ['dbg-spdy', 'false'],
    ] as const) {
      const child = spawn(
        'script',
        [
          '-q',
          '-e',
          '-c',
          `stty rows 30 cols 90; ${KUBECTL} debug -it x --image=busybox --target=main -c ${name} -- sh`,
          '/dev/null',
        ],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: {
            ...process.env,
            KUBECONFIG: cluster.serve.kubeconfig,
            KUBECTL_REMOTE_COMMAND_WEBSOCKETS: websockets,
          },
        },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString('utf8');
      });
      const closed = once(child, 'close');
      await poll(
        () => (out.includes("If you don't see a command prompt") ? true : undefined),
        `kubectl debug (${name}) to be attached`,
      );
      // Typed at the prompt: the target's PID 1 is visible (its process namespace is shared), and the answer
      // is the shell's own output, not the terminal's echo of what was typed.
      child.stdin.write("tr '\\0' ' ' </proc/1/cmdline; echo; echo answer-$((6*7))\r");
      await poll(() => (out.includes('answer-42') ? true : undefined), `the shell in ${name} to answer`);
      child.stdin.write('exit 3\r');
      const [code] = (await closed) as [number | null];
      assert.equal(code, 0, out);
      assert.match(out, /Targeting container "main"/);
      assert.match(out, /sh -c : [^\r\n]*trap "exit 0" TERM/);
      const pod = await pollPod(
        k(),
        'x',
        (p) =>
          p.status?.ephemeralContainerStatuses?.find((c) => c.name === name)?.state?.terminated !== undefined,
        `the ephemeral container ${name} to end`,
      );
      const status = pod.status?.ephemeralContainerStatuses?.find((c) => c.name === name);
      assert.equal(status?.state?.terminated?.exitCode, 3);
      assert.equal(status?.restartCount, 0);
    }
  });

  test('cp: a file into the pod and back, byte for byte', async () => {
    const src = join(work, 'random.bin');
    const back = join(work, 'back.bin');
    writeFileSync(src, randomBytes(3 * 1024 * 1024));
    await k().ok(['cp', '-c', 'main', src, 'x:/tmp/random.bin']);
    await k().ok(['cp', '-c', 'main', 'x:/tmp/random.bin', back]);
    assert.ok(readFileSync(src).equals(readFileSync(back)));
  });

  test("run --rm -i --restart=Never: stdin in, output out, the pod's exit code, the pod deleted", async () => {
    const r = await k().run(
      [
        'run',
        'once',
        '--image=busybox',
        '--restart=Never',
        '-i',
        '--rm',
        '--',
        'sh',
        '-c',
        `${MARK} read l; echo "got $l"; exit 5`,
      ],
      { input: 'hi\n', timeoutMs: 90_000 },
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /^got hi\n/);
    assert.match(r.stdout, /pod "once" deleted/);
    await poll(
      async () => ((await k().run(['get', 'pod', 'once'])).code === 1 ? true : undefined),
      'pod once to be gone',
    );
  });

  test('attach -i: input to a stdin container, its output back; stdinOnce closes its stdin', async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: att}
spec:
  restartPolicy: Never
  containers:
    - name: c
      image: busybox
      stdin: true
      stdinOnce: true
      command: [sh, -c, '${MARK} while read l; do echo "got $l"; done; echo end']
`);
    await pollPod(k(), 'att', running, 'pod att to run');
    const r = await k().run(['attach', '-i', 'att'], { input: 'hi\nthere\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'got hi\ngot there\nend\n');
    await pollPod(k(), 'att', (p) => p.status?.phase === 'Succeeded', 'pod att to succeed');
  });

  test("attach -it: a tty container's terminal, with the client's size", async () => {
    await k().apply(`
apiVersion: v1
kind: Pod
metadata: {name: term}
spec:
  restartPolicy: Never
  containers:
    - name: c
      image: busybox
      stdin: true
      tty: true
      command: [sh, -c, '${MARK} read l; tty; stty size; exit 7']
`);
    await pollPod(k(), 'term', running, 'pod term to run');
    const child = spawn(
      'script',
      ['-q', '-e', '-c', `stty rows 30 cols 90; ${KUBECTL} attach -it term`, '/dev/null'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, KUBECONFIG: cluster.serve.kubeconfig },
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    // Typed once kubectl is attached (it says so), as a user would.
    await poll(
      () => (out.includes("If you don't see a command prompt") ? true : undefined),
      'kubectl attach to be attached',
    );
    child.stdin.write('go\r');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.match(out, /\/dev\/pts\/\d+\r\n30 90\r\n/, out);
    assert.notEqual(code, null);
    const pod = await pollPod(k(), 'term', (p) => p.status?.phase === 'Failed', 'pod term to fail');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 7);
  });

  test('the Python client execs with stdin and gets the exit code', async () => {
    const script = `
import sys
from kubernetes import client, config
from kubernetes.stream import stream
config.load_kube_config(sys.argv[1])
api = client.CoreV1Api()
print(repr(stream(api.connect_get_namespaced_pod_exec, 'x', 'default', container='main', command=['sh', '-c', 'echo hi'], stderr=True, stdin=False, stdout=True, tty=False)))
resp = stream(api.connect_get_namespaced_pod_exec, 'x', 'default', container='main', command=['sh', '-c', 'head -n1; exit 3'], stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
resp.write_stdin('data\\n')
resp.run_forever(timeout=30)
print(repr(resp.read_stdout()), resp.returncode)
`;
    const r = await kubectlWith('/usr/bin/python3', ['-c', script, cluster.serve.kubeconfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "'hi\\n'\n'data\\n' 3\n");
  });
});
