/**
 * The router against the example project, a real engine front (no worker: started runs just wait
 * in the queue) and the test Redis: good lines start runs with the right inputs, bad lines get a
 * specific coded reply and start nothing, policy refusals are audited.
 */
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { auditKey, createAuditLog } from '../../src/chat/audit.ts';
import type { ChatContent, ChatMessage } from '../../src/chat/platform.ts';
import { createRouter, type RouteResult, type Router } from '../../src/chat/router.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { policySchema } from '../../src/config/policy.ts';
import { createEngine, type Engine } from '../../src/engine/index.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { workflowSchema } from '../../src/workflow/schema.ts';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

let engine: Engine;
let redis: Redis;
let router: Router;
let prefix: string;
const started: string[] = [];

const msg = (user: string, text: string, channel = 'C1'): ChatMessage => ({ platform: 'slack', user: { identity: user, groups: [] }, channel, text });

/** A message as an adapter handles it: the ack (replies), then the work after it, with its follow-ups. */
async function route(r: Router, m: ChatMessage): Promise<RouteResult & { said: ChatContent[] }> {
  const result = await r.handleMessage(m);
  const said: ChatContent[] = [];
  const after = result.afterAck ? await result.afterAck(async (c) => void said.push(c)) : {};
  return { ...result, ...after, said };
}

function replyText(c: ChatContent | undefined): string {
  if (!c || c.kind !== 'reply') return '';
  const v = c.view;
  return [`${v.code ?? ''} ${v.title}`, ...v.blocks.map((b) => (b.type === 'list' ? b.items.join('\n') : b.type === 'fields' ? b.fields.map((f) => `${f.label}: ${f.value}`).join('\n') : b.text))].join('\n');
}

beforeAll(async () => {
  prefix = uniquePrefix('router');
  const project = await loadProject(resolve('.'));
  engine = createEngine({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger });
  redis = new Redis(testRedisUrl());
  router = createRouter({
    runs: engine,
    commands: project.commands.values(),
    policy: project.policy,
    audit: createAuditLog(redis, prefix, project.policy),
    log: silentLogger,
    onRunStarting: async (run) => {
      started.push(run.id);
    },
  });
});

afterAll(async () => {
  for (const id of started) await engine.cancel(id, 'test').catch(() => undefined);
  await engine.close();
  await redis.quit();
});

describe('good lines start runs with validated inputs', () => {
  it.each([
    ['restart api', { service: 'api', env: 'staging' }],
    ['/ops restart web in prod', { service: 'web', env: 'prod' }],
    ['<@U0BOT> free-disk older than 3 days dry_run=no', { older_than_days: 3, dry_run: false }],
    ['@chatops page sre "disk is full on web-1"', { team: 'sre', message: 'disk is full on web-1' }],
    ['diagnose', {}],
  ])('%s', async (line, inputs) => {
    const r = await router.handleMessage(msg('slack:U0ALICE', line));
    // Two phases: the ack names the run, which is written only once the adapter has sent it.
    expect(r.replies).toHaveLength(1);
    expect(replyText(r.replies[0])).toContain(`Starting ${r.runId ?? '?'}`);
    expect(await engine.getRun(r.runId ?? '')).toBeNull();
    const said: ChatContent[] = [];
    const after = await r.afterAck?.(async (c) => void said.push(c));
    expect(after).toEqual({ runId: r.runId, started: true, follow: true });
    expect(said).toEqual([]);
    const run = await engine.getRun(r.runId ?? '');
    expect(run?.inputs).toEqual(expect.objectContaining(inputs));
    expect(run?.trigger).toEqual(expect.objectContaining({ kind: 'chat', source: 'slack', requester: 'slack:U0ALICE', channel: 'C1' }));
  });
});

