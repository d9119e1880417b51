/**
 * Semantic checks of one schema-valid workflow: step ids, needs, cycles, expressions (syntax,
 * contexts, inputs, which steps may be read), no `${{` in run scripts, input declarations,
 * approvals. Cross-file checks (sub-workflows, commands, policy) live in config/cross-checks.ts.
 */
import { didYouMean } from '../config/did-you-mean.js';
import type { PathSegment, Position, Problem } from '../config/yaml-source.js';
import { CONTEXT_NAMES, ExpressionError, conditionText, contextReferences, findExpressions, parseExpression, unknownContexts } from './expressions.js';
import { parseDuration } from './duration.js';
import { inputValueSchema } from './inputs.js';
import { parseMatcher } from '../alerts/matchers.js';
import type { Step, Workflow } from './schema.js';
import { checkSecrets } from './secret-checks.js';
import { urlHostWarnings } from './url-checks.js';

/** Where things are in the source; YamlSource implements it. */
export interface Locator {
  file: string;
  locate(path: readonly PathSegment[], at?: 'key' | 'value'): Position;
  locateInside(path: readonly PathSegment[], needle: string): Position;
}

const RUN_KEYS = ['id', 'requester', 'channel', 'workflow', 'url'];
const STEP_KEYS = ['outputs', 'outcome', 'conclusion'];

function suggest(word: string, known: readonly string[]): string {
  return didYouMean(word, known);
}

/** Which steps a reader may see: `steps.X` is readable when X is guaranteed to have run before. */
type Scope =
  | { kind: 'step'; list: 'steps' | 'on_failure'; ancestors: Ancestry }
  | { kind: 'outputs' }
  | { kind: 'workflow' } // workflow env, concurrency: before any step ran
  | { kind: 'trigger' }; // on.alert.inputs: only the alert is known, before the run exists

interface Ctx {
  wf: Workflow;
  loc: Locator;
  problems: Problem[];
  mainIds: Set<string>;
  failureIds: Set<string>;
}

function err(c: Ctx, pos: Position, message: string, severity: 'error' | 'warning' = 'error'): void {
  c.problems.push({ file: c.loc.file, line: pos.line, col: pos.col, message, severity });
}

