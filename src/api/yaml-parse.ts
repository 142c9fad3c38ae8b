// Parsing YAML from users in time and memory bounded by the input, shared by the API server's YAML bodies
// (apiserver/http/body.ts) and the manifest reader (manifests.ts).
//
// The yaml library's parseDocument and parseAllDocuments collect every error of a document before they
// return, each a located YAMLParseError (an Error, with its captured stack): a 3 MB body `a: "` + `x\n` ×
// 1.5 million made three million of them and took the heap past 4 GB. go-yaml stops at its first error (the
// scanner or parser sets its error and yaml.Unmarshal returns it), which the API server answers with a 400.
// With `uniqueKeys: true` the library compares each new key with every earlier key of its mapping
// (compose/util-map-includes.js, `items.some(…)`), so a ConfigMap of 150,000 keys took 142 s. Here the
// library's own Parser and Composer build the documents, with `uniqueKeys: false`; their errors go to a
// sink that stops at the first one or keeps only a few; duplicate keys are found afterwards with a Set per
// mapping.
import {
  Composer,
  type CST,
  type Document,
  type DocumentOptions,
  type ErrorCode,
  isCollection,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  type ParsedNode,
  type ParseOptions,
  Parser,
  type SchemaOptions,
  type Tags,
  YAMLParseError,
  type YAMLSeq,
} from 'yaml';

/** What the callers choose; duplicate keys, error collection and positions are this module's business. */
export type YamlOptions = Omit<
  ParseOptions & DocumentOptions & SchemaOptions,
  'uniqueKeys' | 'lineCounter' | 'prettyErrors' | 'keepSourceTokens'
>;

export type ParsedDocument = Document.Parsed<ParsedNode, true>;

/** The library's message for a repeated key, kept so that both callers say what they said before. */
const DUPLICATE_KEY_MESSAGE = 'Map keys must be unique';

type ErrorSource = number | readonly number[] | { offset: number; source?: string };
type Sink = (pos: [number, number], code: ErrorCode, message: string) => void;

/** Where the library places an error given a node, a range or an offset (its composer's getErrorPos). */
function errorPos(src: ErrorSource): [number, number] {
  if (typeof src === 'number') return [src, src + 1];
  if (Array.isArray(src)) return [src[0] as number, src[1] as number];
  const { offset, source } = src as { offset: number; source?: string };
  return [offset, offset + (typeof source === 'string' ? source.length : 1)];
}

/**
 * A Composer whose errors go to `sink` instead of into lists on the documents. The library has no option to
 * stop at the first error or to cap them (yaml 2.9: ParseOptions, DocumentOptions, SchemaOptions), and
 * every error the compose functions find goes through the composer's `onError`, an arrow function its
 * constructor assigns and `next()` hands to them for each document. Replacing it is the one reliance on an
 * internal (it is declared private); should a later version stop calling it, the errors land in `doc.errors`
 * again, which the code below still reads, and the tests that count errors fail. Warnings (an unknown tag, a
 * YAML version other than 1.1/1.2) are dropped: neither caller shows them, and a body could hold a million.
 */
class SinkComposer extends Composer<ParsedNode, true> {
  constructor(options: YamlOptions, sink: Sink) {
    super({ ...options, uniqueKeys: false, customTags: linearOmap(options.customTags) });
    const composer = this as unknown as {
      onError: (source: ErrorSource, code: ErrorCode, message: string, warning?: boolean) => void;
    };
    composer.onError = (source, code, message, warning) => {
      if (!warning) sink(errorPos(source), code, message);
    };
  }
}

const OMAP = 'tag:yaml.org,2002:omap';

/**
 * The YAML 1.1 `!!omap` tag with its duplicate check made linear: the library's looks each key up in an
 * array of the earlier ones (schema/yaml-1.1/omap.js, `seenKeys.includes`), 2.4 s for 40,000 entries. The
 * same pairs (the `!!pairs` tag's resolve), the same node class, the same message; `includes` and a Set agree
 * on every value, NaN included.
 */
function linearOmap(custom: SchemaOptions['customTags']): (tags: Tags) => Tags {
  return (base) => {
    let tags = base;
    if (Array.isArray(custom)) tags = [...tags, ...custom];
    else if (typeof custom === 'function') tags = custom(tags);
    const find = (tag: string) =>
      tags.find((t) => typeof t === 'object' && t.tag === tag && 'collection' in t) as
        | { collection: 'seq'; nodeClass?: new () => YAMLSeq; resolve?: unknown; tag: string }
        | undefined;
    const omap = find(OMAP);
    const pairs = find('tag:yaml.org,2002:pairs');
    if (!omap?.nodeClass || typeof pairs?.resolve !== 'function') return tags;
    const resolvePairs = pairs.resolve as (seq: YAMLSeq, onError: (message: string) => void) => YAMLSeq;
    const OMap = omap.nodeClass;
    const resolve = (seq: YAMLSeq, onError: (message: string) => void) => {
      const resolved = resolvePairs(seq, onError);
      const seen = new Set<unknown>();
      for (const item of resolved.items) {
        const key = isPair(item) ? item.key : undefined;
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) onError(`Ordered maps must not include duplicate keys: ${key.value}`);
        else seen.add(key.value);
      }
      return Object.assign(new OMap(), resolved);
    };
    return tags.map((t) => (t === omap ? { ...omap, resolve } : t)) as Tags;
  };
}

