/**
 * Command usage patterns (`restart {service} on {host}`, `scale {service} [to {count}]`): compiled
 * once, then matched against the words of a chat line. `{arg}` takes one word (a "quoted string" is
 * one word); `[ … ]` is an optional part. When a line does not match, `diagnose` says where and why,
 * so the reply can name the missing or unexpected part.
 */
import type { Token } from './tokenize.js';

export type PatternNode = { type: 'literal'; word: string } | { type: 'arg'; name: string } | { type: 'optional'; nodes: PatternNode[] };

export interface UsagePattern {
  usage: string;
  nodes: PatternNode[];
  /** Every `{arg}` in order. */
  args: string[];
}

export class UsagePatternError extends Error {
  readonly code = 'E_BAD_USAGE_PATTERN';
}

export function compileUsage(usage: string): UsagePattern {
  const stack: PatternNode[][] = [[]];
  const args: string[] = [];
  const top = (): PatternNode[] => {
    const t = stack[stack.length - 1];
    if (!t) throw new UsagePatternError(`unbalanced ] in usage "${usage}"`);
    return t;
  };
  const re = /\s*(\[|\]|\{([A-Za-z_][A-Za-z0-9_]*)\}|[^\s[\]{}]+|\S)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(usage)) !== null) {
    const part = m[1] ?? '';
    if (part === '[') stack.push([]);
    else if (part === ']') {
      const group = stack.pop();
      if (!group || stack.length === 0) throw new UsagePatternError(`unbalanced ] in usage "${usage}"`);
      top().push({ type: 'optional', nodes: group });
    } else if (m[2] !== undefined) {
      if (args.includes(m[2])) throw new UsagePatternError(`{${m[2]}} appears twice in usage "${usage}"`);
      args.push(m[2]);
      top().push({ type: 'arg', name: m[2] });
    } else if (/^[{}]$/.test(part) || part.includes('{')) {
      throw new UsagePatternError(`bad argument "${part}" in usage "${usage}": expected {name}`);
    } else top().push({ type: 'literal', word: part.toLowerCase() });
    if (re.lastIndex >= usage.trimEnd().length) break;
  }
  if (stack.length !== 1) throw new UsagePatternError(`unclosed [ in usage "${usage}"`);
  const nodes = top();
  if (nodes[0]?.type !== 'literal') throw new UsagePatternError(`usage "${usage}" must start with the command name`);
  return { usage, nodes, args };
}

/** The command name: the usage's first word. */
export function commandWord(pattern: UsagePattern): string {
  const first = pattern.nodes[0];
  return first?.type === 'literal' ? first.word : '';
}

type Bindings = Record<string, string>;

function matchAt(nodes: readonly PatternNode[], n: number, words: readonly Token[], w: number, bound: Bindings): Bindings | undefined {
  if (n === nodes.length) return w === words.length ? bound : undefined;
  const node = nodes[n];
  const word = words[w];
  if (!node) return undefined;
  switch (node.type) {
    case 'literal':
      return word && !word.quoted && word.text.toLowerCase() === node.word ? matchAt(nodes, n + 1, words, w + 1, bound) : undefined;
    case 'arg':
      return word ? matchAt(nodes, n + 1, words, w + 1, { ...bound, [node.name]: word.text }) : undefined;
    case 'optional': {
      // Try with the optional part first (greedy), then without it.
      const withPart = matchAt([...node.nodes, ...nodes.slice(n + 1)], 0, words, w, bound);
      return withPart ?? matchAt(nodes, n + 1, words, w, bound);
    }
  }
}

/** Argument values when `words` (the command word included) match the pattern exactly. */
export function matchUsage(pattern: UsagePattern, words: readonly Token[]): Bindings | undefined {
  return matchAt(pattern.nodes, 0, words, 0, {});
}

export type Mismatch =
  | { kind: 'missing'; arg?: string; literal?: string }
  | { kind: 'expected-word'; literal: string; got: string }
  | { kind: 'unexpected'; got: string };

/** Why `words` do not match: a greedy walk that stops at the first problem. */
export function diagnose(pattern: UsagePattern, words: readonly Token[]): Mismatch {
  let w = 0;
  const walk = (nodes: readonly PatternNode[]): Mismatch | undefined => {
    for (const node of nodes) {
      const word = words[w];
      if (node.type === 'optional') {
        const first = node.nodes[0];
        const enter = word !== undefined && (first?.type !== 'literal' || word.text.toLowerCase() === first.word);
        if (enter) {
          const problem = walk(node.nodes);
          if (problem) return problem;
        }
        continue;
      }
      if (!word) return node.type === 'arg' ? { kind: 'missing', arg: node.name } : { kind: 'missing', literal: node.word };
      if (node.type === 'literal' && (word.quoted || word.text.toLowerCase() !== node.word)) return { kind: 'expected-word', literal: node.word, got: word.text };
      w++;
    }
    return undefined;
  };
  const problem = walk(pattern.nodes);
  if (problem) return problem;
  return { kind: 'unexpected', got: words[w]?.text ?? '' };
}
