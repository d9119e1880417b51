/**
 * `npm run bench`: the performance figures of the README, measured in one run against one
 * private redis-server the bench starts (never a user's Redis). Prints a table and exits 0; with
 * BENCH_STRICT=1 it exits 1 when a target is missed (for CI). A bench that could not run exits
 * non-zero either way. Bounded: the whole bench is stopped after BENCH_DEADLINE_MS.
 *
 * Knobs (environment): BENCH_CONCURRENCY (worker concurrency, default 16), BENCH_SCALE (multiplies
 * every sample count, default 1; 0.1 for a quick smoke run), BENCH_ONLY (comma-separated scenarios
 * out of cli, shell, throughput, ten-steps, shell-step, lines, gigabyte, parked, cap, slack, discord, web, alerts; throughput measures the raw
 * BullMQ baseline in alternating rounds with the engine, and `raw` is another name for it).
 */
import { hasRedisServer, startPrivateRedis, type PrivateRedis } from '../src/lib/private-redis.js';
import { runCliBench } from './cli.js';
import { killAllChildren } from './child.js';
import { runEngineScenarios } from './engine-scenarios.js';
import { shellTrueOverhead } from './shell-overhead.js';
import { runDiscordBench } from './discord.js';
import { runSlackBench } from './slack.js';
import { runStepCapBench } from './step-cap.js';
import { runAlertsBench } from './alerts.js';
import { fmt, formatTable, type Row } from './stats.js';
import { runWebBench } from './web.js';

const BENCH_DEADLINE_MS = 8 * 60_000;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const scale = Number(process.env.BENCH_SCALE ?? 1);
const scaled = (n: number) => Math.max(1, Math.round(n * scale));
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const selected = (name: string) => only === undefined || only.includes(name) || (name === 'throughput' && only.includes('raw'));

let redis: PrivateRedis | undefined;

async function cleanup(): Promise<void> {
  killAllChildren();
  await redis?.stop().catch(() => undefined);
}

async function main(): Promise<number> {
  if (!(await hasRedisServer())) {
    console.error('npm run bench needs redis-server on PATH (it starts a private one on a free port; apt-get install redis-server).');
    return 2;
  }
  redis = await startPrivateRedis();
  const info = `node ${process.version}, ${(await import('node:os')).cpus().length} cpu(s), worker concurrency ${concurrency}, redis ${redis.url}`;
  console.log(`bench: ${info}`);
  const rows: Row[] = [];
  const progress = (what: string) => console.log(`bench: ${what}…`);

  if (selected('cli')) rows.push(...runCliBench({ rounds: scaled(15), progress }));

  if (selected('shell')) {
    progress('run: "true" in-process');
    const shell = await shellTrueOverhead(scaled(200));
    rows.push({ metric: 'shell action `true`, in-process, p50 / p99 ms', value: `${fmt(shell.p50)} / ${fmt(shell.p99)}`, target: 'p50 ≤ 15', pass: shell.p50 <= 15 });
  }

  rows.push(...(await runEngineScenarios({ redisUrl: redis.url, concurrency, scaled, progress, selected })));

  if (selected('cap')) rows.push(...(await runStepCapBench({ redisUrl: redis.url, progress })));

  if (selected('slack')) rows.push(...(await runSlackBench({ redisUrl: redis.url, concurrency, scaled, progress })));

  if (selected('discord')) rows.push(...(await runDiscordBench({ redisUrl: redis.url, concurrency, scaled, progress })));

  if (selected('web')) rows.push(...(await runWebBench({ redisUrl: redis.url, progress })));

  if (selected('alerts')) rows.push(...(await runAlertsBench({ redisUrl: redis.url, progress })));

  console.log('');
  console.log(formatTable(rows));
  const missed = rows.filter((r) => r.pass === false);
  console.log('');
  console.log(missed.length === 0 ? 'bench: every target met' : `bench: ${missed.length} target(s) missed: ${missed.map((r) => r.metric).join('; ')}`);
  return missed.length > 0 && process.env.BENCH_STRICT === '1' ? 1 : 0;
}

const deadline = setTimeout(() => {
  console.error(`bench: stopped after ${BENCH_DEADLINE_MS / 60_000} minutes (bound exceeded)`);
  void cleanup().finally(() => process.exit(3));
}, BENCH_DEADLINE_MS);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    clearTimeout(deadline);
    await cleanup();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error('bench failed:', err);
    await cleanup();
    process.exit(1);
  });
