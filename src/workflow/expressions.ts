/**
 * `${{ … }}` expressions with GitHub Actions syntax and functions, parsed and evaluated by
 * @actions/expressions (never eval). Adds the status functions success(), failure(), always()
 * and cancelled(), which that library leaves to the host.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { ContextAccess, FunctionCall, IndexAccess, Literal, type Expr } from '@actions/expressions/ast';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { TokenType, type Token } from '@actions/expressions/lexer';

export type ExpressionContext = {
  inputs?: Record<string, unknown>;
  steps?: Record<string, { outputs: Record<string, string>; outcome?: string; conclusion?: string }>;
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  run?: Record<string, unknown>;
  alert?: Record<string, unknown>;
  /** The incident of an alert-started run: `id`, `url`. */
  incident?: Record<string, unknown>;
  /** What made the run fail, for on_failure steps (`${{ failure.step }}`). */
  failure?: { step?: string; error?: string };
  /** Status of the run, for success()/failure()/cancelled()/always(). */
  status?: { failed: boolean; cancelled: boolean };
};

/** The context names an expression may use. */
export const CONTEXT_NAMES = ['inputs', 'steps', 'env', 'secrets', 'run', 'alert', 'incident', 'failure'] as const;
export type ContextName = (typeof CONTEXT_NAMES)[number];

export const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const;

/** A syntax or evaluation problem, with the expression text it came from. */
export class ExpressionError extends Error {
  readonly code = 'EXPRESSION';
  constructor(
    readonly expression: string,
    /** What is wrong, without the expression text. */
    readonly reason: string,
  ) {
    super(`invalid expression \`${expression}\`: ${reason}`);
    this.name = 'ExpressionError';
  }
}

const STATUS_INFO = STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));

// Parsing is pure; the same few hundred expressions are evaluated over and over by the engine.
const parsed = new Map<string, Expr>();
const PARSE_CACHE_LIMIT = 2000;

/** Parses an expression (text without `${{ }}`); throws ExpressionError on bad syntax or names. */
export function parseExpression(text: string): Expr {
  const cached = parsed.get(text);
  if (cached !== undefined) return cached;
  let expr: Expr;
  try {
    const { tokens } = new Lexer(text).lex();
    expr = new Parser(tokens, [...CONTEXT_NAMES], STATUS_INFO).parse();
  } catch (err) {
    throw new ExpressionError(text.trim(), err instanceof Error ? err.message : String(err));
  }
  if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
  parsed.set(text, expr);
  return expr;
}

/** Converts plain JSON-like values into the library's data model. */
function toData(value: unknown): data.ExpressionData {
  if (value === undefined || value === null) return new data.Null();
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toData));
  if (typeof value === 'object') {
    const dict = new data.Dictionary();
    for (const [key, v] of Object.entries(value)) dict.add(key, toData(v));
    return dict;
  }
  return new data.StringData(String(value));
}

/** Converts the library's data model back into plain values. */
function fromData(value: data.ExpressionData): unknown {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
    case data.Kind.Boolean:
    case data.Kind.Number:
      return (value as data.StringData | data.BooleanData | data.NumberData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map(fromData);
    default: {
      const out: Record<string, unknown> = {};
      for (const { key, value: v } of (value as data.Dictionary).pairs()) out[key] = fromData(v);
      return out;
    }
  }
}

function statusFunctions(ctx: ExpressionContext): Map<string, FunctionDefinition> {
  const failed = ctx.status?.failed ?? false;
  const cancelled = ctx.status?.cancelled ?? false;
  const fn = (name: string, result: boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(result) },
  ];
  return new Map([fn('success', !failed && !cancelled), fn('failure', failed), fn('always', true), fn('cancelled', cancelled)]);
}

function contextData(ctx: ExpressionContext): data.Dictionary {
  // Every context exists (possibly empty) so a reference to a missing one yields null, never a crash.
  const dict = new data.Dictionary();
  for (const name of CONTEXT_NAMES) dict.add(name, toData(ctx[name] ?? {}));
  return dict;
}

/** Evaluates one expression (text WITHOUT `${{ }}`) and returns a plain value. */
export function evaluateExpression(text: string, ctx: ExpressionContext): unknown {
  const expr = parseExpression(text);
  try {
    return fromData(new Evaluator(expr, contextData(ctx), statusFunctions(ctx)).evaluate());
  } catch (err) {
    throw new ExpressionError(text.trim(), err instanceof Error ? err.message : String(err));
  }
}

/** How a value reads when pasted into text, as GitHub Actions does it (objects as JSON). */
export function stringifyValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export interface ExpressionSpan {
  /** The text between `${{` and `}}`. */
  text: string;
  /** Offset of `${{` in the template. */
  start: number;
  /** Offset just after `}}`. */
  end: number;
}

/**
 * Finds every `${{ … }}` in a template. A `}}` inside a single-quoted string literal does not
 * close the expression. An unclosed `${{` throws ExpressionError.
 */
