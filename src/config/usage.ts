/**
 * The usage grammar of commands/*.yaml: `restart {service} on {host} [in {region}]`.
 * Literal words match themselves (case-insensitive), `{arg}` takes one word or a "quoted string",
 * `[ … ]` is an optional part, and trailing `key=value` words set other inputs. This file serves
 * the validator (shapes, collisions); matching chat text is src/chat/usage-pattern.ts, same grammar.
 */

export type UsageToken = { kind: 'word'; text: string } | { kind: 'arg'; name: string; optional: boolean };

export interface UsagePattern {
  /** The command name: the first literal word. */
  name: string;
  /** The tokens in order; an optional part's tokens carry its group number. */
  tokens: (UsageToken & { group: number })[];
  /** Arguments named in the pattern, in order. */
  args: string[];
}

export class UsageError extends Error {
  readonly code = 'USAGE_PATTERN';
}

const ARG = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Parses a usage pattern; throws UsageError with a specific reason. Group 0 is the required part. */
export function parseUsage(pattern: string): UsagePattern {
  const tokens: (UsageToken & { group: number })[] = [];
  const spaced = pattern.replace(/\[/g, ' [ ').replace(/\]/g, ' ] ').trim();
  let group = 0;
  let groups = 0;
  for (const raw of spaced.split(/\s+/)) {
    if (raw === '') continue;
    if (raw === '[') {
      if (group !== 0) throw new UsageError('optional parts [ … ] cannot be nested');
      group = ++groups;
      continue;
    }
    if (raw === ']') {
      if (group === 0) throw new UsageError('] without a matching [');
      group = 0;
      continue;
    }
    const arg = ARG.exec(raw);
    if (arg?.[1] !== undefined) tokens.push({ kind: 'arg', name: arg[1], optional: group !== 0, group });
    else if (/[{}]/.test(raw)) throw new UsageError(`"${raw}" is not an argument: write {name} with letters, digits and _`);
    else if (raw.includes('=')) throw new UsageError(`"${raw}": key=value words are always accepted at the end, leave them out of the usage`);
    else tokens.push({ kind: 'word', text: raw.toLowerCase(), group });
  }
  if (group !== 0) throw new UsageError('[ without a matching ]');
  const first = tokens[0];
  if (first === undefined || first.kind !== 'word' || first.group !== 0) throw new UsageError('a usage starts with the command name, a plain word');
  const args = tokens.flatMap((t) => (t.kind === 'arg' ? [t.name] : []));
  const dup = args.find((a, i) => args.indexOf(a) !== i);
  if (dup !== undefined) throw new UsageError(`argument {${dup}} appears twice`);
  return { name: first.text, tokens, args };
}

/** Every concrete shape the pattern accepts: one token list per choice of optional parts. */
export function expandUsage(usage: UsagePattern): UsageToken[][] {
  const groups = [...new Set(usage.tokens.map((t) => t.group).filter((g) => g !== 0))];
  const out: UsageToken[][] = [];
  for (let mask = 0; mask < 1 << groups.length; mask++) {
    const on = new Set(groups.filter((_, i) => (mask & (1 << i)) !== 0));
    out.push(usage.tokens.filter((t) => t.group === 0 || on.has(t.group)));
  }
  return out;
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

/**
 * Whether an example line fits the pattern, for the validator: words split on spaces with "quoted"
 * or 'quoted' text as one word, trailing key=value words set aside (returned as `extras`).
 * Returns undefined when no shape of the pattern fits.
 */
export function checkExample(usage: UsagePattern, text: string): { extras: string[] } | undefined {
  // A word runs until unquoted white space, so key="two words" stays one word.
  const words = [...text.matchAll(/(?:"[^"]*"|'[^']*'|[^\s"']+)+/g)].map((m) => m[0]);
  const extras: string[] = [];
  for (let last = words[words.length - 1]; last !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(last); last = words[words.length - 1]) {
    extras.unshift(last.slice(0, last.indexOf('=')));
    words.pop();
  }
  const fits = expandUsage(usage).some(
    (shape) => shape.length === words.length && shape.every((t, i) => t.kind === 'arg' || (words[i] ?? '').toLowerCase() === t.text),
  );
  return fits ? { extras } : undefined;
}
