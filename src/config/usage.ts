/**
 * The usage grammar of commands/*.yaml (FORMATS.md): `restart {service} on {host} [in {region}]`.
 * Literal words match themselves (case-insensitive, never a quoted word), `{arg}` takes one word
 * (a "quoted string" is one word, see usage-words.ts), `[ … ]` is an optional part and may hold
 * another, and trailing `key=value` words set other inputs. This is the one implementation: the
 * validator checks shapes, collisions and examples with it, and the chat router matches lines
 * with it, so an example `chatops validate` accepts is a line chat accepts.
 */
import { tokenize, TokenizeError, type Token } from './usage-words.js';

/** One position of a concrete shape: a literal word (lower case) or an argument. */
export type UsageToken = { kind: 'word'; text: string } | { kind: 'arg'; name: string };
export type UsageNode = UsageToken | { kind: 'optional'; nodes: UsageNode[] };

export interface UsagePattern {
  /** The usage as written. */
  usage: string;
  /** The command name: the first literal word. */
  name: string;
  nodes: UsageNode[];
  /** Every `{arg}`, in order. */
  args: string[];
  /** The `{arg}`s outside any `[ … ]`: every match sets them. */
  requiredArgs: string[];
}

export class UsageError extends Error {
  readonly code = 'E_BAD_USAGE_PATTERN';
}