describe('bad lines get a specific reply and start nothing', () => {
  it.each([
    ['restart', 'E_USAGE', /restart: missing \{service\}[\s\S]*usage: restart \{service\} \[in \{env\}\]/],
    ['restart api on prod', 'E_USAGE', /unexpected "on"/],
    ['deploy api', 'E_DENIED', /You may not run deploy here/],
    ['restart api in dev', 'E_INVALID_INPUT', /env: expected one of: staging, prod/],
    ['restart api colour=blue', 'E_INVALID_INPUT', /colour: unknown input; this workflow takes service, env, reason/],
    ['restart api service=web', 'E_INPUT_TWICE', /service is set twice[\s\S]*already comes from \{service\}/],
    ['restart api reason=a reason=b', 'E_INPUT_TWICE', /reason is given twice; give each input once/],
    ['restart api __proto__=x', 'E_INVALID_INPUT', /__proto__ cannot be an input name/],
    ['restart api constructor=x', 'E_INVALID_INPUT', /constructor cannot be an input name/],
    ['restart "api', 'E_UNTERMINATED_QUOTE', /unterminated quote/],
    ['restat api', 'E_UNKNOWN_COMMAND', /Did you mean: restart\?\n[\s\S]*restart \{service\} \[in \{env\}\]/],
    ['stauts r-1', 'E_UNKNOWN_COMMAND', /Did you mean: status\?/],
    ['frobnicate now', 'E_UNKNOWN_COMMAND', /unknown command "frobnicate"[\s\S]*Type `help`/],
    ['free-disk older than many days', 'E_INVALID_INPUT', /older_than_days: expected a number/],
    ['status', 'E_USAGE', /status: missing RUN/],
    ['status r-doesnotexist', 'E_UNKNOWN_RUN', /no run r-doesnotexist/],
  ])('%s', async (line, code, text) => {
    const before = started.length;
    const r = await route(router, msg('slack:U0ALICE', line));
    expect(r.started).toBeFalsy();
    expect(r.said).toEqual([]);
    expect(started.length).toBe(before);
    expect(r.replies).toHaveLength(1);
    const reply = r.replies[0];
    expect(reply?.kind === 'reply' && reply.view.code).toBe(code);
    expect(replyText(reply)).toMatch(text);
  });

  it('records a refused command in the audit stream (who, where, what)', async () => {
    await route(router, msg('slack:U0NOBODY', '/ops restart api', 'C-prod'));
    const entries = await redis.xrange(auditKey(prefix), '-', '+');
    const fields = entries.map(([, f]) => f.join(' '));
    expect(fields.some((f) => f.includes('type denied') && f.includes('who slack:U0NOBODY') && f.includes('channel C-prod') && f.includes('command restart') && f.includes('text restart api'))).toBe(true);
  });

  it('names the person behind the account in the audit stream', async () => {
    await route(router, msg('slack:U0ALICE', 'deploy api', 'C-audit'));
    const entries = await redis.xrange(auditKey(prefix), '-', '+');
    const denied = entries.map(([, f]) => f).find((f) => f.includes('C-audit'));
    expect(denied).toEqual(expect.arrayContaining(['who', 'slack:U0ALICE', 'person', 'alice']));
  });
});

