/**
 * Loads a project folder: workflows/*.yaml, commands/*.yaml and policy.yaml. Every problem is
 * located (`file:line:col`); a broken file is left out and reported, never takes the rest down.
 */
import { join, resolve } from 'node:path';
import type { Workflow } from '../workflow/schema.js';
import { displayPath } from './display-path.js';
import { readProjectFiles, type ProjectFiles } from './project-files.js';
import type { CommandFile } from './command-schema.js';
import { checkCollisions, checkCommand, checkPolicy, checkSubWorkflows, type CommandEntry, type WorkflowEntry } from './cross-checks.js';
import type { AlertsConfig } from './alerts-config.js';
import { loadAlertsText, loadCommandText, loadPolicyText, loadWorkflowText } from './load-files.js';
import { LOCKED_POLICY, type Policy } from './policy.js';

export { LOCKED_POLICY };
import type { UsagePattern } from './usage.js';
import { formatProblem, sortProblems, type Problem } from './yaml-source.js';

export type { Problem };
export { formatProblem, displayPath };

/** A loaded command: its file's fields, where it came from and its parsed usage. */
export interface CommandDef extends CommandFile {
  file: string;
  /** The parsed usage (see config/usage.ts). */
  pattern: UsagePattern;
}

export interface Project {
  dir: string;
  workflows: Map<string, Workflow>;
  commands: Map<string, CommandDef>;
  policy?: Policy;
  /** alerts.yaml, when present and valid (a broken one is reported and the defaults apply). */
  alerts?: AlertsConfig;
  problems: Problem[];
  /** workflow name -> the file it came from (as shown in problems). */
  workflowFiles: Map<string, string>;
}

