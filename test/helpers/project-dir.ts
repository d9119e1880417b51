/** A project (commands, workflows, policy) written to a fresh temp dir and loaded; any file with errors fails the test. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, type Project } from '../../src/config/load-project.js';

/** Writes `text` to `name` (a path with folders) under `dir`, making the folders. */
export function putFile(dir: string, name: string, text: string): void {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), text);
}

/** A fresh temp dir holding `files`, not loaded (for tests that load or watch it themselves). */
export function makeProjectDir(files: Record<string, string>, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `chatops-${name}-`));
  for (const [file, text] of Object.entries(files)) putFile(dir, file, text);
  return dir;
}

export async function writeProject(files: Record<string, string>, name: string): Promise<{ dir: string; project: Project }> {
  const dir = makeProjectDir(files, name);
  const project = await loadProject(dir);
  if (project.problems.some((p) => p.severity === 'error')) throw new Error(`test project has problems: ${JSON.stringify(project.problems)}`);
  return { dir, project };
}
