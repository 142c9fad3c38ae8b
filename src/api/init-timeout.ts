// The init-timeout annotations (a podrun extension, docs/lifecycle.md "Init container timeouts"): what they
// are called and how their values read. The kubelet acts on them (kubelet/init-timeout.ts); validation
// refuses values it could not act on (validation/init-timeout.ts).

/** One timeout for every regular init container of the pod. */
export const INIT_TIMEOUT_ANNOTATION = 'podrun.dev/init-timeout';
/** `podrun.dev/init-timeout.<container>`: the timeout of one init container, over the pod-wide one. */
export const INIT_TIMEOUT_PREFIX = `${INIT_TIMEOUT_ANNOTATION}.`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`30s`, `2m`, `1m30s`, `500ms`) in ms; undefined when the text is not one or not positive. */
export function parseTimeout(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (text === '' || end !== text.length || total <= 0) return undefined;
  return total;
}
