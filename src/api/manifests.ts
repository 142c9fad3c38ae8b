// Reading Kubernetes manifests from files, directories and stdin: multi-document YAML read with YAML 1.1 rules
// like kubectl (sigs.k8s.io/yaml over go-yaml v2: `0644` is 420, `yes` is true), strict decoding, defaulting and
// validation, each error located at file:line:col of the YAML node its field path names. Nothing is returned as
// applicable unless the whole input is clean: callers apply nothing when `errors.length > 0`.

import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node, type Tags } from 'yaml';
import { decodeObject } from './decode.js';
import { applyDefaults } from './defaults.js';
import { nestingMessage, valueNestsPastLimit, yamlNestingPastLimit } from './nesting.js';
import { apiVersionOf, knownKinds, RESOURCES } from './resources.js';
import type { KubeObject } from './types.js';
import { type FieldError, formatFieldError } from './validation/field-error.js';
import { validateObject } from './validation/index.js';
import { type PathSegment, parsePath } from './validation/path.js';
import { collectionKey, collectionKeyMessage, MAX_YAML_ALIASES } from './yaml-input.js';
import { parseYamlDocuments } from './yaml-parse.js';

export interface ManifestDocument {
  /** The decoded object (unknown fields removed), not defaulted: the API server defaults what it stores. */
  object: KubeObject;
  file: string;
  /** 1-based position of the object's first line. */
  line: number;
  col: number;
  /** 0-based number of the YAML document in its file. */
  index: number;
  /** Where a field path of this object (`spec.containers[0].image`) sits: its key, or its nearest parent's. */
  at?: (field: string) => { line: number; col: number };
}

export interface ManifestError {
  file: string;
  /** 1-based; 0 when the error concerns the whole file (e.g. a missing path). */
  line: number;
  col: number;
  message: string;
  /** The field path the error is about, when it is about a field. */
  field?: string;
  /** Set on the "and N more errors" line that stands for N errors not listed. */
  omitted?: number;
}

export interface ManifestLoad {
  documents: ManifestDocument[];
  /** At most MAX_ERRORS_PER_FILE per file, then one saying how many more there were. */
  errors: ManifestError[];
  /** Every file read, in order (a directory contributes its manifest files). */
  files: string[];
}

export interface LoadOptions {
  /** Descend into subdirectories of a directory source. */
  recursive?: boolean;
  /** Reads stdin for the source `-` (at most `limit` bytes, more is an error); defaults to process.stdin. */
  readStdin?: (limit: number) => Promise<string | Buffer>;
}

/**
 * The most bytes read from one input: the API server's maxRequestBodyBytes (MAX_BODY_BYTES in
 * apiserver/http/body.ts), since a larger manifest could not be sent to it anyway.
 */
export const MAX_MANIFEST_BYTES = 3 * 1024 * 1024;
export { MAX_YAML_ALIASES };
/** Errors listed per file; a binary or mangled file would otherwise print megabytes of them. */
export const MAX_ERRORS_PER_FILE = 20;

export const STDIN_NAME = '<stdin>';
const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** `file:line:col: message`, or `file: message` for an error about the whole file. */
export function formatManifestError(e: ManifestError): string {
  return e.line > 0 ? `${e.file}:${e.line}:${e.col}: ${e.message}` : `${e.file}: ${e.message}`;
}

