/**
 * Issue 14, worker pools: steps run on a worker of their pool (`runs_on:`, a step's setting wins),
 * a step whose pool has no live worker says so in its chat line and starts once one appears, timers
 * fire whatever pool is served, and workers announce themselves (`chatops workers`).
 *
 * Two worker processes on the test redis-server, one for the default pool and one for pool `db`,
 * each with its own CHATOPS_SECRET_ZONE: each step writes the zone of the worker that ran it to a
 * file (secrets are masked in chat, not in files), so where a step ran is read, not guessed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { formatRun } from '../../src/adapters/shell/ansi-format.js';
import { buildRunView } from '../../src/chat/render-model.js';
import { workersCommand } from '../../src/cli/workers.js';
import { listWorkers } from '../../src/engine/worker-registry.js';
import type { RunEvent } from '../../src/engine/types.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { cli, harness, openHarnesses, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { spawnWorker } from '../helpers/spawn-worker.js';

closeHarnessesAfterEach();

const SPLIT = `
name: split
runs_on: db
inputs: { log: { type: string } }
env: { LOG: "\${{ inputs.log }}", ZONE: "\${{ secrets.ZONE }}" }
steps:
  - id: migrate
    run: echo "migrate $ZONE" >> "$LOG"
  - id: announce
    runs_on: default
    run: echo "announce $ZONE" >> "$LOG"
  - id: verify
    needs: [migrate, announce]
    run: echo "verify $ZONE" >> "$LOG"
`;

const HOLD = `
name: hold
runs_on: db
steps:
  - id: nap
    run: sleep 4
`;

const EDGE = `
name: edge
steps:
  - id: probe
    runs_on: edge
    run: echo probed
`;

const SLOW_ON_DEFAULT = `
name: slow
timeout: 2s
steps:
  - id: wait
    run: sleep 60
`;

const STUCK = `
name: stuck
steps:
  - id: nobody
    runs_on: nowhere
    timeout: 1s
    run: echo never
`;

async function eventsOf(h: Harness, runId: string): Promise<RunEvent[]> {
  return h.engine.readEvents(runId, { after: '0', count: 1000 });
}

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker pools across two worker processes', () => {
  let h: Harness;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatops-pools-'));
    h = await harness(workflowsFrom(SPLIT, EDGE, HOLD), { workers: 0 });
    openHarnesses.delete(h); // shared by this block's tests, closed in afterAll
    children.push(...(await Promise.all([spawnWorker(h, [SPLIT, EDGE, HOLD], { CHATOPS_SECRET_ZONE: 'main-zone' }), spawnWorker(h, [SPLIT, EDGE, HOLD], { CHATOPS_SECRET_ZONE: 'db-zone', ENGINE_POOLS: 'db' })])));
  }, 90_000);

  afterAll(async () => {
    for (const c of children) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each step on a worker of its pool: the workflow\'s runs_on, a step\'s own one winning', async () => {
    const log = join(dir, 'split.log');
    const { run } = await h.engine.startRun({ workflow: 'split', inputs: { log }, trigger: cli });
    const done = await h.waitFor(run.id, undefined, 30_000);
    expect(stepStates(done)).toEqual({ migrate: 'succeeded', announce: 'succeeded', verify: 'succeeded' });
    expect(readFileSync(log, 'utf8').trim().split('\n').sort()).toEqual(['announce main-zone', 'migrate db-zone', 'verify db-zone']);
    expect(done.steps.map((s) => s.pool)).toEqual(['db', undefined, 'db']);
    // Both pools were served: nobody was told to wait.
    expect((await eventsOf(h, run.id)).filter((e) => e.type === 'step.no_worker')).toEqual([]);
  });

  it('lists the live workers with their pools, concurrency and version', async () => {
    const workers = await listWorkers(h.engine.redis, h.engine.keys);
    expect(workers.map((w) => w.pools).sort()).toEqual([['db'], ['default']]);
    for (const w of workers) {
      expect(w.concurrency).toBe(2);
      expect(w.version).toMatch(/^\d+\.\d+\.\d+/);
    }
    expect(await h.engine.workerCount('db')).toBe(1);
    expect(await h.engine.workerCount('edge')).toBe(0);
  });

  it('a worker\'s announcement lists the steps it is running', async () => {
    const { run } = await h.engine.startRun({ workflow: 'hold', inputs: {}, trigger: cli });
    const holder = await waitUntil('the db worker to announce the step it holds', async () => (await listWorkers(h.engine.redis, h.engine.keys)).find((w) => w.held.some((s) => s.runId === run.id)));
    expect(holder.pools).toEqual(['db']);
    expect(holder.held).toEqual([expect.objectContaining({ runId: run.id, stepId: 'nap', attempt: 1 })]);
    expect((await h.waitFor(run.id, undefined, 30_000)).state).toBe('succeeded');
  }, 40_000);

  it('`chatops workers --json` prints them', async () => {
    const out: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    const prefix = process.env.CHATOPS_PREFIX;
    process.env.CHATOPS_PREFIX = h.opts.prefix;
    try {
      expect(await workersCommand({ json: true })).toBe(0);
    } finally {
      log.mockRestore();
      if (prefix === undefined) delete process.env.CHATOPS_PREFIX;
      else process.env.CHATOPS_PREFIX = prefix;
    }
    const listed = JSON.parse(out.join('\n')) as { pools: string[] }[];
    expect(listed.map((w) => w.pools.join(',')).sort()).toEqual(['db', 'default']);
  });

  it('a step whose pool has no worker says so in its line, then runs once a worker of that pool appears', async () => {
    const { run } = await h.engine.startRun({ workflow: 'edge', inputs: {}, trigger: cli });
    const notice = await waitUntil('the no-worker notice', async () => (await eventsOf(h, run.id)).find((e) => e.type === 'step.no_worker'));
    expect(notice).toMatchObject({ step: 'probe', pool: 'edge', attempt: 1 });
    const queued = await h.waitStep(run.id, 'probe', ['queued']);
    const view = buildRunView(queued, Date.now(), { noWorker: new Map([['probe', { attempt: 1, pool: 'edge' }]]) });
    expect(formatRun(view, { color: false }).join('\n')).toContain('probe     queued — waiting for a worker of pool edge: none is running (start one with `chatops worker --pool edge`)');
    // Still waiting a while later: nobody else took it.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await h.engine.getRun(run.id))?.steps[0]?.state).toBe('queued');
    children.push(await spawnWorker(h, [SPLIT, EDGE, HOLD], { ENGINE_POOLS: 'edge' }));
    const done = await h.waitFor(run.id, undefined, 30_000);
    expect(done.state).toBe('succeeded');
    // Once it ran, the line no longer says it waits.
    const after = buildRunView(done, Date.now(), { noWorker: new Map([['probe', { attempt: 1, pool: 'edge' }]]) });
    expect(after.steps[0]?.waitingForWorker).toBeUndefined();
  }, 90_000);
});

describe('timers and deadlines do not depend on a pool being served', () => {
  it('a workflow timeout fires while only a worker of another pool runs', async () => {
    const h = await harness(workflowsFrom(SLOW_ON_DEFAULT), { workers: 0 });
    await h.addWorker({ pools: ['db'] });
    const { run } = await h.engine.startRun({ workflow: 'slow', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id, undefined, 30_000);
    expect(done.state).toBe('timed_out');
    expect(done.steps[0]?.state).toBe('cancelled');
  }, 40_000);

  it('a step nobody takes ends timed_out after its step timeout, naming its pool', async () => {
    const h = await harness(workflowsFrom(STUCK), { workers: 1 });
    const { run } = await h.engine.startRun({ workflow: 'stuck', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id, undefined, 30_000);
    expect(done.state).toBe('failed');
    expect(done.steps[0]).toMatchObject({ state: 'timed_out', error: 'no worker of pool nowhere took the step within its timeout (1s)' });
  }, 40_000);
});

afterEach(() => {
  jest.restoreAllMocks();
});
