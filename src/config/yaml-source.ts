/**
 * One YAML file parsed with source positions kept, so every problem can point at the exact
 * `file:line:col` of the offending key or value.
 */
import { open } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';

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

/**
 * Limits on one file, so no file can exhaust the memory or stack of a process that loads it (every
 * process loads the project): over a limit, the file is reported and left out like any broken file.
 * README "Limits" documents them.
 */
export const FILE_LIMITS = {
  /** Bytes of one file. A 1,000-step workflow with a few lines of script per step is ~300 KB. */
  maxBytes: 1024 * 1024,
  /** Nesting of mappings and lists; a workflow needs about 6 (http.body a few more). */
  maxDepth: 64,
  /** Aliases (`*name`) in one file: several hundred reuses of an anchor are fine. */
  maxAliases: 1000,
  /** Values the document holds once every alias is expanded (each alias repeats its anchor's content). */
  maxExpandedValues: 200_000,
} as const;

/** Plainer words for the YAML parser's errors users meet most (by the parser's error code). */
const YAML_ERROR_TEXT: Partial<Record<string, string>> = {
  MULTIPLE_DOCS: 'a file holds one document; remove the second `---` and what follows, or move it to its own file',
  TAB_AS_INDENT: 'tabs are not allowed for indentation in YAML; indent with spaces',
  RESOURCE_EXHAUSTION: `nested too deeply to parse; a file may nest mappings and lists at most ${FILE_LIMITS.maxDepth} levels deep`,
};

const fmtCount = (n: number): string => n.toLocaleString('en-US');

function tooLargeMessage(bytes: number): string {
  return `file too large: ${fmtCount(bytes)} bytes, the limit is ${fmtCount(FILE_LIMITS.maxBytes)} (E_FILE_TOO_LARGE); split it, e.g. into sub-workflows called with \`workflow:\` steps`;
}

/** A file over FILE_LIMITS.maxBytes, refused before it is read. */
export class FileTooLargeError extends Error {
  readonly code = 'E_FILE_TOO_LARGE';
  constructor(readonly bytes: number) {
    super(tooLargeMessage(bytes));
  }
}

/** Reads a YAML file as text; one over FILE_LIMITS.maxBytes is not read at all (FileTooLargeError). */
export async function readYamlFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > FILE_LIMITS.maxBytes) throw new FileTooLargeError(size);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

export class YamlSource {
  readonly doc: Document;
  private readonly lines: LineCounter;

  /** Set when the text is over FILE_LIMITS.maxBytes: it is then not parsed at all. */
  private readonly tooBig: number | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    const bytes = Buffer.byteLength(text, 'utf8');
    this.tooBig = bytes > FILE_LIMITS.maxBytes ? bytes : undefined;
    this.doc = parseDocument(this.tooBig === undefined ? text : '', { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /**
   * Why the file cannot be read as YAML, if it cannot: over the size limit, the first YAML syntax
   * error (or duplicate key), or a shape that would exhaust the loader (nesting, aliases). Only
   * the first syntax error: after one, the parser's recovery reports follow-on errors that are not
   * separate problems.
   */
  syntaxProblems(): Problem[] {
    if (this.tooBig !== undefined)
      return [{ file: this.file, line: 1, col: 1, severity: 'error', message: tooLargeMessage(this.tooBig) }];
    const syntax = this.yamlErrors();
    if (syntax.length > 0) return syntax;
    const shape = this.shapeProblem();
    return shape === undefined ? [] : [{ file: this.file, ...this.posOf(shape.offset), severity: 'error', message: shape.message }];
  }

  private yamlErrors(): Problem[] {
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

  /**
   * Walks the document once (before it is turned into values): nesting depth, number of aliases,
   * aliases inside their own anchor, and the size the document reaches once aliases are expanded
   * ("billion laughs": each alias repeats its anchor, which may hold aliases in turn). An alias
   * always follows its anchor, so an anchor's expanded size is known when an alias names it.
   */
  private shapeProblem(): { offset: number; message: string } | undefined {
    const anchors = new Map<string, number | 'open'>();
    let aliases = 0;
    let expanded = 0;
    let found: { offset: number; message: string } | undefined;
    const size = (node: unknown, depth: number): number => {
      if (found !== undefined || node === null || node === undefined) return 0;
      if (isAlias(node)) {
        aliases += 1;
        const known = anchors.get(node.source);
        const at = rangeStart(node);
        if (aliases > FILE_LIMITS.maxAliases)
          found = { offset: at, message: `more than ${fmtCount(FILE_LIMITS.maxAliases)} aliases (*${node.source}) in one file (E_YAML_ALIASES); repeat the content or split the file` };
        else if (known === 'open') found = { offset: at, message: `alias *${node.source} is inside the anchor &${node.source} it repeats, which would make it endless (E_YAML_ALIASES)` };
        else if (known === undefined) found = { offset: at, message: `alias *${node.source} names no anchor &${node.source} before it (E_YAML_ALIASES)` };
        else if ((expanded += known) > FILE_LIMITS.maxExpandedValues)
          found = {
            offset: at,
            message: `alias *${node.source} expands the document past ${fmtCount(FILE_LIMITS.maxExpandedValues)} values (each alias repeats its anchor, aliases included): refused as an alias bomb (E_YAML_ALIASES)`,
          };
        return found === undefined ? (known as number) : 0;
      }
      if (depth > FILE_LIMITS.maxDepth) {
        found = { offset: rangeStart(node), message: `nested more than ${FILE_LIMITS.maxDepth} levels deep (E_YAML_DEPTH); a workflow needs a handful` };
        return 0;
      }
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor !== undefined) anchors.set(anchor, 'open');
      let n = 1;
      if (isMap(node)) for (const pair of node.items) n += size(pair.key, depth + 1) + size(pair.value, depth + 1);
      else if (isSeq(node)) for (const item of node.items) n += size(item, depth + 1);
      if (anchor !== undefined) anchors.set(anchor, n);
      return n;
    };
    size(this.doc.contents, 0);
    return found;
  }

  /**
   * The document as plain JavaScript values. Call only when syntaxProblems() found none: its walk
   * bounds what aliases expand to (the parser's own alias limit stays on as a second guard).
   */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: FILE_LIMITS.maxExpandedValues });
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

  /** How many items the list at `path` holds (0 when there is no list there); cheap, before toJS(). */
  seqLength(path: readonly PathSegment[]): number {
    const node = this.doc.getIn(path, true);
    return isSeq(node) ? node.items.length : 0;
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
