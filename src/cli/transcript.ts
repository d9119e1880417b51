/** `chatops transcript RUN`: the run as a Markdown timeline (secrets are exactly `***`); exit 2 unknown. */
import { EXIT } from './exit-codes.js';
import { withEngine } from './with-engine.js';

export async function transcriptCommand(runId: string): Promise<number> {
  return withEngine('transcript', async (opened) => {
    process.stdout.write(await opened.engine.transcript(runId));
    return EXIT.ok;
  });
}
