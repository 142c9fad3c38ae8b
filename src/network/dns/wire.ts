// Responses on the wire: UDP answers must fit the client's limit (512, or its EDNS0 size capped at 1232);
// what does not fit is left out by whole records and the TC bit tells the client to ask again over TCP.
import { type Answer, encode, encodingLength, type Packet, TRUNCATED_RESPONSE } from 'dns-packet';

/** The largest DNS message TCP can carry (its 2-byte length prefix). */
export const MAX_TCP_MESSAGE = 65535;

function withCounts(p: Packet, answers: Answer[], authorities: Answer[], additionals: Answer[]): Packet {
  return { ...p, answers, authorities, additionals };
}

/**
 * Encodes `response` within `limit` bytes. Additional records go first (their loss needs no TC, RFC 2181 §9),
 * then answers and authorities from the end, keeping the OPT record; TC is set when an answer or authority
 * record was left out.
 */
export function encodeResponse(response: Packet, limit: number): Buffer {
  if (encodingLength(response) <= limit) return encode(response);
  const answers = response.answers ?? [];
  const authorities = response.authorities ?? [];
  const opt = (response.additionals ?? []).filter((a) => a.type === 'OPT');
  const noExtra = withCounts(response, answers, authorities, opt);
  if (encodingLength(noExtra) <= limit) return encode(noExtra);
  const records = [...answers, ...authorities];
  // The largest prefix of answers+authorities that fits (records are not compressed: lengths add up).
  let lo = 0;
  let hi = records.length;
  const sized = (n: number): Packet =>
    withCounts(
      { ...response, flags: (response.flags ?? 0) | TRUNCATED_RESPONSE },
      records.slice(0, Math.min(n, answers.length)),
      records.slice(answers.length, Math.max(n, answers.length)),
      opt,
    );
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encodingLength(sized(mid)) <= limit) lo = mid;
    else hi = mid - 1;
  }
  const fitted = sized(lo);
  if (encodingLength(fitted) <= limit) return encode(fitted);
  // Not even the question fits (a limit below the question's size): header and question only.
  return encode(withCounts({ ...response, flags: (response.flags ?? 0) | TRUNCATED_RESPONSE }, [], [], []));
}
