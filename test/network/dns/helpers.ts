// Clients and a fake upstream for the server tests: dig, raw UDP/TCP exchanges, all on loopback.
import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';

const execFileP = promisify(execFile);

export async function dig(address: string, port: number, args: string[]): Promise<string> {
  const { stdout } = await execFileP('dig', [
    `@${address}`,
    '-p',
    String(port),
    '+tries=1',
    '+time=5',
    ...args,
  ]);
  return stdout;
}

/** The `status:` and the flags of dig's header line, and the answer section's records. */
export function parseDig(out: string): { status: string; flags: string[]; answers: string[][] } {
  const status = /status: (\w+)/.exec(out)?.[1] ?? '';
  const flags = (/;; flags: ([^;]*);/.exec(out)?.[1] ?? '').trim().split(/\s+/);
  const answers: string[][] = [];
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out)?.[1] ?? '';
  for (const line of section.split('\n')) if (line.trim()) answers.push(line.trim().split(/\s+/));
  return { status, flags, answers };
}

/** Sends datagrams from one socket and collects the replies. */
export class UdpClient {
  private readonly socket: UdpSocket = createSocket('udp4');
  private readonly waiting: Array<(m: Buffer) => void> = [];
  private readonly queued: Buffer[] = [];

  constructor(
    private readonly address: string,
    private readonly port: number,
  ) {
    this.socket.on('message', (m) => {
      const w = this.waiting.shift();
      if (w) w(m);
      else this.queued.push(m);
    });
  }

  send(buf: Buffer): void {
    this.socket.send(buf, this.port, this.address);
  }

  next(): Promise<Buffer> {
    const q = this.queued.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async ask(packet: Packet): Promise<DecodedPacket> {
    this.send(dnsPacket.encode(packet));
    return dnsPacket.decode(await this.next());
  }

  close(): void {
    this.socket.close();
  }
}

/** Writes `frames` (already length-prefixed or not) on one TCP connection and reads `expect` messages back. */
export function tcpExchange(
  address: string,
  port: number,
  payload: Buffer,
  expect: number,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const conn = connect({ host: address, port });
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    conn.on('error', reject);
    conn.on('connect', () => conn.write(payload));
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= expect) {
        conn.end();
        resolve(out);
      }
    });
  });
}

export function framed(...messages: Buffer[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(m.length);
      return Buffer.concat([p, m]);
    }),
  );
}

/** A resolver on 127.0.0.1 that answers A queries from `records`, or stays silent when `silent`. */
export class FakeUpstream {
  readonly queries: DecodedPacket[] = [];
  silent = false;
  /** Names answered over UDP with TC set and no records (the full answer is on the TCP side). */
  truncated = new Set<string>();
  private readonly socket: UdpSocket = createSocket('udp4');

  constructor(private readonly records: Record<string, string>) {
    this.socket.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      this.queries.push(q);
      if (this.silent) return;
      const question = q.questions![0]!;
      const ip = this.records[question.name.toLowerCase()];
      const tc = this.truncated.has(question.name.toLowerCase());
      const reply = dnsPacket.encode({
        type: 'response',
        id: q.id ?? 0,
        flags: dnsPacket.RECURSION_AVAILABLE | (tc ? dnsPacket.TRUNCATED_RESPONSE : ip ? 0 : 3),
        questions: q.questions ?? [],
        answers:
          ip && !tc && question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 60, data: ip }] : [],
      });
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
  }

  start(): Promise<number> {
    return new Promise((resolve) =>
      this.socket.bind(0, '127.0.0.1', () => resolve(this.socket.address().port)),
    );
  }

  close(): void {
    this.socket.close();
  }
}

/** A TCP resolver on 127.0.0.1:`port` answering every A query with `ip` (the FakeUpstream's TCP side). */
export function fakeTcpUpstream(port: number, answers: (name: string) => string[]): Promise<() => void> {
  return new Promise((resolve) => {
    const server = createServer((conn) => {
      let buf = Buffer.alloc(0);
      conn.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const q = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = Buffer.alloc(0);
        const name = q.questions![0]!.name;
        const reply = dnsPacket.encode({
          type: 'response',
          id: q.id ?? 0,
          flags: dnsPacket.RECURSION_AVAILABLE,
          questions: q.questions ?? [],
          answers: answers(name).map((data) => ({ type: 'A' as const, name, ttl: 60, data })),
        });
        conn.write(framed(reply));
      });
      conn.on('error', () => conn.destroy());
    });
    server.listen(port, '127.0.0.1', () => resolve(() => server.close()));
  });
}
