// Go's spellings of values that end up in Kubernetes' messages (`%q`, `%v` of a slice, time.Duration,
// net.JoinHostPort), so that podrun's errors, events and statuses read exactly as upstream's.

/** Go's strconv.Quote: a double-quoted string with Go escapes; printable Unicode is kept as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate cannot be UTF-8; Go would see invalid bytes and print the replacement escape.
      out += '\\ufffd';
    } else if (isPrintable(cp)) {
      out += ch;
    } else if (cp < 0x80) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (cp <= 0xffff) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else {
      out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/** An approximation of Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
function isPrintable(cp: number): boolean {
  if (cp === 0x20) return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
}

/** Go's time.Duration.String for whole milliseconds, as the kubelet prints backoffs: `10s`, `1m20s`, `5m0s`. */
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

/** `%v` of a []string: `[a b c]`. */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** net.JoinHostPort: brackets around IPv6 literals. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
