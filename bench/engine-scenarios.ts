/**
 * The engine's figures, against one engine worker process and one client engine on the same
 * private Redis as the raw BullMQ baseline:
 *   1. one-step no-op runs per second (a `sleep: 0ms` step: no I/O), vs raw BullMQ jobs per second,
 *      in alternating rounds after a warm-up of each, the ratio taken of the two medians (on a
 *      shared machine either figure alone swings by a third from one round to the next);
 *   2. a ten-step sequential no-op workflow, run one at a time: engine overhead per step;
 *   3. `run: "true"`: the shell step's duration as the engine records it;
 *   4. one step printing 100,000 lines with a secret in each: every line reaches the run's
 *      stream, masked, while the worker's memory stays bounded;
 *   5. 10,000 runs parked on approval: no active job, worker heap flat, Redis memory growth;
 *   6. one step printing 1 GB (99-character lines): Redis grows by the output budgets only, the
 *      worker's memory stays bounded while streaming and is given back after.
 * Completion is observed through the public RunsApi only (getRun, readEvents).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadProject } from '../src/config/load-project.js';
import { createEngine } from '../src/engine/index.js';
import { Keys, QUEUE_NAME } from '../src/engine/keys.js';
import type { RunEvent, RunRecord, RunsApi, RunState } from '../src/engine/types.js';
import { silentLogger } from '../src/lib/logger.js';
import { startChild, type BenchChild } from './child.js';
import { BENCH_SECRET_KEY, BENCH_WORKFLOWS } from './workflows.js';
import { perUnit, readCpu, type CpuSample } from './cpu.js';
import { inBatches, startRawBaseline } from './raw-bullmq.js';
import { fmt, MB, percentile, type Row } from './stats.js';

export interface ScenarioOptions {
  redisUrl: string;
  concurrency: number;
  scaled: (n: number) => number;
  progress: (what: string) => void;
  /** Whether the scenario with this short name is selected (BENCH_ONLY). */
  selected: (name: string) => boolean;
}

type Api = RunsApi & { close(): Promise<void> };

/** Rounds of each (raw, engine) in the throughput comparison, and the warm-up before them. */
const THROUGHPUT_ROUNDS = 3;
const THROUGHPUT_WARM_UP = 2_000;

const FINAL: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trigger = { kind: 'cli' as const, source: 'cli', requester: 'cli:bench' };

/**
 * Waits until every run in `ids` satisfies `done`. Runs finish roughly in start order, so each
 * round asks only about the first few unfinished ones: the watching costs Redis little (about
 * one getRun per run plus 20 per poll).
 */
async function waitForRuns(api: Api, ids: readonly (string | undefined)[], total: number, done: (run: RunRecord) => boolean, timeoutMs: number, pollMs = 100): Promise<RunRecord[]> {
  const finished = new Map<string, RunRecord>();
  const deadline = Date.now() + timeoutMs;
  let nextReport = Date.now() + 10_000;
  while (finished.size < total) {
    if (Date.now() > deadline) throw new Error(`only ${finished.size} of ${total} runs got there within ${timeoutMs} ms`);
    if (Date.now() > nextReport) {
      nextReport += 10_000;
      console.log(`bench:   ${finished.size} of ${total} runs there so far`);
    }
    const window: string[] = [];
    for (const id of ids) {
      if (id === undefined || finished.has(id)) continue;
      window.push(id);
      if (window.length >= 20) break;
    }
    const runs = await Promise.all(window.map((id) => api.getRun(id)));
    let pending = 0;
    for (const run of runs) {
      if (run && done(run)) finished.set(run.id, run);
      else pending += 1;
    }
    // Sleep only when the window found runs still going (or not yet started): when all of it
    // was done, look at the next window at once, so watching never caps the measured rate.
    if (finished.size < total && (pending > 0 || window.length === 0)) await sleep(pollMs);
  }
  return [...finished.values()];
}

/** Reads a run's events until run.finished, handing each to `onEvent`. */
async function followRun(api: Api, runId: string, onEvent: (e: RunEvent) => void, timeoutMs: number): Promise<RunEvent & { type: 'run.finished' }> {
  let after = '0';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
    const events = await api.readEvents(runId, { after, blockMs: 1000, count: 1000 });
    for (const e of events) {
      onEvent(e);
      if (e.type === 'run.finished') return e;
    }
    after = events[events.length - 1]?.id ?? after;
  }
}

async function start(api: Api, workflow: string, inputs: Record<string, unknown> = {}): Promise<RunRecord> {
  return (await api.startRun({ workflow, inputs, trigger })).run;
}

