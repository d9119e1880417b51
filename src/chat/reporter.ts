/**
 * Reporters turn runs into living chat messages. Every front replica runs a ReporterPool; for each
 * run in the active set whose platform it serves, it tries to win the run's lease, and the winner
 * alone drives that run's messages (one writer per message). It renews the lease while it works;
 * if it dies, the lease expires and another replica takes over: it loads the message refs and
 * cursor from Redis, replays the events up to the cursor (to rebuild step output, without writing),
 * rewrites the current state into the same messages, and continues from the cursor.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { RunRecord, RunsApi } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import { EventFeed, type Subscription } from './event-feed.js';
import { ChannelBuckets, Pacer, type WriteOutcome } from './pacer.js';
import type { ChatPlatform, MessageRef } from './platform.js';
import { LookupFailures } from './post-once.js';
import { RunPresenter } from './presenter.js';
import { ReportStore, type ReportTarget } from './report-store.js';

export interface ReporterPoolOptions {
  redis: Redis;
  prefix: string;
  runs: RunsApi;
  platforms: ChatPlatform[];
  log: Logger;
  /** Lease of one run's messages; renewed every third of it. */
  leaseMs?: number;
  /** How often the active set is scanned for runs nobody drives. */
  pollMs?: number;
  /** How long one events read blocks (one read covers every run the pool drives: event-feed.ts). */
  blockMs?: number;
  /** How often the header is rewritten while nothing happens (elapsed times); 0 = never. */
  tickMs?: number;
  /** Per-message edit interval handed to each run's pacer. */
  minIntervalMs?: number;
  /** How often a run reported privately (channel refused) tries its channel again; default a minute. */
  channelRetryMs?: number;
  /** Runs tracked longer ago than this and never finished are dropped; default 24 h. */
  staleAfterMs?: number;
  /** A run's web page (signed link) for its header's "View" link; undefined: no link. */
  linkFor?: (runId: string) => string | undefined;
  /** Hears how each chat write of this process went, by platform (run and incident messages share the buckets). */
  onChatWrite?: (platform: string, outcome: WriteOutcome) => void;
}

/** How long the final state is retried (the platform down, a channel gone) before giving up. */
const FINAL_RETRY_MS = 15 * 60_000;
/**
 * How long a run handed to the reporters may not exist yet: the router hands it over just before
 * writing it (so a front dying in between cannot leave a run nobody reports). Past this with no
 * run and nothing posted, the start never happened (it failed, or its front died first, or the
 * message had started another run): the report is dropped quietly.
 */
export const START_GRACE_MS = 60_000;
const START_POLL_MS = 200;

export class ReporterPool {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly store: ReportStore;
  private readonly driving = new Map<string, { stop: () => void; done: Promise<void> }>();
  private readonly platforms = new Map<string, { platform: ChatPlatform; buckets: ChannelBuckets }>();
  private readonly finishedWaiters = new Map<string, (() => void)[]>();
  /** Why header lookups failed, each said once (a missing scope would otherwise be logged per run). */
  private readonly lookupFailures = new LookupFailures();
  private closed = false;
  private scan: Promise<void> | undefined;
  private wakeScan: (() => void) | undefined;
  private readonly log: Logger;
  private readonly feed: EventFeed;

  constructor(private readonly opts: ReporterPoolOptions) {
    this.store = new ReportStore(opts.redis, opts.prefix);
    this.feed = new EventFeed({ runs: opts.runs, log: opts.log.child({ reporter: 'feed' }), blockMs: opts.blockMs });
    for (const p of opts.platforms) this.platforms.set(p.name, { platform: p, buckets: new ChannelBuckets(p.budget, (outcome) => opts.onChatWrite?.(p.name, outcome)) });
    this.log = opts.log.child({ reporter: this.id });
  }

  /** Asks the pool (this replica or another) to drive the run's messages into `target`. */
  async track(run: Pick<RunRecord, 'id' | 'createdAt'>, target: ReportTarget): Promise<void> {
    await this.store.track(run.id, target, run.createdAt);
    this.wakeScan?.();
  }

