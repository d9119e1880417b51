/**
 * Starts the runbooks incident changes ask for (runbook-triggers.ts plans them), from inside the
 * incident consumer's ordered processing: the hook runs before the delivery's effect is committed,
 * and every start is idempotent per delivery, workflow and alert (the engine's idempotency key),
 * so a consumer dying between a start and its commit neither loses nor doubles the run: the next
 * holder of the lease processes the delivery again and finds the run started.
 *
 * Cooldowns hold the idempotency key of the run that set them (so the same start, repeated, is
 * not refused by its own cooldown). Delayed runs wait in P:alerts:delayed and are settled, once,
 * by the consumer lease holder (settle()). Every run wanted but not started (cooldown, delay, a
 * storm, the concurrency lock refusing, bad inputs) becomes a `run-skipped` timeline entry: the
 * incident's thread says why.
 */
import type { Redis } from 'ioredis';
import { formatDuration } from '../chat/format-time.js';
import { isEngineError } from '../engine/errors.js';
import type { RunRecord, RunsApi } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import { current, derived, type Live } from '../lib/live.js';
import type { IncidentChange } from './consumer.js';
import { alertName, type Incident, type TimelineEntry } from './incident.js';
import type { IncidentStore } from './incident-store.js';
import { alertContext, InputMappingError, mapInputs, planRuns, type AlertRunbook, type PlannedRun } from './runbook-triggers.js';
import type { AlertSource } from './types.js';

export interface RunbookStarterOptions {
  redis: Redis;
  store: IncidentStore;
  runs: RunsApi;
  /** The runbooks alerts may start; live when the project reloads. */
  runbooks: Live<readonly AlertRunbook[]>;
  log: Logger;
  /** Reports a started run in its incident's thread (the run reporter tracks it); idempotent. */
  report?: (run: RunRecord, incident: Incident) => Promise<void>;
  /** The incident's link for `incident.url`; none: ''. */
  incidentLink?: (id: string) => string | undefined;
  retentionMs?: number;
  now?: () => number;
}

/** What waits in P:alerts:delayed (JSON, the member itself: one per delivery, workflow and subject). */
interface DelayedRun {
  delivery: string;
  workflow: string;
  subject: string;
  incident: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAt?: string;
  source: AlertSource;
}

const STORM_REASON = 'alert storm: runbooks do not start for alert groups beyond storm.max_new_incidents_per_minute';

export class RunbookStarter {
  private readonly index: () => Map<string, AlertRunbook>;
  private readonly now: () => number;

  constructor(private readonly opts: RunbookStarterOptions) {
    this.index = derived(() => current(opts.runbooks), (list) => new Map(list.map((r) => [r.workflow, r])));
    this.now = opts.now ?? Date.now;
  }

  get empty(): boolean {
    return this.index().size === 0;
  }

  /** The consumer's TriggerHook: starts (or delays, or skips) what the change asks for. */
  readonly onChange = async (change: IncidentChange): Promise<TimelineEntry[]> => {
    const { notification: n, applied } = change;
    const inc = applied.incident;
    const entries: TimelineEntry[] = [];
    for (const p of planRuns(current(this.opts.runbooks), n.source, applied)) {
      const fingerprint = p.runbook.scope === 'alert' ? p.alert.fingerprint : undefined;
      const base = { at: this.now(), workflow: p.runbook.workflow, ...(fingerprint ? { fingerprint } : {}) };
      if (change.storm) entries.push({ ...base, type: 'run-skipped', reason: STORM_REASON });
      else if (p.runbook.delayMs) entries.push(await this.delay(p, change.delivery, inc, n.source, base));
      else entries.push(await this.start(p, change.delivery, inc, n.source));
    }
    return entries;
  };

  private async delay(p: PlannedRun, delivery: string, inc: Incident, source: AlertSource, base: { at: number; workflow: string; fingerprint?: string }): Promise<TimelineEntry> {
    const due = this.now() + (p.runbook.delayMs ?? 0);
    const member: DelayedRun = { delivery, workflow: p.runbook.workflow, subject: p.subject, incident: inc.id, fingerprint: p.alert.fingerprint, status: p.status, ...(p.alert.startsAt ? { startsAt: p.alert.startsAt } : {}), source };
    // NX: a delivery processed again keeps the first due time.
    await this.opts.redis.zadd(this.opts.store.keys.delayed, 'NX', String(due), JSON.stringify(member));
    return { ...base, type: 'run-delayed', due, delay: p.runbook.delay ?? formatDuration(p.runbook.delayMs ?? 0) };
  }