function fmt(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** Checks one expression's text (without `${{ }}`) found at `path`. */
function checkExpression(c: Ctx, path: readonly PathSegment[], text: string, scope: Scope, needle: string): void {
  const pos = () => c.loc.locateInside(path, needle);
  const unknown = unknownContexts(text);
  if (unknown.length > 0) {
    for (const name of unknown)
      err(c, pos(), `${fmt(path)}: unknown context \`${name}\`${suggest(name, CONTEXT_NAMES)} (expressions may use ${CONTEXT_NAMES.join(', ')})`);
    return;
  }
  try {
    parseExpression(text);
  } catch (e) {
    if (e instanceof ExpressionError) {
      err(c, pos(), `${fmt(path)}: ${e.message}`);
      return;
    }
    throw e;
  }
  for (const { path: ref } of contextReferences(text)) {
    const [context, key, sub] = ref;
    if (scope.kind === 'trigger' && context !== 'alert' && context !== 'incident') {
      err(c, pos(), `${fmt(path)}: \`${context ?? ''}\` is not known when an alert starts the run; read alert.labels, alert.annotations, alert.status, alert.fingerprint, … or incident.id here`);
      continue;
    }
    if (key === undefined || key === '*') continue;
    if (context === 'inputs' && !(key in c.wf.inputs)) {
      const known = Object.keys(c.wf.inputs);
      err(c, pos(), `${fmt(path)}: unknown input \`${key}\`${suggest(key, known)} (declared: ${known.length > 0 ? known.join(', ') : 'none'})`);
    } else if (context === 'run' && !RUN_KEYS.includes(key)) {
      err(c, pos(), `${fmt(path)}: run.${key} does not exist${suggest(key, RUN_KEYS)} (run has ${RUN_KEYS.join(', ')})`);
    } else if (context === 'steps') checkStepReference(c, path, key, sub, scope, pos);
  }
}

function checkStepReference(c: Ctx, path: readonly PathSegment[], id: string, sub: string | undefined, scope: Scope, pos: () => Position): void {
  const where = fmt(path);
  const all = [...c.mainIds, ...c.failureIds];
  if (!c.mainIds.has(id) && !c.failureIds.has(id)) {
    err(c, pos(), `${where}: steps.${id} refers to no step${suggest(id, all)}`);
    return;
  }
  if (sub !== undefined && sub !== '*' && !STEP_KEYS.includes(sub)) {
    err(c, pos(), `${where}: steps.${id}.${sub} does not exist${suggest(sub, STEP_KEYS)} (a step has ${STEP_KEYS.join(', ')})`);
    return;
  }
  if (scope.kind === 'workflow') {
    err(c, pos(), `${where}: steps.${id} cannot be read here: no step has run yet`);
    return;
  }
  if (scope.kind === 'outputs' || scope.kind === 'trigger') return;
  // on_failure steps run after the main steps ended, so any main step may be read (it may be empty).
  if (scope.list === 'on_failure' && c.mainIds.has(id)) return;
  if (!scope.ancestors.has(id))
    err(c, pos(), `${where}: steps.${id} is read before it is guaranteed to have run; add \`${id}\` to this step's needs (directly or through a step it needs)`);
}

/** Checks every `${{ … }}` inside a text value. */
function checkTemplate(c: Ctx, path: readonly PathSegment[], value: unknown, scope: Scope): void {
  if (typeof value !== 'string') {
    if (Array.isArray(value)) value.forEach((v, i) => checkTemplate(c, [...path, i], v, scope));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkTemplate(c, [...path, k], v, scope);
    return;
  }
  let spans;
  try {
    spans = findExpressions(value);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    err(c, c.loc.locateInside(path, '${{'), `${fmt(path)}: \`\${{\` without a closing \`}}\``);
    return;
  }
  for (const span of spans) checkExpression(c, path, span.text, scope, value.slice(span.start, span.end));
}

function checkCondition(c: Ctx, path: readonly PathSegment[], cond: string | boolean | undefined, scope: Scope): void {
  if (typeof cond !== 'string') return;
  let text: string;
  try {
    text = conditionText(cond);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    err(c, c.loc.locate(path), `${fmt(path)}: ${e.reason}`);
    return;
  }
  if (text === '') {
    err(c, c.loc.locate(path), `${fmt(path)}: empty condition`);
    return;
  }
  checkExpression(c, path, text, scope, text);
}

/** The steps a step transitively needs; `has` answers in O(1). */
interface Ancestry {
  has(id: string): boolean;
}

/**
 * The ancestors of every step, one bitset per step: n²/8 bytes (125 KB at the step cap) built in
 * O(needs × n/32), where sets of ids would take O(n²) entries (a 1,000-step chain: 500,000).
 * Iterative, so a long chain cannot overflow the stack; on a cycle (reported separately) the sets
 * of the steps in it are partial.
 */
function ancestorsOf(steps: Step[]): Ancestry[] {
  const n = steps.length;
  const words = Math.ceil(n / 32);
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const bits = new Uint32Array(n * words);
  const needIdx = steps.map((s, i) => s.needs.map((id) => index.get(id)).filter((j): j is number => j !== undefined && j !== i));
  const state = new Uint8Array(n); // 0 new, 1 its needs are being done, 2 done
  const stack: number[] = [];
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    stack.push(root);
    while (stack.length > 0) {
      const v = stack[stack.length - 1] ?? 0;
      const needs = needIdx[v] ?? [];
      if (state[v] === 0) {
        state[v] = 1;
        for (const j of needs) if (state[j] === 0) stack.push(j);
        continue;
      }
      stack.pop();
      if (state[v] === 2) continue;
      for (const j of needs) {
        for (let w = 0; w < words; w++) bits[v * words + w] = (bits[v * words + w] ?? 0) | (bits[j * words + w] ?? 0);
        bits[v * words + (j >>> 5)] = (bits[v * words + (j >>> 5)] ?? 0) | (1 << (j & 31));
      }
      state[v] = 2;
    }
  }
  return steps.map((_, v) => ({
    has: (id: string): boolean => {
      const j = index.get(id);
      return j !== undefined && ((bits[v * words + (j >>> 5)] ?? 0) & (1 << (j & 31))) !== 0;
    },
  }));
}

/** The first dependency cycle found, as step ids with the first repeated at the end. */
export function findCycle(steps: Step[]): string[] | undefined {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need) || need === id) continue; // a step needing itself is reported on its own
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const cycle = visit(s.id);
    if (cycle) return cycle;
  }
  return undefined;
}

