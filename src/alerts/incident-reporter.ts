/**
 * Writes incidents into chat: one living message per incident, edited in place, and a thread
 * reply per change. Every front runs one per chat platform it serves; per platform kind (slack,
 * shell) one process at a time holds the lease and writes (one writer per message), working
 * through the incidents the consumer marked (P:alerts:report). What was written is kept in Redis
 * (the message ref, the version shown, the timeline entries replied), so a takeover continues
 * where the last writer stopped; a post of the message is marked there before it is sent, so a
 * writer taking over after one landed unsaved adopts it rather than posting a second
 * (post-once.ts). Writes go through the pacer on the platform's per-channel budget,
 * shared with the run reporter's, so a storm never draws a 429.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { ChannelBuckets, Pacer } from '../chat/pacer.js';
import type { ChatContent, ChatPlatform, MessageRef } from '../chat/platform.js';
import { LookupFailures, postOnce } from '../chat/post-once.js';
import type { Logger } from '../lib/logger.js';
import type { Incident } from './incident.js';
import { buildChangeView, buildIncidentView } from './incident-view.js';
import { IncidentJournal } from './incident-journal.js';
import { IncidentStore } from './incident-store.js';
import { holdLease, PollLoop, releaseLease } from './poll-loop.js';

export interface IncidentReporterOptions {
  redis: Redis;
  prefix: string;
  platforms: ChatPlatform[];
  log: Logger;
  /** Channel budgets shared with the run reporter, by platform name. */
  buckets?: (platform: string) => ChannelBuckets | undefined;
  /** Alerts listed per thread reply (alerts.yaml storm.max_alerts_listed). */
  maxAlertsListed?: number;
  retentionMs?: number;
  /** An incident's web page (signed link) for its message's "View" link; undefined: no link. */
  linkFor?: (incidentId: string) => string | undefined;
  /** The `start: manual` runbooks an incident offers (a button each); none: no runbook buttons. */
  runbooksOf?: (inc: Incident) => string[];
  pollMs?: number;
  leaseMs?: number;
  minIntervalMs?: number;
}

/** ZREM the incident from the report set only if nothing changed since its score was read. */
const DONE = `if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) end return 0`;

/** `slack:C0ALERTS` → ['slack', 'C0ALERTS']; `shell:` → ['shell', 'shell']. */
export function splitChannel(channel: string): [string, string] {
  const i = channel.indexOf(':');
  const kind = i < 0 ? channel : channel.slice(0, i);
  const id = i < 0 ? '' : channel.slice(i + 1);
  return [kind, id || kind];
}

/** `shell.ab12cd` → `shell`. */
export function platformKind(platform: ChatPlatform): string {
  return platform.name.split('.')[0] ?? platform.name;
}

interface Served {
  platform: ChatPlatform;
  pacer: Pacer;
}

export class IncidentReporter {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly store: IncidentStore;
  private readonly journal: IncidentJournal;
  private readonly served = new Map<string, Served>();
  private readonly loop: PollLoop;
  private readonly log: Logger;
  /** Why message lookups failed, each said once (a missing scope would otherwise be logged per incident). */
  private readonly lookupFailures = new LookupFailures();

  constructor(private readonly opts: IncidentReporterOptions) {
    this.store = new IncidentStore(opts.redis, opts.prefix);
    this.journal = new IncidentJournal(opts.redis, opts.prefix);
    this.log = opts.log.child({ component: 'incident-reporter' });
    for (const platform of opts.platforms) {
      const kind = platformKind(platform);
      if (this.served.has(kind)) continue;
      const buckets = opts.buckets?.(platform.name) ?? new ChannelBuckets(platform.budget);
      this.served.set(kind, { platform, pacer: new Pacer({ budget: platform.budget, buckets, log: this.log, minIntervalMs: opts.minIntervalMs }) });
    }
    this.loop = new PollLoop(() => this.pass(), { pollMs: opts.pollMs ?? 1000, log: this.log, what: 'incident reporter' });
  }

  start(): void {
    if (this.served.size === 0) return;
    this.loop.start();
  }

  /** Look now rather than at the next poll (the consumer just committed a change in this process). */
  poke(): void {
    this.loop.poke();
  }

  async close(): Promise<void> {
    if (this.loop.stopped) return;
    const stopping = this.loop.close();
    // Writes waiting for a retry are dropped, not waited for (a platform refusing them would hold
    // the close for minutes): the incident stays marked, and the next holder of the lease writes it.
    for (const s of this.served.values()) s.pacer.close();
    await stopping;
    for (const kind of this.served.keys()) await releaseLease(this.opts.redis, this.store.keys.reporterLease(kind), this.id);
  }

