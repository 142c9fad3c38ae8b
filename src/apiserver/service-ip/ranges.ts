// The two pools a Service draws from, with kube-apiserver's error texts: ClusterIPs from the service CIDR
// (ipallocator bitmap.go, Kubernetes v1.30: not the network or broadcast address) and NodePorts from
// --service-node-port-range (portallocator). Both keep a lower band for explicit requests.
import { OffsetBitmap, type Random } from './bitmap.js';
import { type Cidr, cidrContains, formatIPv4, parseIPv4 } from './config.js';

/** ipallocator.ErrAllocated / ErrFull / ErrNotInRange and their portallocator twins. */
export class AllocationError extends Error {}

export const ERR_FULL = 'range is full';

/** calculateRangeOffset (ipallocator): min(max(16, size/16), 256); 0 for ranges of 16 or fewer. */
export function ipRangeOffset(cidrSize: number): number {
  if (cidrSize <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(cidrSize / 16)), 256);
}

/** calculateRangeOffset (portallocator): min(max(16, size/32), 128); 0 for ranges of 16 or fewer. */
export function portRangeOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}

export class IpRange {
  readonly #bits: OffsetBitmap;
  /** The first usable address (network + 1). */
  readonly #first: number;

  constructor(
    readonly cidr: Cidr,
    random?: Random,
  ) {
    this.#first = cidr.base + 1;
    this.#bits = new OffsetBitmap(Math.max(0, cidr.size - 2), ipRangeOffset(cidr.size), random);
  }

  /** The bitmap offset of `ip`, or undefined when it is not an allocatable address of the range. */
  #offsetOf(ip: number): number | undefined {
    if (!cidrContains(this.cidr, ip)) return undefined;
    const off = ip - this.#first;
    return off >= 0 && off < this.#bits.max ? off : undefined;
  }

  /** Throws an AllocationError when `ip` is outside the range or taken. `check` only checks the range. */
  allocate(ip: string, check = false): void {
    const n = parseIPv4(ip);
    const off = n === undefined ? undefined : this.#offsetOf(n);
    if (off === undefined) {
      const shown = n === undefined ? ip : formatIPv4(n);
      throw new AllocationError(
        `the provided IP (${shown}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`,
      );
    }
    if (check) return;
    if (!this.#bits.allocate(off)) throw new AllocationError('provided IP is already allocated');
  }

  /** A free address from the upper band first; throws `range is full`. */
  allocateNext(): string {
    const off = this.#bits.allocateNext();
    if (off === undefined) throw new AllocationError(ERR_FULL);
    return formatIPv4(this.#first + off);
  }

  /** Releasing an address outside the range or not taken does nothing, as upstream. */
  release(ip: string): void {
    const n = parseIPv4(ip);
    const off = n === undefined ? undefined : this.#offsetOf(n);
    if (off !== undefined) this.#bits.release(off);
  }

  has(ip: string): boolean {
    const n = parseIPv4(ip);
    const off = n === undefined ? undefined : this.#offsetOf(n);
    return off !== undefined && this.#bits.has(off);
  }

  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.#offsetOf(n) !== undefined;
  }

  get used(): number {
    return this.#bits.used;
  }

  get free(): number {
    return this.#bits.free;
  }
}

export class PortRange {
  readonly #bits: OffsetBitmap;

  constructor(
    readonly base: number,
    readonly size: number,
    random?: Random,
  ) {
    this.#bits = new OffsetBitmap(size, portRangeOffset(size), random);
  }

  get text(): string {
    return `${this.base}-${this.base + this.size - 1}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  allocate(port: number, check = false): void {
    if (!this.contains(port)) {
      throw new AllocationError(
        `provided port is not in the valid range. The range of valid ports is ${this.text}`,
      );
    }
    if (check) return;
    if (!this.#bits.allocate(port - this.base))
      throw new AllocationError('provided port is already allocated');
  }

  allocateNext(): number {
    const off = this.#bits.allocateNext();
    if (off === undefined) throw new AllocationError(ERR_FULL);
    return this.base + off;
  }

  release(port: number): void {
    if (this.contains(port)) this.#bits.release(port - this.base);
  }

  has(port: number): boolean {
    return this.contains(port) && this.#bits.has(port - this.base);
  }

  get used(): number {
    return this.#bits.used;
  }
}