/** Best effort: the `name:` of a broken file, so references to it say "has errors" rather than "no such". */
function declaredName(text: string): string | undefined {
  return /^name:\s*['"]?([a-z0-9][a-z0-9_-]*)['"]?\s*(?:#.*)?$/m.exec(text)?.[1];
}

export async function loadProject(dir: string): Promise<Project> {
  const root = resolve(dir);
  return buildProject(root, await readProjectFiles(root));
}

/** Builds the project from its files as read (project-files.ts): the checks of `chatops validate`, cross-checks included. */
export function buildProject(root: string, files: ProjectFiles): Project {
  const problems: Problem[] = [];
  const workflows = new Map<string, WorkflowEntry>();
  const brokenWorkflows = new Set<string>();

  if (files.workflows.length === 0)
    problems.push({
      file: displayPath(join(root, 'workflows')),
      line: 1,
      col: 1,
      severity: 'warning',
      message: 'no workflow files (*.yaml) here; is CHATOPS_DIR (or the path given) the folder that holds workflows/, commands/ and policy.yaml?',
    });
  for (const { path, text, problem } of files.workflows) {
    const file = displayPath(path);
    if (problem !== undefined) problems.push(problem);
    if (text === undefined) continue;
    const loaded = loadWorkflowText(file, text);
    problems.push(...loaded.problems);
    if (loaded.value === undefined) {
      const name = declaredName(text);
      if (name !== undefined) brokenWorkflows.add(name);
      continue;
    }
    const other = workflows.get(loaded.value.name);
    if (other !== undefined) {
      problems.push({ file, ...loaded.source.locate(['name']), severity: 'error', message: `name: workflow \`${loaded.value.name}\` is already defined in ${other.source.file}` });
      continue;
    }
    workflows.set(loaded.value.name, { value: loaded.value, source: loaded.source });
  }
  // Sub-workflow problems can cascade (A calls broken B); repeat until nothing more is left out.
  const settleSubWorkflows = (): void => {
    for (;;) {
      const round: Problem[] = [];
      const bad = checkSubWorkflows(workflows, brokenWorkflows, round);
      problems.push(...round.filter((p) => !problems.some((q) => q.file === p.file && q.line === p.line && q.message === p.message)));
      if (bad.size === 0) return;
      for (const name of bad) {
        workflows.delete(name);
        brokenWorkflows.add(name);
      }
    }
  };
  settleSubWorkflows();

  const commandEntries: CommandEntry[] = [];
  const allCommandNames = new Set<string>();
  for (const { path, text, problem } of files.commands) {
    const file = displayPath(path);
    if (problem !== undefined) problems.push(problem);
    if (text === undefined) continue;
    const loaded = loadCommandText(file, text);
    problems.push(...loaded.problems);
    const name = loaded.value?.name ?? declaredName(text);
    if (name !== undefined) allCommandNames.add(name);
    if (loaded.value === undefined) continue;
    const entry = { value: loaded.value, source: loaded.source };
    const own = checkCommand(entry, workflows, brokenWorkflows);
    problems.push(...own);
    if (!own.some((p) => p.severity === 'error')) commandEntries.push(entry);
  }
  const collisions = checkCollisions(commandEntries);
  problems.push(...collisions.problems);
  const commands = new Map<string, CommandDef>();
  for (const entry of commandEntries) {
    if (collisions.bad.has(entry)) continue;
    commands.set(entry.value.name, { ...entry.value, file: entry.source.file });
  }

  let policy: Policy | undefined;
  const found = files.policy;
  if (found.kind === 'absent') {
    problems.push({
      file: displayPath(found.path),
      line: 1,
      col: 1,
      severity: 'warning',
      message: 'no policy file: everyone may run every command from the terminal (approvals still need someone other than the requester), and `chatops serve` refuses to start; add policy.yaml to restrict',
    });
  } else if (found.kind === 'locked') {
    // Misnamed, dangling or unreadable is not absent: absent opens everything, so this locks (fail closed).
    problems.push(...found.problems);
  } else {
    const loaded = loadPolicyText(displayPath(found.path), found.text);
    problems.push(...loaded.problems);
    if (loaded.value !== undefined) {
      const cross = checkPolicy(loaded.value, loaded.source, new Set(commands.keys()), allCommandNames, workflows);
      problems.push(...cross);
      if (!loaded.problems.some((p) => p.severity === 'error')) policy = loaded.value;
      // A workflow whose approval nobody could give could never finish: leave it out, and
      // whatever calls it.
      for (const p of cross)
        if (p.severity === 'error')
          for (const [name, entry] of workflows)
            if (entry.source.file === p.file) {
              workflows.delete(name);
              brokenWorkflows.add(name);
            }
      settleSubWorkflows();
    }
    // A broken policy file leaves `policy` undefined; callers must then fail closed (see below).
  }

  let alerts: AlertsConfig | undefined;
  if (files.alerts?.problem !== undefined) problems.push(files.alerts.problem);
  if (files.alerts?.text !== undefined) {
    const loaded = loadAlertsText(displayPath(files.alerts.path), files.alerts.text);
    problems.push(...loaded.problems);
    alerts = loaded.value;
  }

  const plain = new Map<string, Workflow>();
  const workflowFiles = new Map<string, string>();
  // Code-point order (names are [a-z0-9_-]), not localeCompare: its first call loads ICU's
  // collator, about 10 ms of every `chatops validate` of a project without problems.
  for (const [name, entry] of [...workflows].sort(([a], [b]) => (a < b ? -1 : 1))) {
    plain.set(name, entry.value);
    workflowFiles.set(name, entry.source.file);
  }
  for (const entry of commandEntries) {
    const def = commands.get(entry.value.name);
    if (def === undefined || def.file !== entry.source.file || plain.has(def.workflow)) continue;
    commands.delete(def.name);
    problems.push({
      file: entry.source.file,
      ...entry.source.locate(['workflow']),
      severity: 'error',
      message: `workflow: workflow \`${def.workflow}\` has errors of its own (reported in its file), so this command is left out too`,
    });
  }
  const project: Project = { dir: root, workflows: plain, commands, problems: sortProblems(problems), workflowFiles };
  if (alerts !== undefined) project.alerts = alerts;
  if (policy !== undefined) project.policy = policy;
  else if (found.kind !== 'absent') project.policy = LOCKED_POLICY;
  return project;
}
