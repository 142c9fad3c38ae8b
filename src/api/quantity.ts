// resource.Quantity as a number, for comparing and summing requests and limits (`100m` → 0.1,
// `128Mi` → 134217728). Exact arithmetic (the downward API's divisors) uses the bigint parser in
// src/kubelet/fieldpath.ts.

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity string as a float, enough to compare two quantities; NaN if malformed. */
export function quantityValue(q: string): number {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q);
  if (!m) return Number.NaN;
  if (m[2]) return Number(m[1] + m[2]);
  return Number(m[1]) * SUFFIX[m[3] ?? '']!;
}

/** A request or limit as written in a spec (string or number); 0 when absent or malformed. */
export function quantityOrZero(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const v = quantityValue(value.trim());
  return Number.isNaN(v) ? 0 : v;
}
