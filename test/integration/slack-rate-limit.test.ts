import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import { SLACK_PROJECT } from './slack-project.js';
import { scrape, sumOf } from '../helpers/prom-text.js';

describe('Slack adapter under rate limiting', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    // Stricter than Slack: one write per 2 s per channel, no burst, so 429s are certain.
    h = await slackFrontHarness(SLACK_PROJECT, { fake: { rateLimit: { burst: 1, perSecond: 0.5 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('honours Retry-After and still delivers the final status after a 429 storm', async () => {
    const res = await h.sender.slash({ text: 'drip', channel: 'C0STORM', responseUrl: h.fake.responseUrl() });
    expect(res.status).toBe(200);
    const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.roots('C0STORM').find((m) => m.text === `drip ${runId}: succeeded`), 45_000, 'final header despite 429s');
    expect(root.history.length).toBeGreaterThan(1);
    expect(h.fake.rateLimited).toBeGreaterThan(0);
    // The last output write holds the last lines.
    const out = await h.fake.waitFor(() => h.fake.thread('C0STORM', root.ts).find((m) => m.text === 'drip: succeeded'), 20_000, 'final output reply');
    expect(JSON.stringify(out.blocks)).toContain('tick 29');
    // After each 429 no write reached the channel before Retry-After had passed.
    const calls = h.fake.calls.filter((c) => c.params.channel === 'C0STORM' || c.params.channel_id === 'C0STORM');
    for (const [i, c] of calls.entries()) {
      if (c.status !== 429) continue;
      const next = calls.slice(i + 1).find((n) => n.at > c.at);
      if (next) expect(next.at - c.at).toBeGreaterThanOrEqual((c.retryAfter ?? 1) * 1000 - 50);
    }
    // /metrics counts the chat writes by outcome: the 429s the pacer met, and the writes that went through.
    // (A write may still be on its way: the count is between the 429s answered before and after the scrape.)
    const writes429 = () => h.fake.calls.filter((c) => c.status === 429 && (c.method === 'chat.postMessage' || c.method === 'chat.update')).length;
    const before = writes429();
    const metrics = [await scrape(h.base)];
    const counted = sumOf(metrics, 'chatops_chat_writes_total', { platform: 'slack', outcome: 'rate_limited' });
    expect(before).toBeGreaterThan(0);
    expect(counted).toBeGreaterThanOrEqual(before);
    expect(counted).toBeLessThanOrEqual(writes429());
    expect(sumOf(metrics, 'chatops_chat_writes_total', { platform: 'slack', outcome: 'ok' })).toBeGreaterThan(1);
  }, 60_000);
});
