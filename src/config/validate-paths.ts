/**
 * What `chatops validate [PATH…]` checks: a folder is a project (commands/, workflows/,
 * policy.yaml) checked whole, or else a folder of projects, each checked; a file is checked within its project (so cross-file references
 * resolve) and only its own problems are reported; a lone YAML file outside any project is checked
 * by itself, its kind guessed from its keys.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadCommandText, loadPolicyText, loadWorkflowText } from './load-files.js';
import { displayPath, loadProject, type Project } from './load-project.js';
import { policyLocked } from './policy.js';
import { FileTooLargeError, readYamlFile, type Problem } from './yaml-source.js';
import { POLICY_LIKE } from './policy-file.js';
import { secretsNeeded } from '../workflow/secret-checks.js';

export class PathNotFoundError extends Error {
  readonly code = 'E_PATH_NOT_FOUND';
  constructor(readonly path: string) {
    super(`no such file or directory: ${path}`);
  }
}

export interface ValidateSummary {
  problems: Problem[];
  workflows: number;
  commands: number;
  policy: boolean;
  /** The secrets each loaded workflow reads (only workflows that read any), by file. */
  secrets: Array<{ file: string; names: string[] }>;
  /** The projects loaded, for checks that belong to other layers (the CLI adds Discord's). */
  projects: Project[];
}

function projectRootOf(file: string): string | undefined {
  const parent = dirname(file);
  if (['workflows', 'commands'].includes(basename(parent))) return dirname(parent);
  if (POLICY_LIKE.test(basename(file))) return parent;
  return undefined;
}

async function loneFile(path: string): Promise<Problem[]> {
  const file = displayPath(path);
  let text: string;
  try {
    text = await readYamlFile(path);
  } catch (err) {
    if (err instanceof FileTooLargeError) return [{ file, line: 1, col: 1, severity: 'error', message: err.message }];
    throw err;
  }
  if (/^steps\s*:/m.test(text)) return loadWorkflowText(file, text).problems;
  if (/^usage\s*:/m.test(text)) return loadCommandText(file, text).problems;
  if (/^(roles|rules|approvals)\s*:/m.test(text)) return loadPolicyText(file, text).problems;
  // Unknown kind: check as a workflow, the most common file, so the user still gets located errors.
  return loadWorkflowText(file, text).problems;
}

async function isProject(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((n) => n === 'workflows' || n === 'commands' || POLICY_LIKE.test(n));
}

/** Project folders below `dir` (not descending into them) and loose YAML files directly in `dir`. */
async function findProjects(dir: string, depth: number): Promise<{ projects: string[]; files: string[] }> {
  const out = { projects: [] as string[], files: [] as string[] };
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile() && /\.ya?ml$/.test(e.name)) out.files.push(path);
    else if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') {
      if (await isProject(path)) out.projects.push(path);
      else if (depth > 1) out.projects.push(...(await findProjects(path, depth - 1)).projects);
    }
  }
  return out;
}

/** Validates folders and files; throws PathNotFoundError for a path that does not exist. */
export async function validatePaths(paths: string[]): Promise<ValidateSummary> {
  const problems: Problem[] = [];
  const projects = new Map<string, Project>();
  const project = async (root: string) => {
    const known = projects.get(root);
    if (known) return known;
    const loaded = await loadProject(root);
    projects.set(root, loaded);
    return loaded;
  };
  for (const raw of paths) {
    const path = resolve(raw);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new PathNotFoundError(raw);
    if (info.isDirectory()) {
      if (['workflows', 'commands'].includes(basename(path))) {
        const only = displayPath(path);
        problems.push(...(await project(dirname(path))).problems.filter((x) => x.file.startsWith(`${only}/`)));
        continue;
      }
      if (await isProject(path)) {
        problems.push(...(await project(path)).problems);
        continue;
      }
      // A folder of projects (or of loose files), such as test fixtures: check each one.
      const found = await findProjects(path, 3);
      if (found.projects.length === 0 && found.files.length === 0) problems.push(...(await project(path)).problems);
      for (const root of found.projects) problems.push(...(await project(root)).problems);
      for (const file of found.files) problems.push(...(await loneFile(file)));
      continue;
    }
    const root = projectRootOf(path);
    if (root === undefined) {
      problems.push(...(await loneFile(path)));
      continue;
    }
    const file = displayPath(path);
    problems.push(...(await project(root)).problems.filter((x) => x.file === file));
  }
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let workflows = 0;
  let commands = 0;
  let policy = false;
  const secrets: ValidateSummary['secrets'] = [];
  for (const p of projects.values()) {
    workflows += p.workflows.size;
    commands += p.commands.size;
    policy ||= p.policy !== undefined && !policyLocked(p.policy);
    for (const [name, wf] of p.workflows) {
      const names = secretsNeeded(wf);
      if (names.length > 0) secrets.push({ file: p.workflowFiles.get(name) ?? name, names });
    }
  }
  return { problems: unique, workflows, commands, policy, secrets, projects: [...projects.values()] };
}
