/**
 * `${{ }}` inside an http step's URL, encoded for where it stands, so a value can never change
 * the URL's scheme, host, port or path structure (request forgery through `svc=x/../../admin?q=1#`):
 *
 * - base: before the URL has a literal `scheme://`, e.g. `${{ env.API }}/health`. The value is
 *   pasted as is: the workflow itself decides it (`chatops validate` warns when an input does);
 * - userinfo (before a literal `@` in the authority): percent-encoded;
 * - host or port: must be a plain host name, IP address or port number, else the step fails;
 * - path segment, query value, fragment: percent-encoded with encodeURIComponent (so `/`, `?`,
 *   `#`, `&`, `=` and `%` lose their meaning), and a path segment that would read `.` or `..`
 *   fails the step (URL parsers resolve those, also written `%2e`, before the request is sent).
 *
 * The position of each expression follows from the literal text before it (values placed earlier
 * are encoded, so they cannot move it), plus whether an `@` follows in the authority.
 */
import { findExpressions, type ExpressionSpan } from './expressions.js';

export type UrlPart = 'base' | 'userinfo' | 'host' | 'path' | 'query' | 'fragment';

/** A value interpolated into a URL that cannot stand where it is; the message never quotes the value. */
export class UrlValueError extends Error {
  readonly code = 'URL_VALUE';
  constructor(message: string) {
    super(message);
    this.name = 'UrlValueError';
  }
}

const HOST_VALUE = /^[A-Za-z0-9._~-]*$/;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Where an expression placed right after `built` stands; `rest` is the template's literal text after it. */
function partAt(built: string, rest: string): UrlPart {
  const scheme = built.indexOf('://');
  if (scheme < 0) return 'base';
  const afterScheme = built.slice(scheme + 3);
  const authorityEnd = afterScheme.search(/[/?#]/);
  if (authorityEnd < 0) {
    if (afterScheme.includes('@')) return 'host';
    const restEnd = rest.search(/[/?#]/);
    return (restEnd < 0 ? rest : rest.slice(0, restEnd)).includes('@') ? 'userinfo' : 'host';
  }
  const tail = afterScheme.slice(authorityEnd);
  if (tail.includes('#')) return 'fragment';
  if (tail.includes('?')) return 'query';
  return 'path';
}

/** The literal text of a template after one span, its other expressions left out. */
function literalAfter(template: string, spans: ExpressionSpan[], index: number): string {
  let out = '';
  let from = spans[index]?.end ?? template.length;
  for (const span of spans.slice(index + 1)) {
    out += template.slice(from, span.start);
    from = span.end;
  }
  return out + template.slice(from);
}

const PART_WORDS: Record<UrlPart, string> = {
  base: 'start',
  userinfo: 'user name or password',
  host: 'host or port',
  path: 'path',
  query: 'query',
  fragment: 'fragment',
};

/**
 * Interpolates a URL template, each value encoded for its position (see the file comment).
 * `valueOf` evaluates one expression's text to the text to insert. Throws UrlValueError.
 */
export function interpolateUrl(template: string, valueOf: (text: string) => string): string {
  const spans = findExpressions(template);
  if (spans.length === 0) return template;
  let built = '';
  let last = 0;
  /** [start, end) of every value placed in the path, to find the segments they made. */
  const inPath: Array<[number, number]> = [];
  spans.forEach((span, i) => {
    built += template.slice(last, span.start);
    last = span.end;
    const part = partAt(built, literalAfter(template, spans, i));
    const value = valueOf(span.text);
    const where = `\`\${{${span.text}}}\` in the ${PART_WORDS[part]} of the URL`;
    if (part === 'base') built += value;
    else if (part === 'host') {
      if (!HOST_VALUE.test(value)) throw new UrlValueError(`${where} is not a plain host name, address or port (it holds characters such as / : @ ? #); the workflow must fix the host`);
      built += value;
    } else {
      const encoded = encode(value, where);
      if (part === 'path') inPath.push([built.length, built.length + encoded.length]);
      built += encoded;
    }
  });
  built += template.slice(last);
  checkDotSegments(built, inPath);
  return built;
}

function encode(value: string, where: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    throw new UrlValueError(`${where} is not valid text (a lone UTF-16 surrogate)`);
  }
}

/** Refuses a path segment holding an interpolated value that reads `.` or `..` (URL parsers would resolve it). */
function checkDotSegments(url: string, inPath: Array<[number, number]>): void {
  if (inPath.length === 0) return;
  const scheme = url.indexOf('://');
  const pathStart = url.slice(scheme + 3).search(/[/?#]/) + scheme + 3;
  const pathEnd = url.slice(pathStart).search(/[?#]/);
  const path = pathEnd < 0 ? url.slice(pathStart) : url.slice(pathStart, pathStart + pathEnd);
  let at = pathStart;
  for (const segment of path.split('/')) {
    const end = at + segment.length;
    if (DOT_SEGMENT.test(segment) && inPath.some(([s, e]) => s < end + 1 && e > at - 1))
      throw new UrlValueError(`a value interpolated into the URL's path makes the segment \`${segment}\`, which would move up the path; refused`);
    at = end + 1;
  }
}

/** The position of every expression of a URL template, for the validator (a base value is taken as `http://host`). */
export function urlExpressionParts(template: string): Array<{ span: ExpressionSpan; part: UrlPart }> {
  const spans = findExpressions(template);
  let built = '';
  let last = 0;
  return spans.map((span, i) => {
    built += template.slice(last, span.start);
    last = span.end;
    const part = partAt(built, literalAfter(template, spans, i));
    built += part === 'base' ? 'http://host' : 'x';
    return { span, part };
  });
}
