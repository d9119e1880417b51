/**
 * The router against the example project, a real engine front (no worker: started runs just wait
 * in the queue) and the test Redis: good lines start runs with the right inputs, bad lines get a
 * specific coded reply and start nothing, policy refusals are audited.
 */
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { auditKey, createAuditLog } from '../../src/chat/audit.ts';
import type { ChatContent, ChatMessage } from '../../src/chat/platform.ts';
import { createRouter, type Router } from '../../src/chat/router.ts';
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
    audit: createAuditLog(redis, prefix),
    log: silentLogger,
    onRunStarted: async (run) => {
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
    expect(r.replies).toEqual([]);
    expect(r.started).toBe(true);
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
    ['restart "api', 'E_UNTERMINATED_QUOTE', /unterminated quote/],
    ['restat api', 'E_UNKNOWN_COMMAND', /Did you mean: restart\?\n[\s\S]*restart \{service\} \[in \{env\}\]/],
    ['stauts r-1', 'E_UNKNOWN_COMMAND', /Did you mean: status\?/],
    ['frobnicate now', 'E_UNKNOWN_COMMAND', /unknown command "frobnicate"[\s\S]*Type `help`/],
    ['free-disk older than many days', 'E_INVALID_INPUT', /older_than_days: expected a number/],
    ['status', 'E_USAGE', /status: missing RUN/],
    ['status r-doesnotexist', 'E_UNKNOWN_RUN', /no run r-doesnotexist/],
  ])('%s', async (line, code, text) => {
    const before = started.length;
    const r = await router.handleMessage(msg('slack:U0ALICE', line));
    expect(r.started).toBeFalsy();
    expect(started.length).toBe(before);
    expect(r.replies).toHaveLength(1);
    const reply = r.replies[0];
    expect(reply?.kind === 'reply' && reply.view.code).toBe(code);
    expect(replyText(reply)).toMatch(text);
  });

  it('records a refused command in the audit stream (who, where, what)', async () => {
    await router.handleMessage(msg('slack:U0NOBODY', '/ops restart api', 'C-prod'));
    const entries = await redis.xrange(auditKey(prefix), '-', '+');
    const fields = entries.map(([, f]) => f.join(' '));
    expect(fields.some((f) => f.includes('type denied') && f.includes('who slack:U0NOBODY') && f.includes('channel C-prod') && f.includes('command restart') && f.includes('text restart api'))).toBe(true);
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
    const r = await router.handleMessage(msg('slack:U0ALICE', 'check db', 'C2'));
    const runId = r.runId ?? '';
    const status = (await router.handleMessage(msg('slack:U0ALICE', `status ${runId}`, 'C2'))).replies[0];
    expect(status?.kind === 'run' && status.view.runId).toBe(runId);
    const runs = replyText((await router.handleMessage(msg('slack:U0ALICE', 'runs', 'C2'))).replies[0]);
    expect(runs).toContain(`${runId}  check-service`);
    const denied = (await router.handleMessage(msg('slack:U0NOBODY', `cancel ${runId}`, 'C2'))).replies[0];
    expect(denied?.kind === 'reply' && denied.view.code).toBe('E_DENIED');
    // A viewer may look at a restart but not cancel it (viewers may not run restart).
    const restart = (await router.handleMessage(msg('slack:U0ALICE', 'restart db', 'C2'))).runId ?? '';
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
    const missing = await r.handleMessage({ platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'shell', text: 'rotate api' });
    expect(replyText(missing.replies[0])).toMatch(/E_INVALID_INPUT rotate: token: required input is missing \(expected string\)[\s\S]*usage: rotate \{service\}/);
    expect(missing.started).toBeFalsy();
    const ok = await r.handleMessage({ platform: 'shell', user: { identity: 'shell:alice', groups: [] }, channel: 'shell', text: 'rotate api token=hunter22' });
    const run = await eng.getRun(ok.runId ?? '');
    expect(run?.trigger.text).toBe('rotate api token=***');
    await r.handleMessage({ platform: 'shell', user: { identity: 'shell:mallory', groups: [] }, channel: 'shell', text: 'rotate api token=hunter22' });
    const audit = JSON.stringify(await redis.xrange(auditKey(p), '-', '+'));
    expect(audit).toContain('rotate api token=***');
    expect(audit).toContain('shell:mallory');
    expect(audit).not.toContain('hunter22');
    await eng.cancel(ok.runId ?? '', 'test').catch(() => undefined);
    await eng.close();
  });
});
