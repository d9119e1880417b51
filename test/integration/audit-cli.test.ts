/**
 * Issue 15: `chatops audit` reads the audit trail written by the chat layer. A start, an approval,
 * a refusal and a cancel made through the router (as any chat adapter makes them) on a real
 * engine and worker show up in the table and as JSON lines, filtered by --since and --who.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { auditKey, createAuditLog } from '../../src/chat/audit.js';
import type { ChatMessage } from '../../src/chat/platform.js';
import { createRouter, type Router } from '../../src/chat/router.js';
import { createEngine, startWorker, type Engine, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { removeDir, writeProject } from '../helpers/alerts-front.js';
import { runChatops } from '../helpers/cli-child.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const SECRET_KEY = 'audit-tests-secret-key';
const prefix = uniquePrefix('audit');
let dir: string;
let engine: Engine;
let worker: WorkerHandle;
let redis: Redis;
let router: Router;
const runs: Record<string, string> = {};

function chatops(args: string[], inPrefix = prefix): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runChatops(['audit', ...args], { REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: inPrefix, CHATOPS_DIR: dir, CHATOPS_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'warn' });
}

const msg = (user: string, text: string): ChatMessage => ({ platform: 'shell', user: { identity: user, groups: [] }, channel: 'ops', text });

/** A line handled as an adapter does: the ack, then the work after it. */
async function say(user: string, text: string): Promise<string | undefined> {
  const r = await router.handleMessage(msg(user, text));
  const after = r.afterAck ? await r.afterAck(async () => undefined) : {};
  return after.runId ?? r.runId;
}

async function waitFor(what: string, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  let project;
  ({ dir, project } = await writeProject({
    'policy.yaml': 'roles:\n  oncall: { members: [shell:alice] }\n  sre: { members: [shell:bob] }\nrules:\n  - { commands: [gate], roles: [oncall, sre], channels: ["*"] }\n',
    'commands/gate.yaml': 'name: gate\ndescription: An approval, then a step.\nusage: gate\nworkflow: gated\n',
    'workflows/gated.yaml': 'name: gated\nsteps:\n  - id: ok\n    approval: { message: go?, roles: [sre] }\n  - id: after\n    needs: [ok]\n    run: echo done\n',
  }));
  const opts = { redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: SECRET_KEY };
  engine = createEngine(opts);
  worker = await startWorker({ ...opts, concurrency: 2 });
  redis = new Redis(testRedisUrl());
  router = createRouter({ runs: engine, commands: project.commands.values(), policy: project.policy, audit: createAuditLog(redis, prefix), log: silentLogger });

  // Alice starts a run; Bob approves it; Carol (no role) is refused; Alice starts another and cancels it.
  runs.first = (await say('shell:alice', 'gate')) ?? '';
  await waitFor('the approval to wait', async () => (await engine.getRun(runs.first ?? ''))?.steps.find((s) => s.id === 'ok')?.state === 'waiting');
  await say('shell:bob', `approve ${runs.first}`);
  await say('shell:carol', 'gate');
  runs.second = (await say('shell:alice', 'gate')) ?? '';
  await say('shell:alice', `cancel ${runs.second}`);
  await waitFor('the first run to succeed', async () => (await engine.getRun(runs.first ?? ''))?.state === 'succeeded');
}, 60_000);

afterAll(async () => {
  await worker.close();
  await engine.close();
  await redis.quit();
  removeDir(dir);
});

describe('chatops audit', () => {
  it('lists a start, an approval, a refusal and a cancel made in chat, oldest first', async () => {
    const { code, stdout, stderr } = await chatops([]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME \(UTC\)\s+WHO\s+ACTION\s+WHERE\s+RUN\/INCIDENT\s+WHAT$/);
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => [r[1], r[2], r[3], r[4]])).toEqual([
      ['shell:alice', 'started', 'shell:ops', runs.first],
      ['shell:bob', 'approved', 'shell:ops', runs.first],
      ['shell:carol', 'refused', 'shell:ops', '-'],
      ['shell:alice', 'started', 'shell:ops', runs.second],
      ['shell:alice', 'cancelled', 'shell:ops', runs.second],
    ]);
    expect(rows[0]?.[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(rows[2]?.[5]).toBe('gate');
  }, 120_000);

  // Each `chatops audit` is a child process compiling the sources on the fly: seconds on a busy machine.
  it('prints JSON lines, and keeps only one person with --who (identity or bare id)', async () => {
    const all = await chatops(['--json']);
    expect(all.code).toBe(0);
    const records = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(records.map((r) => r.action)).toEqual(['started', 'approved', 'refused', 'started', 'cancelled']);
    expect(records[1]).toMatchObject({ type: 'decided', who: 'shell:bob', command: 'approve', runId: runs.first, platform: 'shell', channel: 'ops' });
    expect(new Date(records[0]?.at ?? '').getTime()).toBeGreaterThan(Date.now() - 120_000);
    for (const who of ['shell:bob', 'bob']) {
      const bob = await chatops(['--json', '--who', who]);
      expect(bob.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['approved']);
    }
  }, 120_000);

  it('leaves out what is older than --since, and refuses a bad duration', async () => {
    // A trail of its own: an entry from two hours ago (stream ids start with their time in ms), then one now.
    const other = uniquePrefix('audit-since');
    const old = Date.now() - 2 * 3_600_000;
    await redis.xadd(auditKey(other), `${old}-0`, 'at', String(old), 'type', 'started', 'who', 'shell:dave', 'platform', 'shell', 'channel', 'ops', 'command', 'gate', 'runId', 'r-old000');
    await createAuditLog(redis, other).record({ type: 'denied', who: 'shell:erin', platform: 'shell', channel: 'ops', command: 'gate', text: 'gate' });
    const wide = await chatops(['--since', '3h'], other);
    expect(wide.stdout).toContain('shell:dave');
    expect(wide.stdout).toContain('shell:erin');
    const narrow = await chatops(['--since', '1h'], other);
    expect(narrow.stdout).not.toContain('shell:dave');
    expect(narrow.stdout).toContain('shell:erin');
    const bad = await chatops(['--since', 'soon'], other);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since expects a duration such as 30m, 24h or 7d, got "soon"');
  }, 120_000);

  it('trims entries older than the retention as new ones are written', async () => {
    const other = uniquePrefix('audit-retention');
    const old = Date.now() - 3 * 3_600_000;
    await redis.xadd(auditKey(other), `${old}-0`, 'at', String(old), 'type', 'started', 'who', 'shell:dave', 'platform', 'shell', 'channel', 'ops', 'command', 'gate');
    // A stream trims whole nodes with `~`: fill one with old entries so the trim has something to drop.
    for (let i = 1; i <= 200; i++) await redis.xadd(auditKey(other), `${old}-${i}`, 'at', String(old), 'type', 'started', 'who', 'shell:dave', 'platform', 'shell', 'channel', 'ops', 'command', 'gate');
    await createAuditLog(redis, other, undefined, { retentionMs: 3_600_000 }).record({ type: 'started', who: 'shell:erin', platform: 'shell', channel: 'ops', command: 'gate' });
    const left = await redis.xrange(auditKey(other), '-', '+');
    expect(left.length).toBeLessThan(201);
    expect(left[left.length - 1]?.[1]).toContain('shell:erin');
  });
});
