// resource.Quantity with exact arithmetic and Go's canonical text (Quantity.String), for the admission
// plugins and controllers whose messages print quantities (`exceeded quota: q, requested: requests.cpu=500m,
// used: requests.cpu=1, limited: requests.cpu=1200m`). A value is a fraction num/den, so `0.1` + `0.2` is
// exactly `300m`; sums keep the format of their first operand, as Quantity.Add does.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  num: bigint;
  den: bigint;
  format: QuantityFormat;
}

const BINARY: Record<string, bigint> = {
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX: Record<number, string> = Object.fromEntries(
  Object.entries(DECIMAL).map(([s, e]) => [e, s]),
);

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

function make(num: bigint, den: bigint, format: QuantityFormat): Quantity {
  const g = gcd(num, den);
  return { num: num / g, den: den / g, format };
}

/** Parses `500m`, `1.5`, `128Mi`, `1e3` (or a JSON number); undefined when malformed. */
export function parseQuantity(text: string | number): Quantity | undefined {
  const s = String(text).trim();
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/.exec(s);
  if (!m) return undefined;
  const [intPart = '', fracPart = ''] = m[2]!.split('.');
  let num = BigInt((intPart || '0') + fracPart) * (m[1] === '-' ? -1n : 1n);
  let den = 10n ** BigInt(fracPart.length);
  const suffix = m[3] ?? '';
  const binary = BINARY[suffix];
  if (binary !== undefined) return make(num * binary, den, 'BinarySI');
  const exponent = /^[eE]/.test(suffix);
  const exp = exponent ? Number(suffix.slice(1)) : DECIMAL[suffix]!;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den *= 10n ** BigInt(-exp);
  return make(num, den, exponent ? 'DecimalExponent' : 'DecimalSI');
}

/** parseQuantity, with zero for an absent or malformed value (validation reports those). */
export function quantityOf(text: string | number | undefined): Quantity {
  return (text === undefined ? undefined : parseQuantity(text)) ?? zeroQuantity();
}

export function zeroQuantity(format: QuantityFormat = 'DecimalSI'): Quantity {
  return { num: 0n, den: 1n, format };
}

/** Quantity.Add: the sum in a's format, or b's when a is zero. */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  return make(a.num * b.den + b.num * a.den, a.den * b.den, a.num === 0n ? b.format : a.format);
}

export function subQuantity(a: Quantity, b: Quantity): Quantity {
  return make(a.num * b.den - b.num * a.den, a.den * b.den, a.format);
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function cmpQuantity(a: Quantity, b: Quantity): number {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** a / b rounded up (away from zero when the signs agree), as Go's Quantity rounding. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n === b > 0n ? q + 1n : q;
}

/** Quantity.MilliValue: thousandths, rounded up. */
export function milliValue(q: Quantity): bigint {
  return ceilDiv(q.num * 1000n, q.den);
}

/** Quantity.Value: whole units, rounded up. */
export function unitValue(q: Quantity): bigint {
  return ceilDiv(q.num, q.den);
}

/** The value in nano-units rounded up, as Go keeps at most nine fractional digits. */
function nanos(q: Quantity): bigint {
  return ceilDiv(q.num * 1_000_000_000n, q.den);
}

/** Quantity.String(): the canonical text. */
export function formatQuantity(q: Quantity): string {
  let n = nanos(q);
  if (n === 0n) return '0';
  const sign = n < 0n ? '-' : '';
  if (n < 0n) n = -n;
  const whole = n % 1_000_000_000n === 0n;
  // BinarySI prints whole numbers of at least 1024 with a binary suffix; anything else as DecimalSI.
  if (q.format === 'BinarySI' && whole && n >= 1024n * 1_000_000_000n) {
    let v = n / 1_000_000_000n;
    let i = 0;
    const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    while (v % 1024n === 0n && i < suffixes.length - 1) {
      v /= 1024n;
      i++;
    }
    return `${sign}${v}${suffixes[i]}`;
  }
  let exp = -9;
  while (n % 1000n === 0n && exp < 18) {
    n /= 1000n;
    exp += 3;
  }
  if (q.format === 'DecimalExponent') return exp === 0 ? `${sign}${n}` : `${sign}${n}e${exp}`;
  return `${sign}${n}${DECIMAL_SUFFIX[exp]}`;
}

/** formatQuantity(parseQuantity(text)), or the text itself when it does not parse. */
export function canonicalQuantity(text: string | number): string {
  const q = parseQuantity(text);
  return q ? formatQuantity(q) : String(text);
}
