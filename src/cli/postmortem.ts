/** `chatops postmortem INCIDENT [--out FILE]`: an incident's postmortem draft in Markdown; exit 2 for an unknown incident. */
import { writeFile } from 'node:fs/promises';
import { loadPostmortem } from '../alerts/incident-desk.js';
import { closeRedis, connectRedis } from '../lib/redis-connect.js';
import { EXIT } from './exit-codes.js';
import { withEngine } from './with-engine.js';

export async function postmortemCommand(incidentId: string, out: string | undefined): Promise<number> {
  return withEngine('postmortem', async (opened) => {
    const redis = connectRedis(opened.redis.url, opened.log);
    try {
      const markdown = await loadPostmortem({ redis, prefix: opened.env.CHATOPS_PREFIX, runs: opened.engine }, incidentId);
      if (markdown === undefined) {
        console.error(`chatops postmortem: no incident ${incidentId} (it may have expired; ids look like i-1a2b3c)`);
        return EXIT.unknownRun;
      }
      if (out === undefined) process.stdout.write(markdown);
      else {
        await writeFile(out, markdown);
        console.error(`postmortem of ${incidentId} written to ${out}`);
      }
      return EXIT.ok;
    } finally {
      await closeRedis(redis);
    }
  });
}
