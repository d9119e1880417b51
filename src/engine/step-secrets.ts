/**
 * The `secrets` context of one step, read from the worker's SecretSource when the step is about
 * to run (never stored in Redis). Only the secrets the step's expressions and the workflow env
 * name are read; a missing one fails the step naming it. Every secret of the source is added to
 * the run's masker, so one printed by a step that did not name it is masked too.
 */
import type { SecretSource } from '../config/secret-source.js';
import { contextReferences, findExpressions } from '../workflow/expressions.js';
import type { Step, Workflow } from '../workflow/schema.js';
import { EngineError } from './errors.js';
import type { RunContext } from './run-context.js';

interface Needed {
  names: string[];
  /** Some expression reads `secrets` by a computed name or whole (validate refuses it). */
  computed: boolean;
}

const neededCache = new WeakMap<Step, Needed>();

function collect(value: unknown, into: string[]): void {
  if (typeof value === 'string') {
    if (value.includes('${{')) into.push(value);
  } else if (Array.isArray(value)) for (const v of value) collect(v, into);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collect(v, into);
}

/** The secret names a step may read: its own expressions (its `if` too) and the workflow env's. */
export function secretsOfStep(wf: Workflow, step: Step): Needed {
  const known = neededCache.get(step);
  if (known !== undefined) return known;
  const texts: string[] = [];
  const { run: _script, if: cond, ...rest } = step; // `${{` is refused in run scripts
  collect(rest, texts);
  collect(wf.env, texts);
  const names = new Set<string>();
  let computed = false;
  const read = (expr: string) => {
    for (const { path } of contextReferences(expr)) {
      if (path[0] !== 'secrets') continue;
      const name = path[1];
      if (name === undefined || name === '*') computed = true;
      else names.add(name);
    }
  };
  for (const text of texts) for (const span of findExpressions(text)) read(span.text);
  if (typeof cond === 'string') read(cond.replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, '$1'));
  const needed = { names: [...names].sort(), computed };
  neededCache.set(step, needed);
  return needed;
}

/**
 * Reads the secrets a step needs and widens the run's masker with them and every other secret
 * of the source. Throws EngineError SECRET_MISSING naming the missing ones only.
 */
export function resolveStepSecrets(rc: RunContext, step: Step, source: SecretSource): Record<string, string> {
  const { names, computed } = secretsOfStep(rc.def, step);
  if (computed) throw new EngineError('SECRET_MISSING', 'this step reads `secrets` by a computed name; name each secret (secrets.NAME) so it can be checked and masked');
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = source.get(name);
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length > 0) throw new EngineError('SECRET_MISSING', missing.map((n) => source.explainMissing(n)).join('; '), { missing });
  rc.masker = rc.masker.including([...Object.values(values), ...source.all()]);
  return values;
}