function checkSteps(c: Ctx, list: 'steps' | 'on_failure', steps: Step[]): void {
  const ids = new Set(steps.map((s) => s.id));
  const seen = new Map<string, number>();
  steps.forEach((step, i) => {
    const at = [list, i] as const;
    const other = seen.get(step.id) ?? (list === 'on_failure' && c.mainIds.has(step.id) ? -1 : undefined);
    if (other !== undefined)
      err(c, c.loc.locate([...at, 'id']), `${fmt([...at, 'id'])}: duplicate step id \`${step.id}\` (also ${other >= 0 ? `${list}[${other}]` : 'a step under steps'})`);
    else seen.set(step.id, i);
    step.needs.forEach((need, j) => {
      const needPath = [...at, 'needs', j];
      if (need === step.id) err(c, c.loc.locate(needPath), `${fmt([...at, 'needs'])}: step \`${step.id}\` needs itself`);
      else if (!ids.has(need)) {
        const hint = list === 'on_failure' && c.mainIds.has(need) ? ' (on_failure steps may only need other on_failure steps)' : suggest(need, [...ids]);
        err(c, c.loc.locate(needPath), `${fmt([...at, 'needs'])}: \`${need}\` is not a step id in ${list}${hint}`);
      }
    });
  });
  const cycle = findCycle(steps);
  if (cycle) {
    const first = steps.findIndex((s) => s.id === cycle[0]);
    const next = cycle[1] ?? '';
    const j = steps[first]?.needs.indexOf(next) ?? 0;
    err(c, c.loc.locate([list, first, 'needs', Math.max(0, j)]), `${list}[${first}].needs: dependency cycle: ${cycle.join(' -> ')}`);
  }
  const ancestors = ancestorsOf(steps);
  steps.forEach((step, i) => {
    const at: PathSegment[] = [list, i];
    const scope: Scope = { kind: 'step', list, ancestors: ancestors[i] ?? { has: () => false } };
    checkCondition(c, [...at, 'if'], step.if, scope);
    if (step.run !== undefined && step.run.includes('${{'))
      err(
        c,
        c.loc.locateInside([...at, 'run'], '${{'),
        `${fmt([...at, 'run'])}: \`\${{ }}\` is not allowed inside a run script (it would paste chat text into shell code); pass the value through env: (e.g. env: { SERVICE: "\${{ inputs.service }}" }) and use "$SERVICE"`,
      );
    for (const key of ['name', 'env', 'http', 'notify', 'working_directory'] as const) checkTemplate(c, [...at, key], step[key], scope);
    if (step.http && !step.http.url.includes('${{')) checkUrl(c, [...at, 'http', 'url'], step.http.url);
    if (step.http) for (const w of urlHostWarnings(c.wf, step, step.http.url)) err(c, c.loc.locateInside([...at, 'http', 'url'], w.needle), `${fmt([...at, 'http', 'url'])}: ${w.message}`, 'warning');
    if (step.approval) {
      checkTemplate(c, [...at, 'approval', 'message'], step.approval.message, scope);
      if (step.approval.roles !== undefined && step.approval.roles.length === 0)
        err(c, c.loc.locate([...at, 'approval', 'roles']), `${fmt([...at, 'approval', 'roles'])}: an empty role list means nobody could approve; leave roles out to allow anyone but the requester`);
    }
    if (step.workflow) checkTemplate(c, [...at, 'workflow', 'inputs'], step.workflow.inputs, scope);
  });
}

function checkUrl(c: Ctx, path: readonly PathSegment[], url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    err(c, c.loc.locate(path), `${fmt(path)}: not a URL; write it in full, like http://127.0.0.1:8080/health`);
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') err(c, c.loc.locate(path), `${fmt(path)}: only http and https URLs are supported, not ${parsed.protocol}`);
}

/** Limits that can never apply because the whole run's timeout ends first. */
function checkLimits(c: Ctx, list: 'steps' | 'on_failure', steps: Step[]): void {
  const runMs = c.wf.timeout !== undefined ? parseDuration(c.wf.timeout) : undefined;
  if (runMs === undefined) return;
  steps.forEach((step, i) => {
    const stepMs = step.timeout !== undefined ? parseDuration(step.timeout) : undefined;
    if (stepMs !== undefined && stepMs > runMs)
      err(c, c.loc.locate([list, i, 'timeout']), `${list}[${i}].timeout: ${step.timeout} is longer than the run's timeout (${c.wf.timeout}), which ends it first`, 'warning');
    const expires = step.approval?.expires !== undefined ? parseDuration(step.approval.expires) : undefined;
    if (expires !== undefined && expires > runMs)
      err(c, c.loc.locate([list, i, 'approval', 'expires']), `${list}[${i}].approval.expires: ${step.approval?.expires ?? ''} is longer than the run's timeout (${c.wf.timeout}); the run times out before the approval expires`, 'warning');
  });
}

