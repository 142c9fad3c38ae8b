// `Warning` response headers as the API server writes them (apimachinery util/net NewWarningHeader and the
// apiserver's warning recorder, endpoints/filters/warning.go): `299 - "text"` with `"` and `\` escaped and
// everything else sent as UTF-8; a text that is not valid UTF-8 or holds a control character is dropped;
// duplicates are dropped; past 4,096 runes in all, every text is cut to 256 runes, and texts that no longer
// fit are dropped. Texts can carry what a client sent (the names of unknown fields), so none of this is
// cosmetic: Node refuses to write a header with a character it cannot send, which made such a request a 500.

export const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
export const TRUNCATE_ITEM_RUNES = 256;

// unicode.IsControl: C0, DEL and C1. A lone surrogate is not valid UTF-8.
const UNSENDABLE =
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** The header line as bytes Node writes unchanged (a latin1 string of the UTF-8 encoding). */
function header(text: string): string {
  return Buffer.from(`299 - ${quoted(text)}`, 'utf8').toString('latin1');
}

function runes(text: string): string[] {
  return Array.from(text);
}

/** The `Warning` header values for `texts`, in order. */
export function warningHeaders(texts: readonly string[]): string[] {
  const seen = new Set<string>();
  const ordered: string[][] = [];
  for (const text of texts) {
    if (text === '' || seen.has(text) || UNSENDABLE.test(text)) continue;
    seen.add(text);
    ordered.push(runes(text));
  }
  const total = ordered.reduce((n, r) => n + r.length, 0);
  if (total <= TRUNCATE_AT_TOTAL_RUNES) return ordered.map((r) => header(r.join('')));
  // Over the limit: the recorder replays every text cut to 256 runes and, once those fill the limit, drops the rest.
  const out: string[] = [];
  let written = 0;
  for (const r of ordered) {
    if (written >= TRUNCATE_AT_TOTAL_RUNES) break;
    const cut = r.slice(0, TRUNCATE_ITEM_RUNES);
    written += cut.length;
    out.push(header(cut.join('')));
  }
  return out;
}
