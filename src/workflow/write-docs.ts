/**
 * Writes one Markdown runbook per loaded workflow into a folder, and removes runbooks this
 * command generated earlier for workflows that no longer exist (hand-written files are kept).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Project } from '../config/load-project.js';
import { GENERATED_MARKER, renderRunbook } from './docs.js';

export interface DocsResult {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/** Renders every runbook of a project (name -> Markdown), in name order. */
export function renderProjectDocs(project: Project): Map<string, string> {
  const out = new Map<string, string>();
  const workflows = [...project.workflows.values()].sort((a, b) => a.name.localeCompare(b.name));
  const commands = [...project.commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const wf of workflows) {
    const md = renderRunbook(wf, {
      file: project.workflowFiles.get(wf.name) ?? `workflows/${wf.name}.yaml`,
      commands: commands.filter((c) => c.workflow === wf.name),
      workflows,
      ...(project.policy !== undefined ? { policy: project.policy } : {}),
    });
    out.set(`${wf.name}.md`, md);
  }
  return out;
}

export async function writeDocs(project: Project, outDir: string): Promise<DocsResult> {
  await mkdir(outDir, { recursive: true });
  const docs = renderProjectDocs(project);
  const result: DocsResult = { written: [], unchanged: [], removed: [] };
  for (const [name, md] of docs) {
    const path = join(outDir, name);
    const old = await readFile(path, 'utf8').catch(() => undefined);
    if (old === md) {
      result.unchanged.push(path);
      continue;
    }
    await writeFile(path, md);
    result.written.push(path);
  }
  for (const name of (await readdir(outDir)).sort()) {
    if (!name.endsWith('.md') || docs.has(name)) continue;
    const path = join(outDir, name);
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.includes(GENERATED_MARKER)) {
      await rm(path);
      result.removed.push(path);
    }
  }
  return result;
}
