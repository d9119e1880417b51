/**
 * Puts the progress of incident-bound runs on their incidents' timelines: each approval or denial
 * and how the run ended, with the times the engine recorded them. Runs get bound when a `run`
 * entry is appended (the consumer for alert-started runs, the journal for runs started in the
 * thread). One process at a time watches (a lease, like the consumer's); what it recorded is
 * kept in Redis (P:alerts:runs:seen), so a takeover neither repeats nor loses an entry.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { FINAL_RUN_STATES, type ApprovalDecision, type RunsApi } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import type { TimelineEntry } from './incident.js';
import { IncidentJournal } from './incident-journal.js';
import { holdLease, PollLoop, releaseLease } from './poll-loop.js';

export interface IncidentRunsOptions {
  redis: Redis;
  prefix: string;
  runs: RunsApi;
  log: Logger;
  pollMs?: number;
  leaseMs?: number;
}

export class IncidentRunWatcher {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly journal: IncidentJournal;
  private readonly loop: PollLoop;
  private readonly log: Logger;

  constructor(private readonly opts: IncidentRunsOptions) {
    this.journal = new IncidentJournal(opts.redis, opts.prefix);
    this.log = opts.log.child({ component: 'incident-runs' });
    this.loop = new PollLoop(
      async () => {
        if (await holdLease(opts.redis, this.journal.store.keys.runWatch, this.id, opts.leaseMs ?? 15_000)) await this.pass();
      },
      { pollMs: opts.pollMs ?? 1000, log: this.log, what: 'incident runs' },
    );
  }

  start(): void {
    this.loop.start();
  }

  async close(): Promise<void> {
    if (this.loop.stopped) return;
    await this.loop.close();
    await releaseLease(this.opts.redis, this.journal.store.keys.runWatch, this.id);
  }

  /** One look at every watched run. */
  async pass(): Promise<void> {
    for (const [incidentId, runId] of await this.journal.watchedRuns()) {
      if (this.loop.stopped) return;
      const run = await this.opts.runs.getRun(runId);
      if (!run) {
        // Expired before it was seen ending: nothing more to learn about it.
        await this.journal.runProgress(incidentId, runId, [], 0, true);
        continue;
      }
      const decisions: (ApprovalDecision & { step: string; outcome?: string })[] = [];
      for (const s of run.steps) for (const d of s.approval?.decisions ?? []) decisions.push({ ...d, step: s.id });
      decisions.sort((a, b) => a.at - b.at);
      const seen = await this.journal.decisionsSeen(runId);
      const entries: TimelineEntry[] = decisions.slice(seen).map((d) => ({ at: d.at, type: 'approval', runId, step: d.step, by: d.user, decision: d.decision, counted: d.counted }));
      const ended = FINAL_RUN_STATES.includes(run.state);
      if (ended) entries.push({ at: run.endedAt ?? Date.now(), type: 'run-ended', runId, workflow: run.workflow, state: run.state, ...(run.error ? { error: run.error } : {}) });
      if (entries.length > 0 || ended) {
        await this.journal.runProgress(incidentId, runId, entries, decisions.length, ended);
        this.log.debug({ incident: incidentId, runId, entries: entries.map((e) => e.type) }, 'run progress put on the incident timeline');
      }
    }
  }
}
