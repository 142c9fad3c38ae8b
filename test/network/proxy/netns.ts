// Network namespaces the proxy tests create and delete: a "node" netns holding a bridge, pod netns joined to it
// by veths, and small servers and clients run inside them (agent.mjs). Names carry the test process's pid so
// parallel test files never meet.

import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runChecked } from '../../../src/network/proxy/exec.js';

const AGENT = join(dirname(fileURLToPath(import.meta.url)), 'agent.mjs');

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

export async function ip(...args: string[]): Promise<string> {
  return (await runChecked('ip', args)).stdout;
}

export async function addNetns(name: string): Promise<void> {
  await ip('netns', 'add', name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
}

export async function deleteNetns(name: string): Promise<void> {
  await runChecked('ip', ['netns', 'del', name]).catch(() => {});
}

/** A bridge with `address` (e.g. 10.244.0.1/16) in the node netns. */
export async function addBridge(node: string, bridge: string, address: string): Promise<void> {
  await ip('-n', node, 'link', 'add', bridge, 'type', 'bridge');
  await ip('-n', node, 'addr', 'add', address, 'dev', bridge);
  await ip('-n', node, 'link', 'set', bridge, 'up');
}

/** A pod netns joined to the bridge: eth0 with `address` (e.g. 10.244.0.2/16), default route via `gateway`. */
export async function addPod(
  node: string,
  bridge: string,
  pod: string,
  hostVeth: string,
  address: string,
  gateway: string,
): Promise<void> {
  await addNetns(pod);
  await ip('-n', node, 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
  await ip('-n', node, 'link', 'set', hostVeth, 'master', bridge, 'up');
  await ip('-n', pod, 'addr', 'add', address, 'dev', 'eth0');
  await ip('-n', pod, 'link', 'set', 'eth0', 'up');
  await ip('-n', pod, 'route', 'add', 'default', 'via', gateway);
}

export interface Server {
  stop(): void;
}

/**
 * A server in `netns` on host:port that answers every TCP connection or UDP datagram with `name` (and, for
 * TCP, the address the client came from). Resolves once it listens.
 */
export function startServer(
  netns: string,
  proto: 'tcp' | 'udp',
  host: string,
  port: number,
  name: string,
): Promise<Server> {
  const child = spawnAgent(netns, ['serve', proto, host, String(port), name]);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    lines.once('line', () => resolve({ stop: () => child.kill('SIGKILL') }));
    child.once('exit', (code) => reject(new Error(`server ${name} in ${netns} exited (${code}): ${stderr}`)));
  });
}

export interface ProbeResult {
  /** The server's name, or the error code (ECONNREFUSED, TIMEOUT, EHOSTUNREACH...). */
  outcome: string;
  /** The client address the server saw (TCP only). */
  peer?: string;
}

/**
 * `count` connections (or datagrams) from `netns` to host:port, one after the other, each with a deadline of
 * `timeoutMs`; returns what each one met.
 */
export async function probe(
  netns: string,
  proto: 'tcp' | 'udp',
  host: string,
  port: number,
  count = 1,
  timeoutMs = 3000,
): Promise<ProbeResult[]> {
  const child = spawnAgent(netns, ['probe', proto, host, String(port), String(count), String(timeoutMs)]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`probe from ${netns} to ${host}:${port} failed (${code}): ${err}`);
  return JSON.parse(out) as ProbeResult[];
}

function spawnAgent(netns: string, args: string[]): ChildProcess {
  return spawn('nsenter', [`--net=${netnsPath(netns)}`, process.execPath, AGENT, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
