// intstr.GetScaledValueFromIntOrPercent: `25%` of a total, rounded up or down.
export function scaledValue(
  v: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: number,
): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    const n = Number(v);
    return Number.isInteger(n) ? n : fallback;
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
