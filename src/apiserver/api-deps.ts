// The registry's view of the shared API machinery (decoding, defaulting, validation, selectors, patches),
// gathered in one place so that the registry reads as the request flow and not as a list of imports.
export { decodeObject } from '../api/decode.js';
export { applyDefaultsInPlace } from '../api/defaults.js';
export { parseFieldSelector } from '../api/field-selectors.js';
export { parseLabelSelector, SelectorError } from '../api/selectors.js';
export { type FieldError, formatFieldError, OMIT_VALUE } from '../api/validation/field-error.js';
export { validateObject, validateStatusUpdate, validateUpdate } from '../api/validation/index.js';
