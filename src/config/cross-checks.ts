/**
 * Checks that span files: sub-workflow steps and recursion, commands against their workflows and
 * each other, policy against commands and workflows. Problems point at the referring line.
 */
import { didYouMean } from './did-you-mean.js';
import type { Workflow } from '../workflow/schema.js';
import type { LoadedCommand } from './load-files.js';
import { approvalRuleFor, INCIDENT_RUN_COMMAND, MEMBER_PATTERN, principalOf, type Policy } from './policy.js';
import { checkExample, usagesCollide } from './usage.js';
import type { Problem, YamlSource } from './yaml-source.js';

export interface WorkflowEntry {
  value: Workflow;
  source: YamlSource;
}
export interface CommandEntry {
  value: LoadedCommand;
  source: YamlSource;
}

function suggest(word: string, known: string[]): string {
  return didYouMean(word, known);
}

function problem(source: YamlSource, path: (string | number)[], message: string, severity: 'error' | 'warning' = 'error'): Problem {
  return { file: source.file, ...source.locate(path), severity, message };
}

/**
 * Sub-workflow steps: the named workflow exists, inputs given exist, required inputs are given,
 * and no workflow calls itself through any chain. Returns the names of workflows with errors.
 */
export function checkSubWorkflows(workflows: Map<string, WorkflowEntry>, brokenNames: Set<string>, problems: Problem[]): Set<string> {
  const bad = new Set<string>();
  const calls = new Map<string, { callee: string; path: (string | number)[] }[]>();
  for (const [name, { value: wf, source }] of workflows) {
    const list: { callee: string; path: (string | number)[] }[] = [];
    for (const key of ['steps', 'on_failure'] as const)
      (wf[key] ?? []).forEach((step, i) => {
        if (!step.workflow) return;
        const path = [key, i, 'workflow', 'name'];
        const callee = workflows.get(step.workflow.name);
        if (callee === undefined) {
          const msg = brokenNames.has(step.workflow.name)
            ? `workflow \`${step.workflow.name}\` has errors of its own (reported in its file), so this workflow is left out too`
            : `no workflow named \`${step.workflow.name}\`${suggest(step.workflow.name, [...workflows.keys()])}`;
          problems.push(problem(source, path, `${key}[${i}].workflow.name: ${msg}`));
          bad.add(name);
          return;
        }
        list.push({ callee: step.workflow.name, path });
        const given = step.workflow.inputs ?? {};
        for (const input of Object.keys(given))
          if (!(input in callee.value.inputs)) {
            problems.push(problem(source, [key, i, 'workflow', 'inputs', input], `${key}[${i}].workflow.inputs: \`${step.workflow.name}\` has no input \`${input}\`${suggest(input, Object.keys(callee.value.inputs))}`));
            bad.add(name);
          }
        for (const [input, spec] of Object.entries(callee.value.inputs))
          if (spec.required && spec.default === undefined && !(input in given)) {
            problems.push(problem(source, [key, i, 'workflow'], `${key}[${i}].workflow: \`${step.workflow.name}\` requires input \`${input}\`; add it under inputs:`));
            bad.add(name);
          }
      });
    calls.set(name, list);
  }
  // Recursion: a workflow that reaches itself through calls. Reported at each call inside the cycle.
  for (const [start, list] of calls) {
    for (const call of list) {
      const chain = findPath(calls, call.callee, start, new Set());
      if (chain === undefined) continue;
      const source = workflows.get(start)?.source;
      if (source === undefined) continue;
      const cycle = [start, ...chain].join(' -> ');
      problems.push(problem(source, call.path, `${String(call.path[0])}[${String(call.path[1])}].workflow.name: recursion is refused: ${cycle}`));
      bad.add(start);
    }
  }
  return bad;
}

function findPath(calls: Map<string, { callee: string }[]>, from: string, to: string, seen: Set<string>): string[] | undefined {
  if (from === to) return [to];
  if (seen.has(from)) return undefined;
  seen.add(from);
  for (const { callee } of calls.get(from) ?? []) {
    const rest = findPath(calls, callee, to, seen);
    if (rest) return [from, ...rest];
  }
  return undefined;
}

