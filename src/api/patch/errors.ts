// Patch failures. The API server maps them onto a Status: 422 Invalid for a patch that does not apply
// (a failed `test`, a missing path), 400 BadRequest for a malformed patch document.

export class PatchError extends Error {
  constructor(
    /** `invalid`: the patch is well-formed but cannot be applied; `malformed`: the patch document is bad. */
    readonly reason: 'invalid' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}
