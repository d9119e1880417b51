/** `chatops incidents [--limit N]` lists recent incidents; `chatops incident ID` shows one with its alerts and runs. */
import { IncidentStore } from '../alerts/incident-store.js';
import { incidentDetail, incidentLine } from '../alerts/incident-text.js';
import type { RunRecord } from '../engine/types.js';
import { closeRedis, connectRedis } from '../lib/redis-connect.js';
import { EXIT } from './exit-codes.js';
import { withEngine } from './with-engine.js';

/** `limit` as typed after --limit: a whole number from 1 to 500. */
export async function incidentsCommand(limitText: string): Promise<number> {
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    console.error('chatops incidents: --limit takes a whole number from 1 to 500');
    return EXIT.usage;
  }
  return withEngine('incidents', async (opened) => {
    const redis = connectRedis(opened.redis.url, opened.log);
    try {
      const list = await new IncidentStore(redis, opened.env.CHATOPS_PREFIX).list(limit);
      if (list.length === 0) console.error('no incidents (alert deliveries make them; they are kept for CHATOPS_RETENTION)');
      for (const inc of list) console.log(incidentLine(inc));
      return EXIT.ok;
    } finally {
      await closeRedis(redis);
    }
  });
}

export async function incidentCommand(id: string): Promise<number> {
  return withEngine('incident', async (opened) => {
    const redis = connectRedis(opened.redis.url, opened.log);
    try {
      const store = new IncidentStore(redis, opened.env.CHATOPS_PREFIX);
      const inc = await store.load(id);
      if (!inc) {
        console.error(`chatops incident: no incident ${id} (it may have expired; ids look like i-1a2b3c; \`chatops incidents\` lists them)`);
        return EXIT.unknownRun;
      }
      const timeline = await store.timeline(id);
      const runs = new Map<string, RunRecord>();
      for (const e of timeline) {
        if (e.type !== 'run') continue;
        const run = await opened.engine.getRun(e.runId);
        if (run) runs.set(run.id, run);
      }
      for (const line of incidentDetail(inc, timeline, runs)) console.log(line);
      return EXIT.ok;
    } finally {
      await closeRedis(redis);
    }
  });
}
