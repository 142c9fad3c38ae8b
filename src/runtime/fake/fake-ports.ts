// The fake runtime's pod ports: a test says what listens on a port of a pod (by pod UID), and portForward
// hands back one end of an in-memory connection whose other end goes to that listener. Nothing touches the
// network; an unserved port fails with the words a refused dial has on the host runtime.
import { Duplex } from 'node:stream';

export type FakePortHandler = (socket: Duplex) => void;

/**
 * Two connected ends: what one writes, the other reads; ending one's writes ends the other's reads; destroying
 * one closes the other (as a reset TCP peer would, without an error on the side that did not cause it).
 */
export function socketPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (!peer().destroyed) peer().push(chunk);
        callback();
      },
      final(callback) {
        if (!peer().destroyed) peer().push(null);
        callback();
      },
      destroy(error, callback) {
        if (!peer().destroyed) peer().destroy();
        callback(error);
      },
    });
  ends.push(
    make(() => ends[1]!),
    make(() => ends[0]!),
  );
  return [ends[0]!, ends[1]!];
}

export class FakePorts {
  readonly #handlers = new Map<string, FakePortHandler>();

  listen(podUid: string, port: number, handler: FakePortHandler): void {
    this.#handlers.set(`${podUid}/${port}`, handler);
  }

  close(podUid: string, port: number): void {
    this.#handlers.delete(`${podUid}/${port}`);
  }

  connect(podUid: string, sandboxId: string, port: number): Duplex {
    const handler = this.#handlers.get(`${podUid}/${port}`);
    if (!handler) {
      throw new Error(
        `failed to connect to localhost:${port} inside namespace ${JSON.stringify(sandboxId)}, IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused `,
      );
    }
    const [client, server] = socketPair();
    handler(server);
    return client;
  }
}
