/** `chatops cancel RUN [--as USER]`: exit 0 when the run is cancelled or cancelling (audited), 1 when it had already ended, 2 unknown. */
import { terminalIdentity } from '../engine/bootstrap.js';
import { EXIT } from './exit-codes.js';
import { auditTerminal } from './terminal-audit.js';
import { withEngine } from './with-engine.js';

export async function cancelCommand(runId: string, opts: { as?: string }): Promise<number> {
  return withEngine('cancel', async (opened) => {
    const before = await opened.engine.getRun(runId);
    if (!before) {
      console.error(`chatops cancel: no run ${runId} (unknown, or older than the retention)`);
      return EXIT.unknownRun;
    }
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(before.state)) {
      console.error(`run ${runId} already ended: ${before.state}`);
      return before.state === 'cancelled' ? EXIT.ok : EXIT.failed;
    }
    const who = terminalIdentity(opened.env, opts.as);
    const run = await opened.engine.cancel(runId, who);
    await auditTerminal(opened, { type: 'cancelled', who, command: 'cancel', runId, line: ['chatops cancel', runId, ...(opts.as !== undefined ? ['--as', opts.as] : [])].join(' '), as: opts.as });
    console.log(run.state === 'cancelled' ? `run ${runId} cancelled` : `run ${runId} cancelling: running steps are being stopped`);
    return EXIT.ok;
  });
}
