/**
 * `chatops reload [--wait DURATION]`: tells every `serve` and `worker` of this Redis and prefix to
 * read its project folder again (as SIGHUP does to one process), then prints each one's answer:
 * its project version and the files it refused. Exit 0 when every process answered, refused
 * nothing and all run the same version; 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import { readEnv } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { closeRedis, connectRedis, resolveRedis } from '../lib/redis-connect.js';
import { reachRedis } from '../lib/redis-reach.js';
import { answerChannel, publishReload, type ReloadAnswer } from '../reload/live-reload.js';
import { formatDuration, parseDuration } from '../workflow/duration.js';
import { EXIT } from './exit-codes.js';

export interface ReloadIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: ReloadIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** The verdict on the answers: lines to print and whether all is well. */
export function judgeAnswers(listening: number, answers: readonly ReloadAnswer[], waitedMs: number): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  for (const a of [...answers].sort((x, y) => x.name.localeCompare(y.name))) {
    lines.push(`${a.name}  project ${a.version}  ${a.refused.length > 0 ? `refused ${a.refused.length} problem(s), last good version kept` : a.result === 'unchanged' ? 'unchanged' : 'reloaded'}`);
    for (const p of a.refused) lines.push(`  ${p}`);
  }
  const versions = new Set(answers.map((a) => a.version));
  const refused = answers.some((a) => a.refused.length > 0);
  const missing = listening - answers.length;
  if (missing > 0) lines.push(`${missing} process(es) did not answer within ${formatDuration(waitedMs)}`);
  if (versions.size > 1) lines.push(`processes disagree: ${versions.size} project versions in force (they read different files; see \`chatops workers\`)`);
  else if (versions.size === 1 && missing <= 0) lines.push(`all ${answers.length} on project ${[...versions][0] ?? ''}`);
  return { lines, ok: missing <= 0 && versions.size <= 1 && !refused };
}

export async function reloadCommand(opts: { wait?: string }, io: ReloadIo = consoleIo): Promise<number> {
  const waitMs = opts.wait !== undefined ? parseDuration(opts.wait) : 10_000;
  if (waitMs === undefined) {
    io.err(`chatops reload: --wait expects a duration such as 10s or 1m, got "${opts.wait ?? ''}"`);
    return EXIT.usage;
  }
  const env = readEnv();
  const log = createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : 'warn');
  const target = await resolveRedis(env, (l) => io.err(l));
  await reachRedis(target.url, env.CHATOPS_REDIS_TIMEOUT);
  const sub = connectRedis(target.url, log);
  const pub = connectRedis(target.url, log);
  try {
    const request = randomBytes(8).toString('hex');
    const answers: ReloadAnswer[] = [];
    let listening = Number.POSITIVE_INFINITY;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    sub.on('message', (_channel: string, text: string) => {
      try {
        answers.push(JSON.parse(text) as ReloadAnswer);
      } catch {
        return; // not an answer this version understands
      }
      if (answers.length >= listening) done();
    });
    await sub.subscribe(answerChannel(env.CHATOPS_PREFIX, request));
    listening = await publishReload(pub, env.CHATOPS_PREFIX, request);
    if (listening === 0) {
      io.err(`chatops reload: no serve or worker listens on prefix ${env.CHATOPS_PREFIX} at this Redis; nothing was reloaded`);
      return EXIT.failed;
    }
    io.out(`reload sent to ${listening} process(es)`);
    if (answers.length < listening) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    const verdict = judgeAnswers(listening, answers, waitMs);
    for (const line of verdict.lines) io.out(line);
    return verdict.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await closeRedis(sub);
    await closeRedis(pub);
    await target.private?.stop();
  }
}
