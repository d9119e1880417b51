/**
 * Label matchers in Alertmanager's syntax: `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"` (value quoted or bare; regexes are anchored, as in Alertmanager). Used by
 * alerts.yaml routes and workflows' `on.alert`. A `match:` map is the same as `name="value"` each.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled for =~ and !~. */
  regex?: RegExp;
}

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses one matcher; throws an Error whose message says what is wrong and how to write it. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m?.[1] || !m[2]) throw new Error(`\`${text}\` is not a matcher; write name="value", name!="value", name=~"regex" or name!~"regex"`);
  const op = m[2] as MatchOp;
  let value = m[3] ?? '';
  if (value.startsWith('"')) {
    if (value.length < 2 || !value.endsWith('"')) throw new Error(`\`${text}\`: the value's closing quote is missing`);
    try {
      value = JSON.parse(value) as string;
    } catch {
      throw new Error(`\`${text}\`: the quoted value has a bad escape`);
    }
  } else if (/[\s"]/.test(value)) throw new Error(`\`${text}\`: quote a value holding spaces or quotes: ${m[1]}${op}"…"`);
  const matcher: Matcher = { name: m[1], op, value };
  if (op === '=~' || op === '!~') {
    try {
      matcher.regex = new RegExp(`^(?:${value})$`);
    } catch (err) {
      throw new Error(`\`${text}\`: bad regular expression: ${(err as Error).message}`, { cause: err });
    }
  }
  return matcher;
}

/** Matchers of a `matchers:` list and a `match:` map together. */
export function compileMatchers(list: readonly string[] = [], map: Record<string, string> = {}): Matcher[] {
  return [...list.map(parseMatcher), ...Object.entries(map).map(([name, value]) => ({ name, op: '=' as const, value }))];
}

/** Whether labels satisfy every matcher; a missing label reads as "" (as in Alertmanager). */
export function matches(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return m.regex?.test(v) ?? false;
      case '!~':
        return !(m.regex?.test(v) ?? false);
    }
  });
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}
