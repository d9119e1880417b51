/**
 * Issue 15: the engine's and the queue's figures on /metrics of a real front (startFront) and a real
 * worker process's HTTP side (startServedWorker), over a real redis-server. Each event is counted
 * once over the front and the worker together; queue gauges read Redis on scrape; names and help
 * texts pass `promtool check metrics`.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { startServedWorker, type ServedWorker } from '../../src/server/worker-http.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { promtoolCheckMetrics, scrape, sumOf } from '../helpers/prom-text.js';
import { spawnWorker } from '../helpers/spawn-worker.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until, untilRunEnds } from '../helpers/until.js';
import type { Project } from '../../src/config/load-project.js';
import type { RunRecord } from '../../src/engine/types.js';

const SECRET_KEY = 'alerts-tests-secret-key';
const cli = { kind: 'cli' as const, source: 'cli', requester: 'cli:alice' };
const chat = { kind: 'chat' as const, source: 'shell', requester: 'shell:alice', channel: 'ops' };

/** A step that runs long enough to kill its worker in the middle (killed workers leave it to the orphan guard). */
const LONG = 'name: long\nsteps:\n  - id: wait\n    run: sleep 20\n';
let dir: string;
let project: Project;
let front: Front | undefined;
let frontBase: string;
let served: ServedWorker | undefined;
let workerBase: string;
let prefix: string;

beforeAll(async () => {
  ({ dir, project } = await writeProject({
    'workflows/two-steps.yaml': 'name: two-steps\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    needs: [a]\n    run: echo b\n',
    'workflows/flaky.yaml': 'name: flaky\nsteps:\n  - id: x\n    retry: { attempts: 2, backoff: 10ms }\n    run: exit 3\n',
    'workflows/long.yaml': LONG,
    'workflows/gated.yaml': 'name: gated\nsteps:\n  - id: ok\n    approval: { message: go? }\n  - id: after\n    needs: [ok]\n    run: echo done\n',
  }));
});
afterAll(() => removeDir(dir));

afterEach(async () => {
  await served?.close();
  await front?.close();
  served = undefined;
  front = undefined;
});

async function startBoth(withWorker = true): Promise<void> {
  prefix = uniquePrefix('monitoring');
  ({ front, base: frontBase } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project }));
  if (withWorker) await addWorker();
}

async function addWorker(): Promise<void> {
  served = await startServedWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: SECRET_KEY, concurrency: 2, port: 0, host: '127.0.0.1', stall: { lockDurationMs: 1000, stalledIntervalMs: 500 } });
  workerBase = `http://127.0.0.1:${served.http?.port ?? 0}`;
}

function engine(): Front['engine'] {
  if (!front) throw new Error('no front started');
  return front.engine;
}

async function both(): Promise<string[]> {
  return [await scrape(frontBase), await scrape(workerBase)];
}

const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> => until(what, fn, ms);
const finished = (runId: string): Promise<RunRecord> => untilRunEnds(engine(), runId, 60_000);

