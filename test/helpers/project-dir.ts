/** A project (commands, workflows, policy) written to a fresh temp dir and loaded; any file with errors fails the test. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, type Project } from '../../src/config/load-project.js';

export async function writeProject(files: Record<string, string>, name: string): Promise<{ dir: string; project: Project }> {
  const dir = mkdtempSync(join(tmpdir(), `chatops-${name}-`));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const project = await loadProject(dir);
  if (project.problems.some((p) => p.severity === 'error')) throw new Error(`test project has problems: ${JSON.stringify(project.problems)}`);
  return { dir, project };
}
