/**
 * Acknowledge first, work after: a slash command's ack names the run before the run is written,
 * and whatever goes wrong with the start after the ack reaches the user through the response_url.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEngine } from '../../src/engine/index.js';
import type { StartRunRequest, StartRunResult } from '../../src/engine/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import { testRedisUrl } from '../helpers/redis.js';
import { SECRET_KEY, slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import { SLACK_PROJECT } from './slack-project.js';

const PROJECT: Record<string, string> = {
  ...SLACK_PROJECT,
  'workflows/migrate.yaml': `
name: migrate
description: One migration at a time; a second one is refused.
concurrency: { key: db, mode: reject }
steps:
  - id: hold
    approval: { message: "Hold the migration lock", roles: [sre] }
`,
  'commands/migrate.yaml': `
name: migrate
usage: migrate
workflow: migrate
`,
  'policy.yaml': (SLACK_PROJECT['policy.yaml'] ?? '').replace('commands: [restart, deploy, chatty, drip]', 'commands: [restart, deploy, chatty, drip, migrate]'),
};

describe('Slack slash command: ack first, run after', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(PROJECT);
  });
  afterAll(async () => {
    await h.close();
  });

  it('acks before the run is written: a start held back 2 s does not hold back the ack', async () => {
    const engine = h.front.engine;
    const realStart = engine.startRun.bind(engine);
    let startsDone = 0;
    // The real engine, its start held back as if Redis took 2 s: the ack must not wait for it.
    engine.startRun = async (req: StartRunRequest): Promise<StartRunResult> => {
      await new Promise((r) => setTimeout(r, 2_000));
      try {
        return await realStart(req);
      } finally {
        startsDone++;
      }
    };
    try {
      const res = await h.sender.slash({ text: 'restart api on web-1', channel: 'C0ACK', user: 'U0ALICE', responseUrl: h.fake.responseUrl() });
      const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0] ?? '';
      // Checked before anything else is awaited: the ack is already here, the run is not.
      expect(startsDone).toBe(0);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).toContain(`Starting ${runId}`);
      expect(await engine.getRun(runId)).toBeNull();
      await h.fake.waitFor(() => h.fake.roots('C0ACK').find((m) => m.text === `restart-service ${runId}: succeeded`), 20_000, 'final header of the acked run');
      expect(startsDone).toBe(1);
    } finally {
      engine.startRun = realStart;
    }
  }, 30_000);

  it('a start refused after the ack (lock held, reject mode) is explained through the response_url', async () => {
    const first = await h.sender.slash({ text: 'migrate', channel: 'C0MIG', user: 'U0ALICE', responseUrl: h.fake.responseUrl() });
    const holder = /r-[0-9a-z]{6}/.exec(JSON.stringify(first.body))?.[0] ?? '';
    await h.fake.waitFor(() => h.fake.roots('C0MIG').find((m) => m.text.startsWith(`migrate ${holder}`)), 10_000, 'header of the run holding the lock');

    const responseUrl = h.fake.responseUrl();
    const second = await h.sender.slash({ text: 'migrate', channel: 'C0MIG', user: 'U0CAROL', responseUrl });
    const refused = /r-[0-9a-z]{6}/.exec(JSON.stringify(second.body))?.[0] ?? '';
    expect(JSON.stringify(second.body)).toContain(`Starting ${refused}`);
    const id = responseUrl.split('/').pop();
    const followUp = await h.fake.waitFor(() => h.fake.responseUrlPosts.find((p) => p.id === id), 10_000, 'the follow-up through the response_url');
    expect(followUp.body).toMatchObject({ response_type: 'ephemeral' });
    const text = JSON.stringify(followUp.body);
    expect(text).toContain(`${refused} could not start`);
    expect(text).toContain(`already running for \\"db\\" (run ${holder}`);
    expect(text).toContain('CONCURRENCY_HELD');
    expect(await h.front.engine.getRun(refused)).toBeNull();
    // Only the holder has a message in the channel.
    expect(h.fake.roots('C0MIG').map((m) => m.text).filter((t) => t.includes(refused))).toEqual([]);
    await h.front.engine.cancel(holder, 'test');
  }, 30_000);

  it('a front stopped right after an ack still writes the run it announced', async () => {
    const own = await slackFrontHarness(PROJECT);
    const engine = own.front.engine;
    const realStart = engine.startRun.bind(engine);
    engine.startRun = async (req: StartRunRequest): Promise<StartRunResult> => {
      await new Promise((r) => setTimeout(r, 1_000));
      return realStart(req);
    };
    const check = createEngine({ redisUrl: testRedisUrl(), prefix: own.prefix, project: { workflows: new Map() }, log: silentLogger, secretKey: SECRET_KEY });
    try {
      const res = await own.sender.slash({ text: 'restart api on web-2', channel: 'C0STOP', user: 'U0ALICE', responseUrl: own.fake.responseUrl() });
      const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0] ?? '';
      expect(JSON.stringify(res.body)).toContain(`Starting ${runId}`);
      await own.front.close();
      expect((await check.getRun(runId))?.workflow).toBe('restart-service');
    } finally {
      await check.close();
      await own.close();
    }
  }, 30_000);
});
