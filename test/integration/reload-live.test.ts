/**
 * Live runbook reload end to end on the real Redis: a front (the real startFront) and workers (the
 * real startServedWorker, and one `chatops worker` child process) each holding the project of one
 * temp folder. Edits are picked up by watching, SIGHUP and `chatops reload`; broken edits keep the
 * last good version; runs in flight keep their snapshot.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { formatWorkers } from '../../src/cli/workers.js';
import { reloadCommand } from '../../src/cli/reload.js';
import type { RunsApi, RunRecord } from '../../src/engine/types.js';
import { Keys } from '../../src/engine/keys.js';
import { listWorkers } from '../../src/engine/worker-registry.js';
import type { Logger } from '../../src/lib/logger.js';
import { ProjectHolder } from '../../src/reload/project-holder.js';
import { startFront, type Front } from '../../src/server/front.js';
import { startServedWorker, type ServedWorker } from '../../src/server/worker-http.js';
import { spawnCli, type CliChild } from '../helpers/cli-child.js';
import { CountingPlatform } from '../helpers/counting-platform.js';
import { scrape, sumOf } from '../helpers/prom-text.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { makeProjectDir, putFile } from '../helpers/project-dir.js';
import { capturingLogger } from '../helpers/log-lines.js';

const SECRET = 'reload-tests-secret-key';
const cli = { kind: 'cli' as const, source: 'cli', requester: 'cli:alice' };
const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** `hello`: one step that sets output v. */
const hello = (v: string) => `name: hello\nsteps:\n  - id: say\n    run: echo "v=${v}" >> "$CHATOPS_OUTPUT"\n`;
/** `gate`: an approval, then steps that set output v; `extra` adds a step. */
const gate = (v: string, extra = false) =>
  `name: gate\nsteps:\n  - id: ask\n    approval: { message: "go?", expires: 30m }\n  - id: go\n    needs: ask\n    run: echo "v=${v}" >> "$CHATOPS_OUTPUT"\n${extra ? '  - id: extra\n    needs: go\n    run: "true"\n' : ''}`;