describe('help follows policy', () => {
  it('lists only what the caller may run here', async () => {
    const alice = replyText((await router.handleMessage(msg('slack:U0ALICE', 'help'))).replies[0]);
    expect(alice).toContain('restart {service} [in {env}]');
    expect(alice).not.toContain('deploy {service}');
    const bob = replyText((await router.handleMessage(msg('slack:U0BOB', 'help'))).replies[0]);
    expect(bob).toContain('deploy {service} {version} [to {env}]');
    const stranger = replyText((await router.handleMessage(msg('slack:U0NOBODY', 'help'))).replies[0]);
    expect(stranger).toContain('No command is open to you');
  });

  it('help CMD shows inputs with types, defaults and choices, examples and the workflow', async () => {
    const text = replyText((await router.handleMessage(msg('slack:U0ALICE', 'help restart'))).replies[0]);
    expect(text).toContain('workflow: restart-service');
    expect(text).toMatch(/service \(string, required, matching \^\[a-z\]/);
    expect(text).toContain('env (choice, default staging, one of staging | prod)');
    expect(text).toContain('restart api in prod reason="memory leak"');
  });
});

describe('run built-ins', () => {
  it('status, runs, cancel: only the requester or someone allowed may cancel', async () => {
    const r = await route(router, msg('slack:U0ALICE', 'check db', 'C2'));
    const runId = r.runId ?? '';
    const status = (await router.handleMessage(msg('slack:U0ALICE', `status ${runId}`, 'C2'))).replies[0];
    expect(status?.kind === 'run' && status.view.runId).toBe(runId);
    const runs = replyText((await router.handleMessage(msg('slack:U0ALICE', 'runs', 'C2'))).replies[0]);
    expect(runs).toContain(`${runId}  check-service`);
    const denied = (await router.handleMessage(msg('slack:U0NOBODY', `cancel ${runId}`, 'C2'))).replies[0];
    expect(denied?.kind === 'reply' && denied.view.code).toBe('E_DENIED');
    // A viewer may look at a restart but not cancel it (viewers may not run restart).
    const restart = (await route(router, msg('slack:U0ALICE', 'restart db', 'C2'))).runId ?? '';
    const viewer = { platform: 'slack', user: { identity: 'slack:U0CAROL', groups: ['slack-group:S0ENG'] }, channel: 'C2', text: `cancel ${restart}` };
    const refused = (await router.handleMessage(viewer)).replies[0];
    expect(replyText(refused)).toContain(`You may not cancel ${restart}`);
    const look = (await router.handleMessage({ ...viewer, text: `status ${restart}` })).replies[0];
    expect(look?.kind).toBe('run');
    // Someone policy gives no role gets help only.
    const stranger = (await router.handleMessage(msg('slack:U0NOBODY', `status ${runId}`, 'C2'))).replies[0];
    expect(replyText(stranger)).toContain('holds no role');
    const ok = (await router.handleMessage(msg('slack:U0ALICE', `cancel ${runId}`, 'C2'))).replies[0];
    expect(replyText(ok)).toContain(`Cancelling ${runId}`);
  });
});

describe('a run outside its channel', () => {
  it('is shown only where it lives, to its requester, or to someone who may run its workflow here; others get the unknown-run answer', async () => {
    const begun = await route(router, msg('slack:U0ALICE', 'restart private-svc', 'C-private'));
    expect(begun.started).toBe(true);
    const restart = begun.runId ?? '';
    started.push(restart);
    const viewer = (text: string, channel: string): ChatMessage => ({ platform: 'slack', user: { identity: 'slack:U0CAROL', groups: ['slack-group:S0ENG'] }, channel, text });
    // The answer to an id that does not exist, with the id swapped: the same words, so existence does not leak.
    const unknownFor = async (command: string) =>
      JSON.stringify((await router.handleMessage(viewer(`${command} r-zzzzzz`, 'C-public'))).replies).replaceAll('r-zzzzzz', restart);
    for (const command of ['status', 'transcript', 'cancel']) {
      const hidden = await router.handleMessage(viewer(`${command} ${restart}`, 'C-public'));
      expect(JSON.stringify(hidden.replies)).toBe(await unknownFor(command));
    }
    expect((await engine.getRun(restart))?.state).not.toBe('cancelled');
    const audit = (await redis.xrange(auditKey(prefix), '-', '+')).map(([, f]) => f.join(' '));
    expect(audit.some((f) => f.includes(`runId ${restart}`) && f.includes('detail run not visible here') && f.includes('command status'))).toBe(true);

    // Where it lives, the viewer sees it; the requester (as another account of the same person) and
    // an SRE, who may run restart, see it from anywhere.
    expect((await router.handleMessage(viewer(`status ${restart}`, 'C-private'))).replies[0]?.kind).toBe('run');
    const bob = (await router.handleMessage(msg('slack:U0BOB', `status ${restart}`, 'C-public'))).replies[0];
    expect(bob?.kind === 'run' && bob.view.runId).toBe(restart);
    const aliceAtShell = { platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'shell', text: `transcript ${restart}` };
    expect(replyText((await router.handleMessage(aliceAtShell)).replies[0])).not.toContain('E_UNKNOWN_RUN');
  });
});

describe('secret inputs typed into a line', () => {
  it('never reach the audit stream or the run trigger', async () => {
    const p = uniquePrefix('router-secret');
    const wf = workflowSchema.parse({
      name: 'rotate',
      inputs: { service: { type: 'string', required: true }, token: { type: 'string', required: true, secret: true } },
      steps: [{ id: 'go', run: 'true' }],
    });
    const eng = createEngine({ redisUrl: testRedisUrl(), prefix: p, project: { workflows: new Map([[wf.name, wf]]) }, log: silentLogger });
    const policy = policySchema.parse({ roles: { ops: { members: ['shell:alice'] } }, rules: [{ commands: ['rotate'], roles: ['ops'] }] });
    const r = createRouter({
      runs: eng,
      commands: [{ name: 'rotate', usage: 'rotate {service}', workflow: 'rotate', examples: [] }],
      policy,
      audit: createAuditLog(redis, p),
      log: silentLogger,
    });
    const missing = await route(r, { platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'shell', text: 'rotate api' });
    expect(replyText(missing.replies[0])).toMatch(/E_INVALID_INPUT rotate: token: required input is missing \(expected string\)[\s\S]*usage: rotate \{service\}/);
    expect(missing.started).toBeFalsy();
    const ok = await route(r, { platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'shell', text: 'rotate api token=hunter22' });
    const run = await eng.getRun(ok.runId ?? '');
    expect(run?.trigger.text).toBe('rotate api token=***');
    await route(r, { platform: 'shell', user: { identity: 'shell:mallory', groups: [] }, channel: 'shell', text: 'rotate api token=hunter22' });
    const audit = JSON.stringify(await redis.xrange(auditKey(p), '-', '+'));
    expect(audit).toContain('rotate api token=***');
    expect(audit).toContain('shell:mallory');
    expect(audit).not.toContain('hunter22');
    await eng.cancel(ok.runId ?? '', 'test').catch(() => undefined);
    await eng.close();
  });
});

describe('after the ack', () => {
  const hold = workflowSchema.parse({
    name: 'migrate',
    concurrency: { key: 'db', mode: 'reject' },
    steps: [{ id: 'wait', approval: { message: 'hold the lock' } }],
  });
  const migrate = [{ name: 'migrate', usage: 'migrate', workflow: 'migrate', examples: [] }];
  const shellMsg = (text: string): ChatMessage => ({ platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'shell', text });

  it('a run that cannot start once acked (lock held in reject mode) gets a follow-up naming the run and why', async () => {
    const p = uniquePrefix('router-after');
    const eng = createEngine({ redisUrl: testRedisUrl(), prefix: p, project: { workflows: new Map([[hold.name, hold]]) }, log: silentLogger });
    const r = createRouter({ runs: eng, commands: migrate, policy: undefined, audit: createAuditLog(redis, p), log: silentLogger });
    const first = await route(r, shellMsg('migrate'));
    expect(first.started).toBe(true);
    const second = await route(r, shellMsg('migrate'));
    expect(replyText(second.replies[0])).toContain(`Starting ${second.runId ?? '?'}`);
    expect(second.started).toBeFalsy();
    expect(second.follow).toBeFalsy();
    expect(second.said).toHaveLength(1);
    expect(replyText(second.said[0])).toMatch(new RegExp(`CONCURRENCY_HELD migrate: ${second.runId ?? '?'} could not start: migrate is already running for "db" \\(run ${first.runId ?? '?'}`));
    await eng.cancel(first.runId ?? '', 'test').catch(() => undefined);
    await eng.close();
  });

  it('hands the run to the reporters before writing it, so no front can die between the two', async () => {
    const p = uniquePrefix('router-order');
    const eng = createEngine({ redisUrl: testRedisUrl(), prefix: p, project: { workflows: new Map([[hold.name, hold]]) }, log: silentLogger });
    const seen: (string | null)[] = [];
    const onRunStarting = async (run: { id: string }) => {
      seen.push(run.id, (await eng.getRun(run.id))?.state ?? null);
    };
    const r = createRouter({ runs: eng, commands: migrate, policy: undefined, audit: createAuditLog(redis, p), log: silentLogger, onRunStarting });
    const res = await route(r, shellMsg('migrate'));
    expect(res.started).toBe(true);
    expect(seen).toEqual([res.runId, null]);
    await eng.cancel(res.runId ?? '', 'test').catch(() => undefined);
    await eng.close();
  });

  it('a run that started but could not be handed to the reporters is not reported as "could not start"', async () => {
    const p = uniquePrefix('router-track');
    const eng = createEngine({ redisUrl: testRedisUrl(), prefix: p, project: { workflows: new Map([[hold.name, hold]]) }, log: silentLogger });
    const onRunStarting = async () => {
      throw Object.assign(new Error('Connection is closed.'), { code: 'E_REDIS' });
    };
    const r = createRouter({ runs: eng, commands: migrate, policy: undefined, audit: createAuditLog(redis, p), log: silentLogger, onRunStarting });
    const res = await route(r, shellMsg('migrate'));
    expect(res.started).toBe(true);
    expect(res.said.map(replyText)).toEqual([expect.stringContaining(`E_REDIS ${res.runId ?? '?'} started, but its messages may not appear here`)]);
    expect((await eng.getRun(res.runId ?? ''))?.workflow).toBe('migrate');
    await eng.cancel(res.runId ?? '', 'test').catch(() => undefined);
    await eng.close();
  });

  it('a start that waits on Redis tells the user it is still starting, then starts', async () => {
    const p = uniquePrefix('router-slow');
    const eng = createEngine({ redisUrl: testRedisUrl(), prefix: p, project: { workflows: new Map([[hold.name, hold]]) }, log: silentLogger });
    // The real engine, its start held back as if Redis were not answering for a while.
    const slow = Object.create(eng) as Engine;
    slow.startRun = async (req) => {
      await new Promise((res) => setTimeout(res, 400));
      return eng.startRun(req);
    };
    const r = createRouter({ runs: slow, commands: migrate, policy: undefined, audit: createAuditLog(redis, p), log: silentLogger, slowStartMs: 50 });
    const res = await route(r, shellMsg('migrate'));
    expect(res.said.map(replyText)).toEqual([expect.stringContaining(`Still starting ${res.runId ?? '?'}`)]);
    expect(res.started).toBe(true);
    expect((await eng.getRun(res.runId ?? ''))?.workflow).toBe('migrate');
    await eng.cancel(res.runId ?? '', 'test').catch(() => undefined);
    await eng.close();
  });
});