function checkTrigger(c: Ctx): void {
  const alert = c.wf.on?.alert;
  if (!alert) return;
  const at = ['on', 'alert'];
  (alert.matchers ?? []).forEach((text, i) => {
    try {
      parseMatcher(text);
    } catch (e) {
      err(c, c.loc.locate([...at, 'matchers', i]), `on.alert.matchers[${i}]: ${(e as Error).message}`);
    }
  });
  if ((alert.matchers?.length ?? 0) === 0 && Object.keys(alert.match ?? {}).length === 0) {
    if (alert.match !== undefined) err(c, c.loc.locate([...at, 'match']), 'on.alert.match: empty, so every alert would start this workflow; name at least one label, e.g. { alertname: HighErrorRate }');
    else err(c, c.loc.locate(at, 'key'), `on.alert: no matchers, so every alert would start this workflow; add matchers: ['alertname="HighErrorRate"'] or match: { alertname: HighErrorRate }`);
  }
  if (alert.channel !== undefined)
    err(c, c.loc.locate([...at, 'channel'], 'key'), "on.alert.channel: ignored: the run reports in its incident's thread, and alerts.yaml routes incidents to channels (routes: - match: {…} channel: slack:C0INCIDENTS)", 'warning');
  if (alert.start === 'manual') {
    // A person starts it from the incident's button: what shapes automatic starts does nothing.
    for (const key of ['delay', 'cooldown'] as const)
      if (alert[key] !== undefined) err(c, c.loc.locate([...at, key], 'key'), `on.alert.${key}: has no effect with start: manual (a person starts the run from the incident's button); remove it`, 'warning');
    if (alert.scope !== 'alert') err(c, c.loc.locate([...at, 'scope'], 'key'), "on.alert.scope: has no effect with start: manual (one button per incident); remove it", 'warning');
  }
  const mapped = alert.inputs ?? {};
  const declared = Object.keys(c.wf.inputs);
  for (const [name, value] of Object.entries(mapped)) {
    if (!(name in c.wf.inputs)) err(c, c.loc.locate([...at, 'inputs', name], 'key'), `on.alert.inputs.${name}: not an input of this workflow${suggest(name, declared)} (declared: ${declared.length > 0 ? declared.join(', ') : 'none'})`);
    else checkTemplate(c, [...at, 'inputs', name], value, { kind: 'trigger' });
  }
  for (const [name, spec] of Object.entries(c.wf.inputs)) {
    if (spec.required && spec.default === undefined && !(name in mapped))
      err(c, c.loc.locate(at, 'key'), `on.alert: input \`${name}\` is required and has no default, so an alert could never start this workflow${alert.start === 'manual' ? ' (its button takes no inputs)' : ''}; map it in on.alert.inputs (e.g. ${name}: \${{ alert.labels.${name} }})`);
  }
}

function checkInputs(c: Ctx): void {
  for (const [name, spec] of Object.entries(c.wf.inputs)) {
    const at = ['inputs', name];
    if (spec.type === 'choice' && spec.options === undefined) err(c, c.loc.locate(at, 'key'), `inputs.${name}: a choice input needs options: [a, b]`);
    if (spec.type !== 'choice' && spec.options !== undefined) err(c, c.loc.locate([...at, 'options'], 'key'), `inputs.${name}.options: only a choice input has options; set type: choice`);
    if (spec.pattern !== undefined) {
      try {
        new RegExp(`^(?:${spec.pattern})$`);
      } catch (e) {
        err(c, c.loc.locate([...at, 'pattern']), `inputs.${name}.pattern: not a valid regular expression (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
    }
    if (spec.default !== undefined) {
      const parsed = inputValueSchema(spec).safeParse(spec.default);
      if (!parsed.success) err(c, c.loc.locate([...at, 'default']), `inputs.${name}.default: ${parsed.error.issues[0]?.message ?? 'does not fit the input'}`);
      if (spec.required) err(c, c.loc.locate([...at, 'required']), `inputs.${name}.required: has no effect with a default; remove one of them`, 'warning');
    }
  }
}

/** All semantic problems of one workflow that passed the schema. */
export function checkWorkflow(wf: Workflow, loc: Locator): Problem[] {
  const c: Ctx = { wf, loc, problems: [], mainIds: new Set(wf.steps.map((s) => s.id)), failureIds: new Set((wf.on_failure ?? []).map((s) => s.id)) };
  checkInputs(c);
  checkTrigger(c);
  checkTemplate(c, ['env'], wf.env, { kind: 'workflow' });
  if (wf.concurrency) checkTemplate(c, ['concurrency', 'key'], wf.concurrency.key, { kind: 'workflow' });
  checkSteps(c, 'steps', wf.steps);
  if (wf.on_failure) checkSteps(c, 'on_failure', wf.on_failure);
  checkLimits(c, 'steps', wf.steps);
  checkTemplate(c, ['outputs'], wf.outputs, { kind: 'outputs' });
  for (const p of checkSecrets(wf)) err(c, c.loc.locateInside(p.path, p.needle), p.message);
  return c.problems;
}
