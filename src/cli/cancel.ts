/** `chatops cancel RUN [--as USER]`: exit 0 when the run is cancelled or cancelling, 1 when it had already ended, 2 unknown. */
import type { Command } from 'commander';
import { openEngine, terminalIdentity } from '../engine/bootstrap.js';
import { isEngineError } from '../engine/index.js';
import { EXIT } from './exit-codes.js';

export async function cancelCommand(runId: string, opts: { as?: string }): Promise<number> {
  const opened = await openEngine({ defaultLogLevel: 'warn' });
  try {
    const before = await opened.engine.getRun(runId);
    if (!before) {
      console.error(`chatops cancel: no run ${runId} (unknown, or older than the retention)`);
      return EXIT.unknownRun;
    }
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(before.state)) {
      console.error(`run ${runId} already ended: ${before.state}`);
      return before.state === 'cancelled' ? EXIT.ok : EXIT.failed;
    }
    const run = await opened.engine.cancel(runId, terminalIdentity(opened.env, opts.as));
    console.log(run.state === 'cancelled' ? `run ${runId} cancelled` : `run ${runId} cancelling: running steps are being stopped`);
    return EXIT.ok;
  } catch (err) {
    if (isEngineError(err, 'UNKNOWN_RUN')) {
      console.error(`chatops cancel: ${err.message}`);
      return EXIT.unknownRun;
    }
    throw err;
  } finally {
    await opened.close();
  }
}

export function register(program: Command): void {
  program
    .command('cancel')
    .description('cancel a run: running steps are killed, queued ones never start')
    .argument('<run>', 'run id')
    .option('--as <user>', 'who cancels (default $CHATOPS_USER or $USER)')
    .action(async (runId: string, opts: { as?: string }) => {
      process.exitCode = await cancelCommand(runId, opts);
    });
}
