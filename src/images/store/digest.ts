// sha256 digests as the store uses them: `sha256:<64 hex>`. The store addresses everything by sha256 (as
// containerd's content store does for what registries serve); other algorithms are refused with a clear error.
import { sha256Of } from '../digest.js';

const sha256Re = /^sha256:[a-f0-9]{64}$/;

export class StoreError extends Error {
  override name = 'StoreError';
}

export function isSha256(d: string): boolean {
  return sha256Re.test(d);
}

/** Returns `d` if it is a sha256 digest; throws saying where it came from otherwise. */
export function checkDigest(d: unknown, where: string): string {
  if (typeof d !== 'string' || !sha256Re.test(d)) {
    throw new StoreError(
      `${where}: ${JSON.stringify(d)} is not a sha256 digest (want "sha256:" and 64 lowercase hex digits)`,
    );
  }
  return d;
}

export function hexOf(d: string): string {
  return d.slice('sha256:'.length);
}

export { sha256Of };

/**
 * The image-spec chain ID: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 * Returned for every prefix of `diffIDs`, bottom layer first.
 */
export function chainIDs(diffIDs: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Of(`${prev} ${d}`));
  }
  return out;
}
