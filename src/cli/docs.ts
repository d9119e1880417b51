import { join, resolve } from 'node:path';
import { readEnv } from '../config/env.js';
import { displayPath, formatProblem, loadProject } from '../config/load-project.js';
import { writeDocs } from '../workflow/write-docs.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './validate.js';

const consoleOutput: Output = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** `chatops docs`: renders every workflow as a Markdown runbook; returns the exit code. */
export async function docsCommand(opts: { out?: string; dir?: string }, io: Output = consoleOutput): Promise<number> {
  const dir = resolve(opts.dir ?? readEnv().chatopsDir);
  const project = await loadProject(dir);
  const errors = project.problems.filter((p) => p.severity === 'error');
  for (const p of errors) io.err(formatProblem(p));
  const outDir = resolve(opts.out ?? join(dir, 'docs', 'runbooks'));
  const result = await writeDocs(project, outDir);
  for (const path of result.written) io.out(`wrote ${displayPath(path)}`);
  for (const path of result.removed) io.out(`removed ${displayPath(path)}`);
  io.err(`${project.workflows.size} runbook(s) in ${displayPath(outDir)}: ${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed`);
  if (errors.length > 0) {
    io.err(`${errors.length} error(s): files with errors were left out of the docs; run chatops validate`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