const opened: { close(): Promise<void> }[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function projectDir(files: Record<string, string>): string {
  const dir = makeProjectDir(files, 'reload');
  dirs.push(dir);
  return dir;
}
const put = putFile;

async function front(dir: string, prefix: string, log: Logger, platform: CountingPlatform): Promise<{ front: Front; base: string }> {
  const f = await startFront({
    redisUrl: testRedisUrl(),
    prefix,
    project: await ProjectHolder.open(dir),
    reload: { debounceMs: 50, adminChannel: 'fake:C0ADMIN' },
    log,
    port: 0,
    host: '127.0.0.1',
    engine: { secretKey: SECRET },
    reporter: { pollMs: 100, blockMs: 100 },
    platforms: [platform],
  });
  opened.push(f);
  return { front: f, base: `http://127.0.0.1:${f.port}` };
}

async function worker(dir: string, prefix: string, log: Logger, reload: { watch?: boolean; sighup?: boolean; pollMs?: number } = {}): Promise<ServedWorker & { holder: ProjectHolder }> {
  const holder = await ProjectHolder.open(dir);
  const w = await startServedWorker({ redisUrl: testRedisUrl(), prefix, project: holder.project, holder, reload: { debounceMs: 50, ...reload }, log, secretKey: SECRET, concurrency: 2, heartbeatMs: 200, port: 0, host: '127.0.0.1' });
  opened.push(w);
  return { ...w, holder };
}

async function finished(runs: RunsApi, runId: string, states = FINAL): Promise<RunRecord> {
  return until(`run ${runId} in ${states.join('|')}`, async () => {
    const r = await runs.getRun(runId);
    return r !== null && states.includes(r.state) && r;
  });
}

async function runHello(runs: RunsApi): Promise<string | undefined> {
  const { run } = await runs.startRun({ workflow: 'hello', inputs: {}, trigger: cli });
  const done = await finished(runs, run.id);
  expect(done.state).toBe('succeeded');
  return done.steps.find((s) => s.id === 'say')?.outputs.v;
}

/** Every live worker announces `version`. */
async function workersOn(prefix: string, version: string, count: number): Promise<boolean> {
  const redis = testRedis();
  try {
    const ws = await listWorkers(redis, new Keys(prefix));
    return ws.length === count && ws.every((w) => w.project === version);
  } finally {
    redis.disconnect();
  }
}

describe('live runbook reload', () => {
  it('a saved edit is in force for new runs on front and worker; a broken edit keeps the last good version and is reported', async () => {
    const prefix = uniquePrefix('reload');
    const dir = projectDir({ 'workflows/hello.yaml': hello('one') });
    const { log, lines } = capturingLogger();
    const platform = new CountingPlatform();
    const { front: f, base } = await front(dir, prefix, log, platform);
    const w = await worker(dir, prefix, log);
    const v1 = f.project.version;
    expect(w.holder.version).toBe(v1);
    expect(await runHello(f.engine)).toBe('one');

    put(dir, 'workflows/hello.yaml', hello('two'));
    await until('the front on the new version', () => f.project.version !== v1);
    const v2 = f.project.version;
    await until('the worker announcing the new version', () => workersOn(prefix, v2, 1));
    expect(await runHello(f.engine)).toBe('two');
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: 'ready', project: v2 });
    expect(await (await fetch(`http://127.0.0.1:${w.http?.port ?? 0}/readyz`)).json()).toMatchObject({ status: 'ready', project: v2 });
    expect(sumOf([await scrape(base)], 'chatops_reloads_total', { result: 'ok' })).toBe(1);
    expect(sumOf([await scrape(base)], 'chatops_project_info', { version: v2 })).toBe(1);

    // Line 5, column 5: a field no step has.
    put(dir, 'workflows/hello.yaml', 'name: hello\nsteps:\n  - id: say\n    run: echo "v=three" >> "$CHATOPS_OUTPUT"\n    bogus: 1\n');
    await until('the front counting a failed reload', async () => sumOf([await scrape(base)], 'chatops_reloads_total', { result: 'failed' }) === 1);
    await until('the worker counting a failed reload', async () => sumOf([await scrape(`http://127.0.0.1:${w.http?.port ?? 0}`)], 'chatops_reloads_total', { result: 'failed' }) === 1);
    expect(f.project.version).toBe(v2);
    expect(w.holder.version).toBe(v2);
    const refusals = lines.filter((l) => /^reload refused /.test(l.msg ?? ''));
    expect(refusals).toHaveLength(2); // one line per process (front and worker)
    expect(refusals[0]?.msg).toMatch(/workflows\/hello\.yaml:5:5: .*bogus.*last good version stays in force/);
    // The admin channel hears of it once, from one of the two processes.
    const told = await until('the admin channel told', () => [...platform.messages.values()].filter((m) => m.content.kind === 'reply' && m.ref.channel === 'C0ADMIN'));
    expect(told).toHaveLength(1);
    const view = told[0]?.content.kind === 'reply' ? told[0].content.view : undefined;
    expect(view?.title).toMatch(/Runbook reload refused: .*workflows\/hello\.yaml/);
    expect(JSON.stringify(view?.blocks)).toMatch(/hello\.yaml:5:5/);
    expect(await runHello(f.engine)).toBe('two');

    const redis = testRedis();
    try {
      expect(formatWorkers(await listWorkers(redis, new Keys(prefix)), Date.now()).join('\n')).toContain(`project ${v2}`);
    } finally {
      redis.disconnect();
    }
  });

  it('removing a workflow another one calls is refused as a broken edit: one log line, the metric and the admin channel name both files', async () => {
    const prefix = uniquePrefix('reload-deps');
    const dir = projectDir({ 'workflows/hello.yaml': hello('one'), 'workflows/parent.yaml': 'name: parent\nsteps:\n  - id: sub\n    workflow: { name: hello }\n' });
    const { log, lines } = capturingLogger();
    const platform = new CountingPlatform();
    const { front: f, base } = await front(dir, prefix, log, platform);
    const v1 = f.project.version;
    unlinkSync(join(dir, 'workflows/hello.yaml'));
    await until('the front counting a failed reload', async () => sumOf([await scrape(base)], 'chatops_reloads_total', { result: 'failed' }) === 1);
    expect(f.project.version).toBe(v1);
    expect([...f.project.project.workflows.keys()].sort()).toEqual(['hello', 'parent']);
    const refusals = lines.filter((l) => /^reload refused /.test(l.msg ?? ''));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.msg).toMatch(/workflows\/hello\.yaml:1:1: removing this file would break \S*workflows\/parent\.yaml:4:23: .*no workflow named `hello` \(its last good version stays in force\)/);
    const told = await until('the admin channel told', () => [...platform.messages.values()].filter((m) => m.content.kind === 'reply' && m.ref.channel === 'C0ADMIN'));
    expect(told).toHaveLength(1);
    const view = told[0]?.content.kind === 'reply' ? told[0].content.view : undefined;
    expect(view?.title).toMatch(/Runbook reload refused: .*workflows\/hello\.yaml/);
    expect(JSON.stringify(view?.blocks)).toMatch(/hello\.yaml:1:1: removing this file would break \S*parent\.yaml:4:23/);
  });

  it('a run started before an edit finishes with the steps it started with; new runs take the new ones', async () => {
    const prefix = uniquePrefix('reload-flight');
    const dir = projectDir({ 'workflows/gate.yaml': gate('old') });
    const { log } = capturingLogger();
    const { front: f } = await front(dir, prefix, log, new CountingPlatform());
    await worker(dir, prefix, log);
    const before = (await f.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    await finished(f.engine, before.id, ['waiting']);

    const v1 = f.project.version;
    put(dir, 'workflows/gate.yaml', gate('new', true));
    await until('the front on the new version', () => f.project.version !== v1);
    await until('the worker on the new version', () => workersOn(prefix, f.project.version, 1));

    await f.engine.decide({ runId: before.id, user: 'cli:bob', roles: [], decision: 'approve' });
    const old = await finished(f.engine, before.id);
    expect(old.state).toBe('succeeded');
    expect(old.steps.map((s) => s.id)).toEqual(['ask', 'go']);
    expect(old.steps.find((s) => s.id === 'go')?.outputs.v).toBe('old');

    const after = (await f.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    await finished(f.engine, after.id, ['waiting']);
    await f.engine.decide({ runId: after.id, user: 'cli:bob', roles: [], decision: 'approve' });
    const fresh = await finished(f.engine, after.id);
    expect(fresh.steps.map((s) => s.id)).toEqual(['ask', 'go', 'extra']);
    expect(fresh.steps.find((s) => s.id === 'go')?.outputs.v).toBe('new');
  });

  it('`chatops reload` reaches every replica (an in-process worker that does not watch, a `chatops worker` process); SIGHUP reloads one', async () => {
    const prefix = uniquePrefix('reload-cli');
    const dir = projectDir({ 'workflows/hello.yaml': hello('one') });
    const { log } = capturingLogger();
    const quiet = await worker(dir, prefix, log, { watch: false, sighup: true });
    const child: CliChild = spawnCli(['worker'], { REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: dir, CHATOPS_SECRET_KEY: SECRET, LOG_LEVEL: 'warn' });
    opened.push({ close: () => child.kill() });
    await child.waitFor(/worker \S+ started: .*project [0-9a-f]{16}/, 30_000);
    const v1 = quiet.holder.version;
    await until('both workers announcing the first version', () => workersOn(prefix, v1, 2));

    put(dir, 'workflows/hello.yaml', hello('two'));
    const out: string[] = [];
    const saved = process.env.CHATOPS_PREFIX;
    process.env.CHATOPS_PREFIX = prefix;
    let code: number;
    try {
      code = await reloadCommand({ wait: '20s' }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    } finally {
      if (saved === undefined) delete process.env.CHATOPS_PREFIX;
      else process.env.CHATOPS_PREFIX = saved;
    }
    const v2 = quiet.holder.version;
    expect(v2).not.toBe(v1);
    expect(out.join('\n')).toContain('reload sent to 2 process(es)');
    expect(out.join('\n')).toContain(`all 2 on project ${v2}`);
    expect(code).toBe(0);
    await until('both workers announcing the new version', () => workersOn(prefix, v2, 2));

    // SIGHUP reloads the process that gets it (the in-process worker, which does not watch).
    put(dir, 'workflows/hello.yaml', hello('three'));
    process.emit('SIGHUP', 'SIGHUP');
    await until('SIGHUP reloading the worker', () => quiet.holder.version !== v2);
  }, 90_000); // starts a `chatops worker` process and runs `chatops reload`: slow to load on a busy machine

  it("the front's chat side reads the project in force: a command added and a policy edited apply without a restart", async () => {
    const prefix = uniquePrefix('reload-chat');
    const policy = (who: string) => `roles:\n  ops:\n    members: ["${who}"]\nrules:\n  - commands: ["*"]\n    roles: [ops]\n`;
    const dir = projectDir({ 'workflows/hello.yaml': hello('one'), 'policy.yaml': policy('shell:alice') });
    const { log } = capturingLogger();
    const { front: f } = await front(dir, prefix, log, new CountingPlatform());
    const names = (who: string) => f.router.allowedCommands(who, [], 'ops').map((c) => c.name);
    expect(names('shell:alice')).toEqual([]);
    put(dir, 'commands/hello.yaml', 'name: hello\nusage: hello\nworkflow: hello\n');
    await until('the router offering the new command', () => names('shell:alice').includes('hello'));
    put(dir, 'policy.yaml', policy('shell:bob'));
    await until('the router applying the new policy', () => names('shell:alice').length === 0 && names('shell:bob').includes('hello'));
    expect(f.router.rolesOf('shell:bob', [])).toEqual(['ops']);
  });
  it('a worker still on the old version runs a run the front started on the new one with the new steps (the snapshot travels with the run)', async () => {
    const prefix = uniquePrefix('reload-behind');
    const dir = projectDir({ 'workflows/hello.yaml': hello('one') });
    const { log } = capturingLogger();
    const { front: f } = await front(dir, prefix, log, new CountingPlatform());
    const behind = await worker(dir, prefix, log, { watch: false, pollMs: 0 });
    const v1 = behind.holder.version;
    put(dir, 'workflows/hello.yaml', hello('two'));
    await until('the front on the new version', () => f.project.version !== v1);
    expect(behind.holder.version).toBe(v1);
    expect(await workersOn(prefix, v1, 1)).toBe(true);
    expect(await runHello(f.engine)).toBe('two');
  });
});