function tagsForKubectl(tags: Tags): Tags {
  // go-yaml v2 hands timestamps to JSON as strings and has no sexagesimal (base 60) numbers.
  return tags.filter(
    (t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'),
  );
}

interface Located {
  line: number;
  col: number;
}

/**
 * The position of `path` in a YAML document: the key of the deepest field that exists (so a missing field points
 * at its parent), or an item's start for a list index.
 */
export function locate(doc: Document, lc: LineCounter, path: PathSegment[]): Located {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const name = 'field' in seg ? seg.field : 'key' in seg ? seg.key : String(seg.index);
      let pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
      // Pod template labels are reported at `<template>.labels` upstream; they live under metadata.
      if (!pair && (name === 'labels' || name === 'annotations')) {
        const meta = node.items.find((p) => isScalar(p.key) && p.key.value === 'metadata');
        if (meta && isMap(meta.value)) {
          offset = (meta.key as Node).range?.[0] ?? offset;
          pair = meta.value.items.find((p) => isScalar(p.key) && p.key.value === name);
        }
      }
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && 'index' in seg) {
      const item = node.items[seg.index] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const pos = lc.linePos(offset);
  return { line: pos.line, col: pos.col };
}

function kindMessage(apiVersion: string, kind: string): string {
  const served = RESOURCES.filter((r) => r.kind === kind).map(apiVersionOf);
  if (served.length > 0) {
    return `no matches for kind "${kind}" in version "${apiVersion}": ${kind} is served as ${served.join(', ')}`;
  }
  return `no matches for kind "${kind}" in version "${apiVersion}": podrun knows ${knownKinds()}, and List`;
}

/** Decodes, defaults and validates one object, reporting through `err` (which knows where the object sits). */
function checkObject(
  value: unknown,
  err: (message: string, field?: string, at?: string) => void,
): KubeObject | undefined {
  const decoded = decodeObject(value);
  let count = 0;
  const fieldErr = (e: FieldError) => {
    count++;
    if (e.field === 'kind' && e.type === 'FieldValueRequired') err('kind not set', 'kind');
    else if (e.field === 'apiVersion' && e.type === 'FieldValueRequired')
      err('apiVersion not set', 'apiVersion');
    else if (e.type === 'FieldValueNotSupported' && (e.field === 'kind' || e.field === 'apiVersion')) {
      const v = value as { apiVersion: string; kind: string };
      err(kindMessage(v.apiVersion, v.kind), e.field);
    } else err(formatFieldError(e), e.field);
  };
  for (const u of decoded.unknownFields) err(`unknown field "${u}"`, u);
  decoded.errors.forEach(fieldErr);
  if (!decoded.object) return undefined;
  validateObject(applyDefaults(decoded.object)).forEach(fieldErr);
  // Only a clean object is listed as a document; unknown fields count as errors here (Strict, like kubectl apply).
  return decoded.unknownFields.length === 0 && count === 0 ? decoded.object : undefined;
}

/** Parses and checks one file's text. Pure; `file` is only used in the results. */
export function parseManifests(text: string, file: string): ManifestLoad {
  const past = yamlNestingPastLimit(text);
  if (past >= 0) {
    // Refused before the recursive parser sees it (see nesting.ts), as the API server refuses it.
    const lines = text.slice(0, past).split('\n');
    const line = lines.length;
    const col = (lines.at(-1)?.length ?? 0) + 1;
    return {
      documents: [],
      errors: [{ file, line, col, message: nestingMessage('the manifest', `line ${line}`) }],
      files: [file],
    };
  }
  // Each document's first errors, the rest only counted (yaml-parse.ts): a file of a million broken lines
  // lists MAX_ERRORS_PER_FILE of them and how many more, without building the others.
  const { documents: docs, lineCounter: lc } = parseYamlDocuments(
    text,
    { version: '1.1', merge: true, customTags: tagsForKubectl },
    MAX_ERRORS_PER_FILE,
  );
  const out: ManifestLoad = { documents: [], errors: [], files: [file] };
  let uncounted = 0;
  docs.forEach(({ doc, errors, more }, docIndex) => {
    if (errors.length > 0) {
      for (const e of errors) {
        const pos = lc.linePos(e.pos[0]);
        out.errors.push({ file, line: pos.line, col: pos.col, message: `YAML: ${e.message.split('\n')[0]}` });
      }
      uncounted += more;
      return;
    }
    if (doc.contents === null) return; // an empty document (or only comments), like kubectl
    const start = locate(doc, lc, []);
    const key = collectionKey(doc);
    if (key) {
      const pos = lc.linePos(key.range?.[0] ?? 0);
      out.errors.push({
        file,
        line: pos.line,
        col: pos.col,
        message: `YAML: ${collectionKeyMessage(pos.line)}`,
      });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (e) {
      // An alias bomb (ReferenceError "Excessive alias count …") or a document too deep to build.
      const why = e instanceof RangeError ? 'the document nests too deeply' : (e as Error).message;
      out.errors.push({ file, ...start, message: `YAML: ${why}` });
      return;
    }
    if (value === null || value === undefined) return;
    if (valueNestsPastLimit(value)) {
      out.errors.push({
        file,
        ...start,
        message: nestingMessage('the document', 'once its aliases are expanded'),
      });
      return;
    }
    const errAt = (prefix: PathSegment[]) => (message: string, field?: string) => {
      const where = locate(doc, lc, [...prefix, ...parsePath(field ?? '')]);
      out.errors.push({ file, ...where, message, ...(field ? { field } : {}) });
    };
    if (typeof value !== 'object' || Array.isArray(value)) {
      out.errors.push({
        file,
        ...start,
        message: `document is not a Kubernetes object: expected a mapping with apiVersion and kind, got ${Array.isArray(value) ? 'a sequence' : `a ${typeof value}`}`,
      });
      return;
    }
    const v = value as Record<string, unknown>;
    if (v.kind === 'List' && (v.apiVersion === 'v1' || v.apiVersion === undefined)) {
      const items = v.items;
      if (!Array.isArray(items)) {
        errAt([])('items: Required value: a List needs a list of objects in `items`', 'items');
        return;
      }
      items.forEach((item, i) => {
        const prefix: PathSegment[] = [{ field: 'items' }, { index: i }];
        const object = checkObject(item, errAt(prefix));
        const at = (field: string) => locate(doc, lc, [...prefix, ...parsePath(field)]);
        if (object) out.documents.push({ object, file, ...locate(doc, lc, prefix), index: docIndex, at });
      });
      return;
    }
    const object = checkObject(v, errAt([]));
    const at = (field: string) => locate(doc, lc, parsePath(field));
    if (object) out.documents.push({ object, file, ...start, index: docIndex, at });
  });
  // Report in reading order rather than in the order the validators ran (the sort is stable).
  out.errors.sort((a, b) => a.line - b.line || a.col - b.col);
  if (out.errors.length > MAX_ERRORS_PER_FILE || uncounted > 0) {
    const more = out.errors.length - MAX_ERRORS_PER_FILE + uncounted;
    out.errors.length = MAX_ERRORS_PER_FILE;
    out.errors.push({
      file,
      line: 0,
      col: 0,
      message: `and ${more} more error${more === 1 ? '' : 's'}`,
      omitted: more,
    });
  }
  return out;
}

/** Why `data` cannot be a manifest (binary, not UTF-8), or undefined; the text otherwise. */
function decodeText(data: Buffer): { text: string } | { error: string } {
  const nul = data.indexOf(0);
  if (nul >= 0) return { error: `this is a binary file, not a manifest (a NUL byte at offset ${nul})` };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(data) };
  } catch {
    return { error: 'this is not UTF-8 text; manifests are YAML or JSON in UTF-8' };
  }
}

