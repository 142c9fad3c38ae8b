// Go's time.Duration.String for whole milliseconds, as the kubelet prints backoffs: `10s`, `1m20s`, `5m0s`.

export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const negative = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${negative ? '-' : ''}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  // Go prints fractional seconds without trailing zeros: 1.5s, 2.25s.
  const secondsText = Number.isInteger(seconds) ? String(seconds) : String(Number(seconds.toFixed(3)));
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  out += `${secondsText}s`;
  return (negative ? '-' : '') + out;
}
