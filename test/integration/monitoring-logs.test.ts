/**
 * Issue 15: every log line about a run carries its run id (and a step's, its step id), so grepping
 * a run id over the logs of fronts and workers tells the run's whole story. A run whose step fails
 * once and is retried goes through a real front (started from chat, through the router) and a
 * real worker, both logging JSON to memory.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { startServedWorker, type ServedWorker } from '../../src/server/worker-http.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { until } from '../helpers/until.js';

function memoryLog(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l !== ''));
      done();
    },
  });
  return { lines, log: createLogger('info', sink) };
}

describe('log lines about a run', () => {
  let dir: string;
  let front: Front;
  let base: string;
  let prefix: string;
  let served: ServedWorker;
  const frontLog = memoryLog();
  const workerLog = memoryLog();
  const marker = join(mkdtempSync(join(tmpdir(), 'chatops-logs-')), 'tried');

  beforeAll(async () => {
    let project;
    ({ dir, project } = await writeProject({
      'policy.yaml': 'roles:\n  oncall: { members: [shell:alice] }\nrules:\n  - { commands: [flaky], roles: [oncall], channels: ["*"] }\n',
      'commands/flaky.yaml': 'name: flaky\ndescription: Fails once, then works.\nusage: flaky\nworkflow: flaky\n',
      // The step fails on its first attempt (no marker yet) and succeeds on the retry.
      'workflows/triage.yaml': "name: triage\non:\n  alert: { matchers: ['alertname=\"HighErrorRate\"'] }\nsteps:\n  - id: look\n    run: echo looking\n",
      'workflows/flaky.yaml': `name: flaky\nsteps:\n  - id: once\n    retry: { attempts: 2, backoff: 10ms }\n    run: 'if [ -f ${marker} ]; then echo ok; else touch ${marker}; exit 3; fi'\n`,
    }));
    prefix = uniquePrefix('logs');
    ({ front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, log: frontLog.log }));
    served = await startServedWorker({ redisUrl: testRedisUrl(), prefix, project, log: workerLog.log, secretKey: 'alerts-tests-secret-key', concurrency: 1 });
  });

  afterAll(async () => {
    await served.close();
    await front.close();
    removeDir(dir);
    removeDir(dirname(marker));
  });

  it('each carries runId, each about a step also stepId, on the front and on the worker', async () => {
    const r = await front.router.handleMessage({ platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'ops', text: 'flaky' });
    const after = r.afterAck ? await r.afterAck(async () => undefined) : {};
    const runId = after.runId ?? r.runId ?? '';
    expect(runId).toMatch(/^r-[0-9a-z]{6}$/);
    const deadline = Date.now() + 30_000;
    while (!workerLog.lines.some((l) => l.includes('"run finished"') && l.includes(runId)) && !frontLog.lines.some((l) => l.includes('"run finished"') && l.includes(runId))) {
      if (Date.now() > deadline) throw new Error('the run did not finish');
      await new Promise((res) => setTimeout(res, 50));
    }
    // `grep r-…` over both processes' logs:
    const grep = [...frontLog.lines, ...workerLog.lines].filter((l) => l.includes(runId)).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const rec of grep) expect(rec).toMatchObject({ runId });
    const msgs = grep.map((rec) => rec.msg);
    expect(msgs).toEqual(expect.arrayContaining(['run created', 'step will be retried', 'step finished', 'run finished']));
    for (const rec of grep.filter((x) => typeof x.msg === 'string' && /^step /.test(x.msg))) expect(rec).toMatchObject({ runId, stepId: 'once' });
    // The story spans both processes: created on the front, the step's attempts on the worker.
    expect(frontLog.lines.filter((l) => l.includes(runId)).map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('run created');
    expect(workerLog.lines.filter((l) => l.includes(runId)).map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('step will be retried');
  });

  it('each about an incident carries its id, also those of the runs it started', async () => {
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })).status).toBe(202);
    const incident = await until('the incident', async () => (await front.redis.zrange(`${prefix}:incidents`, '0', '-1'))[0]);
    const run = await until('the run it started to finish', async () => {
      const runs = await front.engine.listRuns({ limit: 20 });
      return runs.find((r) => r.workflow === 'triage' && r.state === 'succeeded');
    });
    await until('the run finished in the logs', () => [...frontLog.lines, ...workerLog.lines].some((l) => l.includes('"run finished"') && l.includes(run.id)));
    const all = [...frontLog.lines, ...workerLog.lines].map((l) => JSON.parse(l) as Record<string, unknown>);
    // `grep i-…`: every line naming the incident says so in its incident field.
    const aboutIncident = all.filter((rec) => JSON.stringify(rec).includes(incident));
    expect(aboutIncident.length).toBeGreaterThan(0);
    for (const rec of aboutIncident) expect(rec).toMatchObject({ incident });
    // The run's lines carry the incident too, so either grep finds them.
    const aboutRun = all.filter((rec) => rec.runId === run.id);
    expect(aboutRun.map((rec) => rec.msg)).toEqual(expect.arrayContaining(['run created', 'step finished', 'run finished']));
    for (const rec of aboutRun) expect(rec).toMatchObject({ incident, runId: run.id });
  });
});
