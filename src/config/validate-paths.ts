/**
 * What `chatops validate [PATH…]` checks: a folder is a project (commands/, workflows/,
 * policy.yaml) checked whole; a file is checked within its project (so cross-file references
 * resolve) and only its own problems are reported; a lone YAML file outside any project is checked
 * by itself, its kind guessed from its keys.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { loadCommandText, loadPolicyText, loadWorkflowText } from './load-files.js';
import { LOCKED_POLICY, displayPath, loadProject, type Project } from './load-project.js';
import type { Problem } from './yaml-source.js';

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
}

function projectRootOf(file: string): string | undefined {
  const parent = dirname(file);
  if (['workflows', 'commands'].includes(basename(parent))) return dirname(parent);
  if (/^policy\.ya?ml$/.test(basename(file))) return parent;
  return undefined;
}

async function loneFile(path: string): Promise<Problem[]> {
  const text = await readFile(path, 'utf8');
  const file = displayPath(path);
  if (/^steps\s*:/m.test(text)) return loadWorkflowText(file, text).problems;
  if (/^usage\s*:/m.test(text)) return loadCommandText(file, text).problems;
  if (/^(roles|rules|approvals)\s*:/m.test(text)) return loadPolicyText(file, text).problems;
  // Unknown kind: check as a workflow, the most common file, so the user still gets located errors.
  return loadWorkflowText(file, text).problems;
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
      const root = ['workflows', 'commands'].includes(basename(path)) ? dirname(path) : path;
      const p = await project(root);
      const only = root === path ? undefined : displayPath(path);
      problems.push(...p.problems.filter((x) => only === undefined || x.file.startsWith(`${only}/`)));
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
  for (const p of projects.values()) {
    workflows += p.workflows.size;
    commands += p.commands.size;
    policy ||= p.policy !== undefined && p.policy !== LOCKED_POLICY;
  }
  return { problems: unique, workflows, commands, policy };
}
