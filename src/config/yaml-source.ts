/**
 * One YAML file parsed with source positions kept, so every problem can point at the exact
 * `file:line:col` of the offending key or value.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

/** Plainer words for the YAML parser's errors users meet most (by the parser's error code). */
const YAML_ERROR_TEXT: Partial<Record<string, string>> = {
  MULTIPLE_DOCS: 'a file holds one document; remove the second `---` and what follows, or move it to its own file',
  TAB_AS_INDENT: 'tabs are not allowed for indentation in YAML; indent with spaces',
};

export class YamlSource {
  readonly doc: Document;
  private readonly lines: LineCounter;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /**
   * The first YAML syntax error (or duplicate key). Only the first: after one, the parser's
   * recovery reports follow-on errors that are not separate problems.
   */
  syntaxProblems(): Problem[] {
    return this.doc.errors.slice(0, 1).map((err) => ({
      ...this.posOf(err.pos[0]),
      file: this.file,
      message:
        err.code === 'DUPLICATE_KEY'
          ? `duplicate key \`${/^("[^"]*"|'[^']*'|[^:\s]+)/.exec(this.text.slice(err.pos[0]))?.[1] ?? '?'}\`: a key appears once per mapping; keep one`
          : `YAML syntax error: ${YAML_ERROR_TEXT[err.code] ?? err.message.split('\n')[0] ?? err.message}`,
      severity: 'error' as const,
    }));
  }

  /** The document as plain JavaScript values. */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  posOf(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /**
   * The position of the node at `path`: its key when `at` is 'key' (and the path ends in a map
   * key), else its value. When the path does not fully exist (a missing key), the deepest node
   * that does exist.
   */
  locate(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Position {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    let found: { node: unknown; pair: Pair | undefined } = { node, pair };
    for (const seg of path) {
      let next: unknown;
      pair = undefined;
      if (isMap(node)) {
        pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        next = pair?.value ?? undefined;
        if (pair !== undefined && next === null) next = pair.key; // `key:` with no value
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (next === undefined || next === null) break;
      node = next;
      found = { node, pair };
    }
    const target = at === 'key' && found.pair !== undefined && isScalar(found.pair.key) ? found.pair.key : found.node;
    return this.posOf(rangeStart(target));
  }

  /** The source position of `offset` characters into the value at `path` (for block scalars, the exact line). */
  locateInside(path: readonly PathSegment[], needle: string): Position {
    const node = this.doc.getIn(path, true);
    if (isScalar(node) && node.range) {
      const [start, end] = node.range;
      const index = this.text.slice(start, end).indexOf(needle);
      if (index >= 0) return this.posOf(start + index);
    }
    return this.locate(path);
  }

  /** Whether the document holds a mapping at the top. */
  isMapping(): boolean {
    return isMap(this.doc.contents);
  }

  /** The keys at `path` as written, for "did you mean". */
  keysAt(path: readonly PathSegment[]): string[] {
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (!isMap(node)) return [];
    return node.items.filter((p) => isPair(p) && isScalar(p.key)).map((p) => String((p.key as { value: unknown }).value));
  }
}

function rangeStart(node: unknown): number {
  const range = (node as Node | null)?.range;
  return range ? range[0] : 0;
}

/** Formats a problem the way editors and CI parse it. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

/** `steps[2].retry.attempts` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** Problems in reading order: by file, line, column, then message. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}
