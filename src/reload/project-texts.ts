/**
 * A project's files as live reload compares them: path -> text (what a version hashes) or state
 * (what tells a change), and putting one file back as the project in force has it.
 */
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import type { ProjectFiles } from '../config/project-files.js';

/** Absolute path -> text. */
export type Texts = Map<string, string>;

/** The texts a read found; the policy under its path when it was found. */
export function textsOf(files: ProjectFiles): Texts {
  const out: Texts = new Map();
  for (const f of [...files.workflows, ...files.commands, ...(files.alerts ? [files.alerts] : [])]) if (f.text !== undefined) out.set(f.path, f.text);
  if (files.policy.kind === 'found') out.set(files.policy.path, files.policy.text);
  return out;
}

/**
 * Each file as read, to tell a change: its text, or what kept it from being read (an unreadable
 * file, a policy.yaml that locks). A file that is not there has no entry.
 */
export function statesOf(files: ProjectFiles): Map<string, string> {
  const out: Map<string, string> = textsOf(files);
  for (const f of [...files.workflows, ...files.commands, ...(files.alerts ? [files.alerts] : [])]) if (f.text === undefined && f.problem) out.set(f.path, `\0${f.problem.message}`);
  if (files.policy.kind === 'locked') out.set(files.policy.path, `\0${files.policy.problems.map((p) => p.message).join('\n')}`);
  return out;
}

/** sha256 over the files in force, by path relative to the project folder (the same on every replica). */
export function projectVersion(root: string, texts: Texts): string {
  const hash = createHash('sha256');
  for (const path of [...texts.keys()].sort()) hash.update(`${relative(root, path)}\0${texts.get(path) ?? ''}\0`);
  return hash.digest('hex').slice(0, 16);
}

export function hashText(text: string | undefined): string {
  return text === undefined ? '-' : createHash('sha256').update(text).digest('hex');
}

/** `files` with the file at `path` as `from` has it (its text, its read problem), or without it when `from` has none. */
export function withFileFrom(root: string, files: ProjectFiles, path: string, from: ProjectFiles): ProjectFiles {
  if (path === files.policy.path) return { ...files, policy: from.policy };
  if (path === join(root, 'alerts.yaml')) {
    const { alerts: _gone, ...rest } = files;
    return from.alerts === undefined ? rest : { ...rest, alerts: from.alerts };
  }
  const key = dirname(path) === join(root, 'workflows') ? 'workflows' : 'commands';
  const others = files[key].filter((f) => f.path !== path);
  const kept = from[key].find((f) => f.path === path);
  return { ...files, [key]: kept === undefined ? others : [...others, kept].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}
