// Patch failures. The API server maps them onto a Status: 422 Invalid for a patch that does not apply
// (a failed `test`, a missing path, a copy over the size limit), 400 BadRequest for a malformed patch
// document, 413 RequestEntityTooLarge for a patch with more operations than allowed.

export class PatchError extends Error {
  constructor(
    /**
     * `invalid`: the patch is well-formed but cannot be applied; `malformed`: the patch document is bad;
     * `tooLarge`: the patch asks for more work than the server allows.
     */
    readonly reason: 'invalid' | 'malformed' | 'tooLarge',
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}