/**
 * One-step runs per second, observed the way the raw baseline is: without reading runs while they
 * go. Once every run is started, the step queue is polled (one cheap call) until it is empty; a
 * one-step run finishes inside its only job, so an empty queue means every run ended. The clock
 * stops there; then every run is checked (off the clock) to have really ended, and if one has not,
 * the wait goes on and the clock with it.
 */
async function throughput(api: Api, queue: Queue, count: number, sampleCpu?: () => Promise<CpuSample>): Promise<{ perSecond: number; failed: number; seconds: number; cpu?: ReturnType<typeof perUnit> }> {
  const ids: (string | undefined)[] = new Array<string | undefined>(count).fill(undefined);
  const cpuBefore = await sampleCpu?.();
  const started = performance.now();
  await inBatches(ids, 200, async (_, i) => {
    ids[i] = (await start(api, 'noop-1')).id;
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(counts).every((n) => n === 0)) break;
    if (Date.now() > deadline) throw new Error(`the step queue did not drain within 120 s: ${JSON.stringify(counts)}`);
    await sleep(10);
  }
  let seconds = (performance.now() - started) / 1000;
  const cpuAfter = await sampleCpu?.();
  const cpu = cpuBefore && cpuAfter ? perUnit(cpuBefore, cpuAfter, count) : undefined;
  const runs = (await Promise.all(ids.map((id) => (id === undefined ? null : api.getRun(id))))).filter((r): r is RunRecord => r !== null);
  let ended = runs.filter((r) => FINAL.includes(r.state));
  if (ended.length < count) {
    // Not all ended after all (should not happen): wait for them on the clock.
    ended = await waitForRuns(api, ids, count, (r) => FINAL.includes(r.state), 120_000);
    seconds = (performance.now() - started) / 1000;
  }
  return { perSecond: count / seconds, failed: ended.filter((r) => r.state !== 'succeeded').length, seconds, cpu };
}

async function tenSteps(api: Api, runs: number): Promise<{ wallPerStep: number[]; gaps: number[] }> {
  const wallPerStep: number[] = [];
  const gaps: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const run = await start(api, 'noop-10');
    let last: number | undefined;
    const end = await followRun(
      api,
      run.id,
      (e) => {
        if (e.type === 'run.started') last = e.ts;
        if (e.type === 'step.finished') {
          if (last !== undefined) gaps.push(e.ts - last);
          last = e.ts;
        }
      },
      30_000,
    );
    if (end.state !== 'succeeded') throw new Error(`noop-10 run ${run.id} ended ${end.state}: ${end.error ?? ''}`);
    wallPerStep.push((performance.now() - t0) / 10);
  }
  return { wallPerStep, gaps };
}

async function shellSteps(api: Api, runs: number): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await start(api, 'shell-true');
    const end = await followRun(api, run.id, (e) => {
      if (e.type === 'step.finished') durations.push(e.durationMs);
    }, 30_000);
    if (end.state !== 'succeeded') throw new Error(`shell-true run ${run.id} ended ${end.state}: ${end.error ?? ''}`);
  }
  return durations;
}

const LINE_SECRET = 'bench-s3cret-token-5d41402abc';

/** Samples the worker's RSS every `everyMs` until stop(), which resolves to the highest seen. */
function samplePeakRss(worker: BenchChild, from: number, everyMs: number): { stop(): Promise<number> } {
  let peak = from;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await worker.memory(false)).rss);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return peak;
    },
  };
}

async function manyLines(api: Api, worker: BenchChild, lines: number): Promise<{ received: number; masked: boolean; leaked: number; peakRss: number; peakRssGrowth: number; state: string; seconds: number }> {
  const before = await worker.memory(true);
  const sampler = samplePeakRss(worker, before.rss, 20);
  let received = 0;
  let leaked = 0;
  let unmasked = 0;
  const pattern = /^\d+ \*\*\*$/;
  const t0 = performance.now();
  const run = await start(api, 'lines', { count: lines, token: LINE_SECRET });
  const end = await followRun(api, run.id, (e) => {
    if (e.type !== 'step.output') return;
    for (const line of e.lines) {
      received += 1;
      if (line.includes(LINE_SECRET)) leaked += 1;
      else if (!pattern.test(line)) unmasked += 1;
    }
  }, 120_000);
  const peak = await sampler.stop();
  const seconds = (performance.now() - t0) / 1000;
  return { received, masked: unmasked === 0 && leaked === 0, leaked, peakRss: peak, peakRssGrowth: peak - before.rss, state: end.state, seconds };
}