  /** Resolves when this process has written the run's final state (tests, the shell). */
  whenFinished(runId: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.finishedWaiters.get(runId) ?? [];
      list.push(resolve);
      this.finishedWaiters.set(runId, list);
    });
  }

  start(): void {
    if (this.scan) return;
    this.scan = this.scanLoop();
  }

  /** Stops driving (leases are released so another replica takes over at once). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeScan?.();
    for (const d of this.driving.values()) d.stop();
    await Promise.allSettled([this.scan, ...[...this.driving.values()].map((d) => d.done)]);
    await this.feed.close();
  }

  /** The channel budgets of a platform, for other writers into the same channels (incidents). */
  bucketsOf(platform: string): ChannelBuckets | undefined {
    return this.platforms.get(platform)?.buckets;
  }

  /** Run ids this replica drives now. */
  drivingRuns(): string[] {
    return [...this.driving.keys()];
  }

  private async scanLoop(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    while (!this.closed) {
      try {
        await this.store.dropStale(this.opts.staleAfterMs ?? 24 * 3_600_000);
        for (const runId of await this.store.activeRuns()) {
          if (this.closed || this.driving.has(runId)) continue;
          const stored = await this.store.load(runId);
          const entry = stored && this.platforms.get(stored.target.platform);
          if (!entry) continue;
          if (!(await this.store.acquire(runId, this.id, this.leaseMs))) continue;
          this.drive(runId, entry.platform, entry.buckets);
        }
      } catch (err) {
        this.log.error({ err }, 'reporter scan failed');
      }
      await new Promise<void>((resolve) => {
        this.wakeScan = resolve;
        setTimeout(resolve, pollMs);
      });
      this.wakeScan = undefined;
    }
  }

  private get leaseMs(): number {
    return this.opts.leaseMs ?? 15_000;
  }

  private drive(runId: string, platform: ChatPlatform, buckets: ChannelBuckets): void {
    let stopped = false;
    const log = this.log.child({ runId, platform: platform.name });
    const pacer = new Pacer({ budget: platform.budget, buckets, log, minIntervalMs: this.opts.minIntervalMs });
    const stop = () => {
      stopped = true;
      pacer.close();
    };
    let renewedAt = Date.now();
    const renew = setInterval(() => {
      this.store.renew(runId, this.id, this.leaseMs).then(
        (ok) => {
          if (ok) renewedAt = Date.now();
          else if (!stopped) {
            log.warn('reporter lease lost; another replica drives this run now');
            stop();
          }
        },
        (err: unknown) => {
          log.warn({ err }, 'reporter lease renewal failed');
          // Cut off from Redis longer than the lease: another replica may hold it now, so stop
          // writing rather than become a second writer.
          if (Date.now() - renewedAt >= this.leaseMs && !stopped) stop();
        },
      );
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    const done = this.driveLoop(runId, platform, pacer, log, () => stopped)
      .catch((err: unknown) => log.error({ err }, 'reporter failed; the lease will expire and another replica take over'))
      .finally(() => {
        clearInterval(renew);
        pacer.close();
        this.driving.delete(runId);
        if (this.closed || stopped) void this.store.release(runId, this.id).catch(() => undefined);
      });
    this.driving.set(runId, { stop, done });
  }

  private async driveLoop(runId: string, platform: ChatPlatform, pacer: Pacer, log: Logger, isStopped: () => boolean): Promise<void> {
    const { runs } = this.opts;
    const stored = await this.store.load(runId);
    if (!stored) return;
    let cursor = stored.cursor;
    let savedCursor = cursor;
    let saving: Promise<unknown> = Promise.resolve();
    const save = () => {
      saving = saving.then(() => this.store.save(runId, this.id, cursor, presenter.state)).catch((err: unknown) => log.warn({ err }, 'saving reporter state failed'));
      return saving;
    };
    const threadKey = stored.target.threadKey;
    const threadRoot = threadKey
      ? async () => {
          const json = await this.opts.redis.get(threadKey);
          return json ? (JSON.parse(json) as MessageRef) : undefined;
        }
      : undefined;
    const presenter = new RunPresenter({ platform, pacer, channel: stored.target.channel, requester: stored.target.requester, threadRoot, state: stored.state, log, channelRetryMs: this.opts.channelRetryMs, linkFor: this.opts.linkFor, onState: async () => {
        await save();
      },
      onLookupFailed: (err) => this.lookupFailures.report(platform.name, err, log),
    });
    // Takeover: rebuild step output from the events already rendered, without writing.
    if (cursor !== '0') {
      log.info({ cursor }, 'taking over a run from its last rendered event');
      let after = '0';
      while (after !== cursor) {
        const batch = await runs.readEvents(runId, { after, count: 2000 });
        const upto = batch.filter((e) => e.id !== undefined && compareIds(e.id, cursor) <= 0);
        presenter.ingest(upto);
        if (upto.length < batch.length || batch.length === 0) break;
        after = batch[batch.length - 1]?.id ?? cursor;
      }
    }
    const tickMs = this.opts.tickMs ?? 15_000;
    let lastTick = Date.now();
    let first = true;
    let missingSince: number | undefined;
    let sub: Subscription | undefined;
    try {
      while (!isStopped()) {
        // The first read is direct (what is there now); after it, the pool's one feed reads for all.
        let events;
        if (first) events = await runs.readEvents(runId, { after: cursor, count: 2000 });
        else {
          sub ??= this.feed.subscribe(runId, cursor);
          events = await sub.next(this.opts.blockMs ?? 1000);
        }
        if (isStopped()) return;
        presenter.ingest(events);
        const last = events[events.length - 1];
        if (last?.id !== undefined) cursor = last.id;
        const run = await runs.getRun(runId);
        if (!run && presenter.state.root === undefined && cursor === '0') {
          // Handed over before it is written: wait for it (see START_GRACE_MS).
          missingSince ??= Date.now();
          if (Date.now() - missingSince < START_GRACE_MS) {
            await new Promise((r) => setTimeout(r, START_POLL_MS));
            continue;
          }
        }
        if (!run) {
          log.warn('run vanished from Redis (expired or wiped); saying so once in its thread');
          presenter.gone(runId);
          await pacer.idle();
          if (isStopped()) return;
          await save();
          await this.store.finish(runId, this.id);
          return;
        }
        const tick = tickMs > 0 && Date.now() - lastTick >= tickMs;
        if (tick) lastTick = Date.now();
        presenter.render(run, first || tick);
        first = false;
        if (presenter.final && events.length === 0) {
          // Nothing more will come: write the final state, then hand the run back. Every run ends
          // with its final status in chat, so writes that failed are tried again (with backoff,
          // while we hold the lease) until they land.
          await pacer.idle();
          const giveUpAt = Date.now() + FINAL_RETRY_MS;
          for (let wait = 1000; presenter.behind && !isStopped(); wait = Math.min(wait * 2, 30_000)) {
            if (Date.now() > giveUpAt) {
              log.error('final state could not be written to chat; giving up (see earlier write errors)');
              break;
            }
            log.warn({ waitMs: wait }, 'final state not fully written yet; trying again');
            await new Promise((r) => setTimeout(r, wait));
            presenter.render(run);
            await pacer.idle();
          }
          if (isStopped()) return;
          await save();
          await this.store.finish(runId, this.id);
          log.info({ state: run.state, privately: presenter.unavailable }, presenter.unavailable ? 'final state sent to the requester (channel unavailable)' : 'final state written');
          for (const w of this.finishedWaiters.get(runId) ?? []) w();
          this.finishedWaiters.delete(runId);
          return;
        }
        if (cursor !== savedCursor) {
          savedCursor = cursor;
          void save();
        }
      }
    } finally {
      sub?.close();
    }
  }
}

/** Orders Redis stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