function tooLarge(): string {
  return `larger than ${MAX_MANIFEST_BYTES} bytes (3 MiB), the API server's request size limit; split it into several files`;
}

/** Reads a regular file, refusing devices, FIFOs and sockets (which may never end) and anything too large. */
async function readManifestFile(file: string): Promise<Buffer | { error: string }> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it changes nothing for a regular file.
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { error: `${notRegular(st)}; give a file, a directory, or - for stdin` };
    if (st.size > MAX_MANIFEST_BYTES) return { error: tooLarge() };
    const buf = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      // It grew while read.
      if (n > MAX_MANIFEST_BYTES) return { error: tooLarge() };
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

function notRegular(st: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isFIFO()) return 'not a regular file (a FIFO)';
  if (st.isCharacterDevice()) return 'not a regular file (a character device)';
  if (st.isBlockDevice()) return 'not a regular file (a block device)';
  if (st.isSocket()) return 'not a regular file (a socket)';
  return 'not a regular file';
}

function parseInput(data: string | Buffer, file: string): ManifestLoad {
  if (typeof data === 'string') {
    if (Buffer.byteLength(data) > MAX_MANIFEST_BYTES) return fileOnlyError(file, tooLarge());
    return parseManifests(data, file);
  }
  if (data.length > MAX_MANIFEST_BYTES) return fileOnlyError(file, tooLarge());
  const decoded = decodeText(data);
  return 'error' in decoded ? fileOnlyError(file, decoded.error) : parseManifests(decoded.text, file);
}

function fileOnlyError(file: string, message: string): ManifestLoad {
  return { documents: [], errors: [{ file, line: 0, col: 0, message }], files: [file] };
}

/** Stdin up to `limit` bytes and one more (which makes it too large); it is not read further. */
async function readStdinDefault(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > limit) break;
  }
  return Buffer.concat(chunks);
}

async function manifestFilesIn(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) files.push(...(await manifestFilesIn(p, true)));
    } else if (MANIFEST_FILE.test(e.name)) {
      files.push(p);
    }
  }
  return files;
}

/** Loads every source (file, directory of *.yaml|*.yml|*.json, or `-` for stdin) and checks all of it. */
export async function loadManifests(sources: string[], opts: LoadOptions = {}): Promise<ManifestLoad> {
  const out: ManifestLoad = { documents: [], errors: [], files: [] };
  const add = (r: ManifestLoad) => {
    out.documents.push(...r.documents);
    out.errors.push(...r.errors);
    out.files.push(...r.files);
  };
  const fileError = (file: string, message: string) => out.errors.push({ file, line: 0, col: 0, message });
  if (sources.length === 0) fileError('podrun', 'no manifests given: pass -f FILE, -f DIR or -f -');
  for (const source of sources) {
    if (source === '-') {
      add(parseInput(await (opts.readStdin ?? readStdinDefault)(MAX_MANIFEST_BYTES), STDIN_NAME));
      continue;
    }
    let files: string[];
    try {
      const st = await stat(source);
      if (st.isDirectory()) {
        files = await manifestFilesIn(source, opts.recursive === true);
        if (files.length === 0) {
          fileError(source, 'no manifest files (*.yaml, *.yml, *.json) in this directory');
          continue;
        }
      } else if (st.isFile()) {
        files = [source];
      } else {
        fileError(source, `${notRegular(st)}; give a file, a directory, or - for stdin`);
        continue;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      fileError(
        source,
        code === 'ENOENT' ? `the path "${source}" does not exist` : `cannot read: ${(e as Error).message}`,
      );
      continue;
    }
    for (const file of files) {
      let data: Buffer | { error: string };
      try {
        data = await readManifestFile(file);
      } catch (e) {
        fileError(file, `cannot read: ${(e as Error).message}`);
        continue;
      }
      add(Buffer.isBuffer(data) ? parseInput(data, file) : fileOnlyError(file, data.error));
    }
  }
  return out;
}
