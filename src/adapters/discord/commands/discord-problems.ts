/**
 * `chatops validate`'s Discord check: each command file that cannot become a typed slash command
 * (name rules, option limits) is reported as a warning at its `usage:` line. It is
 * a warning: the command still works through `/ops`.
 */
import { readFileSync } from 'node:fs';
import { displayPath, type Project } from '../../../config/load-project.js';
import type { Problem } from '../../../config/yaml-source.js';
import { typedCommands } from './typed-commands.js';

/** Line and column of the `usage:` key in a command file (1:1 when it cannot be read). */
function usageAt(file: string): { line: number; col: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { line: 1, col: 1 };
  }
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^\s*usage\s*:/.test(l));
  return i < 0 ? { line: 1, col: 1 } : { line: i + 1, col: (lines[i]?.search(/\S/) ?? 0) + 1 };
}

export function discordProblems(project: Pick<Project, 'commands' | 'workflows'>): Problem[] {
  return typedCommands(project.commands.values(), project.workflows).problems.map((p) => ({ file: displayPath(p.file), ...usageAt(p.file), severity: 'warning', message: p.message }));
}
