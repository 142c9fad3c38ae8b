// Encoded answers by query, valid while the view's serial is unchanged: a repeated question (every pod asks
// for the same few Services) is then answered without decoding, looking up or encoding anything. Only
// podrun's own answers are kept, never forwarded ones (their TTLs are the upstream's).

/** Plenty for a single node's Services × types × client variants; when full it starts over. */
const MAX_ENTRIES = 10_000;

export class AnswerCache {
  private readonly entries = new Map<string, Buffer>();
  private serial = Number.NaN;

  /**
   * The key of a raw query: everything but its id (flags, counts, question, EDNS0 record) and the transport,
   * since UDP and TCP answers may differ in size.
   */
  static key(raw: Buffer, overTcp: boolean): string {
    return (overTcp ? 't' : 'u') + raw.toString('latin1', 2);
  }

  /** A copy of the cached answer with `id`, or undefined. */
  get(key: string, serial: number, id: number): Buffer | undefined {
    if (serial !== this.serial) {
      this.entries.clear();
      this.serial = serial;
      return undefined;
    }
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    out.writeUInt16BE(id, 0);
    return out;
  }

  set(key: string, serial: number, response: Buffer): void {
    if (serial !== this.serial) {
      this.entries.clear();
      this.serial = serial;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, Buffer.from(response));
  }
}
