/**
 * Where a workflow may read `${{ secrets.NAME }}`. Secrets are read by the worker that runs a step
 * and must never be stored: they may feed what a step does (`env:`, `http:`, `notify:` text,
 * `working_directory`), where they are masked, but not a value the bot computes outside the
 * worker or keeps in Redis and shows in chat. Reading one through `env.X` counts as reading it.
 */
import { RESERVED_SECRET_NAMES, SECRET_NAME_PATTERN, secretEnvName } from '../config/secret-source.js';
import type { PathSegment } from '../config/yaml-source.js';
import { resolveEnvRefs } from './expression-sources.js';
import { conditionText, contextReferences, findExpressions, type ContextReference } from './expressions.js';
import type { Step, Workflow } from './schema.js';

export interface SecretProblem {
  path: PathSegment[];
  /** The text to point at inside the value at `path`. */
  needle: string;
  message: string;
}

/** Why a position refuses secrets, by the last named key of its path. */
const REFUSED: Record<string, string> = {
  key: 'the concurrency key is computed where the run starts (not on a worker) and kept in Redis',
  outputs: "a run's outputs are kept in Redis and shown in chat",
  inputs: "a sub-workflow's inputs are kept in Redis with its run; let the sub-workflow read the secret itself",
  message: 'the approval message is posted in chat',
  if: 'a condition cannot read a secret (as in GitHub Actions); test an env value set from it inside a run script instead',
  name: 'step names are shown in chat',
};

interface Template {
  path: PathSegment[];
  /** Expression texts with the needle that locates each. */
  expressions: Array<{ text: string; needle: string }>;
  step?: Step;
}

function templatesIn(value: unknown, path: PathSegment[], step: Step | undefined, out: Template[]): void {
  if (typeof value === 'string') {
    try {
      const expressions = findExpressions(value).map((s) => ({ text: s.text, needle: value.slice(s.start, s.end) }));
      if (expressions.length > 0) out.push({ path, expressions, step });
    } catch {
      // an unclosed `${{` is reported by the expression checks
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => templatesIn(v, [...path, i], step, out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) templatesIn(v, [...path, k], step, out);
}

/** Every expression of the workflow with where it stands (conditions included). */
function allTemplates(wf: Workflow): Template[] {
  const out: Template[] = [];
  templatesIn(wf.env, ['env'], undefined, out);
  if (wf.concurrency) templatesIn(wf.concurrency.key, ['concurrency', 'key'], undefined, out);
  templatesIn(wf.outputs, ['outputs'], undefined, out);
  for (const list of ['steps', 'on_failure'] as const) {
    (wf[list] ?? []).forEach((step, i) => {
      const { run: _script, if: cond, ...rest } = step; // `${{` in run scripts is refused elsewhere
      for (const [key, value] of Object.entries(rest)) templatesIn(value, [list, i, key], step, out);
      if (typeof cond === 'string') {
        try {
          const text = conditionText(cond);
          out.push({ path: [list, i, 'if'], expressions: [{ text, needle: text }], step });
        } catch {
          // reported by the condition checks
        }
      }
    });
  }
  return out;
}

function refsOf(text: string): ContextReference[] {
  try {
    return contextReferences(text);
  } catch {
    return [];
  }
}

function where(path: PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** The positions of a path that refuse secrets: concurrency.key, outputs, workflow.inputs, approval.message, if, name. */
function refusal(path: PathSegment[]): string | undefined {
  const [first, , third, fourth] = path;
  if (first === 'concurrency') return REFUSED.key;
  if (first === 'outputs') return REFUSED.outputs;
  if (first !== 'steps' && first !== 'on_failure') return undefined;
  if (third === 'workflow' && fourth === 'inputs') return REFUSED.inputs;
  if (third === 'approval' && fourth === 'message') return REFUSED.message;
  if (third === 'if') return REFUSED.if;
  if (third === 'name') return REFUSED.name;
  return undefined;
}

/** Problems with how the workflow reads secrets: names, computed access, positions that would store them. */
export function checkSecrets(wf: Workflow): SecretProblem[] {
  const problems: SecretProblem[] = [];
  for (const t of allTemplates(wf)) {
    const why = refusal(t.path);
    for (const { text, needle } of t.expressions) {
      const direct = refsOf(text);
      for (const ref of direct) {
        if (ref.path[0] !== 'secrets') continue;
        const name = ref.path[1];
        if (name === undefined || name === '*')
          problems.push({ path: t.path, needle, message: `${where(t.path)}: read each secret by its name (secrets.NAME), not the whole context or a computed name, so it can be checked and masked` });
        else if (!SECRET_NAME_PATTERN.test(name)) problems.push({ path: t.path, needle, message: `${where(t.path)}: \`${name}\` is not a secret name: use letters, digits and _, not starting with a digit` });
        else if (RESERVED_SECRET_NAMES.includes(name.toUpperCase()))
          problems.push({ path: t.path, needle, message: `${where(t.path)}: secrets.${name} is reserved: ${secretEnvName(name)} is the bot's own key for sealing secret inputs; name the secret otherwise` });
      }
      if (why === undefined) continue;
      const read = resolveEnvRefs(direct, wf, t.step).find((r) => r.path[0] === 'secrets');
      if (read === undefined) continue;
      const via = direct.some((r) => r.path[0] === 'secrets') ? '' : ' (through env)';
      problems.push({ path: t.path, needle, message: `${where(t.path)}: a secret (secrets.${read.path[1] ?? '*'}) may not be used here${via}: ${why}` });
    }
  }
  return problems;
}

/** The secrets a workflow reads, in the order first seen, each name once (names are case-insensitive). */
export function secretsNeeded(wf: Workflow): string[] {
  const names = new Map<string, string>();
  for (const t of allTemplates(wf)) {
    for (const { text } of t.expressions) {
      for (const ref of refsOf(text)) {
        const name = ref.path[1];
        if (ref.path[0] === 'secrets' && name !== undefined && name !== '*' && !names.has(name.toUpperCase())) names.set(name.toUpperCase(), name);
      }
    }
  }
  return [...names.values()];
}
