// Checks a JUnit report two ways: against the schema CI systems read (test/cli/fixtures/junit.xsd, with
// libxml2's xmllint), and by reading it back with a small strict XML reader so tests can look at what it says.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const JUNIT_XSD = join(import.meta.dirname, '..', 'cli', 'fixtures', 'junit.xsd');

export const HAS_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint'], { encoding: 'utf8' }).status === 0;

if (!HAS_XMLLINT && process.env.CI === 'true') {
  throw new Error('the JUnit tests need xmllint (Debian libxml2-utils); .ci/run installs it');
}

/** xmllint's verdict on `file`: undefined when valid, its complaint otherwise. */
export function schemaErrors(file: string): string | undefined {
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${r.stderr}${r.stdout}` || `xmllint exit ${r.status}`;
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The text directly inside, entities decoded. */
  text: string;
}

function decode(raw: string, where: number): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw))
    throw new Error(`raw "<" or "&" in text or attribute near offset ${where}`);
  return raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[e]) return named[e];
    return String.fromCodePoint(e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

/**
 * Reads an XML document made of elements, attributes, text and one XML declaration (what a JUnit report
 * holds). Throws at anything ill-formed: mismatched or unclosed tags, duplicate attributes, raw `<` or `&`,
 * characters XML 1.0 does not allow.
 */
export function parseXml(text: string): XmlElement {
  const bad = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.exec(text);
  if (bad) throw new Error(`character U+${bad[0].charCodeAt(0).toString(16)} is not allowed in XML 1.0`);
  let i = 0;
  const decl = /^<\?xml [^?]*\?>\s*/.exec(text);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"]*")*)\s*(\/?)>/y;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk) {
      const top = stack.at(-1);
      if (!top) {
        if (chunk.trim()) throw new Error(`text outside the root element at offset ${i}`);
      } else top.text += decode(chunk, i);
    }
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) throw new Error(`malformed tag at offset ${lt}: ${text.slice(lt, lt + 40)}`);
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      const top = stack.pop();
      if (top?.name !== name) throw new Error(`</${name}> closes <${top?.name}> at offset ${lt}`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? '').matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)) {
        if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} at offset ${lt}`);
        attrs[a[1]!] = decode(a[2]!, lt);
      }
      const el: XmlElement = { name: name!, attrs, children: [], text: '' };
      const parent = stack.at(-1);
      if (parent) parent.children.push(el);
      else if (root) throw new Error(`a second root element <${name}> at offset ${lt}`);
      else root = el;
      if (!selfClose) stack.push(el);
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}
