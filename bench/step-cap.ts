/**
 * Workflows at the step cap (1,000 steps), in two shapes: a chain (each step needs the previous
 * one) and a wide one (one root, 998 steps that need it, one join that needs all of those).
 *   1. `chatops validate` of the project, in-process (median of 5 after a warm-up): linear in steps;
 *   2. finishStep's Redis time for each of the 1,000 step ends of one run: what every other run
 *      waits while it runs. Steps are ended by calling the script directly (no worker), each
 *      measured by Redis itself (INFO commandstats: EVALSHA usec, one call between two reads).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadProject } from '../src/config/load-project.js';
import { validatePaths } from '../src/config/validate-paths.js';
import { createEngine, type Engine } from '../src/engine/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { MAX_STEPS } from '../src/workflow/schema.js';
import { fmt, percentile, type Row } from './stats.js';

const step = (id: string, needs: string[]) => `  - id: ${id}\n    run: echo ${id}\n${needs.length > 0 ? `    needs: [${needs.join(', ')}]\n` : ''}`;

export const CAP_WORKFLOWS: Record<string, string> = {
  chain: `name: chain\ndescription: ${MAX_STEPS} steps, each needing the one before.\nsteps:\n${Array.from({ length: MAX_STEPS }, (_, i) => step(`s${i}`, i > 0 ? [`s${i - 1}`] : [])).join('')}`,
  wide: (() => {
    const middle = Array.from({ length: MAX_STEPS - 2 }, (_, i) => `s${i + 1}`);
    return `name: wide\ndescription: One root, ${MAX_STEPS - 2} steps needing it, one join needing them all.\nsteps:\n${step('s0', [])}${middle.map((id) => step(id, ['s0'])).join('')}${step('join', middle)}`;
  })(),
};

async function validateMs(dir: string): Promise<number> {
  await validatePaths([dir]);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const summary = await validatePaths([dir]);
    samples.push(performance.now() - t0);
    if (summary.problems.some((p) => p.severity === 'error')) throw new Error(`generated workflow invalid: ${summary.problems[0]?.message ?? ''}`);
  }
  return percentile(samples, 50);
}

async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const m = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(await redis.info('commandstats'));
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

/** Ends every step of a fresh run of the workflow in dependency order; each call's Redis time in µs. */
async function finishAll(engine: Engine, redis: Redis, workflow: string, order: string[]): Promise<number[]> {
  const { run } = await engine.startRun({ workflow, inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'cli:bench' } });
  const keys = [...engine.keys.runKeys(run.id), '', ''];
  const times: number[] = [];
  for (const id of order) {
    const event = JSON.stringify({ ts: Date.now(), runId: run.id, type: 'step.finished', step: id, state: 'succeeded', durationMs: 0, outputs: {} });
    const before = await evalshaStats(redis);
    const reply = await engine.scripts.call('finishStep', keys, [run.id, id, 1, 'succeeded', 'queued', '{}', event, '', Date.now(), engine.maxlen, engine.retentionMs]);
    const after = await evalshaStats(redis);
    if (reply[0] !== 'recorded') throw new Error(`finishStep of ${workflow}/${id} answered ${reply[0] ?? ''}`);
    if (after.calls - before.calls === 1) times.push(after.usec - before.usec);
  }
  const end = await engine.getRun(run.id);
  if (end?.state !== 'succeeded') throw new Error(`${workflow} run ended ${end?.state ?? 'nowhere'}`);
  return times;
}

export async function runStepCapBench(opts: { redisUrl: string; progress: (what: string) => void }): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bench-cap-'));
  const rows: Row[] = [];
  const redis = new Redis(opts.redisUrl);
  let engine: Engine | undefined;
  try {
    for (const [name, yaml] of Object.entries(CAP_WORKFLOWS)) {
      await mkdir(join(dir, name, 'workflows'), { recursive: true });
      await writeFile(join(dir, name, 'workflows', `${name}.yaml`), yaml);
    }
    opts.progress(`validate of ${MAX_STEPS}-step workflows`);
    const chainMs = await validateMs(join(dir, 'chain'));
    const wideMs = await validateMs(join(dir, 'wide'));
    rows.push({ metric: `validate a ${MAX_STEPS}-step workflow, chain / wide, median ms`, value: `${fmt(chainMs, 0)} / ${fmt(wideMs, 0)}`, target: '≤ 1,000', pass: Math.max(chainMs, wideMs) <= 1000 });

    opts.progress(`finishStep at the step cap (${MAX_STEPS} steps)`);
    const chain = await loadProject(join(dir, 'chain'));
    const wide = await loadProject(join(dir, 'wide'));
    const workflows = new Map([...chain.workflows, ...wide.workflows]);
    engine = createEngine({ redisUrl: opts.redisUrl, prefix: 'bench-cap', project: { workflows }, log: silentLogger });
    const middle = Array.from({ length: MAX_STEPS - 2 }, (_, i) => `s${i + 1}`);
    const shapes: [string, string[]][] = [
      ['chain', Array.from({ length: MAX_STEPS }, (_, i) => `s${i}`)],
      ['wide', ['s0', ...middle, 'join']],
    ];
    for (const [name, order] of shapes) {
      const times = await finishAll(engine, redis, name, order);
      const rest = times.slice(1); // the wide root queues all 998 of its dependents: shown apart
      rows.push({
        metric: `finishStep Redis time at the step cap, ${name}: p50 / p99 / max µs${name === 'wide' ? ' (root apart)' : ''}`,
        value: `${fmt(percentile(rest, 50), 0)} / ${fmt(percentile(rest, 99), 0)} / ${fmt(Math.max(...rest), 0)}${name === 'wide' ? `; root ${fmt(times[0] ?? Number.NaN, 0)}` : ''}`,
        target: 'p99 ≤ 500',
        pass: percentile(rest, 99) <= 500,
      });
    }
  } finally {
    await engine?.close();
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