/** A command's workflow exists; mapping and arguments fit its inputs; required inputs are supplied. */
export function checkCommand(cmd: CommandEntry, workflows: Map<string, WorkflowEntry>, brokenNames: Set<string>): Problem[] {
  const { value: c, source } = cmd;
  const wf = workflows.get(c.workflow)?.value;
  if (wf === undefined) {
    const msg = brokenNames.has(c.workflow)
      ? `workflow \`${c.workflow}\` has errors of its own (reported in its file), so this command is left out too`
      : `no workflow named \`${c.workflow}\`${suggest(c.workflow, [...workflows.keys()])}`;
    return [problem(source, ['workflow'], `workflow: ${msg}`)];
  }
  const problems: Problem[] = [];
  const inputNames = Object.keys(wf.inputs);
  const mapping = c.inputs ?? {};
  const supplied = new Set<string>(); // inputs every match of the usage sets
  const requiredArgs = new Set(c.pattern.requiredArgs);
  const usedArgs = new Set<string>();
  for (const [input, template] of Object.entries(mapping)) {
    if (!(input in wf.inputs)) problems.push(problem(source, ['inputs', input], `inputs.${input}: workflow \`${wf.name}\` has no input \`${input}\`${suggest(input, inputNames)}`));
    const placeholders = [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '');
    for (const ph of placeholders) {
      usedArgs.add(ph);
      if (!c.pattern.args.includes(ph)) problems.push(problem(source, ['inputs', input], `inputs.${input}: \`{${ph}}\` is not an argument of the usage (${c.pattern.args.map((a) => `{${a}}`).join(' ') || 'none'})`));
    }
    if (placeholders.every((ph) => requiredArgs.has(ph))) supplied.add(input);
  }
  for (const arg of c.pattern.args) {
    if (usedArgs.has(arg) || arg in mapping) continue;
    if (!(arg in wf.inputs)) problems.push(problem(source, ['usage'], `usage: argument {${arg}} fills no input of \`${wf.name}\`${suggest(arg, inputNames)}; map it under inputs:`));
    else if (requiredArgs.has(arg)) supplied.add(arg);
  }
  const fromChat = new Set([...Object.keys(mapping).filter((k) => /\{[A-Za-z_]/.test(mapping[k] ?? '')), ...c.pattern.args.filter((a) => !usedArgs.has(a) && !(a in mapping))]);
  for (const name of [...fromChat].sort())
    if (wf.inputs[name]?.secret)
      problems.push(problem(source, ['usage'], `usage: secret input \`${name}\` would be typed into chat, where the channel's history keeps it; pass secrets through the \`secrets\` context instead`, 'warning'));
  c.examples.forEach((example, i) => {
    const fit = checkExample(c.pattern, example);
    if (fit === undefined) {
      problems.push(problem(source, ['examples', i], `examples[${i}]: "${example}" does not fit the usage "${c.usage}"`, 'warning'));
      return;
    }
    for (const key of fit.extras)
      if (!(key in wf.inputs)) problems.push(problem(source, ['examples', i], `examples[${i}]: ${key}= sets no input of \`${wf.name}\`${suggest(key, inputNames)}`, 'warning'));
  });
  for (const [name, spec] of Object.entries(wf.inputs))
    if (spec.required && spec.default === undefined && !supplied.has(name))
      problems.push(problem(source, ['usage'], `usage: required input \`${name}\` of \`${wf.name}\` is not set by the usage; add {${name}} (outside [ ]) or give the input a default`));
  return problems;
}

/** Two commands collide when some chat text would match both. Reported on the later file. */
export function checkCollisions(commands: CommandEntry[]): { problems: Problem[]; bad: Set<CommandEntry> } {
  const problems: Problem[] = [];
  const bad = new Set<CommandEntry>();
  commands.forEach((b, j) => {
    for (const a of commands.slice(0, j)) {
      if (bad.has(a)) continue;
      if (a.value.name === b.value.name) {
        problems.push(problem(b.source, ['name'], `name: command \`${b.value.name}\` collides with the command of the same name in ${a.source.file}; rename one of them`));
        bad.add(b);
        return;
      }
      if (usagesCollide(a.value.pattern, b.value.pattern)) {
        problems.push(problem(b.source, ['usage'], `usage: collides with command \`${a.value.name}\` (${a.source.file}): "${b.value.usage}" and "${a.value.usage}" can match the same text; add a distinct word`));
        bad.add(b);
        return;
      }
    }
  });
  return { problems, bad };
}

/** Built-ins whose use policy rules grant by name (chat/incident-builtins.ts, chat/incident-run.ts). */
const POLICY_GATED_BUILTINS = new Set(['ack', 'silence', 'resolve', INCIDENT_RUN_COMMAND]);

/** Policy rules name existing commands, approvals existing workflows; approval steps name existing roles. */
export function checkPolicy(policy: Policy, source: YamlSource, commands: Set<string>, allCommandNames: Set<string>, workflows: Map<string, WorkflowEntry>): Problem[] {
  const problems: Problem[] = [];
  policy.rules.forEach((rule, i) =>
    rule.commands.forEach((name, j) => {
      // ack, silence, resolve and run are granted by rules too (they act on incidents).
      if (name !== '*' && !commands.has(name) && !allCommandNames.has(name) && !POLICY_GATED_BUILTINS.has(name))
        problems.push(problem(source, ['rules', i, 'commands', j], `rules[${i}].commands[${j}]: no command named \`${name}\`${suggest(name, [...commands])}`, 'warning'));
    }),
  );
  policy.approvals.forEach((rule, i) =>
    rule.workflows.forEach((name, j) => {
      if (name !== '*' && !workflows.has(name))
        problems.push(problem(source, ['approvals', i, 'workflows', j], `approvals[${i}].workflows[${j}]: no workflow named \`${name}\`${suggest(name, [...workflows.keys()])}`, 'warning'));
    }),
  );
  const roles = Object.keys(policy.roles);
  for (const { value: wf, source: wsrc } of workflows.values())
    for (const key of ['steps', 'on_failure'] as const)
      (wf[key] ?? []).forEach((step, i) => {
        if (!step.approval) return;
        step.approval.roles?.forEach((role, j) => {
          if (role !== '*' && !roles.includes(role))
            problems.push(problem(wsrc, [key, i, 'approval', 'roles', j], `${key}[${i}].approval.roles[${j}]: policy.yaml has no role \`${role}\`${suggest(role, roles)}; nobody could approve`));
        });
        const shortfall = approverShortfall(policy, wf.name, step.approval);
        if (shortfall) problems.push(problem(wsrc, [key, i, 'approval'], `${key}[${i}].approval: ${shortfall}`));
      });
  return problems;
}

/**
 * When the roles an approval asks for list only individual people (no groups) and fewer of them
 * than the approvals needed, the approval can never be given: say so before 3 a.m. does.
 */
function approverShortfall(policy: Policy, workflow: string, approval: { min_approvers?: number | undefined; roles?: string[] | undefined }): string | undefined {
  const rule = approvalRuleFor(policy, workflow);
  const wanted = approval.roles ?? rule.roles;
  const min = approval.min_approvers ?? rule.minApprovers;
  if (wanted.length === 0 || wanted.includes('*')) return undefined;
  const listed = wanted.flatMap((r) => policy.roles[r]?.members ?? []);
  if (listed.some((m) => m.startsWith('slack-group:') || m.startsWith('discord-role:'))) return undefined;
  // Approvals count people: accounts of one person in people: are one; a name is that person.
  // An account no person claims may still be someone listed elsewhere, so this is an upper bound.
  const persons = new Set(listed.map((m) => (MEMBER_PATTERN.test(m) ? principalOf(policy, m) : `person:${m}`)));
  if (persons.size >= min) return undefined;
  return `needs ${min} approval(s) from ${wanted.join(' or ')}, but policy.yaml lists only ${persons.size} ${persons.size === 1 ? 'person' : 'people'} there, so it can never be approved`;
}
