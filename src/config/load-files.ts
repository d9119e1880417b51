/**
 * Loads one file of each kind: YAML syntax, then the zod schema, then (for workflows) the
 * semantic checks. A file with any error yields no value, only its problems.
 */
import type { z } from 'zod';
import { checkWorkflow } from '../workflow/validate.js';
import { workflowSchema, type Workflow } from '../workflow/schema.js';
import { commandSchema, type CommandFile } from './command-schema.js';
import { policySchema, type Policy } from './policy.js';
import { parseUsage, UsageError, type UsagePattern } from './usage.js';
import { YamlSource, sortProblems, type Problem } from './yaml-source.js';
import { zodProblems } from './zod-problems.js';

export interface Loaded<T> {
  value?: T;
  source: YamlSource;
  problems: Problem[];
}

function hasError(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

function parseWith<T>(file: string, text: string, schema: z.ZodType<T>, what: string): Loaded<T> {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxProblems();
  if (syntax.length > 0) return { source, problems: syntax };
  if (!source.isMapping()) {
    const pos = source.locate([]);
    return { source, problems: [{ file, ...pos, severity: 'error', message: `top level: expected a mapping (key: value) describing ${what}` }] };
  }
  const raw = source.toJS();
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { source, problems: sortProblems(zodProblems(source, schema, parsed.error.issues, raw)) };
  return { source, value: parsed.data, problems: [] };
}

export function loadWorkflowText(file: string, text: string): Loaded<Workflow> {
  const loaded = parseWith(file, text, workflowSchema, 'a workflow');
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
  if (loaded.value === undefined) return loaded;
  const problems: Problem[] = [];
  const roles = Object.keys(loaded.value.roles);
  const checkRoles = (list: 'rules' | 'approvals', i: number, names: string[]) =>
    names.forEach((r, j) => {
      if (r !== '*' && !roles.includes(r))
        problems.push({ file, ...loaded.source.locate([list, i, 'roles', j]), severity: 'error', message: `${list}[${i}].roles[${j}]: no role named \`${r}\` (roles: ${roles.join(', ') || 'none'})` });
    });
  loaded.value.rules.forEach((rule, i) => checkRoles('rules', i, rule.roles));
  loaded.value.approvals.forEach((rule, i) => checkRoles('approvals', i, rule.roles));
  // The value is kept even with errors so cross-file checks still run; the caller must not use a
  // policy with errors (it locks everything instead, see load-project.ts).
  return { ...loaded, problems: sortProblems(problems) };
}
