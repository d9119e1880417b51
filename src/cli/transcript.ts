/** `chatops transcript RUN`: the run as a Markdown timeline (secrets are exactly `***`); exit 2 unknown. */
import type { Command } from 'commander';
import { EXIT } from './exit-codes.js';
import { withEngine } from './with-engine.js';

export async function transcriptCommand(runId: string): Promise<number> {
  return withEngine('transcript', async (opened) => {
    process.stdout.write(await opened.engine.transcript(runId));
    return EXIT.ok;
  });
}

export function register(program: Command): void {
  program
    .command('transcript')
    .description('print a run as a Markdown timeline')
    .argument('<run>', 'run id')
    .action(async (runId: string) => {
      process.exitCode = await transcriptCommand(runId);
    });
}
