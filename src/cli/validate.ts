import { formatProblem } from '../config/load-project.js';
import { PathNotFoundError, validatePaths } from '../config/validate-paths.js';
import { readEnv } from '../config/env.js';
import { discordProblems } from '../adapters/discord/commands/discord-problems.js';
import { EXIT } from './exit-codes.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: Output = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** `chatops validate`: prints one `FILE:LINE:COL: message` per problem; returns the exit code. */
export async function validateCommand(paths: string[], io: Output = consoleOutput): Promise<number> {
  const targets = paths.length > 0 ? paths : [readEnv().chatopsDir];
  let summary;
  try {
    summary = await validatePaths(targets);
  } catch (err) {
    if (err instanceof PathNotFoundError) {
      io.err(`chatops validate: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
  // Commands that cannot be Discord slash commands are warnings: they still work through /ops.
  const problems = [...summary.problems, ...summary.projects.flatMap(discordProblems)];
  for (const p of problems) io.out(formatProblem(p));
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const loaded = `${summary.workflows} workflow(s), ${summary.commands} command(s)${summary.policy ? ', policy' : ''} loaded`;
  if (errors > 0) io.err(`${errors} error(s), ${warnings} warning(s); ${loaded}. Files with errors are left out.`);
  else io.err(`ok: ${loaded}${warnings > 0 ? `; ${warnings} warning(s)` : ''}`);
  // Not problems, so not on stdout: what every worker must be given (README "Secrets").
  for (const s of summary.secrets) io.err(`${s.file}: needs secrets ${s.names.join(', ')} (CHATOPS_SECRET_<NAME> or a file <NAME> in $CHATOPS_SECRETS_DIR on every worker)`);
  return errors > 0 ? EXIT.failed : EXIT.ok;
}