const ARG = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Parses a usage pattern; throws UsageError with a specific reason. */
export function parseUsage(usage: string): UsagePattern {
  // Innermost open part last; the bottom is the required part.
  const stack: UsageNode[][] = [[]];
  const args: string[] = [];
  const top = (): UsageNode[] => stack[stack.length - 1] ?? [];
  for (const raw of usage.replace(/\[/g, ' [ ').replace(/\]/g, ' ] ').trim().split(/\s+/)) {
    if (raw === '') continue;
    if (raw === '[') {
      stack.push([]);
      continue;
    }
    if (raw === ']') {
      const part = stack.pop();
      if (part === undefined || stack.length === 0) throw new UsageError('] without a matching [');
      if (part.length === 0) throw new UsageError('[ ] holds nothing: put words or {arguments} inside, or leave it out');
      top().push({ kind: 'optional', nodes: part });
      continue;
    }
    const arg = ARG.exec(raw)?.[1];
    if (arg !== undefined) {
      if (args.includes(arg)) throw new UsageError(`argument {${arg}} appears twice`);
      args.push(arg);
      top().push({ kind: 'arg', name: arg });
    } else if (/[{}]/.test(raw)) throw new UsageError(`"${raw}" is not an argument: write {name} with letters, digits and _`);
    else if (raw.includes('=')) throw new UsageError(`"${raw}": key=value words are always accepted at the end, leave them out of the usage`);
    // A quote in a literal could never match: typed quotes make a quoted word, which no literal matches.
    else if (/["'“”‘’\\]/.test(raw)) throw new UsageError(`a usage word cannot hold quotes or \\ (${raw}); write the bare word`);
    else top().push({ kind: 'word', text: raw.toLowerCase() });
  }
  if (stack.length !== 1) throw new UsageError('[ without a matching ]');
  const nodes = top();
  const first = nodes[0];
  if (first?.kind !== 'word') throw new UsageError('a usage starts with the command name, a plain word');
  const requiredArgs = nodes.flatMap((n) => (n.kind === 'arg' ? [n.name] : []));
  return { usage, name: first.text, nodes, args, requiredArgs };
}

function shapesOf(nodes: readonly UsageNode[]): UsageToken[][] {
  let out: UsageToken[][] = [[]];
  for (const node of nodes) {
    if (node.kind === 'optional') {
      const inner = shapesOf(node.nodes);
      out = out.flatMap((s) => [s, ...inner.map((i) => [...s, ...i])]);
    } else out = out.map((s) => [...s, node]);
  }
  return out;
}

/** Every concrete shape the pattern accepts: one token list per choice of optional parts. */
export function expandUsage(pattern: UsagePattern): UsageToken[][] {
  return shapesOf(pattern.nodes);
}

/** Whether some text could match both patterns (same length, no differing literal word at any position). */
export function usagesCollide(a: UsagePattern, b: UsagePattern): boolean {
  for (const x of expandUsage(a))
    for (const y of expandUsage(b)) {
      if (x.length !== y.length) continue;
      const clash = x.every((t, i) => {
        const u = y[i];
        return u === undefined || t.kind === 'arg' || u.kind === 'arg' || t.text === u.text;
      });
      if (clash) return true;
    }
  return false;
}

type Bindings = Record<string, string>;

/** A word of a matched line: a literal, an argument's value, or an argument the line left out (fillArgs). */
export type FilledWord = { word: Token; arg?: string } | { arg: string; word?: undefined };

/** Matches `words` from `w` against `nodes`, greedily (an optional part taken when it can be); `fillable` arguments may be left out. */
function matchAt(nodes: readonly UsageNode[], words: readonly Token[], w: number, fillable: ReadonlySet<string>, out: readonly FilledWord[]): FilledWord[] | undefined {
  const [node, ...rest] = nodes;
  if (!node) return w === words.length ? [...out] : undefined;
  const word = words[w];
  switch (node.kind) {
    case 'word':
      return word && !word.quoted && word.text.toLowerCase() === node.text ? matchAt(rest, words, w + 1, fillable, [...out, { word }]) : undefined;
    case 'arg': {
      const taken = word ? matchAt(rest, words, w + 1, fillable, [...out, { word, arg: node.name }]) : undefined;
      return taken ?? (fillable.has(node.name) ? matchAt(rest, words, w, fillable, [...out, { arg: node.name }]) : undefined);
    }
    case 'optional':
      return matchAt([...node.nodes, ...rest], words, w, fillable, out) ?? matchAt(rest, words, w, fillable, out);
  }
}

/** Argument values when `words` (the command word included, extras split off) match the pattern exactly. */
export function matchUsage(pattern: UsagePattern, words: readonly Token[]): Bindings | undefined {
  const matched = matchAt(pattern.nodes, words, 0, new Set(), []);
  if (!matched) return undefined;
  const bound: Bindings = {};
  for (const m of matched) if (m.arg !== undefined && m.word) bound[m.arg] = m.word.text;
  return bound;
}

/**
 * `words` (the command word included, extras split off) with the arguments in `fillable` put in
 * wherever the line leaves them out, so that it matches the pattern: e.g. `rotate for api` against
 * `rotate {token} for {service}` with token fillable is `rotate`, {token}, `for api`. Words the
 * line holds are taken first; undefined when no filling makes it match.
 */
export function fillArgs(pattern: UsagePattern, words: readonly Token[], fillable: ReadonlySet<string>): FilledWord[] | undefined {
  return matchAt(pattern.nodes, words, 0, fillable, []);
}

/** Splits off the trailing `key=value` words (never the command word itself). */
export function splitExtras(tokens: readonly Token[]): { words: Token[]; extras: Token[] } {
  let end = tokens.length;
  while (end > 1 && tokens[end - 1]?.assignment) end--;
  return { words: tokens.slice(0, end), extras: tokens.slice(end) };
}

export type Mismatch =
  | { kind: 'missing'; arg?: string; literal?: string }
  | { kind: 'expected-word'; literal: string; got: string }
  | { kind: 'unexpected'; got: string };

/** Why `words` do not match: a greedy walk that stops at the first problem. */
export function diagnose(pattern: UsagePattern, words: readonly Token[]): Mismatch {
  let w = 0;
  const walk = (nodes: readonly UsageNode[]): Mismatch | undefined => {
    for (const node of nodes) {
      const word = words[w];
      if (node.kind === 'optional') {
        const first = node.nodes[0];
        const enter = word !== undefined && (first?.kind !== 'word' || word.text.toLowerCase() === first.text);
        if (enter) {
          const problem = walk(node.nodes);
          if (problem) return problem;
        }
        continue;
      }
      if (!word) return node.kind === 'arg' ? { kind: 'missing', arg: node.name } : { kind: 'missing', literal: node.text };
      if (node.kind === 'word' && (word.quoted || word.text.toLowerCase() !== node.text)) return { kind: 'expected-word', literal: node.text, got: word.text };
      w++;
    }
    return undefined;
  };
  const problem = walk(pattern.nodes);
  if (problem) return problem;
  return { kind: 'unexpected', got: words[w]?.text ?? '' };
}

/**
 * Whether an example line fits the pattern, read exactly as chat reads a typed line: the same
 * word splitting, extras and matcher. Returns the keys of the trailing key=value words, or
 * undefined when chat would refuse the line.
 */
export function checkExample(pattern: UsagePattern, text: string): { extras: string[] } | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (err) {
    if (err instanceof TokenizeError) return undefined;
    throw err;
  }
  const { words, extras } = splitExtras(tokens);
  if (matchUsage(pattern, words) === undefined) return undefined;
  return { extras: extras.flatMap((t) => (t.assignment ? [t.assignment.key] : [])) };
}