/** MEMORY USAGE of one key, in bytes (0 when it does not exist). */
async function keyMemory(redis: Redis, key: string): Promise<number> {
  return Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) || 0;
}

/** Redis used_memory, in bytes. */
async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
}

async function gigabyte(api: Api, worker: BenchChild, redisUrl: string) {
  const redis = new Redis(redisUrl);
  try {
    const before = await worker.memory(true);
    const redisBefore = await usedMemory(redis);
    const sampler = samplePeakRss(worker, before.rss, 100);
    const t0 = performance.now();
    const run = await start(api, 'gigabyte');
    let streamed = 0;
    const end = await followRun(api, run.id, (e) => {
      if (e.type === 'step.output') streamed += e.lines.length;
    }, 600_000);
    const peak = await sampler.stop();
    const seconds = (performance.now() - t0) / 1000;
    const redisAfter = await usedMemory(redis);
    const after = await worker.memory(true);
    const record = await api.getRun(run.id);
    return { state: end.state, seconds, streamed, cut: record?.steps[0]?.output?.cut, redisGrowth: redisAfter - redisBefore, before: before.rss, peak, after: after.rss, heapGrowth: after.heapUsed - before.heapUsed };
  } finally {
    redis.disconnect();
  }
}

async function parked(api: Api, worker: BenchChild, redisUrl: string, prefix: string, count: number) {
  const redis = new Redis(redisUrl);
  const keys = new Keys(prefix);
  const queue = new Queue(QUEUE_NAME, { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix: keys.queuePrefix });
  try {
    const memBefore = await worker.memory(true);
    const redisBefore = await usedMemory(redis);
    const relayBefore = await keyMemory(redis, keys.metricsRelay);
    const ids: (string | undefined)[] = new Array<string | undefined>(count).fill(undefined);
    const t0 = performance.now();
    await inBatches(ids, 200, async (_, i) => {
      ids[i] = (await start(api, 'parked')).id;
    });
    const runs = await waitForRuns(api, ids, count, (r) => r.state === 'waiting' || FINAL.includes(r.state), 240_000);
    const seconds = (performance.now() - t0) / 1000;
    const notWaiting = runs.filter((r) => r.state !== 'waiting').length;
    const counts = await queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed');
    const memAfter = await worker.memory(true);
    const redisAfter = await usedMemory(redis);
    // The metrics relay list (a port-less worker's events, observer-relay.ts) is capped at 10,000
    // events whatever the number of runs: its growth is shown apart, not counted per run.
    const relayGrowth = (await keyMemory(redis, keys.metricsRelay)) - relayBefore;
    return { seconds, notWaiting, counts, memBefore, memAfter, redisGrowth: redisAfter - redisBefore - relayGrowth, relayGrowth };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

export async function runEngineScenarios(opts: ScenarioOptions): Promise<Row[]> {
  const { redisUrl, concurrency, scaled, progress } = opts;
  if (!['throughput', 'ten-steps', 'shell-step', 'lines', 'gigabyte', 'parked'].some(opts.selected)) return [];
  const prefix = 'bench';
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bench-'));
  await mkdir(join(dir, 'workflows'));
  for (const [name, yaml] of Object.entries(BENCH_WORKFLOWS)) await writeFile(join(dir, 'workflows', `${name}.yaml`), yaml);
  const project = await loadProject(dir);
  const errors = project.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(`bench workflows are invalid: ${errors.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('; ')}`);

  const worker = await startChild(['engine', redisUrl, prefix, String(concurrency), dir]);
  const api: Api = createEngine({ redisUrl, prefix, project, log: silentLogger, secretKey: BENCH_SECRET_KEY });
  const stepQueue = new Queue(QUEUE_NAME, { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix: new Keys(prefix).queuePrefix });
  const rows: Row[] = [];
  /** A scenario that throws becomes a failed row; the others still run. */
  const scenario = async (id: string, name: string, fn: () => Promise<void>) => {
    if (!opts.selected(id)) return;
    progress(name);
    try {
      await fn();
    } catch (err) {
      rows.push({ metric: name, value: `error: ${err instanceof Error ? err.message : String(err)}`, pass: false });
    }
  };
  try {
    await scenario('throughput', 'one-step no-op workflow runs vs raw BullMQ jobs', async () => {
      const raw = await startRawBaseline(redisUrl, 'bench-raw', concurrency);
      const cpuRedis = new Redis(redisUrl);
      try {
        // Warm-up (JIT, connections, caches) of both, not counted: the first few thousand are slower.
        await raw.measure(scaled(THROUGHPUT_WARM_UP));
        await throughput(api, stepQueue, scaled(THROUGHPUT_WARM_UP));
        const rawRates: number[] = [];
        const runRates: number[] = [];
        const rawCpu: ReturnType<typeof perUnit>[] = [];
        const runCpu: ReturnType<typeof perUnit>[] = [];
        let failed = 0;
        const jobs = scaled(10_000);
        const runs = scaled(5_000);
        for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
          const before = await readCpu(raw.child, cpuRedis);
          rawRates.push((await raw.measure(jobs)).perSecond);
          rawCpu.push(perUnit(before, await readCpu(raw.child, cpuRedis), jobs));
          const tp = await throughput(api, stepQueue, runs, () => readCpu(worker, cpuRedis));
          runRates.push(tp.perSecond);
          if (tp.cpu) runCpu.push(tp.cpu);
          failed += tp.failed;
        }
        const rawMedian = percentile(rawRates, 50);
        const runMedian = percentile(runRates, 50);
        const ratio = runMedian / rawMedian;
        const each = (rates: number[]) => rates.map((r) => fmt(r, 0)).join(', ');
        rows.push({ metric: `raw BullMQ no-op jobs/s, median of ${THROUGHPUT_ROUNDS} rounds of ${jobs}`, value: `${fmt(rawMedian, 0)} (${each(rawRates)})` });
        rows.push({ metric: `one-step no-op runs/s, median of ${THROUGHPUT_ROUNDS} rounds of ${runs}${failed ? `, ${failed} NOT succeeded` : ''}`, value: `${fmt(runMedian, 0)} (${each(runRates)})`, pass: failed === 0 ? undefined : false });
        // CPU per unit: the round with the median total, split by process.
        const medianRound = (cpu: ReturnType<typeof perUnit>[]) => [...cpu].sort((a, b) => a.total - b.total)[Math.floor(cpu.length / 2)];
        const split = (c: ReturnType<typeof perUnit> | undefined) => (c ? `${fmt(c.total, 0)} (worker ${fmt(c.worker, 0)}, producer/front ${fmt(c.front, 0)}, Redis ${fmt(c.redis, 0)})` : 'n/a');
        const rawC = medianRound(rawCpu);
        const runC = medianRound(runCpu);
        rows.push({ metric: 'CPU per raw BullMQ job, µs, all processes (median round)', value: split(rawC) });
        rows.push({ metric: 'CPU per one-step run, µs, all processes (median round)', value: split(runC) });
        rows.push({ metric: 'CPU per run ÷ CPU per raw job', value: rawC && runC ? fmt(runC.total / rawC.total, 1) : 'n/a' });
        rows.push({ metric: 'runs/s ÷ raw BullMQ jobs/s (medians)', value: `${fmt(ratio)} (rounds: ${runRates.map((r, i) => fmt(r / (rawRates[i] ?? Number.NaN))).join(', ')})`, target: '≥ 0.25', pass: ratio >= 0.25 && failed === 0 });
      } finally {
        cpuRedis.disconnect();
        await raw.close();
      }
    });

    await scenario('ten-steps', 'ten-step sequential no-op workflow', async () => {
      const ten = await tenSteps(api, scaled(200));
      const p50 = percentile(ten.wallPerStep, 50);
      rows.push({ metric: `10-step run: overhead per step, wall÷10, p50 / p99 ms (${ten.wallPerStep.length} runs)`, value: `${fmt(p50)} / ${fmt(percentile(ten.wallPerStep, 99))}`, target: 'p50 ≤ 2', pass: p50 <= 2 });
      rows.push({ metric: '10-step run: step.finished gaps (1 ms clock), p50 / p99 ms', value: `${fmt(percentile(ten.gaps, 50), 0)} / ${fmt(percentile(ten.gaps, 99), 0)}` });
    });

    await scenario('shell-step', 'run: "true" steps through the engine', async () => {
      const shell = await shellSteps(api, scaled(100));
      const sp50 = percentile(shell, 50);
      rows.push({ metric: `\`run: "true"\` step duration as recorded, p50 / p99 ms (${shell.length} runs)`, value: `${fmt(sp50, 0)} / ${fmt(percentile(shell, 99), 0)}`, target: 'p50 ≤ 15', pass: sp50 <= 15 });
    });

    await scenario('lines', 'one step printing 100,000 lines', async () => {
      const lines = await manyLines(api, worker, 100_000);
      rows.push({ metric: '100,000-line step: lines in the run stream', value: `${lines.received.toLocaleString('en-US')} (${lines.state} in ${fmt(lines.seconds, 1)} s)`, target: '100,000', pass: lines.received === 100_000 && lines.state === 'succeeded' });
      rows.push({ metric: '100,000-line step: every line masked', value: lines.masked ? 'yes' : `no (${lines.leaked} in clear)`, target: 'yes', pass: lines.masked });
      rows.push({ metric: '100,000-line step: worker peak RSS growth', value: `${fmt(lines.peakRssGrowth / MB, 1)} MB (peak ${fmt(lines.peakRss / MB, 1)} MB)`, target: '≤ 64 MB', pass: lines.peakRssGrowth <= 64 * MB });
    });

    await scenario('gigabyte', 'one step printing 1 GB', async () => {
      const g = await gigabyte(api, worker, redisUrl);
      const kept = g.cut ? `${g.streamed.toLocaleString('en-US')} lines kept, ${g.cut.lines.toLocaleString('en-US')} (${fmt(g.cut.bytes / MB, 0)} MB) counted as cut` : 'no cut reported';
      rows.push({ metric: '1 GB step: state, lines kept / cut', value: `${g.state} in ${fmt(g.seconds, 1)} s; ${kept}`, target: 'succeeded, cut reported', pass: g.state === 'succeeded' && g.cut !== undefined });
      rows.push({ metric: '1 GB step: Redis used_memory growth', value: `${fmt(g.redisGrowth / MB, 1)} MB`, target: '≤ 32 MB', pass: g.redisGrowth <= 32 * MB });
      // RSS is the bound while streaming; what is released shows in the heap after GC (V8 keeps
      // freed pages mapped for a while, so RSS after says little about a leak).
      rows.push({ metric: '1 GB step: worker RSS before → peak (sampled) → after', value: `${fmt(g.before / MB, 1)} → ${fmt(Math.max(g.peak, g.after) / MB, 1)} → ${fmt(g.after / MB, 1)} MB`, target: 'peak +≤ 64 MB', pass: Math.max(g.peak, g.after) - g.before <= 64 * MB });
      rows.push({ metric: '1 GB step: worker heap growth after it (after GC)', value: `${fmt(g.heapGrowth / MB, 1)} MB`, target: '≤ 8 MB', pass: g.heapGrowth <= 8 * MB });
    });

    const pc = scaled(10_000);
    await scenario('parked', `${pc.toLocaleString('en-US')} runs parked on approval`, async () => {
      const p = await parked(api, worker, redisUrl, prefix, pc);
      // Targets are for 10,000 runs; a scaled-down bench scales the Redis budget with it.
      const redisBudget = 30 * MB * (pc / 10_000);
      rows.push({ metric: `${pc.toLocaleString('en-US')} parked runs: reached waiting`, value: `${pc - p.notWaiting} in ${fmt(p.seconds, 1)} s`, target: String(pc), pass: p.notWaiting === 0 });
      rows.push({ metric: 'parked runs: active / waiting jobs', value: `${p.counts.active ?? 0} / ${(p.counts.waiting ?? 0) + (p.counts.prioritized ?? 0)}`, target: '0 / 0', pass: (p.counts.active ?? 0) === 0 && (p.counts.waiting ?? 0) + (p.counts.prioritized ?? 0) === 0 });
      rows.push({ metric: 'parked runs: delayed jobs (approval expiry)', value: String(p.counts.delayed ?? 0) });
      rows.push({ metric: 'parked runs: worker RSS before → after', value: `${fmt(p.memBefore.rss / MB, 1)} → ${fmt(p.memAfter.rss / MB, 1)} MB` });
      const heapGrowth = p.memAfter.heapUsed - p.memBefore.heapUsed;
      rows.push({ metric: 'parked runs: worker heap growth (after GC)', value: `${fmt(heapGrowth / MB, 1)} MB`, target: '≤ 10 MB', pass: heapGrowth <= 10 * MB });
      rows.push({ metric: 'parked runs: Redis used_memory growth, the metrics relay list apart', value: `${fmt(p.redisGrowth / MB, 1)} MB (${fmt(p.redisGrowth / pc / 1024, 1)} KiB/run); relay list ${fmt(p.relayGrowth / MB, 1)} MB`, target: `≤ ${fmt(redisBudget / MB, 0)} MB`, pass: p.redisGrowth <= redisBudget });
    });
  } finally {
    await stepQueue.close();
    await api.close();
    await worker.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
