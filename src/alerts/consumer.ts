/**
 * The incident consumer: reads the recorded deliveries (P:alerts:deliveries, written by the
 * intake before its 202) in order and turns each into incident state. One consumer works at a
 * time, the holder of a lease (any front may hold it; another takes over when it dies); its
 * cursor moves past a delivery in the same atomic write as the delivery's effect
 * (IncidentStore.commit), so a crash between recording and processing, or in the middle of
 * processing, loses nothing and applies nothing twice. Chat is not written here: committed
 * changes mark the incident for the incident reporter (incident-reporter.ts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { DEFAULT_ALERTS_CONFIG, type AlertsConfig } from '../config/alerts-config.js';
import { compareIds } from '../chat/reporter.js';
import type { Logger } from '../lib/logger.js';
import { current, type Live } from '../lib/live.js';
import { applyNotification, emptyChanges, needsNewIncident, openIncident, type Applied } from './diff.js';
import { alertCounts, type Incident, type TimelineEntry } from './incident.js';
import { IncidentStore, newIncidentId } from './incident-store.js';
import { matches } from './matchers.js';
import type { Notification } from './types.js';

/** What a delivery did to its incident, handed to the runbook triggers before it is committed. */
export interface IncidentChange {
  delivery: string;
  notification: Notification;
  before?: Incident;
  applied: Applied;
  /** The group was folded into the "alert storm" incident (over the new-incidents cap): no runbook starts. */
  storm: boolean;
}

/** Starts the runbooks an incident change asks for; returns the timeline entries to record (runs, skips). */
export type TriggerHook = (change: IncidentChange) => Promise<TimelineEntry[]>;

export interface ConsumerOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  /** alerts.yaml; live when the project reloads. */
  config?: Live<AlertsConfig | undefined>;
  /** ALERT_CHANNEL: where incidents go that no route takes. */
  defaultChannel?: string;
  /** How long incidents are kept after their last change (CHATOPS_RETENTION). */
  retentionMs?: number;
  triggers?: TriggerHook;
  /** Settles delayed runbook runs that are due (RunbookStarter.settle); returns the incidents it touched. */
  settle?: (owner: string) => Promise<string[]>;
  /** Called after a change is committed (the incident reporter in this process looks at once). */
  onChange?: (incidentId: string) => void;
  leaseMs?: number;
  blockMs?: number;
  now?: () => number;
}

const DAY = 24 * 3_600_000;

export class IncidentConsumer {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly store: IncidentStore;
  private readonly reader: Redis;
  private readonly log: Logger;
  private readonly now: () => number;
  private closed = false;
  private loop: Promise<void> | undefined;
  private holding = false;
  private processedWaiters: { id: string; resolve: () => void }[] = [];
  private lastProcessed = '0';

  constructor(private readonly opts: ConsumerOptions) {
    this.store = new IncidentStore(opts.redis, opts.prefix);
    // Blocking reads hold their connection: a dedicated one.
    this.reader = opts.redis.duplicate();
    this.reader.on('error', (err) => opts.log.debug({ err }, 'incident consumer reader error'));
    this.log = opts.log.child({ component: 'incidents', consumer: this.id });
    this.now = opts.now ?? Date.now;
  }

  private get config(): AlertsConfig {
    return current(this.opts.config) ?? DEFAULT_ALERTS_CONFIG;
  }