  /**
   * Settles the delayed runs that are due: starts each whose alert is as it was, else notes why it
   * was skipped. Called by the consumer while it holds its lease; returns the incidents touched.
   */
  async settle(owner: string): Promise<string[]> {
    const { store } = this.opts;
    const touched = new Set<string>();
    for (const member of await store.dueDelayed(this.now())) {
      let d: DelayedRun;
      try {
        d = JSON.parse(member) as DelayedRun;
      } catch {
        await this.opts.redis.zrem(store.keys.delayed, member);
        continue;
      }
      const inc = await store.load(d.incident);
      const rb = this.index().get(d.workflow);
      const alert = inc?.alerts[d.fingerprint];
      let entries: TimelineEntry[] = [];
      if (inc && rb && alert) {
        const base = { at: this.now(), workflow: d.workflow, ...(rb.scope === 'alert' ? { fingerprint: d.fingerprint } : {}) };
        const changed = alert.status !== d.status || (d.startsAt !== undefined && alert.startsAt !== d.startsAt) || (rb.scope === 'incident' && inc.status !== d.status);
        entries = [changed ? { ...base, type: 'run-skipped', reason: `the alert ${d.status === 'firing' ? 'resolved' : 'fired again'} during the ${rb.delay ?? ''} delay` } : await this.start({ runbook: rb, alert, status: d.status, subject: d.subject }, d.delivery, inc, d.source)];
      }
      // Gone (incident expired, workflow removed): settled without a note.
      const settled = await store.settleDelayed({ owner, member, incidentId: d.incident, entries, keepMs: this.opts.retentionMs ?? 30 * 86_400_000, now: this.now() });
      if (!settled) return [...touched]; // the lease moved on: the next holder settles the rest
      if (entries.length > 0) touched.add(d.incident);
    }
    return [...touched];
  }

  /** Starts one run (idempotent per delivery, workflow and subject); the entry to record. */
  private async start(p: PlannedRun, delivery: string, inc: Incident, source: AlertSource): Promise<TimelineEntry> {
    const { redis, store, runs, log } = this.opts;
    const rb = p.runbook;
    const fingerprint = rb.scope === 'alert' ? p.alert.fingerprint : undefined;
    const base = { at: this.now(), workflow: rb.workflow, ...(fingerprint ? { fingerprint } : {}) };
    const idem = `alert:${delivery}:${rb.workflow}:${p.subject}:${p.status}`;
    const cooldownKey = store.keys.cooldown(rb.workflow, p.subject);
    let cooling = false;
    if (rb.cooldownMs) {
      const set = await redis.set(cooldownKey, idem, 'PX', rb.cooldownMs, 'NX');
      if (set !== 'OK' && (await redis.get(cooldownKey)) !== idem) {
        return { ...base, type: 'run-skipped', reason: `cooldown: it ran for this ${rb.scope === 'alert' ? 'alert' : 'incident'} less than ${rb.cooldown ?? ''} ago` };
      }
      cooling = true;
    }
    const alert = alertContext(p.alert, source, inc, this.opts.incidentLink?.(inc.id));
    let run: RunRecord;
    try {
      const inputs = mapInputs(rb, alert);
      const summary = p.alert.annotations.summary ?? inc.summary;
      ({ run } = await runs.startRun({
        workflow: rb.workflow,
        inputs,
        trigger: { kind: 'alert', source, requester: `alert:${source}`, ...(inc.channel ? { channel: inc.channel } : {}), text: `${alertName(p.alert)} ${p.status}${summary ? `: ${summary}` : ''} (incident ${inc.id})` },
        idempotencyKey: idem,
        alert,
      }));
    } catch (err) {
      if (!isEngineError(err) && !(err instanceof InputMappingError)) throw err;
      // Not started: a cooldown this start set must not hold the next alert back.
      if (cooling) await redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, cooldownKey, idem);
      log.info({ incident: inc.id, workflow: rb.workflow, err: (err as Error).message }, 'runbook not started');
      return { ...base, type: 'run-skipped', reason: (err as Error).message };
    }
    log.info({ incident: inc.id, workflow: rb.workflow, runId: run.id, fingerprint }, 'runbook started by an alert');
    await this.opts.report?.(run, inc);
    return { ...base, type: 'run', runId: run.id };
  }
}
