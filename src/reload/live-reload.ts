/**
 * Live reload in a long-running process: what makes the ProjectHolder read its folder again (file
 * watching, SIGHUP, and `chatops reload` published on P:reload to every replica, each answering on
 * the request's own channel with its version and result), and what each
 * outcome is told to: one log line per refused file (`file:line:col: message`), and the process's
 * hooks (the reload metric, the admin channel).
 */
import type { Redis } from 'ioredis';
import { formatProblem } from '../config/yaml-source.js';
import { hostname } from 'node:os';
import { Keys } from '../engine/keys.js';
import { closeRedis, connectRedis } from '../lib/redis-connect.js';
import type { Logger } from '../lib/logger.js';
import type { ProjectHolder, ReloadOutcome } from './project-holder.js';
import { watchProject, type ProjectWatch } from './watch.js';

/** How long start-up waits for the reload subscription before going on without it. */
const SUBSCRIBE_WAIT_MS = 2_000;

export type ReloadReason = 'watch' | 'poll' | 'SIGHUP' | 'chatops reload';

export interface LiveReloadOptions {
  holder: ProjectHolder;
  redisUrl: string;
  prefix: string;
  log: Logger;
  /** How this process names itself in answers to `chatops reload` (`serve host:pid`, a worker id). */
  name?: string;
  /** Watch the folder (default true). */
  watch?: boolean;
  /** Reload on SIGHUP (the CLI processes; default false, so in-process tests do not share a handler). */
  sighup?: boolean;
  debounceMs?: number;
  /** Also reads the folder this often, in case a change escaped the watch (default 60 s; 0: never). */
  pollMs?: number;
  /** Told of every reload that was not `unchanged` (metrics, the admin channel). */
  onOutcome?: (outcome: ReloadOutcome, reason: ReloadReason) => void | Promise<void>;
}

export interface LiveReload {
  /** Reloads now (what the triggers call). */
  reload(reason: ReloadReason): Promise<ReloadOutcome>;
  close(): Promise<void>;
}

/** One line per refused file, naming where its first error is. */
export function logOutcome(log: Logger, outcome: ReloadOutcome, reason: ReloadReason): void {
  for (const r of outcome.refused) {
    const first = r.problems[0];
    const where = first !== undefined ? formatProblem(first) : r.file;
    const kept = r.keptLastGood ? 'its last good version stays in force' : 'it had no good version in force, so it is left out';
    log.error({ file: r.file, line: first?.line, col: first?.col, problems: r.problems.length, reason, version: outcome.version }, `reload refused ${where} (${kept})`);
  }
  if (outcome.result !== 'unchanged' && (outcome.changed.length > 0 || outcome.refused.length === 0))
    log.info({ reason, version: outcome.version, changed: outcome.changed }, outcome.changed.length > 0 ? 'project reloaded' : 'project unchanged');
}

/** What a process answers to `chatops reload`. */
export interface ReloadAnswer {
  name: string;
  version: string;
  result: ReloadOutcome['result'];
  /** Refused files as `file:line:col: message`. */
  refused: string[];
}

/** Where the processes answer one `chatops reload` request. */
export function answerChannel(prefix: string, request: string): string {
  return `${new Keys(prefix).reloadChannel}:answers:${request}`;
}

/** Asks every serve and worker of this prefix to reload; resolves with how many processes listen. */
export async function publishReload(redis: Redis, prefix: string, request: string): Promise<number> {
  return redis.publish(new Keys(prefix).reloadChannel, request);
}

const DEFAULT_POLL_MS = 60_000;
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

export async function startLiveReload(opts: LiveReloadOptions): Promise<LiveReload> {
  const { holder, log } = opts;
  let closed = false;
  const reload = async (reason: ReloadReason): Promise<ReloadOutcome> => {
    const outcome = await holder.reload();
    logOutcome(log, outcome, reason);
    if (outcome.result !== 'unchanged') await opts.onOutcome?.(outcome, reason);
    return outcome;
  };
  const fire = (reason: ReloadReason) => () => {
    if (closed) return;
    reload(reason).catch((err: unknown) => log.error({ err, reason }, 'reload failed; the project in force is unchanged'));
  };

  const subscriber = connectRedis(opts.redisUrl, log);
  const publisher = connectRedis(opts.redisUrl, log);
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  subscriber.on('message', (_channel: string, request: string) => {
    if (closed) return;
    reload('chatops reload')
      .then(async (o) => {
        if (!REQUEST_ID.test(request)) return;
        const answer: ReloadAnswer = { name, version: o.version, result: o.result, refused: holder.refused.flatMap((r) => r.problems.map(formatProblem)) };
        await publisher.publish(answerChannel(opts.prefix, request), JSON.stringify(answer));
      })
      .catch((err: unknown) => log.error({ err }, 'reload failed; the project in force is unchanged'));
  });
  // Start-up does not wait on a Redis that is down (a signal handler comes after this): the
  // subscription goes through when Redis is back (ioredis resends and resubscribes by itself).
  const subscribed = subscriber.subscribe(new Keys(opts.prefix).reloadChannel).then(
    () => true,
    (err: unknown) => (log.warn({ err }, 'subscribing to reload requests failed; SIGHUP and file changes still reload'), true),
  );
  await Promise.race([subscribed, new Promise<boolean>((r) => setTimeout(() => r(false), SUBSCRIBE_WAIT_MS).unref())]);

  let watcher: ProjectWatch | undefined;
  if (opts.watch !== false) {
    try {
      watcher = watchProject(holder.root, fire('watch'), { debounceMs: opts.debounceMs, onError: (err) => log.warn({ err: err.message }, 'watching the project folder failed; SIGHUP or `chatops reload` still reload') });
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err), dir: holder.root }, 'cannot watch the project folder; SIGHUP or `chatops reload` still reload');
    }
  }
  const onHup = fire('SIGHUP');
  if (opts.sighup) process.on('SIGHUP', onHup);
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const poll = pollMs > 0 ? setInterval(fire('poll'), pollMs) : undefined;
  poll?.unref();

  return {
    reload,
    async close() {
      if (closed) return;
      closed = true;
      watcher?.close();
      clearInterval(poll);
      if (opts.sighup) process.off('SIGHUP', onHup);
      await closeRedis(subscriber);
      await closeRedis(publisher);
    },
  };
}
