/**
 * The raw files of a project folder, read but not yet understood: workflows/*.yaml,
 * commands/*.yaml, policy.yaml (found failing closed, policy-file.ts) and alerts.yaml. Reading is
 * apart from loading (load-project.ts's buildProject) so live reload (src/reload/) can swap a
 * broken file for its last good text before the project is built and cross-checked.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { displayPath } from './display-path.js';
import { findPolicy, type PolicyLookup } from './policy-file.js';
import { FileTooLargeError, readYamlFile, type Problem } from './yaml-source.js';

/** One file: its text, or the problem that kept it from being read. */
export interface ProjectFile {
  /** Absolute path. */
  path: string;
  text?: string;
  problem?: Problem;
}

export interface ProjectFiles {
  workflows: ProjectFile[];
  commands: ProjectFile[];
  policy: PolicyLookup;
  /** alerts.yaml; undefined when there is none. */
  alerts?: ProjectFile;
}

const YAML_FILE = /\.ya?ml$/;

async function yamlFiles(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => YAML_FILE.test(n)).sort().map((n) => join(dir, n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads one file; an unreadable one becomes a problem, never an exception that stops the load. */
async function readOne(path: string): Promise<ProjectFile> {
  try {
    return { path, text: await readYamlFile(path) };
  } catch (err) {
    const file = displayPath(path);
    if (err instanceof FileTooLargeError) return { path, problem: { file, line: 1, col: 1, severity: 'error', message: err.message } };
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { path, problem: { file, line: 1, col: 1, severity: 'error', message: `cannot read this file (${code}): ${err instanceof Error ? err.message : String(err)}` } };
  }
}

async function readAlerts(path: string): Promise<ProjectFile | undefined> {
  try {
    return { path, text: await readYamlFile(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return undefined;
    return { path, problem: { file: displayPath(path), line: 1, col: 1, severity: 'error', message: `cannot read alert routing (${code}); incidents go to ALERT_CHANNEL until it can be read` } };
  }
}

/** Reads every file of the project at `root` (an absolute path). */
export async function readProjectFiles(root: string): Promise<ProjectFiles> {
  const [workflowPaths, commandPaths] = await Promise.all([yamlFiles(join(root, 'workflows')), yamlFiles(join(root, 'commands'))]);
  const files: ProjectFiles = {
    workflows: await Promise.all(workflowPaths.map(readOne)),
    commands: await Promise.all(commandPaths.map(readOne)),
    policy: await findPolicy(root),
  };
  const alerts = await readAlerts(join(root, 'alerts.yaml'));
  if (alerts !== undefined) files.alerts = alerts;
  return files;
}
