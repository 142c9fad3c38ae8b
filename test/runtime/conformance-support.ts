// Helpers of the runtime conformance suites: reading CRI log files, waiting, and the small perl programs that
// serve and fetch one line over TCP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export const SERVER = (port: number) => [
  'perl',
  '-MIO::Socket::INET',
  '-e',
  `$s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => ${port}, Listen => 5, ReuseAddr => 1) or die "listen: $!"; while ($c = $s->accept) { print $c "hello from " . \`uname -n\`; close $c }`,
];

export const CLIENT = (addr: string) => [
  'perl',
  '-MIO::Socket::INET',
  '-e',
  `for (1 .. 50) { $c = IO::Socket::INET->new(PeerAddr => "${addr}", Timeout => 1) and last; select(undef, undef, undef, 0.1) } $c or die "connect ${addr}: $!\\n"; print scalar <$c>`,
];

export interface CriLogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  tag: 'F' | 'P';
  text: string;
}

/** Parses a CRI log file (`<RFC3339Nano> <stream> <F|P> <text>` per line). */
export function readCriLog(path: string): CriLogRecord[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: CriLogRecord[] = [];
  for (const line of raw.split('\n')) {
    if (!line) continue;
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
    if (!m) throw new Error(`not a CRI log line in ${path}: ${JSON.stringify(line.slice(0, 120))}`);
    out.push({
      time: m[1] as string,
      stream: m[2] as 'stdout' | 'stderr',
      tag: m[3] as 'F' | 'P',
      text: m[4] as string,
    });
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${ms} ms`);
    await sleep(25);
  }
}

/** Connects from this process (the host) and reads one line, retrying while the server starts. */
export async function tcpLine(host: string, port: number, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const sock = connect({ host, port, timeout: 2000 });
        let data = '';
        sock.on('data', (b) => {
          data += b.toString();
        });
        sock.on('end', () => resolve(data));
        sock.on('timeout', () => sock.destroy(new Error('timeout')));
        sock.on('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}