  private get leaseMs(): number {
    return this.opts.leaseMs ?? 15_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.disconnect();
    await this.loop?.catch(() => undefined);
    if (this.holding) {
      await this.opts.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, this.store.keys.consumer, this.id).catch(() => undefined);
    }
  }

  /** Resolves once this consumer has processed the delivery with stream id `id` or a later one (tests, bench). */
  processed(id: string): Promise<void> {
    if (compareIds(this.lastProcessed, id) >= 0) return Promise.resolve();
    return new Promise((resolve) => this.processedWaiters.push({ id, resolve }));
  }

  private async acquireOrRenew(): Promise<boolean> {
    const { redis } = this.opts;
    const key = this.store.keys.consumer;
    const got = await redis.eval(
      `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`,
      1,
      key,
      this.id,
      String(this.leaseMs),
    );
    return Number(got) === 1;
  }

  private async run(): Promise<void> {
    const blockMs = this.opts.blockMs ?? 1000;
    let renewedAt = 0;
    while (!this.closed) {
      try {
        if (!this.holding || this.now() - renewedAt > this.leaseMs / 3) {
          const was = this.holding;
          this.holding = await this.acquireOrRenew();
          if (this.holding) renewedAt = this.now();
          if (this.holding && !was) this.log.info('incident consumer lease taken: this process turns deliveries into incidents');
        }
        if (!this.holding) {
          await sleep(Math.min(blockMs, this.leaseMs / 3));
          continue;
        }
        const cursor = await this.store.cursor();
        const res = (await this.reader.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', this.store.keys.deliveries, cursor)) as [string, [string, string[]][]][] | null;
        for (const [id, fields] of res?.[0]?.[1] ?? []) {
          if (this.closed) return;
          await this.process(id, fieldMap(fields));
          if (this.now() - renewedAt > this.leaseMs / 3) {
            this.holding = await this.acquireOrRenew();
            renewedAt = this.now();
            if (!this.holding) break;
          }
        }
        if (this.holding && this.opts.settle) for (const id of await this.opts.settle(this.id)) this.opts.onChange?.(id);
      } catch (err) {
        if (this.closed) return;
        this.log.warn({ err }, 'incident consumer: redis error; retrying');
        await sleep(500);
      }
    }
  }

  private markProcessed(id: string): void {
    this.lastProcessed = id;
    const ready = this.processedWaiters.filter((w) => compareIds(id, w.id) >= 0);
    this.processedWaiters = this.processedWaiters.filter((w) => compareIds(id, w.id) < 0);
    for (const w of ready) w.resolve();
  }

  /** Applies one delivery. Throws only on Redis errors (the delivery is then read again). */
  private async process(delivery: string, fields: Record<string, string>): Promise<void> {
    const now = this.now();
    let n: Notification;
    try {
      n = JSON.parse(fields.n ?? '') as Notification;
    } catch {
      this.log.error({ delivery }, 'unreadable delivery record; skipped');
      await this.commit({ delivery, entries: [], render: false, now });
      return;
    }
    const log = this.log.child({ delivery, source: n.source, groupKey: n.groupKey });
    const ownId = await this.store.idOfGroup(n.source, n.groupKey);
    let before = ownId ? await this.store.load(ownId) : undefined;
    const entries: TimelineEntry[] = [];
    let alias: { source: string; groupKey: string } | undefined;
    let storm = false;
    let base = before;
    if (needsNewIncident(before, n, now, this.config.reopenWithinMs)) {
      if (await this.overStormCap(now)) {
        // Beyond the cap of new incidents this minute: the group joins the one storm incident.
        const stormId = await this.store.stormId();
        const current = stormId ? await this.store.load(stormId) : undefined;
        storm = true;
        alias = { source: n.source, groupKey: n.groupKey };
        if (current && !needsNewIncident(current, n, now, this.config.reopenWithinMs)) base = current;
        else {
          base = { ...openIncident(newIncidentId(), { ...n, title: 'Alert storm' }, now, this.config.defaultChannel ?? this.routeOf(n)), source: 'storm', groupKey: 'storm', storm: { groups: 0 } };
          entries.push({ at: now, type: 'opened', delivery });
        }
        before = base;
        base = { ...base, storm: { groups: (base.storm?.groups ?? 0) + 1 } };
      } else {
        base = openIncident(newIncidentId(), n, now, this.routeOf(n));
        entries.push({ at: now, type: 'opened', delivery });
      }
    }
    if (!base) {
      // Only resolved alerts of a group never seen firing (the bot started after it fired): nothing to show.
      log.debug('resolved alerts of an unknown group; nothing to do');
      await this.commit({ delivery, entries: [], render: false, now });
      return;
    }
    const applied = applyNotification(base, n, now);
    const inc = applied.incident;
    if (storm) inc.title = `Alert storm: ${inc.storm?.groups ?? 1} alert groups`;
    if (applied.reopened) entries.push({ at: now, type: 'reopened', delivery });
    if (!emptyChanges(applied.changes)) entries.push({ at: now, type: 'alerts', delivery, ...applied.changes, ...(alias ? { group: alias.groupKey } : {}) });
    // A manual resolution (`resolve` in the thread) comes as a delivery carrying who and why.
    const by = manualOf(fields.h);
    if (applied.resolvedNow) entries.push({ at: now, type: 'resolved', delivery, durationMs: now - inc.openedAt, ...by });
    if (this.opts.triggers && applied.changed) {
      entries.push(...(await this.opts.triggers({ delivery, notification: n, before, applied, storm })));
    }
    const changed = applied.changed || entries.length > 0;
    if (entries.length > 0 && !applied.changed) inc.version += 1;
    // Every delivery is on the timeline, also one that changed nothing shown (render stays off).
    if (entries.length === 0) entries.push({ at: now, type: 'delivery', delivery, ...alertCounts(inc), ...(n.eventType ? { event: n.eventType } : {}) });
    await this.commit({ delivery, incident: inc, entries, render: changed, storm, alias, now });
    if (changed) this.opts.onChange?.(inc.id);
    if (changed) log.info({ incident: inc.id, status: inc.status, ...alertCounts(inc), entries: entries.map((e) => e.type) }, 'incident changed');
  }

  private async commit(r: { delivery: string; incident?: Incident; entries: TimelineEntry[]; render: boolean; storm?: boolean; alias?: { source: string; groupKey: string }; now: number }): Promise<void> {
    const ok = await this.store.commit({ ...r, owner: this.id, keepMs: this.opts.retentionMs ?? 30 * DAY });
    if (!ok) {
      this.holding = false;
      throw new Error('incident consumer lease lost; another consumer continues from the cursor');
    }
    this.markProcessed(r.delivery);
  }

  /** Counts a new incident in this minute; true when it is over the cap. */
  private async overStormCap(now: number): Promise<boolean> {
    const key = this.store.keys.newIncidents(Math.floor(now / 60_000));
    const [[, count] = [null, 0]] = ((await this.opts.redis.multi().incr(key).expire(key, 120).exec()) ?? []) as [Error | null, number][];
    return Number(count) > this.config.maxNewIncidentsPerMinute;
  }

  /** The channel of a new incident: the first alerts.yaml route whose matchers hold, else the default, else ALERT_CHANNEL. */
  routeOf(n: Notification): string | undefined {
    const labels = { ...n.commonLabels, ...(n.alerts.find((a) => a.status === 'firing')?.labels ?? n.alerts[0]?.labels ?? {}) };
    for (const r of this.config.routes) if (matches(r.matchers, labels)) return r.channel;
    return this.config.defaultChannel ?? this.opts.defaultChannel;
  }
}

function manualOf(json: string | undefined): { by?: string; why?: string } {
  if (!json) return {};
  try {
    const h = JSON.parse(json) as { by?: unknown; why?: unknown };
    return { ...(typeof h.by === 'string' ? { by: h.by } : {}), ...(typeof h.why === 'string' ? { why: h.why } : {}) };
  } catch {
    return {};
  }
}

function fieldMap(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] ?? ''] = fields[i + 1] ?? '';
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
