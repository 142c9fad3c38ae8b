// resource.Quantity's canonical text for the whole numbers a node reports: BinarySI for bytes (`8145568Ki`,
// a plain number when not a multiple of 1024) and DecimalSI for counts (`110`, `2`).

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** resource.NewQuantity(n, BinarySI).String() for a whole n ≥ 0. */
export function formatBinarySI(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`formatBinarySI: ${n} is not a whole number of bytes`);
  if (n === 0) return '0';
  let value = n;
  let exp = 0;
  while (value % 1024 === 0 && exp < BINARY_SUFFIXES.length - 1) {
    value /= 1024;
    exp++;
  }
  return `${value}${BINARY_SUFFIXES[exp]}`;
}

/**
 * resource.NewMilliQuantity(milli, DecimalSI).String() for the node's CPU count: whole cores print bare
 * (`2`), fractions in millicores (`1500m`).
 */
export function formatMilliCPU(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