  private async pass(): Promise<void> {
    const ids = await this.opts.redis.zrange(this.store.keys.report, '0', '199');
    for (const [kind, s] of this.served) {
      if (ids.length === 0 || this.loop.stopped) break;
      if (!(await holdLease(this.opts.redis, this.store.keys.reporterLease(kind), this.id, this.opts.leaseMs ?? 15_000))) continue;
      for (const id of ids) {
        if (this.loop.stopped) break;
        await this.renderOne(id, kind, s);
      }
    }
  }

  /** Submits one write and waits for it (with the pacer's retries); false when it never landed. */
  private async paced(s: Served, key: string, channel: string, write: () => Promise<void>): Promise<boolean> {
    let ok = false;
    s.pacer.submit(key, channel, async () => {
      await write();
      ok = true;
    });
    await s.pacer.idle();
    return ok;
  }

  private async renderOne(id: string, kind: string, s: Served): Promise<void> {
    const { redis } = this.opts;
    const keys = this.store.keys;
    const score = await redis.zscore(keys.report, id);
    const inc = await this.store.load(id);
    if (!inc || !inc.channel) {
      if (inc && !inc.channel) this.log.warn({ incident: id }, 'incident has no channel (no alerts.yaml route and no ALERT_CHANNEL); not posted');
      if (score !== null) await redis.eval(DONE, 1, keys.report, id, score);
      return;
    }
    const [platformKind, channel] = splitChannel(inc.channel);
    if (platformKind !== kind) return;
    const log = this.log.child({ incident: id, channel: inc.channel });
    const stateKey = keys.reportState(id);
    const st = await redis.hgetall(stateKey);
    let root = st.root ? (JSON.parse(st.root) as MessageRef) : undefined;
    const human = await this.journal.human(id);
    const content: ChatContent = { kind: 'incident', view: buildIncidentView(inc, Date.now(), this.opts.linkFor?.(inc.id), human, this.opts.runbooksOf?.(inc)) };
    // What the message shows: the record's version and what people set (ack, silence).
    const version = `${inc.version}.${human.v}`;
    let rendered = st.rendered;
    if (!root) {
      let since = st.rootSince ? Number(st.rootSince) : undefined;
      await this.paced(s, `root:${id}`, channel, async () => {
        const { ref, found, stale } = await postOnce({
          platform: s.platform,
          channel,
          key: { kind: 'incident', id },
          since,
          // Kept before the post: a replica taking over after it landed finds it instead of posting a second one.
          mark: async (at) => {
            since = at;
            await (at === undefined ? redis.hdel(stateKey, 'rootSince') : redis.hset(stateKey, 'rootSince', String(at)));
          },
          post: () => s.platform.postRoot(channel, content),
          onLookupFailed: (err) => this.lookupFailures.report(s.platform.name, err, log),
        });
        if (found) log.info({ root: ref.id }, 'adopting the incident message an earlier post left (its ref was never saved)');
        root = ref;
        // Kept at once: a second post of the same incident is worse than a lost edit. A message an
        // earlier post left may show an older version: it is edited below.
        rendered = stale ? undefined : version;
        await redis
          .multi()
          .hset(stateKey, 'root', JSON.stringify(root), ...(rendered ? ['rendered', rendered] : []))
          .hdel(stateKey, 'rootSince')
          .set(keys.message(id), JSON.stringify(root), 'PX', this.opts.retentionMs ?? 30 * 86_400_000)
          .exec();
        await this.journal.bindThread(id, root, this.opts.retentionMs ?? 30 * 86_400_000);
      });
    }
    if (root && rendered !== version) {
      const ref = root;
      if (await this.paced(s, `root:${id}`, channel, () => s.platform.update(ref, content))) await redis.hset(stateKey, 'rendered', version);
    }
    if (!root) {
      log.warn('incident message could not be posted yet; trying again');
      return;
    }
    const posted = Number(st.posted ?? 0);
    const entries = await this.store.timeline(id, posted);
    if (entries.length > 0) {
      const view = buildChangeView(inc, entries, this.opts.maxAlertsListed ?? 20);
      const ref = root;
      const ok = view === undefined || (await this.paced(s, `reply:${id}`, channel, () => s.platform.postReply(ref, { kind: 'incident-change', view }).then(() => undefined)));
      if (!ok) return;
      await redis.hset(stateKey, 'posted', String(posted + entries.length));
    }
    await redis.pexpire(stateKey, this.opts.retentionMs ?? 30 * 86_400_000);
    // Closing: writes of this pass may have been dropped; the next holder of the lease checks.
    if (this.loop.stopped) return;
    if (score !== null) await redis.eval(DONE, 1, keys.report, id, score);
  }
}