describe('engine metrics over a front and a worker', () => {
  it('count a run, its steps and their durations once over both /metrics', async () => {
    await startBoth();
    const before = await both();
    const { run } = await engine().startRun({ workflow: 'two-steps', inputs: {}, trigger: cli });
    expect((await finished(run.id)).state).toBe('succeeded');
    // The run's end is counted by the worker that recorded its last step; give its scrape a moment to see it.
    const after = await waitFor('the run end on /metrics', async () => {
      const t = await both();
      return sumOf(t, 'chatops_runs_finished_total', { workflow: 'two-steps' }) >= 1 ? t : undefined;
    });
    const delta = (name: string, match: Record<string, string> = {}) => sumOf(after, name, match) - sumOf(before, name, match);
    expect(delta('chatops_runs_started_total', { workflow: 'two-steps', trigger: 'cli' })).toBe(1);
    expect(delta('chatops_runs_finished_total', { workflow: 'two-steps', trigger: 'cli', state: 'succeeded' })).toBe(1);
    expect(delta('chatops_runs_finished_total')).toBe(1);
    expect(delta('chatops_run_duration_seconds_count', { workflow: 'two-steps', state: 'succeeded' })).toBe(1);
    expect(delta('chatops_steps_started_total', { workflow: 'two-steps', kind: 'run' })).toBe(2);
    expect(delta('chatops_steps_finished_total', { workflow: 'two-steps', kind: 'run', state: 'succeeded' })).toBe(2);
    expect(delta('chatops_step_duration_seconds_count', { workflow: 'two-steps', state: 'succeeded' })).toBe(2);
    expect(delta('chatops_step_retries_total')).toBe(0);
    // Where each was seen: the start on the front that created the run, the steps on the worker.
    const [frontText, workerText] = after as [string, string];
    expect(sumOf([frontText], 'chatops_runs_started_total')).toBe(1);
    expect(sumOf([workerText], 'chatops_runs_started_total')).toBe(0);
    expect(sumOf([frontText], 'chatops_steps_started_total')).toBe(0);
    expect(sumOf([workerText], 'chatops_steps_finished_total')).toBe(2);
    // No run, step or user id in any label value.
    expect(after.join('\n')).not.toContain(run.id);
    expect(after.join('\n')).not.toContain('alice');
  });

  it('count retries and the final failed state of a step that keeps failing', async () => {
    await startBoth();
    const { run } = await engine().startRun({ workflow: 'flaky', inputs: {}, trigger: chat });
    expect((await finished(run.id)).state).toBe('failed');
    const after = await waitFor('the run end on /metrics', async () => {
      const t = await both();
      return sumOf(t, 'chatops_runs_finished_total', { workflow: 'flaky' }) >= 1 ? t : undefined;
    });
    expect(sumOf(after, 'chatops_runs_started_total', { workflow: 'flaky', trigger: 'chat' })).toBe(1);
    expect(sumOf(after, 'chatops_runs_finished_total', { workflow: 'flaky', trigger: 'chat', state: 'failed' })).toBe(1);
    expect(sumOf(after, 'chatops_step_retries_total', { workflow: 'flaky', reason: 'failed' })).toBe(1);
    expect(sumOf(after, 'chatops_steps_started_total', { workflow: 'flaky' })).toBe(2);
    expect(sumOf(after, 'chatops_steps_finished_total', { workflow: 'flaky', state: 'failed' })).toBe(1);
  });

  it('show a parked approval, then its wait time once decided on the front', async () => {
    await startBoth();
    const { run } = await engine().startRun({ workflow: 'gated', inputs: {}, trigger: chat });
    await waitFor('the approval parked on /metrics', async () => (sumOf([await scrape(frontBase)], 'chatops_approvals_waiting') === 1 ? true : undefined));
    // How long it has waited grows while nobody decides.
    await waitFor('the approval to age on /metrics', async () => (sumOf([await scrape(frontBase)], 'chatops_approval_oldest_waiting_seconds') >= 1 ? true : undefined));
    await engine().decide({ runId: run.id, user: 'shell:bob', roles: [], decision: 'approve' });
    expect((await finished(run.id)).state).toBe('succeeded');
    const after = await waitFor('the run end on /metrics', async () => {
      const t = await both();
      return sumOf(t, 'chatops_runs_finished_total', { workflow: 'gated' }) >= 1 ? t : undefined;
    });
    // Queue figures are read at most once a second: wait for a fresh one.
    await waitFor('no approval parked on /metrics', async () => (sumOf([await scrape(frontBase)], 'chatops_approvals_waiting') === 0 ? true : undefined));
    // The decision was made on the front: the approval's end and wait are counted there, once.
    expect(sumOf([after[0] ?? ''], 'chatops_approval_wait_seconds_count', { workflow: 'gated', outcome: 'approved' })).toBe(1);
    expect(sumOf(after, 'chatops_approval_wait_seconds_count')).toBe(1);
    expect(sumOf(after, 'chatops_steps_finished_total', { workflow: 'gated', kind: 'approval', state: 'succeeded' })).toBe(1);
    expect(sumOf(after, 'chatops_steps_started_total', { workflow: 'gated', kind: 'approval' })).toBe(1);
  });
});

