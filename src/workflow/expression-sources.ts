/**
 * What an expression reads in the end: its context references, with every `env.X` followed into
 * the step's and the workflow's `env:` values that define X. The validator uses it to see through
 * `env:` where a value really comes from (an input deciding a URL's host, a secret written
 * somewhere it would be stored).
 */
import { contextReferences, findExpressions, type ContextReference } from './expressions.js';
import type { Step, Workflow } from './schema.js';

type EnvMap = Record<string, string | number | boolean> | undefined;

function templateRefs(value: unknown): ContextReference[] {
  if (typeof value !== 'string') return [];
  try {
    return findExpressions(value).flatMap((span) => contextReferences(span.text));
  } catch {
    return []; // a bad expression is reported where it stands
  }
}

/**
 * The context references of `refs`, each `env.X` replaced by what X's value reads (step env first,
 * then workflow env; `env.*` reads all of them). Plain env references stay in the list too.
 */
export function resolveEnvRefs(refs: ContextReference[], wf: Workflow, step?: Step): ContextReference[] {
  const out: ContextReference[] = [];
  const seen = new Set<string>();
  const follow = (ref: ContextReference, inStep: boolean): void => {
    out.push(ref);
    if (ref.path[0] !== 'env') return;
    const name = ref.path[1] ?? '*';
    const from = (env: EnvMap, scope: 'step' | 'wf') => {
      for (const [key, value] of Object.entries(env ?? {})) {
        if (name !== '*' && key !== name) continue;
        if (seen.has(`${scope}:${key}`)) continue;
        seen.add(`${scope}:${key}`);
        // A step env value reading env.X reads the workflow's X (or another step env entry).
        for (const inner of templateRefs(value)) follow(inner, scope === 'step');
      }
    };
    const inStepEnv = inStep && step?.env !== undefined && (name === '*' || (name in step.env && !seen.has(`step:${name}`)));
    if (inStepEnv) from(step?.env, 'step');
    if (name === '*' || !inStepEnv) from(wf.env, 'wf');
  };
  for (const ref of refs) follow(ref, step !== undefined);
  return out;
}

/** What one template (a string holding `${{ }}`) reads, through env. */
export function templateSources(value: unknown, wf: Workflow, step?: Step): ContextReference[] {
  return resolveEnvRefs(templateRefs(value), wf, step);
}
