/**
 * Turns zod issues into located problems with messages written for people: "expected a number,
 * got text", "unknown key `tiemout`, did you mean `timeout`?", "missing required key `id`".
 */
import { didYouMean } from './did-you-mean.js';
import type { z } from 'zod';
import { formatPath, type PathSegment, type Problem, type YamlSource } from './yaml-source.js';

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  null: 'nothing',
  undefined: 'nothing',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value === 'number' ? 'the number' : ''} ${String(value)}`.trim();
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

// zod's internals are not typed for walking; these are the few def fields we read.
interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  element?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
}

/** The keys an object schema at `path` accepts, for "did you mean". */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let def: Def | undefined = (schema as unknown as { _zod: { def: Def } })._zod.def;
  const unwrap = (d: Def | undefined): Def | undefined => {
    let cur = d;
    for (let i = 0; cur !== undefined && i < 20; i++) {
      if (cur.innerType) cur = cur.innerType._zod.def;
      else if (cur.type === 'pipe' && cur.in) cur = cur.in._zod.def;
      else if (cur.type === 'union' && cur.options) cur = cur.options.find((o) => ['object', 'array'].includes(o._zod.def.type))?._zod.def ?? cur.options[0]?._zod.def;
      else return cur;
    }
    return cur;
  };
  for (const seg of path) {
    def = unwrap(def);
    if (def === undefined) return [];
    if (def.type === 'object' && typeof seg === 'string') def = def.shape?.[seg]?._zod.def;
    else if (def.type === 'array') def = def.element?._zod.def;
    else if (def.type === 'record') def = def.valueType?._zod.def;
    else return [];
  }
  def = unwrap(def);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function message(issue: z.core.$ZodIssue, root: unknown): string {
  const value = valueAt(root, issue.path as PathSegment[]);
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return 'is required but missing';
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describeValue(value)}`;
    }
    case 'invalid_union': {
      const expected = issue.errors
        .map((errs) => errs[0])
        .filter((e): e is z.core.$ZodIssueInvalidType => e?.code === 'invalid_type')
        .map((e) => TYPE_WORDS[e.expected] ?? e.expected);
      if (expected.length > 0) return `expected ${[...new Set(expected)].join(' or ')}, got ${describeValue(value)}`;
      return issue.message;
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? issue.message;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${describeValue(value)}`;
    default:
      return issue.message;
  }
}

/** Maps zod issues of `schema` parsing `source` to located problems (one per issue, one per unknown key). */
export function zodProblems(source: YamlSource, schema: z.ZodType, issues: z.core.$ZodIssue[], root: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const pos = source.locate([...path, key], 'key');
        const where = formatPath([...path, key]);
        problems.push({ file: source.file, ...pos, severity: 'error', message: `${where}: unknown key${didYouMean(key, known)}${known.length > 0 && didYouMean(key, known) === '' ? ` (expected one of: ${known.join(', ')})` : ''}` });
      }
      continue;
    }
    const missing = valueAt(root, path) === undefined;
    const pos = source.locate(path, issue.code === 'invalid_key' ? 'key' : 'value');
    const where = formatPath(path);
    const text = message(issue, root);
    problems.push({
      file: source.file,
      ...pos,
      severity: 'error',
      message: missing && path.length > 0 ? `${formatPath(path.slice(0, -1)) || 'top level'}: missing required key \`${String(path[path.length - 1])}\`` : `${where || 'top level'}: ${text}`,
    });
  }
  return problems;
}