export function findExpressions(template: string): ExpressionSpan[] {
  const spans: ExpressionSpan[] = [];
  let from = 0;
  for (;;) {
    const start = template.indexOf('${{', from);
    if (start < 0) return spans;
    let i = start + 3;
    let inString = false;
    let end = -1;
    while (i < template.length) {
      const ch = template[i];
      if (inString) {
        if (ch === "'") {
          if (template[i + 1] === "'") i++; // '' escapes a quote inside a string
          else inString = false;
        }
      } else if (ch === "'") inString = true;
      else if (ch === '}' && template[i + 1] === '}') {
        end = i;
        break;
      }
      i++;
    }
    if (end < 0) throw new ExpressionError(template.slice(start + 3).trim(), '`${{` without a closing `}}`');
    spans.push({ text: template.slice(start + 3, end), start, end: end + 2 });
    from = end + 2;
  }
}

/** Replaces every `${{ … }}` in a template with its value as text. */
export function interpolate(template: string, ctx: ExpressionContext): string {
  const spans = findExpressions(template);
  if (spans.length === 0) return template;
  let out = '';
  let last = 0;
  for (const span of spans) {
    out += template.slice(last, span.start) + stringifyValue(evaluateExpression(span.text, ctx));
    last = span.end;
  }
  return out + template.slice(last);
}

/** A condition as written, `${{ x }}` or bare `x`, reduced to the expression text. */
export function conditionText(cond: string): string {
  const trimmed = cond.trim();
  const spans = findExpressions(trimmed);
  const only = spans[0];
  if (spans.length === 1 && only !== undefined && only.start === 0 && only.end === trimmed.length) return only.text.trim();
  if (spans.length > 0) throw new ExpressionError(trimmed, 'a condition is one expression: write `x` or `${{ x }}`, not text around `${{ }}`');
  return trimmed;
}

function walk(expr: Expr, visit: (e: Expr) => void): void {
  visit(expr);
  const anyExpr = expr as unknown as Record<string, unknown>;
  // The AST classes expose their children as fields; visit every Expr-valued one.
  for (const value of Object.values(anyExpr)) {
    if (Array.isArray(value)) {
      for (const item of value) if (isExpr(item)) walk(item, visit);
    } else if (isExpr(value)) walk(value, visit);
  }
}

function isExpr(value: unknown): value is Expr {
  return typeof value === 'object' && value !== null && typeof (value as { accept?: unknown }).accept === 'function';
}

/** Whether a condition calls success(), failure(), cancelled() or always(). */
export function conditionHasStatusFunction(cond: string | boolean | undefined): boolean {
  if (typeof cond !== 'string') return false;
  let found = false;
  walk(parseExpression(conditionText(cond)), (e) => {
    if (e instanceof FunctionCall && (STATUS_FUNCTIONS as readonly string[]).includes(e.functionName.lexeme.toLowerCase())) found = true;
  });
  return found;
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '' || value === 0) return false;
  if (typeof value === 'number' && Number.isNaN(value)) return false;
  return true;
}

/**
 * GitHub semantics: no condition means success(); a condition without a status function gets
 * `success() &&` implied; `${{ x }}` and bare `x` are the same.
 */
export function evaluateCondition(cond: string | boolean | undefined, ctx: ExpressionContext): boolean {
  const success = !(ctx.status?.failed ?? false) && !(ctx.status?.cancelled ?? false);
  if (cond === undefined) return success;
  if (typeof cond === 'boolean') return success && cond;
  const text = conditionText(cond);
  if (!conditionHasStatusFunction(cond) && !success) return false;
  return truthy(evaluateExpression(text, ctx));
}

/** A context path an expression reads, e.g. ['steps', 'build', 'outputs', 'sha']; '*' for wildcards and computed parts. */
export interface ContextReference {
  path: string[];
}

/** Lists the context paths an expression reads (literal property names only; computed parts become '*'). */
export function contextReferences(text: string): ContextReference[] {
  const refs: ContextReference[] = [];
  const inner = new Set<Expr>();
  walk(parseExpression(text), (e) => {
    if (!(e instanceof IndexAccess) || inner.has(e)) return;
    // Only the outermost access of a chain is reported; mark the inner ones as seen.
    const path: string[] = [];
    let cur: Expr = e;
    while (cur instanceof IndexAccess) {
      inner.add(cur);
      path.unshift(cur.index instanceof Literal && cur.index.literal.kind === data.Kind.String ? cur.index.literal.coerceString() : '*');
      cur = cur.expr;
    }
    if (cur instanceof ContextAccess) {
      inner.add(cur);
      refs.push({ path: [cur.name.lexeme.toLowerCase(), ...path] });
    }
  });
  walk(parseExpression(text), (e) => {
    if (e instanceof ContextAccess && !inner.has(e)) refs.push({ path: [e.name.lexeme.toLowerCase()] });
  });
  return refs;
}

/**
 * Names an expression uses as contexts that are not known ones (`foo.bar` -> ['foo']), found from
 * the tokens so the validator can say "unknown context" precisely, without reading error text.
 */
export function unknownContexts(text: string): string[] {
  let tokens: Token[];
  try {
    tokens = new Lexer(text).lex().tokens;
  } catch {
    return [];
  }
  const unknown: string[] = [];
  tokens.forEach((tok, i) => {
    if (tok.type !== TokenType.IDENTIFIER) return;
    if (tokens[i - 1]?.type === TokenType.DOT || tokens[i + 1]?.type === TokenType.LEFT_PAREN) return;
    if (!(CONTEXT_NAMES as readonly string[]).includes(tok.lexeme.toLowerCase())) unknown.push(tok.lexeme);
  });
  return unknown;
}
