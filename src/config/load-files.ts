/**
 * Loads one file of each kind: YAML syntax, then the zod schema, then (for workflows) the
 * semantic checks. A file with any error yields no value, only its problems.
 */
import type { z } from 'zod';
import { checkWorkflow } from '../workflow/validate.js';
import { MAX_STEPS, workflowSchema, type Workflow } from '../workflow/schema.js';
import { commandSchema, isBuiltinCommandName, type CommandFile } from './command-schema.js';
import { alertsFileSchema, compileAlertsFile, type AlertsConfig } from './alerts-config.js';
import { checkPeople, lenientPeopleAndRoles } from './people-checks.js';
import { policySchema, type Policy } from './policy.js';
import { parseUsage, UsageError, type UsagePattern } from './usage.js';
import { YamlSource, formatPath, sortProblems, type Problem } from './yaml-source.js';
import { zodProblems } from './zod-problems.js';

export interface Loaded<T> {
  value?: T;
  source: YamlSource;
  problems: Problem[];
}

function hasError(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** A check on the parsed document before it becomes values (size limits): its problems stop the load. */
type Precheck = (source: YamlSource) => Problem[];

function parseWith<T>(file: string, text: string, schema: z.ZodType<T>, what: string, precheck?: Precheck): Loaded<T> {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxProblems();
  if (syntax.length > 0) return { source, problems: syntax };
  if (!source.isMapping()) {
    const pos = source.locate([]);
    return { source, problems: [{ file, ...pos, severity: 'error', message: `top level: expected a mapping (key: value) describing ${what}` }] };
  }
  const early = precheck?.(source) ?? [];
  if (early.length > 0) return { source, problems: early };
  let raw: unknown;
  try {
    raw = source.toJS();
  } catch (e) {
    // syntaxProblems() bounds aliases and nesting first; this is the parser's own guard behind it.
    if (!(e instanceof ReferenceError || e instanceof RangeError)) throw e;
    return { source, problems: [{ file, line: 1, col: 1, severity: 'error', message: `cannot load this YAML: ${e.message} (E_YAML_ALIASES)` }] };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { source, problems: sortProblems(zodProblems(source, schema, parsed.error.issues, raw)) };
  return { source, value: parsed.data, problems: [] };
}

/** The step cap, counted on the document itself so an oversized file costs no schema or graph work. */
function stepCap(source: YamlSource): Problem[] {
  const main = source.seqLength(['steps']);
  const failure = source.seqLength(['on_failure']);
  if (main + failure <= MAX_STEPS) return [];
  const at = main > MAX_STEPS ? ['steps', MAX_STEPS] : ['on_failure', MAX_STEPS - main];
  const count = (n: number) => n.toLocaleString('en-US');
  return [
    {
      file: source.file,
      ...source.locate(at),
      severity: 'error',
      message: `${formatPath(at)}: too many steps: ${count(main + failure)} (${count(main)} under steps, ${count(failure)} under on_failure), a workflow holds at most ${count(MAX_STEPS)} (E_TOO_MANY_STEPS); split it into sub-workflows called with \`workflow:\` steps`,
    },
  ];
}

export function loadWorkflowText(file: string, text: string): Loaded<Workflow> {
  const loaded = parseWith(file, text, workflowSchema, 'a workflow', stepCap);
  if (loaded.value === undefined) return loaded;
  const problems = sortProblems(checkWorkflow(loaded.value, loaded.source));
  return hasError(problems) ? { source: loaded.source, problems } : { ...loaded, problems };
}

export interface LoadedCommand extends CommandFile {
  pattern: UsagePattern;
}

export function loadCommandText(file: string, text: string): Loaded<LoadedCommand> {
  const loaded = parseWith(file, text, commandSchema, 'a command');
  if (loaded.value === undefined) return { source: loaded.source, problems: loaded.problems };
  const cmd = loaded.value;
  if (isBuiltinCommandName(cmd.name))
    return {
      source: loaded.source,
      problems: [
        {
          file,
          ...loaded.source.locate(['name']),
          severity: 'error',
          message: `name: \`${cmd.name}\` is a built-in command, which always answers first, so this file could never run (and a policy rule granting it would grant the built-in instead); rename the command (E_BUILTIN_NAME)`,
        },
      ],
    };
  let pattern: UsagePattern;
  try {
    pattern = parseUsage(cmd.usage);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { source: loaded.source, problems: [{ file, ...loaded.source.locate(['usage']), severity: 'error', message: `usage: ${e.message}` }] };
  }
  if (pattern.name !== cmd.name)
    return {
      source: loaded.source,
      problems: [{ file, ...loaded.source.locate(['usage']), severity: 'error', message: `usage: starts with "${pattern.name}" but the command is named "${cmd.name}"; a usage starts with the command name` }],
    };
  return { source: loaded.source, value: { ...cmd, pattern }, problems: [] };
}

export function loadPolicyText(file: string, text: string): Loaded<Policy> {
  const loaded = parseWith(file, text, policySchema, 'the policy');
  if (loaded.value === undefined) {
    // Other schema errors must not hide an unknown person or a shared account.
    if (!loaded.source.isMapping() || loaded.source.syntaxProblems().length > 0) return loaded;
    let raw: unknown;
    try {
      raw = loaded.source.toJS();
    } catch {
      return loaded; // already reported by parseWith (E_YAML_ALIASES)
    }
    const people = checkPeople(lenientPeopleAndRoles(raw), loaded.source);
    const seen = new Set(loaded.problems.map((p) => `${p.line}:${p.col}`));
    return { ...loaded, problems: sortProblems([...loaded.problems, ...people.filter((p) => !seen.has(`${p.line}:${p.col}`))]) };
  }
  const problems: Problem[] = [];
  const roles = Object.keys(loaded.value.roles);
  const checkRoles = (list: 'rules' | 'approvals', i: number, names: string[]) =>
    names.forEach((r, j) => {
      if (r !== '*' && !roles.includes(r))
        problems.push({ file, ...loaded.source.locate([list, i, 'roles', j]), severity: 'error', message: `${list}[${i}].roles[${j}]: no role named \`${r}\` (roles: ${roles.join(', ') || 'none'})` });
    });
  loaded.value.rules.forEach((rule, i) => checkRoles('rules', i, rule.roles));
  loaded.value.approvals.forEach((rule, i) => checkRoles('approvals', i, rule.roles));
  problems.push(...checkPeople(loaded.value, loaded.source));
  // The value is kept even with errors so cross-file checks still run; the caller must not use a
  // policy with errors (it locks everything instead, see load-project.ts).
  return { ...loaded, problems: sortProblems(problems) };
}

/** alerts.yaml: routes, reopen window, storm caps (matcher syntax is checked by the schema). */
export function loadAlertsText(file: string, text: string): Loaded<AlertsConfig> {
  const loaded = parseWith(file, text, alertsFileSchema, 'alert routing (routes, default, incidents, storm)');
  if (loaded.value === undefined) return { source: loaded.source, problems: loaded.problems };
  return { source: loaded.source, value: compileAlertsFile(loaded.value), problems: [] };
}
