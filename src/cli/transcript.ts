/** `chatops transcript RUN`: the run as a Markdown timeline (secrets are exactly `***`); exit 2 unknown. */
import type { Command } from 'commander';
import { openEngine } from '../engine/bootstrap.js';
import { isEngineError } from '../engine/index.js';
import { EXIT } from './exit-codes.js';

export async function transcriptCommand(runId: string): Promise<number> {
  const opened = await openEngine({ defaultLogLevel: 'warn' });
  try {
    process.stdout.write(await opened.engine.transcript(runId));
    return EXIT.ok;
  } catch (err) {
    if (isEngineError(err, 'UNKNOWN_RUN')) {
      console.error(`chatops transcript: ${err.message}`);
      return EXIT.unknownRun;
    }
    throw err;
  } finally {
    await opened.close();
  }
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
