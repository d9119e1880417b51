/**
 * The post-then-save window of incident messages, played deterministically in one process: the
 * incident reporter of front A posts an incident's message and dies the moment it has landed,
 * before it saves the message's ref in Redis (its chat writes fail and its Redis connection is
 * cut, as after SIGKILL at that point); the incident then resolves, and front B's reporter takes
 * over once A's lease expires. A test reads what the (fake) chat shows afterwards: one incident
 * message, showing the incident resolved, with the changes in its thread.
 */
import { Redis } from 'ioredis';
import type { Incident, TimelineEntry } from '../../src/alerts/incident.js';
import { IncidentReporter } from '../../src/alerts/incident-reporter.js';
import { IncidentStore, newIncidentId } from '../../src/alerts/incident-store.js';
import type { ChatPlatform, MessageRef } from '../../src/chat/platform.js';
import { silentLogger } from '../../src/lib/logger.js';
import { diesAfterHeader } from './header-takeover.js';
import { testRedisUrl, uniquePrefix } from './redis.js';
import { until } from './until.js';

/** The incident's title: its message starts with `Firing: ` or `Resolved: ` and this. */
export const INCIDENT_TITLE = 'DiskFull';

const OWNER = 'test-consumer';
const KEEP_MS = 3_600_000;

export class IncidentTakeover {
  readonly prefix = uniquePrefix('inctk');
  private readonly conns: Redis[] = [];
  private readonly reporters: IncidentReporter[] = [];
  private readonly admin = this.connect();
  readonly store = new IncidentStore(this.admin, this.prefix);

  async close(): Promise<void> {
    await this.stopReporters();
    for (const c of this.conns) if (c.status === 'ready') await c.quit();
  }

  /**
   * Opens an incident routed to `channel` (`slack:C…`, `discord:…`); front A's reporter over
   * `platform()` posts its message and dies once it landed (`landed` says when the chat shows
   * it); the incident resolves; front B's reporter over another `platform()` takes over. Resolves
   * when B has written it all, with every reporter closed: the incident's id and the message ref
   * B kept (report state and the incident's `msg` key, which must agree).
   */
  async killedAfterPost(opts: { platform: () => ChatPlatform; channel: string; landed: (incidentId: string) => boolean }): Promise<{ id: string; root: MessageRef }> {
    await this.admin.set(this.store.keys.consumer, OWNER);
    const now = Date.now();
    const firing = incident(opts.channel, now);
    await this.commit(firing, [{ at: now, type: 'opened', delivery: '1-0' }], '1-0');

    const aRedis = this.connect();
    this.reporter(diesAfterHeader(opts.platform(), () => aRedis.disconnect(), 'incident'), aRedis);
    await until('the incident message of front A', () => opts.landed(firing.id));
    await until('front A to die once its message landed', () => aRedis.status !== 'ready');

    const resolvedAt = Date.now();
    const resolved: Incident = { ...firing, status: 'resolved', resolvedAt, version: 2, alerts: { fp1: { ...alert(now), status: 'resolved', changedAt: resolvedAt } } };
    await this.commit(resolved, [{ at: resolvedAt, type: 'resolved', delivery: '2-0', durationMs: resolvedAt - now }], '2-0');

    this.reporter(opts.platform(), this.connect());
    const keys = this.store.keys;
    await until('front B to write the incident out', async () => {
      const st = await this.admin.hgetall(keys.reportState(firing.id));
      const pending = await this.admin.zscore(keys.report, firing.id);
      return st.root && st.rendered?.startsWith('2.') && pending === null ? true : undefined;
    });
    await this.stopReporters();
    const st = await this.admin.hgetall(keys.reportState(firing.id));
    const msg = await this.admin.get(keys.message(firing.id));
    if (!st.root || msg !== st.root) throw new Error(`the kept message refs disagree: report ${st.root}, msg ${msg}`);
    return { id: firing.id, root: JSON.parse(st.root) as MessageRef };
  }

  private async commit(inc: Incident, entries: TimelineEntry[], delivery: string): Promise<void> {
    const ok = await this.store.commit({ owner: OWNER, delivery, incident: inc, entries, render: true, keepMs: KEEP_MS, now: Date.now() });
    if (!ok) throw new Error('incident commit refused');
  }

  private reporter(platform: ChatPlatform, redis: Redis): void {
    const r = new IncidentReporter({ redis, prefix: this.prefix, platforms: [platform], log: silentLogger, pollMs: 100, leaseMs: 1500, minIntervalMs: 100 });
    this.reporters.push(r);
    r.start();
  }

  /** Closes every reporter (A's, whose Redis is cut, fails to release its lease: it has expired). */
  private async stopReporters(): Promise<void> {
    for (const r of this.reporters.splice(0)) await r.close().catch(() => undefined);
  }

  private connect(): Redis {
    const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    this.conns.push(redis);
    return redis;
  }
}

function alert(now: number): Incident['alerts'][string] {
  return { fingerprint: 'fp1', status: 'firing', labels: { alertname: INCIDENT_TITLE, instance: 'db-1' }, annotations: {}, firstSeen: now, changedAt: now };
}

function incident(channel: string, now: number): Incident {
  return {
    id: newIncidentId(),
    source: 'alertmanager',
    groupKey: `{}:{alertname="${INCIDENT_TITLE}"}`,
    status: 'firing',
    channel,
    title: INCIDENT_TITLE,
    commonLabels: { alertname: INCIDENT_TITLE },
    links: [],
    alerts: { fp1: alert(now) },
    truncated: 0,
    openedAt: now,
    lastSeenAt: now,
    reopened: 0,
    version: 1,
  };
}