/**
 * Calls `found` with the offset of every key that repeats an earlier key of its mapping, walking without
 * recursion. The library's test, kept: scalar keys are equal when their values are `===` (so NaN never is,
 * and `1`, `0x1` and `01` in YAML 1.1 are), any other key only to itself, which a parsed document never
 * repeats. Its error sits where the repeated key starts, which is where a scalar key's range starts.
 */
function duplicateKeys(doc: ParsedDocument, found: (offset: number) => void): void {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.key, node.value);
    } else if (isCollection(node)) {
      if (isMap(node)) {
        const seen = new Set<unknown>();
        for (const { key } of node.items) {
          if (!isScalar(key) || Number.isNaN(key.value)) continue;
          if (seen.has(key.value)) found(key.range?.[0] ?? 0);
          else seen.add(key.value);
        }
      }
      for (const item of node.items) stack.push(item);
    }
  }
}

type Report = (atNext: boolean, pos: [number, number], code: ErrorCode, message: string) => void;

/**
 * Runs `text` through the library's Parser and a SinkComposer token by token, which lets top-level error
 * tokens (a stray `]` per line) go to `report` too: the composer would store each one as it is. `atNext` says
 * whether an error belongs to the document being read or to the next one, as the library decides: errors
 * before any document or after directives are the next one's.
 */
function composeStream(
  text: string,
  options: YamlOptions,
  lineCounter: LineCounter,
  report: Report,
  onToken: (token: CST.Token, hasDocument: boolean) => void,
  onDocument: (doc: ParsedDocument) => void,
  forceDoc: boolean,
): void {
  let hasDocument = false;
  let atDirectives = false;
  const composer = new SinkComposer(options, (pos, code, message) =>
    report(atDirectives || !hasDocument, pos, code, message),
  );
  const take = (docs: Iterable<ParsedDocument>) => {
    for (const doc of docs) onDocument(doc);
  };
  for (const token of new Parser(lineCounter.addNewLine).parse(text)) {
    onToken(token, hasDocument);
    switch (token.type) {
      case 'error':
        report(
          atDirectives || !hasDocument,
          errorPos(token),
          'UNEXPECTED_TOKEN',
          token.source ? `${token.message}: ${JSON.stringify(token.source)}` : token.message,
        );
        continue;
      case 'doc-end':
        if (!hasDocument) {
          report(true, errorPos(token), 'UNEXPECTED_TOKEN', 'Unexpected doc-end without preceding document');
          continue;
        }
        break;
      case 'directive':
        atDirectives = true;
        break;
      case 'document':
        hasDocument = true;
        atDirectives = false;
        break;
      default:
        break;
    }
    take(composer.next(token));
  }
  take(composer.end(forceDoc, text.length));
}

/**
 * The library's prettifyError (errors.js, not exported): ` at line L, column C`, then the line (and the one
 * before when the error is at its start), trimmed to 80 characters, and a `^` under the position.
 */
function prettify(error: YAMLParseError, src: string, lc: LineCounter): YAMLParseError {
  if (error.pos[0] === -1) return error;
  const start = lc.linePos(error.pos[0]);
  const end = lc.linePos(error.pos[1]);
  error.linePos = [start, end];
  const { line, col } = start;
  error.message += ` at line ${line}, column ${col}`;
  let ci = col - 1;
  // Stopping at an error leaves the rest of the text unread, so lineStarts may end with the error's line.
  const lineStart = lc.lineStarts[line - 1]!;
  const newline = src.indexOf('\n', lineStart);
  const lineEnd = lc.lineStarts[line] ?? (newline < 0 ? src.length : newline + 1);
  let lineStr = src.substring(lineStart, lineEnd).replace(/[\n\r]+$/, '');
  if (ci >= 60 && lineStr.length > 80) {
    const trimStart = Math.min(ci - 39, lineStr.length - 79);
    lineStr = `…${lineStr.substring(trimStart)}`;
    ci -= trimStart - 1;
  }
  if (lineStr.length > 80) lineStr = `${lineStr.substring(0, 79)}…`;
  if (line > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
    let prev = src.substring(lc.lineStarts[line - 2]!, lc.lineStarts[line - 1]);
    if (prev.length > 80) prev = `${prev.substring(0, 79)}…\n`;
    lineStr = prev + lineStr;
  }
  if (/[^ ]/.test(lineStr)) {
    const count = end.line === line && end.col > col ? Math.max(1, Math.min(end.col - col, 80 - ci)) : 1;
    error.message += `:\n\n${lineStr}\n${' '.repeat(ci)}${'^'.repeat(count)}\n`;
  }
  return error;
}

/** Thrown through the library's compose functions to stop at the first error; never leaves this module. */
class Stop {
  constructor(readonly error: YAMLParseError) {}
}

