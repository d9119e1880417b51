import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import { SLACK_PROJECT } from './slack-project.js';

/** Slack shows an error to the user when a slash command is not acknowledged within 3 s. */
const SLACK_ACK_LIMIT_MS = 3_000;

describe('Slack adapter under a burst of commands', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(SLACK_PROJECT, { concurrency: 16 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('acks 50 slash commands sent over 5 s in time, and every run ends with its final message', async () => {
    const sends = Array.from({ length: 50 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 100));
      const channel = `C0LOAD${i}`;
      const res = await h.sender.slash({ text: `restart svc${i} on web-${i}`, channel, user: 'U0ALICE', responseUrl: h.fake.responseUrl() });
      return { channel, res };
    });
    const results = await Promise.all(sends);
    for (const { res } of results) {
      expect(res.status).toBe(200);
      expect(res.ackMs).toBeLessThan(SLACK_ACK_LIMIT_MS);
      expect(JSON.stringify(res.body)).toMatch(/Starting r-[0-9a-z]{6}/);
    }
    const runIds = results.map(({ res }) => /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0]);
    expect(new Set(runIds).size).toBe(50);
    await h.fake.waitFor(
      () => results.every(({ channel }, i) => h.fake.roots(channel).some((m) => m.text === `restart-service ${runIds[i]}: succeeded`)),
      60_000,
      'final headers of all 50 runs',
    );
    for (const { channel } of results) expect(h.fake.roots(channel)).toHaveLength(1);
  }, 90_000);
});
