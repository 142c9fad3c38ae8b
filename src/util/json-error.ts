// What a failed JSON.parse may say of text that is a secret. V8's messages quote the text they failed on
// (`Unexpected token 'h', "hunter2" is not valid JSON`, or its first ten characters and `...`); a registry
// credential in a Secret, an event or a pod's status must not be shown that way. What stays says what kind of
// error it was and, like Go's encoding/json (`invalid character 'h' looking for beginning of value`), names
// at most the one character it stopped at.

export function redactedJsonError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!message.endsWith(' is not valid JSON')) return message;
  // `Unexpected token 'h', "hunter2" is not valid JSON` or `…, ..."tail of it" is not valid JSON`.
  const token = /^Unexpected token '(?:[\s\S]|[\uD800-\uDBFF][\uDC00-\uDFFF])', /.exec(message);
  return token ? token[0].slice(0, -2) : 'not valid JSON';
}

/** JSON.parse of a secret's text, its error redacted (see above). */
export function parseSecretJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(redactedJsonError(err));
  }
}