/**
 * One YAML document (a second one is an error, as in the library's parseDocument), stopping at its first
 * error: that is thrown as a YAMLParseError whose message is the library's pretty one (`… at line L, column
 * C:` and the line with a `^`). Syntax errors come before duplicate keys, as in go-yaml, which parses a
 * document before it decodes it; the first duplicate is the first repeated key in reading order.
 */
export function parseYamlDocument(
  text: string,
  options: YamlOptions,
): { doc: ParsedDocument; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  let stop: Stop | undefined;
  // Rethrows the first Stop when the library catches it and reports it again (compose-node.js turns an
  // exception in a collection into a RESOURCE_EXHAUSTION error, compose-scalar.js one in a tag into
  // TAG_RESOLVE_FAILED): every later call unwinds with the first error.
  const fail: Sink = (pos, code, message) => {
    stop ??= new Stop(new YAMLParseError(pos, code, message));
    throw stop;
  };
  let doc: ParsedDocument | undefined;
  try {
    composeStream(
      text,
      options,
      lineCounter,
      (_atNext, pos, code, message) => fail(pos, code, message),
      (token, hasDocument) => {
        // The library composes the second document and reports it at its range, which ends on a later line
        // but for a last line without a newline; it is not read here (it may be the expensive part), and
        // the error marks where it starts.
        if (token.type === 'document' && hasDocument) {
          const message = 'Source contains multiple documents; please use YAML.parseAllDocuments()';
          fail([token.offset, token.offset + 1], 'MULTIPLE_DOCS', message);
        }
      },
      (d) => {
        doc ??= d;
      },
      true,
    );
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  if (stop) throw prettify(stop.error, text, lineCounter);
  // `end(true)` always gives a document; the check is for the type checker.
  if (!doc) throw prettify(new YAMLParseError([0, 0], 'IMPOSSIBLE', 'no document'), text, lineCounter);
  const kept = doc.errors[0];
  if (kept instanceof YAMLParseError) throw prettify(kept, text, lineCounter);
  let first = -1;
  duplicateKeys(doc, (offset) => {
    if (first < 0 || offset < first) first = offset;
  });
  if (first >= 0) {
    throw prettify(
      new YAMLParseError([first, first + 1], 'DUPLICATE_KEY', DUPLICATE_KEY_MESSAGE),
      text,
      lineCounter,
    );
  }
  return { doc, lineCounter };
}

export interface YamlDocumentResult {
  doc: ParsedDocument;
  /**
   * At most `maxErrors` of its errors, the first in reading order, with the library's plain messages (no
   * position in the text: `lineCounter` gives it from `pos`). Syntax errors and repeated keys alike.
   */
  errors: YAMLParseError[];
  /** How many more errors the document has. */
  more: number;
}

/**
 * Every document of a stream (as the library's parseAllDocuments), each with its first `maxErrors` errors and
 * a count of the rest, which are not built: memory stays bounded whatever the input, and the time is that of
 * reading a valid document as long. Duplicate keys are checked in every document, errors or not, as before.
 */
export function parseYamlDocuments(
  text: string,
  options: YamlOptions,
  maxErrors: number,
): { documents: YamlDocumentResult[]; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const documents: YamlDocumentResult[] = [];
  interface Bucket {
    errors: YAMLParseError[];
    /** Errors found past the cap, counted, not built. */
    more: number;
  }
  const newBucket = (): Bucket => ({ errors: [], more: 0 });
  // Keeps the earliest `maxErrors` by position, which are the ones listed when sorted by line and column.
  const add = (bucket: Bucket, pos: [number, number], code: ErrorCode, message: string) => {
    const { errors } = bucket;
    if (errors.length < maxErrors) {
      errors.push(new YAMLParseError(pos, code, message));
      return;
    }
    bucket.more++;
    let last = 0;
    for (let i = 1; i < errors.length; i++) if (errors[i]!.pos[0] > errors[last]!.pos[0]) last = i;
    if (errors.length > 0 && pos[0] < errors[last]!.pos[0])
      errors[last] = new YAMLParseError(pos, code, message);
  };
  // Documents come out of the composer one token late; their buckets wait here in order.
  const waiting: Bucket[] = [];
  let next = newBucket();
  let current: Bucket | undefined;
  composeStream(
    text,
    options,
    lineCounter,
    (atNext, pos, code, message) => add(atNext || !current ? next : current, pos, code, message),
    (token) => {
      if (token.type === 'document') {
        current = next;
        next = newBucket();
        waiting.push(current);
      }
    },
    (doc) => {
      const bucket = waiting.shift() ?? newBucket();
      // Errors the library still stored itself (a token type it does not know).
      for (const e of doc.errors) add(bucket, e.pos, e.code, e.message);
      duplicateKeys(doc, (offset) =>
        add(bucket, [offset, offset + 1], 'DUPLICATE_KEY', DUPLICATE_KEY_MESSAGE),
      );
      documents.push({ doc, errors: bucket.errors, more: bucket.more });
    },
    false,
  );
  // Errors after directives that no document follows are the last document's, as in the library.
  const last = documents.at(-1);
  if (last) {
    for (const e of next.errors) add(last, e.pos, e.code, e.message);
    last.more += next.more;
  }
  return { documents, lineCounter };
}