describe('queue health read from Redis on a front', () => {
  it('shows a waiting step with no live worker, then drains once a worker runs it', async () => {
    await startBoth(false);
    const { run } = await engine().startRun({ workflow: 'two-steps', inputs: {}, trigger: cli });
    const waiting = await waitFor('the waiting job on /metrics', async () => {
      const t = await scrape(frontBase);
      return sumOf([t], 'chatops_step_queue_jobs', { pool: 'default', state: 'waiting' }) === 1 ? t : undefined;
    });
    expect(sumOf([waiting], 'chatops_queue_probe_ok')).toBe(1);
    expect(sumOf([waiting], 'chatops_workers_live', { pool: 'default' })).toBe(0);
    expect(sumOf([waiting], 'chatops_step_queue_jobs', { state: 'active' })).toBe(0);
    // The job has been ready since the run started: its age grows while nobody takes it.
    const aged = await waitFor('the oldest waiting job to age', async () => {
      const t = await scrape(frontBase);
      return sumOf([t], 'chatops_step_queue_oldest_waiting_seconds', { pool: 'default' }) >= 1 ? t : undefined;
    });
    expect(sumOf([aged], 'chatops_redis_ready')).toBe(1);

    await addWorker();
    expect((await finished(run.id)).state).toBe('succeeded');
    const drained = await waitFor('the queue drained on /metrics', async () => {
      const t = await scrape(frontBase);
      return sumOf([t], 'chatops_step_queue_jobs', { state: 'waiting' }) === 0 && sumOf([t], 'chatops_workers_live', { pool: 'default' }) === 1 ? t : undefined;
    });
    expect(sumOf([drained], 'chatops_step_queue_oldest_waiting_seconds')).toBe(0);
    // The worker serves its own probes.
    expect((await fetch(`${workerBase}/healthz`)).status).toBe(200);
    const ready = await fetch(`${workerBase}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
    expect(sumOf([await scrape(workerBase)], 'chatops_worker_concurrency')).toBe(2);
  });
});

describe('stalled step jobs read from Redis on a front', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('shows the active job of a killed worker as stalled until a worker puts it back', async () => {
    await startBoth(false);
    child = await spawnWorker({ opts: { redisUrl: testRedisUrl(), prefix } }, [LONG], { CHATOPS_SECRET_KEY: SECRET_KEY });
    const { run } = await engine().startRun({ workflow: 'long', inputs: {}, trigger: cli });
    await waitFor('the step to run', async () => ((await engine().getRun(run.id))?.steps[0]?.state === 'running' ? true : undefined));
    const before = await scrape(frontBase);
    expect(sumOf([before], 'chatops_step_queue_jobs', { pool: 'default', state: 'stalled' })).toBe(0);
    // Killed: its job stays active, and its job lock (1 s) lapses with nobody to put the job back.
    child.kill('SIGKILL');
    const stalled = await waitFor('the stalled job on /metrics', async () => {
      const t = await scrape(frontBase);
      return sumOf([t], 'chatops_step_queue_jobs', { pool: 'default', state: 'stalled' }) === 1 ? t : undefined;
    });
    expect(sumOf([stalled], 'chatops_step_queue_jobs', { pool: 'default', state: 'active' })).toBe(1);
    // A worker finds it stalled and puts it back: the gauge falls, the finder counts it.
    await addWorker();
    await waitFor('the stalled job gone from /metrics', async () => (sumOf([await scrape(frontBase)], 'chatops_step_queue_jobs', { pool: 'default', state: 'stalled' }) === 0 ? true : undefined));
    await waitFor('the stall counted on the worker', async () => (sumOf([await scrape(workerBase)], 'chatops_step_jobs_stalled_total') >= 1 ? true : undefined));
  });
});

describe('alerts and incidents on a front', () => {
  it('count deliveries by source and outcome, and the incidents open now', async () => {
    await startBoth(false);
    expect((await sendAlert(frontBase, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })).status).toBe(202);
    expect((await sendAlert(frontBase, 'alertmanager', amSample('alertmanager-firing'), { token: 'wrong' })).status).toBe(401);
    const open = await waitFor('the incident open on /metrics', async () => {
      const t = await scrape(frontBase);
      return sumOf([t], 'chatops_incidents_open', { source: 'alertmanager' }) === 1 ? t : undefined;
    });
    expect(sumOf([open], 'chatops_alert_deliveries_total', { source: 'alertmanager', outcome: 'recorded' })).toBe(1);
    expect(sumOf([open], 'chatops_alert_deliveries_total', { source: 'alertmanager', outcome: 'unauthorized' })).toBe(1);
    expect((await sendAlert(frontBase, 'alertmanager', amSample('alertmanager-resolved'), { token: 'am-token' })).status).toBe(202);
    await waitFor('the incident resolved on /metrics', async () => (sumOf([await scrape(frontBase)], 'chatops_incidents_open') === 0 ? true : undefined));
  });
});

describe('promtool check metrics', () => {
  it("passes on the project's own metrics of a front and a worker that ran a workflow", async () => {
    await startBoth();
    const { run } = await engine().startRun({ workflow: 'flaky', inputs: {}, trigger: cli });
    await finished(run.id);
    for (const text of await both()) {
      // prom-client's default process and Node.js metrics are its own (three of its gauges end in _total).
      const own = text
        .split('\n')
        .filter((l) => !/^(# (HELP|TYPE) )?chatops_(process|nodejs)_/.test(l))
        .join('\n');
      expect(own).toContain('chatops_steps_finished_total');
      const { status, output } = promtoolCheckMetrics(own);
      expect(output).toBe('');
      expect(status).toBe(0);
    }
  });
});
